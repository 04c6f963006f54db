"""Seeds and their structured readings: load with line numbers, validate, anchor quotes."""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError

from briefkit.errors import InvalidInput, Problem

# Re-exported: seed names and folders live in the lean briefkit.seeds (no pydantic import).
from briefkit.seeds import SLUG as SLUG
from briefkit.seeds import list_seeds as list_seeds
from briefkit.seeds import seed_dir as seed_dir

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Id = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_-]{0,39}$")]
Status = Literal["stated", "implied", "inferred"]


class Model(BaseModel):
    """Base for every reading model: unknown fields are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


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
    quotes: list[Text] = Field(min_length=1)


class Thesis(Model):
    """The article's central argument."""

    text: Text
    status: Status = "stated"
    quotes: list[Text] = Field(min_length=1)


class Claim(Item):
    """A claim the article makes, with its relations to other items."""

    supports: list[Id] = []
    attacks: list[Id] = []


class Evidence(Item):
    """A fact, example or precedent offered in support of claims."""

    kind: Literal["fact", "example", "precedent", "statistic"] = "fact"
    supports: list[Id] = []


class Objection(Item):
    """An objection or concession the author acknowledges, and the author's answer."""

    held_by: list[Id] = []
    attacks: list[Id] = []
    answer: Text | None = None


class Proposal(Item):
    """Something the author proposes, with its domain and the limits the author sets."""

    domain: Literal["security", "energy", "economic", "territorial", "diplomatic"]
    conditional: bool
    conditions: list[Id] = []
    limits: list[Text] = []


class Condition(Item):
    """What Russia must do, or what must be verified, before a measure unlocks."""

    kind: Literal["action", "verification", "compliance"] = "action"


class Measure(Item):
    """A step of sanction relief or energy reopening, unlocked by conditions."""

    track: Literal["sanctions", "energy", "security", "diplomatic"]
    requires: list[Id] = Field(min_length=1)
    phase: int = Field(ge=1)
    reversible: bool | None = None


class Event(Item):
    """A dated event: past, planned or predicted."""

    date: Annotated[str, StringConstraints(pattern=r"^\d{4}(-\d{2}(-\d{2})?)?$")]
    precision: Literal["day", "month", "year", "approximate"]
    when: Literal["past", "planned", "predicted"]
    date_source: Literal["article", "external"]
    citation: Text | None = None


class Stance(Model):
    """An actor's stance on an item."""

    on: Id
    stance: Literal["supports", "opposes", "wary", "mixed"]
    status: Status
    quotes: list[Text] = Field(min_length=1)


class Actor(Model):
    """A party the article names, and its stances."""

    id: Id
    name: Text
    stances: list[Stance] = []


class Risk(Item):
    """A risk the article names or implies."""


class Excluded(Model):
    """A sentence deliberately left out of the reading, and why."""

    quote: Text
    reason: Text


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
        """Every id-bearing item, in file order."""
        for group in (
            self.claims,
            self.evidence,
            self.objections,
            self.proposals,
            self.conditions,
            self.measures,
            self.events,
            self.risks,
        ):
            yield from group


# --- loading -------------------------------------------------------------------------------


def _yaml() -> YAML:
    # YAML 1.2 core schema: `NO` stays a string, `1.10` stays a string-looking float only if quoted.
    yaml = YAML(typ="rt")
    yaml.version = (1, 2)
    yaml.allow_duplicate_keys = False
    return yaml


def _line_of(data: Any, loc: tuple[int | str, ...]) -> int | None:
    """Map a pydantic error location back to a 1-based line in the YAML file."""
    node = data
    line: int | None = getattr(getattr(node, "lc", None), "line", None)
    for key in loc:
        lc = getattr(node, "lc", None)
        try:
            if lc is not None:
                if isinstance(key, int):
                    line = lc.item(key)[0]
                elif key in node:
                    line = lc.key(key)[0]
            node = node[key]
        except (KeyError, IndexError, TypeError, AttributeError):
            break
    return None if line is None else line + 1


def load_yaml(path: Path) -> Any:
    """Read a UTF-8 YAML file; a syntax error or duplicate key is an InvalidInput with a line."""
    text = read_text(path)
    try:
        return _yaml().load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        message = " ".join(str(exc.problem or exc.context or "invalid YAML").split())
        raise InvalidInput([Problem(path, line, "", message)]) from exc


def read_text(path: Path) -> str:
    """Read a UTF-8 text file with no byte-order mark, naming the file on failure."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise InvalidInput([Problem(path, None, "", "file not found")]) from exc
    if raw.startswith(b"\xef\xbb\xbf"):
        raise InvalidInput([Problem(path, 1, "", "file starts with a UTF-8 byte-order mark")])
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InvalidInput([Problem(path, line, "", f"not UTF-8 (byte {exc.start})")]) from exc


def validate(model: type[Model], data: Any, path: Path) -> Any:
    """Validate ``data`` against ``model``; every error becomes a located Problem."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = [
            Problem(
                path, _line_of(data, tuple(err["loc"])), ".".join(map(str, err["loc"])), err["msg"]
            )
            for err in exc.errors()
        ]
        raise InvalidInput(problems) from None


# --- quotes --------------------------------------------------------------------------------

_TYPO = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'",
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"',
        "\u2013": "-", "\u2014": "-", "\u2012": "-", "\u2212": "-", "\u2010": "-", "\u2011": "-",
        "\u00a0": " ", "\u2009": " ", "\u202f": " ", "\u2007": " ",
        "\u200b": None, "\u200c": None, "\u200d": None, "\ufeff": None,
    }
)  # fmt: skip


def normalise(text: str) -> tuple[str, list[int]]:
    """Fold typographic differences; return the folded text and each char's source offset."""
    out: list[str] = []
    offsets: list[int] = []
    for i, ch in enumerate(text):
        folded = unicodedata.normalize("NFC", ch).translate(_TYPO)
        for c in folded:
            if c.isspace():
                if out and out[-1] == " ":
                    continue
                c = " "
            out.append(c)
            offsets.append(i)
    return "".join(out), offsets


@dataclass(frozen=True)
class Anchor:
    """Where a quote sits in the article (character span of the original text)."""

    quote: str
    start: int
    end: int


def anchor(article: str, quote: str) -> Anchor | None:
    """Find ``quote`` in ``article`` up to typography; return its span or None."""
    hay, offsets = normalise(article)
    needle, _ = normalise(quote)
    needle = needle.strip()
    pos = hay.find(needle)
    if pos < 0 or not needle:
        return None
    return Anchor(quote, offsets[pos], offsets[pos + len(needle) - 1] + 1)


# --- seeds ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Seed:
    """A seed folder with its article, metadata and reading, validated together."""

    slug: str
    path: Path
    article: str
    source: Source
    reading: Reading
    version: str


class BriefMeta(Model):
    """Per-brief settings kept beside the seed (``brief.yaml``)."""

    version: Annotated[str, StringConstraints(pattern=r"^\d+\.\d+\.\d+$")]


def load_seed(root: Path, slug: str) -> Seed:
    """Load and validate a seed: article, source.yaml, reading.yaml, brief.yaml."""
    path = seed_dir(root, slug)
    article_path = path / "article.txt"
    article = read_text(article_path)
    if not article.strip():
        raise InvalidInput([Problem(article_path, None, "", "the article is empty")])
    source_path = path / "source.yaml"
    source: Source = validate(Source, load_yaml(source_path), source_path)
    digest = hashlib.sha256(article_path.read_bytes()).hexdigest()
    if digest != source.sha256:
        raise InvalidInput(
            [Problem(source_path, None, "sha256", f"does not match article.txt ({digest})")]
        )
    reading_path = path / "reading.yaml"
    data = load_yaml(reading_path)
    reading: Reading = validate(Reading, data, reading_path)
    check_reading(reading, data, article, reading_path)
    meta_path = path / "brief.yaml"
    meta: BriefMeta = validate(BriefMeta, load_yaml(meta_path), meta_path)
    return Seed(slug, path, article, source, reading, meta.version)


def check_reading(reading: Reading, data: Any, article: str, path: Path) -> None:
    """Cross-record checks: unique ids, resolving references, anchored quotes."""
    problems: list[Problem] = []
    ids: dict[str, tuple[str, int]] = {}
    groups = ["claims", "evidence", "objections", "proposals", "conditions", "measures",
              "events", "risks", "actors"]  # fmt: skip
    for group in groups:
        for index, item in enumerate(getattr(reading, group)):
            loc = (group, index, "id")
            if item.id in ids:
                problems.append(
                    Problem(path, _line_of(data, loc), f"{group}[{index}].id",
                            f"duplicate id {item.id!r} (first used in {ids[item.id][0]})")
                )  # fmt: skip
            else:
                ids[item.id] = (group, index)

    def ref(loc: tuple[int | str, ...], target: str, allowed: tuple[str, ...]) -> None:
        where = ids.get(target)
        if where is None or where[0] not in allowed:
            field = f"{loc[0]}[{loc[1]}]." + ".".join(map(str, loc[2:]))
            problems.append(
                Problem(path, _line_of(data, loc), field,
                        f"{target!r} does not name one of the reading's {'/'.join(allowed)}")
            )  # fmt: skip

    for i, c in enumerate(reading.claims):
        for j, t in enumerate(c.supports):
            ref(("claims", i, "supports", j), t, ("claims", "proposals"))
        for j, t in enumerate(c.attacks):
            ref(("claims", i, "attacks", j), t, ("claims", "objections", "proposals"))
    for i, e in enumerate(reading.evidence):
        for j, t in enumerate(e.supports):
            ref(("evidence", i, "supports", j), t, ("claims", "proposals"))
    for i, o in enumerate(reading.objections):
        for j, t in enumerate(o.held_by):
            ref(("objections", i, "held_by", j), t, ("actors",))
        for j, t in enumerate(o.attacks):
            ref(("objections", i, "attacks", j), t, ("claims", "proposals"))
    for i, p in enumerate(reading.proposals):
        for j, t in enumerate(p.conditions):
            ref(("proposals", i, "conditions", j), t, ("conditions",))
        if p.conditional and not p.conditions:
            problems.append(Problem(path, _line_of(data, ("proposals", i, "conditional")),
                                    f"proposals[{i}].conditional",
                                    "a conditional proposal must list its conditions"))  # fmt: skip
    for i, m in enumerate(reading.measures):
        for j, t in enumerate(m.requires):
            ref(("measures", i, "requires", j), t, ("conditions",))
    for i, a in enumerate(reading.actors):
        for j, s in enumerate(a.stances):
            ref(("actors", i, "stances", j, "on"), s.on, tuple(groups))

    used = {t for m in reading.measures for t in m.requires}
    used |= {t for p in reading.proposals for t in p.conditions}
    for i, cond in enumerate(reading.conditions):
        if cond.id not in used:
            message = f"condition {cond.id!r} is not required by any measure or proposal"
            line = _line_of(data, ("conditions", i, "id"))
            problems.append(Problem(path, line, f"conditions[{i}].id", message))

    for qloc, quote in _quotes(reading):
        if anchor(article, quote) is None:
            field = ".".join(map(str, qloc))
            problems.append(Problem(path, _line_of(data, qloc), field,
                                    f"quote not found in the article: {quote[:60]!r}"))  # fmt: skip
    if problems:
        raise InvalidInput(problems)


def _quotes(reading: Reading) -> Iterator[tuple[tuple[int | str, ...], str]]:
    for j, q in enumerate(reading.thesis.quotes):
        yield ("thesis", "quotes", j), q
    for group in ("claims", "evidence", "objections", "proposals", "conditions", "measures",
                  "events", "risks"):  # fmt: skip
        for i, item in enumerate(getattr(reading, group)):
            for j, q in enumerate(item.quotes):
                yield (group, i, "quotes", j), q
    for i, a in enumerate(reading.actors):
        for j, s in enumerate(a.stances):
            for k, q in enumerate(s.quotes):
                yield ("actors", i, "stances", j, "quotes", k), q
    for i, x in enumerate(reading.excluded):
        yield ("excluded", i, "quote"), x.quote
