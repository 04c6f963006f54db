"""Cross-checks of a valid reading: unique ids, references of the right kind, conditions, dates."""

from __future__ import annotations

import difflib
from collections.abc import Callable

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
    "rests_on": ("thesis", *GROUPS),
    "about": ("thesis", *GROUPS, "assessment"),
}


def cross_check(reading: Reading, file: YamlFile) -> list[Problem]:
    """Second pass over a valid reading: unique ids, references, conditions, dates."""
    path = file.path
    problems: list[Problem] = []

    def problem(loc: Loc, message: str) -> None:
        problems.append(Problem(path, file.line(loc), field_name(loc), message))

    ids: dict[str, tuple[str, Loc]] = {reading.thesis.id: ("thesis", ("thesis", "id"))}

    def register(item_id: str, group: str, loc: Loc) -> None:
        # One id, one item: a second use is reported with the line of the first.
        if item_id in ids:
            first_group, first_loc = ids[item_id]
            first = file.line(first_loc)
            at = f" at line {first}" if first else ""
            problem(loc, f"duplicate id {item_id!r} (first used in {first_group}{at})")
        else:
            ids[item_id] = (group, loc)

    for group in GROUPS:
        for index, item in enumerate(getattr(reading, group)):
            register(item.id, group, (group, index, "id"))
    assessment = reading.assessment
    for part, index, entry in assessment.entries() if assessment else ():
        register(entry.id, "assessment", ("assessment", part, index, "id"))

    def declared(loc: Loc, value: str, field: str, vocabulary: dict[str, str]) -> None:
        if value not in vocabulary:
            close = difflib.get_close_matches(value, list(vocabulary), n=1)
            hint = f"did you mean {close[0]!r}?" if close else (
                f"declare it under {field}: with its label"
                + (f"; declared: {', '.join(vocabulary)}" if vocabulary else ""))  # fmt: skip
            problem(loc, f"{value!r} is not one of the reading's {field} ({hint})")

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
        declared(("proposals", i, "domain"), p.domain, "domains", reading.domains)
        for j, link in enumerate(p.conditions):
            ref(("proposals", i, "conditions", j), link.id, "conditions")
        if p.conditional is True and not p.conditions:
            problem(("proposals", i, "conditional"),
                    "a conditional proposal must list its conditions")  # fmt: skip
        if p.conditional is False and p.conditions:
            message = "an unconditional proposal (conditional: false) cannot list conditions"
            problem(("proposals", i, "conditions"), message)
        if p.conditional == "unstated":
            for j, link in enumerate(p.conditions):
                if link.basis(p.status) != "inferred":
                    problem(("proposals", i, "conditions", j),
                            "conditional: unstated says the article gives no condition, so a "
                            "condition linked here is the analyst's: write "
                            f"{{id: {link.id}, status: inferred}}")  # fmt: skip
    for i, m in enumerate(reading.measures):
        declared(("measures", i, "track"), m.track, "tracks", reading.tracks)
        for j, link in enumerate(m.requires):
            ref(("measures", i, "requires", j), link.id, "requires")
    for i, k in enumerate(reading.key_judgements):
        if k.status != "inferred" and not k.quotes:
            message = (
                f"a {k.status} key judgement needs at least one verbatim quote of the article "
                "(only the analyst's own, status: inferred, may have none)"
            )
            problem(("key_judgements", i, "quotes"), message)
    if assessment is not None:
        problems.extend(_check_assessment(reading, file, ref))
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

    used = {t for m in reading.measures for t in m.required_ids}
    used |= {t for p in reading.proposals for t in p.condition_ids}
    for i, cond in enumerate(reading.conditions):
        if cond.id not in used:
            message = f"condition {cond.id!r} is not required by any measure or proposal"
            problem(("conditions", i, "id"), message)
    return problems


def _check_assessment(reading: Reading, file: YamlFile, ref: Callable[[Loc, str, str], None]
                      ) -> list[Problem]:  # fmt: skip
    """The assessment's terms come from its yardstick; what it rests on names the reading."""
    assert reading.assessment is not None
    assessment = reading.assessment
    yardstick = assessment.yardstick
    problems: list[Problem] = []

    def problem(loc: Loc, message: str) -> None:
        problems.append(Problem(file.path, file.line(loc), field_name(loc), message))

    if not yardstick.probability and not yardstick.confidence:
        message = "a yardstick declares its probability terms, its confidence levels, or both"
        problem(("assessment", "yardstick"), message)
    for i, j in enumerate(assessment.judgements):
        loc: Loc = ("assessment", "judgements", i)
        if j.probability is None and j.confidence is None:
            problem((*loc, "id"), "a judgement needs a probability term, a confidence level, "
                                  "or both (from the yardstick)")  # fmt: skip
        for field, terms in (("probability", yardstick.probability),
                             ("confidence", yardstick.confidence)):  # fmt: skip
            value = getattr(j, field)
            if value is not None and value not in terms:
                allowed = ", ".join(terms) if terms else "none declared"
                problem((*loc, field), f"{value!r} is not a {field} term of the yardstick "
                                       f"{yardstick.name!r} ({allowed})")  # fmt: skip
        for k, target in enumerate(j.rests_on):
            ref((*loc, "rests_on", k), target, "rests_on")
    for part in ("gaps", "implications", "options"):
        for i, note in enumerate(getattr(assessment, part)):
            for k, target in enumerate(note.about):
                ref(("assessment", part, i, "about", k), target, "about")
    return problems
