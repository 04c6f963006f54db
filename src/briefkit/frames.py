"""The validated reading as pandas DataFrames: one tidy frame per kind of item, relations long.

Columns are typed: the reading's closed vocabularies (basis, kinds, stances…) are
categoricals whose categories come from the reading's model, in its order; tracks and domains
are categoricals of the ids the reading declares, in its order, with their labels beside; text
is the nullable ``string`` type, phases ``Int64``, reversibility ``boolean`` (missing where the
article does not say); item ids are the index. Relations (supports and attacks, requirements,
stances…) are long frames with one row per relation, in reading order. Event dates are Periods
at their precision, with the interval each could fall in (an approximate date has no period,
only its interval).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cached_property
from typing import Any, get_args

import pandas as pd
from pydantic import BaseModel

from briefkit import present
from briefkit.export import edges
from briefkit.reading.model import (
    Actor,
    Condition,
    Event,
    Evidence,
    Objection,
    Stance,
    Thesis,
)
from briefkit.reading.seed import Seed

TEXT = pd.StringDtype()


def categories(model: type[BaseModel], field: str, *, ordered: bool = False) -> pd.CategoricalDtype:
    """The categorical type of a model's ``Literal`` field: its values, in the model's order."""
    annotation = model.model_fields[field].annotation
    values = get_args(annotation)
    if not values or not all(isinstance(v, str) for v in values):
        raise TypeError(f"{model.__name__}.{field} is not a Literal of strings")
    return pd.CategoricalDtype(list(values), ordered=ordered)


#: How an item is known, from the firmest (stated) to the analyst's inference.
STATUS = categories(Thesis, "status", ordered=True)
RELATION = pd.CategoricalDtype(["support", "attack", "undercut"])
#: Whether a proposal is conditional: ``unstated`` when the article gives no condition.
CONDITIONAL = pd.CategoricalDtype(["true", "false", "unstated"])
#: The reading's groups of items, as the ``group`` of ``Frames.items``.
GROUP = pd.CategoricalDtype(
    ["thesis", "key_judgements", "claims", "evidence", "objections", "proposals", "conditions",
     "measures", "events", "risks"]
)  # fmt: skip


def frame(
    rows: Iterable[Mapping[str, Any]], dtypes: Mapping[str, Any], index: str | None = "id"
) -> pd.DataFrame:
    """A frame of ``rows`` with exactly the columns and types of ``dtypes``, indexed by ``index``.

    Built column by column, so an empty list of rows still gives every column its type.
    """
    records = list(rows)
    built = pd.DataFrame(
        {key: pd.array([r[key] for r in records], dtype=dtype) for key, dtype in dtypes.items()}
    )
    return built.set_index(index) if index is not None else built


def _interval_bounds(text: str, precision: str) -> tuple[pd.Timestamp, pd.Timestamp, str]:
    span = present.date_span(text, precision)
    return pd.Timestamp(span.start), pd.Timestamp(span.end), span.label


def _period(start: pd.Timestamp, end: pd.Timestamp, precision: str) -> Any:
    """The Period a date names at its precision; NaT for an approximate date."""
    if precision == "approximate":
        return pd.NaT
    if start == end:
        return pd.Period(start, freq="D")
    if (start.year, start.month) == (end.year, end.month):
        return pd.Period(start, freq="M")
    return pd.Period(start, freq="Y")


class Frames:
    """The frames of one seed's reading, each built on first use."""

    def __init__(self, seed: Seed) -> None:
        self.seed = seed
        self.reading = seed.reading

    # --- items -------------------------------------------------------------------------------

    @cached_property
    def items(self) -> pd.DataFrame:
        """The thesis and every item (key judgements included, not actors), in reading order:
        group, text, status."""
        r = self.reading
        rows = [{"id": r.thesis.id, "group": "thesis", "text": r.thesis.text,
                 "status": r.thesis.status}]  # fmt: skip
        groups = ("key_judgements", "claims", "evidence", "objections", "proposals",
                  "conditions", "measures", "events", "risks")  # fmt: skip
        for group in groups:
            rows += [
                {"id": i.id, "group": group, "text": i.text, "status": i.status}
                for i in getattr(r, group)
            ]
        return frame(rows, {"id": TEXT, "group": GROUP, "text": TEXT, "status": STATUS})

    @cached_property
    def claims(self) -> pd.DataFrame:
        """Claims: text, status."""
        return frame(
            ({"id": c.id, "text": c.text, "status": c.status} for c in self.reading.claims),
            {"id": TEXT, "text": TEXT, "status": STATUS},
        )

    @cached_property
    def evidence(self) -> pd.DataFrame:
        """Evidence and precedents: text, kind, status."""
        return frame(
            (
                {"id": e.id, "text": e.text, "kind": e.kind, "status": e.status}
                for e in self.reading.evidence
            ),
            {"id": TEXT, "text": TEXT, "kind": categories(Evidence, "kind"), "status": STATUS},
        )

    @cached_property
    def objections(self) -> pd.DataFrame:
        """Objections and concessions: kind, text, status, and the author's answer if any."""
        return frame(
            (
                {
                    "id": o.id,
                    "kind": o.kind,
                    "text": o.text,
                    "status": o.status,
                    "answer": o.answer.text if o.answer else None,
                    "answer_status": o.answer.status if o.answer else None,
                }
                for o in self.reading.objections
            ),
            {
                "id": TEXT,
                "kind": categories(Objection, "kind"),
                "text": TEXT,
                "status": STATUS,
                "answer": TEXT,
                "answer_status": STATUS,
            },
        )

    @cached_property
    def proposals(self) -> pd.DataFrame:
        """Proposals: text, domain (a declared id) and its label, whether conditional (``true``,
        ``false`` or ``unstated``: the article gives no condition), status."""
        return frame(
            (
                {
                    "id": p.id,
                    "text": p.text,
                    "domain": p.domain,
                    "domain_label": self.reading.domains.get(p.domain, p.domain),
                    "conditional": str(p.conditional).lower(),
                    "status": p.status,
                }
                for p in self.reading.proposals
            ),
            {
                "id": TEXT,
                "text": TEXT,
                "domain": pd.CategoricalDtype(list(self.reading.domains)),
                "domain_label": TEXT,
                "conditional": CONDITIONAL,
                "status": STATUS,
            },
        )

    @cached_property
    def limits(self) -> pd.DataFrame:
        """The limits the author sets on proposals: proposal, text, status."""
        return frame(
            (
                {"proposal": p.id, "text": limit.text, "status": limit.status}
                for p in self.reading.proposals
                for limit in p.limits
            ),
            {"proposal": TEXT, "text": TEXT, "status": STATUS},
            index=None,
        )

    @cached_property
    def conditions(self) -> pd.DataFrame:
        """Conditions: text, kind, status."""
        return frame(
            (
                {"id": c.id, "text": c.text, "kind": c.kind, "status": c.status}
                for c in self.reading.conditions
            ),
            {"id": TEXT, "text": TEXT, "kind": categories(Condition, "kind"), "status": STATUS},
        )

    @cached_property
    def measures(self) -> pd.DataFrame:
        """Measures: text, track (a declared id) and its label, phase and how the order is known
        (``phase_status``), reversible (missing: not stated), status."""
        return frame(
            (
                {
                    "id": m.id,
                    "text": m.text,
                    "track": m.track,
                    "track_label": self.reading.tracks.get(m.track, m.track),
                    "phase": m.phase.value,
                    "phase_status": m.phase.status or m.status,
                    "reversible": m.reversible,
                    "status": m.status,
                }
                for m in self.reading.measures
            ),
            {
                "id": TEXT,
                "text": TEXT,
                "track": pd.CategoricalDtype(list(self.reading.tracks)),
                "track_label": TEXT,
                "phase": "Int64",
                "phase_status": STATUS,
                "reversible": "boolean",
                "status": STATUS,
            },
        )

    @cached_property
    def events(self) -> pd.DataFrame:
        """Events: text, date as written, precision, when, where the date is from, citation,
        status; ``period`` (a Period at the date's precision, NaT when approximate),
        ``interval`` (the days the date could fall in, both ends included) and ``label``."""
        rows = []
        for e in self.reading.events:
            start, end, label = _interval_bounds(e.date, e.precision)
            rows.append(
                {
                    "id": e.id,
                    "text": e.text,
                    "date": e.date,
                    "precision": e.precision,
                    "when": e.when,
                    "date_source": e.date_source,
                    "citation": e.citation,
                    "status": e.status,
                    "period": _period(start, end, e.precision),
                    "start": start,
                    "end": end,
                    "label": label,
                }
            )
        events = frame(
            rows,
            {
                "id": TEXT,
                "text": TEXT,
                "date": TEXT,
                "precision": categories(Event, "precision"),
                "when": categories(Event, "when"),
                "date_source": categories(Event, "date_source"),
                "citation": TEXT,
                "status": STATUS,
                "period": object,  # Periods of different precisions share no one dtype
                "start": "datetime64[ns]",
                "end": "datetime64[ns]",
                "label": TEXT,
            },
        )
        interval = pd.arrays.IntervalArray.from_arrays(
            events.pop("start"), events.pop("end"), closed="both"
        )
        return events.assign(interval=interval)

    @cached_property
    def actors(self) -> pd.DataFrame:
        """Actors: name, role (missing if not given), status."""
        return frame(
            (
                {"id": a.id, "name": a.name, "role": a.role, "status": a.status}
                for a in self.reading.actors
            ),
            {"id": TEXT, "name": TEXT, "role": TEXT, "status": categories(Actor, "status")},
        )

    @cached_property
    def risks(self) -> pd.DataFrame:
        """Risks: text, status."""
        return frame(
            ({"id": k.id, "text": k.text, "status": k.status} for k in self.reading.risks),
            {"id": TEXT, "text": TEXT, "status": STATUS},
        )

    # --- relations -----------------------------------------------------------------------------

    @cached_property
    def links(self) -> pd.DataFrame:
        """Supports, attacks and undercuts between items (source, target, relation), in reading
        order: each source's supports, then its attacks, then its undercuts. The author's answers
        to objections are statements of the exported argument (briefkit.export), not items."""
        return frame(
            (
                {"source": e.source, "target": e.target, "relation": e.relation}
                for e in edges(self.reading)
                if not e.source.endswith(".answer")
            ),
            {"source": TEXT, "target": TEXT, "relation": RELATION},
            index=None,
        )

    @cached_property
    def held_by(self) -> pd.DataFrame:
        """Whose objections they are: objection, actor."""
        return frame(
            ({"objection": o.id, "actor": a} for o in self.reading.objections for a in o.held_by),
            {"objection": TEXT, "actor": TEXT},
            index=None,
        )

    @cached_property
    def requires(self) -> pd.DataFrame:
        """The conditions each measure requires: measure, condition, and how the article knows
        the requirement (``status``: the link's own, else its measure's)."""
        return frame(
            (
                {"measure": m.id, "condition": link.id, "status": link.basis(m.status)}
                for m in self.reading.measures
                for link in m.requires
            ),
            {"measure": TEXT, "condition": TEXT, "status": STATUS},
            index=None,
        )

    @cached_property
    def proposal_conditions(self) -> pd.DataFrame:
        """The conditions attached to each proposal: proposal, condition, and how the article
        knows the link (``status``: the link's own, else its proposal's)."""
        return frame(
            (
                {"proposal": p.id, "condition": link.id, "status": link.basis(p.status)}
                for p in self.reading.proposals
                for link in p.conditions
            ),
            {"proposal": TEXT, "condition": TEXT, "status": STATUS},
            index=None,
        )

    @cached_property
    def unlocks(self) -> pd.DataFrame:
        """What each condition unlocks (condition, item): the measures that require it, then the
        proposals it is attached to, each in reading order."""
        measures = self.requires.rename(columns={"measure": "item"})[["condition", "item"]]
        proposals = self.proposal_conditions.rename(columns={"proposal": "item"})
        both = pd.concat([measures, proposals[["condition", "item"]]], ignore_index=True)
        return both[["condition", "item"]]

    @cached_property
    def stances(self) -> pd.DataFrame:
        """Actors' stances: actor, on (an item id), stance, status, and what the article says of
        it (``text``, missing if not given)."""
        return frame(
            (
                {
                    "actor": a.id,
                    "on": st.on,
                    "stance": st.stance,
                    "status": st.status,
                    "text": st.text,
                }
                for a in self.reading.actors
                for st in a.stances
            ),
            {
                "actor": TEXT,
                "on": TEXT,
                "stance": categories(Stance, "stance"),
                "status": STATUS,
                "text": TEXT,
            },
            index=None,
        )

    @cached_property
    def quotes(self) -> pd.DataFrame:
        """Every anchored quote of an item: item, field, role, the quote as the article has it,
        its span (start, end), paragraph and ``where`` (as the brief prints it)."""
        rows = []
        article = self.seed.article
        for qa in self.seed.anchors:
            if not qa.item:
                continue  # a sentence left out on purpose (the reading's ``excluded``)
            loc = present.location(article, qa.anchor)
            rows.append(
                {
                    "item": qa.item,
                    "field": qa.field,
                    "role": present.quote_role(qa.field),
                    "quote": article[qa.anchor.start : qa.anchor.end],
                    "start": loc.start,
                    "end": loc.end,
                    "paragraph": loc.paragraph,
                    "where": str(loc),
                }
            )
        return frame(
            rows,
            {
                "item": TEXT,
                "field": TEXT,
                "role": TEXT,
                "quote": TEXT,
                "start": "Int64",
                "end": "Int64",
                "paragraph": "Int64",
                "where": TEXT,
            },
            index=None,
        )
