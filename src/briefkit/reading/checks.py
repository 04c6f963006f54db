"""Cross-checks of a valid reading: unique ids, references of the right kind, conditions, dates."""

from __future__ import annotations

from briefkit.errors import Problem
from briefkit.reading.model import GROUPS, Reading
from briefkit.reading.yamlfile import Loc, YamlFile, field_name

#: Which groups each relation may point at.
_TARGETS: dict[str, tuple[str, ...]] = {
    "supports": ("thesis", "claims", "evidence", "objections", "proposals"),
    "attacks": ("thesis", "claims", "evidence", "objections", "proposals"),
    "undercuts": ("claims", "evidence", "objections"),
    "held_by": ("actors",),
    "conditions": ("conditions",),
    "requires": ("conditions",),
    "on": ("thesis", *GROUPS),
}


def cross_check(reading: Reading, file: YamlFile) -> list[Problem]:
    """Second pass over a valid reading: unique ids, references, conditions, dates."""
    path = file.path
    problems: list[Problem] = []

    def problem(loc: Loc, message: str) -> None:
        problems.append(Problem(path, file.line(loc), field_name(loc), message))

    ids: dict[str, tuple[str, Loc]] = {reading.thesis.id: ("thesis", ("thesis", "id"))}
    for group in GROUPS:
        for index, item in enumerate(getattr(reading, group)):
            loc: Loc = (group, index, "id")
            if item.id in ids:
                first_group, first_loc = ids[item.id]
                first = file.line(first_loc)
                at = f" at line {first}" if first else ""
                problem(loc, f"duplicate id {item.id!r} (first used in {first_group}{at})")
            else:
                ids[item.id] = (group, loc)

    def ref(loc: Loc, target: str, relation: str) -> None:
        allowed = _TARGETS[relation]
        where = ids.get(target)
        if where is None:
            problem(loc, f"{target!r} does not name any item of the reading "
                         f"(expected one of its {'/'.join(allowed)})")  # fmt: skip
        elif where[0] not in allowed:
            problem(loc, f"{target!r} is in {where[0]}, but {relation} must name one of the "
                         f"reading's {'/'.join(allowed)}")  # fmt: skip

    for group in ("claims", "evidence", "objections"):
        for i, item in enumerate(getattr(reading, group)):
            for relation in ("supports", "attacks", "undercuts", "held_by"):
                for j, target in enumerate(getattr(item, relation, [])):
                    ref((group, i, relation, j), target, relation)
                    if target == item.id:
                        problem((group, i, relation, j), f"{item.id!r} cannot name itself")
    for i, o in enumerate(reading.objections):
        if o.kind == "objection" and not o.held_by:
            problem(("objections", i, "held_by"),
                    "an objection must say whose it is (held_by: actor ids)")  # fmt: skip
    for i, p in enumerate(reading.proposals):
        for j, target in enumerate(p.conditions):
            ref(("proposals", i, "conditions", j), target, "conditions")
        if p.conditional and not p.conditions:
            problem(("proposals", i, "conditional"),
                    "a conditional proposal must list its conditions")  # fmt: skip
        if not p.conditional and p.conditions:
            message = "an unconditional proposal (conditional: false) cannot list conditions"
            problem(("proposals", i, "conditions"), message)
    for i, m in enumerate(reading.measures):
        for j, target in enumerate(m.requires):
            ref(("measures", i, "requires", j), target, "requires")
    for i, e in enumerate(reading.events):
        if e.date_source == "external" and e.citation is None:
            message = "an external date needs a citation (citation: where the date comes from)"
            problem(("events", i, "date_source"), message)
        digits = {"year": 1, "month": 2, "day": 3}.get(e.precision)
        if digits is not None and len(e.date.split("-")) != digits:
            problem(("events", i, "precision"),
                    f"precision {e.precision!r} does not fit the date {e.date!r}")  # fmt: skip
    for i, a in enumerate(reading.actors):
        for j, s in enumerate(a.stances):
            ref(("actors", i, "stances", j, "on"), s.on, "on")

    used = {t for m in reading.measures for t in m.requires}
    used |= {t for p in reading.proposals for t in p.conditions}
    for i, cond in enumerate(reading.conditions):
        if cond.id not in used:
            message = f"condition {cond.id!r} is not required by any measure or proposal"
            problem(("conditions", i, "id"), message)
    return problems
