"""The reading's data model: source.yaml, reading.yaml and brief.yaml as strict pydantic models."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

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

    domain: Literal["security", "energy", "economic", "territorial", "diplomatic"]
    conditional: bool
    conditions: list[Id] = []
    limits: list[Limit] = []


class Condition(Item):
    """What Russia must do, or what must be verified, before a measure or proposal unlocks."""

    kind: Literal["action", "verification", "compliance"] = "action"


class Measure(Item):
    """A step of sanction relief or energy reopening, unlocked by conditions."""

    track: Literal["sanctions", "energy", "economic", "security", "diplomatic"]
    requires: list[Id] = Field(min_length=1)
    phase: int = Field(ge=1)
    #: ``null`` says the article does not tell; the key itself is required.
    reversible: bool | None


class Event(Item):
    """A dated event: past, planned or predicted, with where its date comes from."""

    date: Date
    precision: Literal["day", "month", "year", "approximate"]
    when: Literal["past", "planned", "predicted"]
    date_source: Literal["article", "external"]
    citation: Text | None = None


class Stance(Model):
    """An actor's stance on an item."""

    on: Id
    stance: Literal["supports", "opposes", "wary", "mixed", "neutral"]
    status: Status
    quotes: Quotes


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


class Excluded(Model):
    """A sentence deliberately left out of the reading, and why."""

    quote: Text
    reason: Text


#: The groups of id-bearing items, in file order.
GROUPS = (
    "claims", "evidence", "objections", "proposals", "conditions", "measures", "events",
    "risks", "actors",
)  # fmt: skip


class Reading(Model):
    """The analyst's structured reading of one article."""

    schema_version: Literal[1] = 1
    thesis: Thesis
    key_judgements: list[Text] = []
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

    def items(self) -> Iterator[Item]:
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
        for i, x in enumerate(self.excluded):
            yield ("excluded", i, "quote"), "", x.quote


# --- brief.yaml ----------------------------------------------------------------------------


class BriefMeta(Model):
    """Per-brief settings kept beside the seed (``brief.yaml``)."""

    version: Annotated[str, StringConstraints(pattern=r"^\d+\.\d+\.\d+$")]
