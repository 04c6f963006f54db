"""The reading's data model: source.yaml, reading.yaml and brief.yaml as strict pydantic models."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
)

from briefkit.reading import reads
from briefkit.reading.yamlfile import Loc

ID_PATTERN = r"^[A-Za-z][A-Za-z0-9_-]{0,39}$"
DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def _real_date(text: str) -> str:
    match = DATE.match(text)
    if match is None:
        raise ValueError("write the date as YYYY, YYYY-MM or YYYY-MM-DD")
    year, month, day = (int(g) if g else None for g in match.groups())
    try:
        dt.date(year or 1, month or 1, day or 1)
    except ValueError as exc:
        raise ValueError(f"{text} is not a calendar date ({exc})") from None
    return text


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Id = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
Status = Literal["stated", "implied", "inferred"]
Quotes = Annotated[list[Text], Field(min_length=1)]
Date = Annotated[str, AfterValidator(_real_date)]


class Model(BaseModel):
    """Base for every reading model: unknown fields are errors, types are never coerced."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


# --- source.yaml ---------------------------------------------------------------------------


class Known(Model):
    """A metadata value together with how it is known."""

    value: Text | None = None
    basis: Text
    #: Whether the article states the value, implies it, or the analyst inferred it.
    status: Status | None = None


class Source(Model):
    """Bibliographic metadata of a seed's article."""

    title: Known
    author: Text
    affiliation: Text | None = None
    outlet: Known
    date: Known
    language: Text = "en"
    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


# --- reading.yaml --------------------------------------------------------------------------

#: The reading format's current version; version 1 readings are upgraded in memory (migrate).
SCHEMA_VERSION = 2


def _link(value: Any) -> Any:
    # `requires: [K1]` is shorthand for `requires: [{id: K1}]`: the link's basis is its item's.
    return {"id": value} if isinstance(value, str) else value


def _phase(value: Any) -> Any:
    # `phase: 2` is shorthand for `phase: {value: 2}` (a boolean is refused by Phase.value).
    return {"value": value} if isinstance(value, int) else value


class Link(Model):
    """A reference to a condition, with its own basis when it differs from its item's.

    E.g. the article states that a measure needs verification, but linking it to one condition
    is the analyst's reading: ``{id: K3, status: inferred}``.
    """

    id: Id
    #: ``None``: the link is known as its item is (the item's ``status``).
    status: Status | None = None
    quotes: list[Text] = []

    def basis(self, item_status: str) -> str:
        """How the link is known: its own status, else its item's."""
        return self.status or item_status


Links = list[Annotated[Link, BeforeValidator(_link)]]


class Phase(Model):
    """A measure's place in the sequence (1 first), with its own basis."""

    value: int = Field(ge=1)
    #: ``None``: the order is known as the measure is; ``inferred`` when the order is the analyst's.
    status: Status | None = None
    quotes: list[Text] = []

    def __str__(self) -> str:
        return str(self.value)


class Item(Model):
    """Anything read out of the article: anchored by quotes and marked by how it is known."""

    id: Id
    text: Text
    status: Status
    quotes: Quotes


class Thesis(Model):
    """The article's central argument; claims may support it by its id."""

    id: Id = "thesis"
    text: Text
    status: Status = "stated"
    quotes: Quotes


class Claim(Item):
    """A claim the article makes, with its Argdown-like relations to other items."""

    supports: list[Id] = []
    attacks: list[Id] = []
    undercuts: list[Id] = []


class Evidence(Item):
    """A fact, example or precedent offered in support of claims."""

    kind: Literal["fact", "example", "precedent", "statistic"] = "fact"
    supports: list[Id] = []
    attacks: list[Id] = []
    undercuts: list[Id] = []


class Answer(Model):
    """The author's answer to an objection, anchored by its own quotes."""

    text: Text
    status: Status
    quotes: Quotes


class Objection(Item):
    """An objection (or a concession) the author acknowledges, whose it is, and the answer."""

    kind: Literal["objection", "concession"] = "objection"
    held_by: list[Id] = []
    attacks: list[Id] = []
    undercuts: list[Id] = []
    answer: Answer | None = None


class Limit(Model):
    """A limit the author sets on a proposal (what it must not do)."""

    text: Text
    status: Status
    quotes: Quotes


class Proposal(Item):
    """Something the author proposes, with its domain and the limits the author sets."""

    #: One of the reading's declared ``domains``.
    domain: Id
    #: ``unstated``: the article attaches no condition, nor says there is none.
    conditional: Literal[True, False, "unstated"]
    conditions: Links = []
    limits: list[Limit] = []

    @property
    def condition_ids(self) -> list[str]:
        """The ids of the conditions attached to the proposal."""
        return [link.id for link in self.conditions]


class Condition(Item):
    """What must be done, or verified, before a measure or proposal unlocks."""

    kind: Literal["action", "verification", "compliance"] = "action"


class Measure(Item):
    """A step on one of the reading's declared tracks, unlocked by conditions, in a phase."""

    #: One of the reading's declared ``tracks``.
    track: Id
    requires: Annotated[Links, Field(min_length=1)]
    phase: Annotated[Phase, BeforeValidator(_phase)]
    #: ``null`` says the article does not tell; the key itself is required.
    reversible: bool | None

    @property
    def required_ids(self) -> list[str]:
        """The ids of the conditions the measure requires."""
        return [link.id for link in self.requires]

    def link(self, condition: str) -> Link | None:
        """The measure's link to ``condition``, or None if it does not require it."""
        return next((link for link in self.requires if link.id == condition), None)


class Event(Item):
    """A dated event: past, planned or predicted, with where its date comes from."""

    date: Date
    precision: Literal["day", "month", "year", "approximate"]
    when: Literal["past", "planned", "predicted"]
    #: ``derived``: the analyst worked the date out from the article's words (say how in text).
    date_source: Literal["article", "derived", "external"]
    citation: Text | None = None


class Stance(Model):
    """An actor's stance on an item, and (optionally) what the article says of it."""

    on: Id
    stance: Literal["supports", "opposes", "wary", "mixed", "neutral"]
    status: Status
    quotes: Quotes
    text: Text | None = None


class Actor(Model):
    """A party the article names, its role, and its stances."""

    id: Id
    name: Text
    role: Text | None = None
    status: Status = "stated"
    quotes: list[Text] = []
    stances: list[Stance] = []


class Risk(Item):
    """A risk the article names or implies."""


class KeyJudgement(Model):
    """A key judgement of the executive summary: an item like the others, quotes optional
    only when it is the analyst's own (``inferred``)."""

    id: Id
    text: Text
    status: Status
    quotes: list[Text] = []


class Yardstick(Model):
    """The declared scale the assessment's judgements use, and where it is defined."""

    name: Text
    citation: Text
    #: Probability terms, e.g. "likely", "highly likely".
    probability: list[Text] = []
    #: Confidence levels, e.g. "low", "moderate", "high".
    confidence: list[Text] = []


class Judgement(Model):
    """The analyst's judgement: a probability term and/or a confidence level, and its basis."""

    id: Id
    text: Text
    probability: Text | None = None
    confidence: Text | None = None
    #: The reading's items it rests on.
    rests_on: Annotated[list[Id], Field(min_length=1)]
    quotes: list[Text] = []


class Note(Model):
    """A gap, an implication or an option of the assessment, and the items it concerns."""

    id: Id
    text: Text
    about: list[Id] = []
    quotes: list[Text] = []


class Implication(Note):
    """What the article's argument means for someone."""

    #: For whom.
    audience: Text


class Assessment(Model):
    """The analyst's own assessment of the article: always inferred, never the author's."""

    yardstick: Yardstick
    bottom_line: Text
    judgements: Annotated[list[Judgement], Field(min_length=1)]
    #: What the article leaves undefined or unanswered.
    gaps: list[Note] = []
    implications: list[Implication] = []
    options: list[Note] = []

    def entries(self) -> Iterator[tuple[str, int, Judgement | Note]]:
        """Every entry with an id: (part, index, entry)."""
        for part in ("judgements", "gaps", "implications", "options"):
            for i, entry in enumerate(getattr(self, part)):
                yield part, i, entry


class Excluded(Model):
    """A sentence deliberately left out of the reading, and why."""

    quote: Text
    reason: Text


#: The groups of id-bearing items, in file order.
GROUPS = (
    "key_judgements", "claims", "evidence", "objections", "proposals", "conditions",
    "measures", "events", "risks", "actors",
)  # fmt: skip


class Reading(Model):
    """The analyst's structured reading of one article."""

    schema_version: Literal[2]
    #: The tracks measures run on and the domains proposals belong to: id -> label.
    tracks: dict[Id, Text] = {}
    domains: dict[Id, Text] = {}
    thesis: Thesis
    key_judgements: list[KeyJudgement] = []
    claims: list[Claim] = []
    evidence: list[Evidence] = []
    objections: list[Objection] = []
    proposals: list[Proposal] = []
    conditions: list[Condition] = []
    measures: list[Measure] = []
    events: list[Event] = []
    actors: list[Actor] = []
    risks: list[Risk] = []
    excluded: list[Excluded] = []
    assessment: Assessment | None = None

    def __getattribute__(self, name: str) -> Any:
        # In a notebook's kernel, note which sections are read (briefkit.reading.reads).
        if reads._LOG:
            if name in _READING_FIELDS:
                reads.note(name)
            elif name in reads.WHOLE:
                reads.note(reads.ALL)
        return super().__getattribute__(name)

    def items(self) -> Iterator[Item | KeyJudgement]:
        """Every id-bearing item except actors, in file order."""
        for group in GROUPS[:-1]:
            yield from getattr(self, group)

    def quotes(self) -> Iterator[tuple[Loc, str, str]]:
        """Every quote of the reading: (location, id of the item it anchors, quote)."""
        for j, q in enumerate(self.thesis.quotes):
            yield ("thesis", "quotes", j), self.thesis.id, q
        for group in GROUPS:
            for i, item in enumerate(getattr(self, group)):
                for j, q in enumerate(item.quotes):
                    yield (group, i, "quotes", j), item.id, q
                answer = getattr(item, "answer", None)
                if answer is not None:
                    for j, q in enumerate(answer.quotes):
                        yield (group, i, "answer", "quotes", j), item.id, q
                for k, limit in enumerate(getattr(item, "limits", [])):
                    for j, q in enumerate(limit.quotes):
                        yield (group, i, "limits", k, "quotes", j), item.id, q
                for k, stance in enumerate(getattr(item, "stances", [])):
                    for j, q in enumerate(stance.quotes):
                        yield (group, i, "stances", k, "quotes", j), item.id, q
                for field in ("requires", "conditions"):
                    for k, link in enumerate(getattr(item, field, [])):
                        if isinstance(link, Link):
                            for j, q in enumerate(link.quotes):
                                yield (group, i, field, k, "quotes", j), item.id, q
                phase = getattr(item, "phase", None)
                if phase is not None:
                    for j, q in enumerate(phase.quotes):
                        yield (group, i, "phase", "quotes", j), item.id, q
        if self.assessment is not None:
            for part, i, entry in self.assessment.entries():
                for j, q in enumerate(entry.quotes):
                    yield ("assessment", part, i, "quotes", j), entry.id, q
        for i, x in enumerate(self.excluded):
            yield ("excluded", i, "quote"), "", x.quote


#: The reading's sections, as its parts a notebook may read (briefkit.reading.reads).
_READING_FIELDS = frozenset(Reading.model_fields)


# --- brief.yaml ----------------------------------------------------------------------------


class Analyst(Model):
    """A person who wrote the brief."""

    name: Text
    affiliation: Text | None = None
    orcid: (
        Annotated[
            str, StringConstraints(pattern=r"^https://orcid\.org/\d{4}-\d{4}-\d{4}-\d{3}[\dX]$")
        ]
        | None
    ) = None


class BriefMeta(Model):
    """Per-brief settings kept beside the seed (``brief.yaml``)."""

    version: Annotated[str, StringConstraints(pattern=r"^\d+\.\d+\.\d+$")]
    #: Who wrote the brief (the byline, CITATION.cff, the release manifest).
    analysts: list[Analyst] = []
    organisation: Text | None = None

    def byline(self) -> str | None:
        """The byline, "A. Name and B. Name (Organisation)"; None when no analyst is named."""
        if not self.analysts:
            return None
        names = [a.name for a in self.analysts]
        joined = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        return joined + (f" ({self.organisation})" if self.organisation else "")
