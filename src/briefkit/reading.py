"""Seeds and their structured readings: load with line numbers, validate, anchor quotes."""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import re
import typing
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq, TaggedScalar
from ruamel.yaml.error import MarkedYAMLError

from briefkit.errors import InvalidInput, Problem

# Re-exported: seed names and folders live in the lean briefkit.seeds (no pydantic import).
from briefkit.seeds import SLUG as SLUG
from briefkit.seeds import list_seeds as list_seeds
from briefkit.seeds import seed_dir as seed_dir

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

    def by_id(self) -> dict[str, Any]:
        """Every id-bearing entry (thesis, items, actors) by its id."""
        found: dict[str, Any] = {self.thesis.id: self.thesis}
        for group in GROUPS:
            found.update({item.id: item for item in getattr(self, group)})
        return found


# --- loading -------------------------------------------------------------------------------


def _yaml() -> YAML:
    # YAML 1.2 (core schema): `NO`, `yes`, `on` and `1:30` stay strings. Timestamps stay strings
    # too, so an impossible date is reported by validation with its line, not by the parser.
    yaml = YAML(typ="rt")
    yaml.version = (1, 2)
    yaml.allow_duplicate_keys = False
    yaml.constructor.add_constructor(
        "tag:yaml.org,2002:timestamp", lambda constructor, node: constructor.construct_scalar(node)
    )
    return yaml


Loc = tuple[int | str, ...]


def _position(data: Any, loc: Loc) -> tuple[int, int | None] | None:
    """The 0-based (line, column) of the value at ``loc``, or of the nearest enclosing node."""
    node = data
    lc = getattr(node, "lc", None)
    pos: tuple[int, int | None] | None = (lc.line, lc.col) if lc is not None else None
    for key in loc:
        lc = getattr(node, "lc", None)
        try:
            if lc is not None:
                if isinstance(key, int) and isinstance(node, CommentedSeq):
                    pos = lc.item(key)
                elif isinstance(node, CommentedMap) and key in node:
                    value = node[key]
                    # A scalar's own column is where its text starts; a nested node's is its key.
                    pos = lc.value(key) if not hasattr(value, "lc") else (lc.key(key)[0], None)
                else:
                    return (pos[0], None) if pos else None
            node = node[key]
        except (KeyError, IndexError, TypeError, AttributeError):
            return (pos[0], None) if pos else None
    return pos


def _line_of(data: Any, loc: Loc) -> int | None:
    """Map a pydantic error location back to a 1-based line in the YAML file."""
    pos = _position(data, loc)
    return None if pos is None else pos[0] + 1


def _check_tags(node: Any, path: Path, loc: Loc, problems: list[Problem], data: Any) -> Any:
    """Return ``node`` as plain Python; any non-standard YAML tag becomes a Problem."""
    if isinstance(node, TaggedScalar):
        if str(node.tag.value) == "tag:yaml.org,2002:str":
            return str(node.value)
        problems.append(_tag_problem(path, data, loc, str(node.tag.value)))
        return None
    tag = getattr(getattr(node, "tag", None), "value", None)
    if tag is not None and isinstance(node, CommentedMap | CommentedSeq):
        problems.append(_tag_problem(path, data, loc, str(tag)))
        return None
    if isinstance(node, dict):
        return {
            str(k): _check_tags(v, path, (*loc, str(k)), problems, data) for k, v in node.items()
        }
    if isinstance(node, list):
        return [_check_tags(v, path, (*loc, i), problems, data) for i, v in enumerate(node)]
    if isinstance(node, bool):
        return bool(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, str):
        return str(node)
    return node


def _tag_problem(path: Path, data: Any, loc: Loc, tag: str) -> Problem:
    # ruamel's round-trip loader never runs code for a tag, but a tagged node is not plain data.
    short = tag.replace("tag:yaml.org,2002:", "!!")
    message = f"YAML tag {short} is not allowed (plain data only)"
    return Problem(path, _line_of(data, loc), _field(loc), message)


def _field(loc: Loc) -> str:
    return ".".join(map(str, loc))


@dataclass(frozen=True)
class YamlFile:
    """A loaded YAML file: its path, lines, the line-annotated tree and a plain copy."""

    path: Path
    lines: list[str]
    tree: Any
    plain: Any

    def line(self, loc: Loc) -> int | None:
        """The 1-based line of the value at ``loc``."""
        return _line_of(self.tree, loc)

    def raw(self, loc: Loc) -> str | None:
        """The value's text as written in the file (for scalars on one line)."""
        pos = _position(self.tree, loc)
        if pos is None or pos[1] is None or pos[0] >= len(self.lines):
            return None
        text = self.lines[pos[0]][pos[1] :]
        return re.split(r"\s+#", text, maxsplit=1)[0].strip() or None


def load_yaml_file(path: Path) -> YamlFile:
    """Read a UTF-8 YAML file safely; syntax errors, duplicate keys and tags are InvalidInput."""
    text = read_text(path)
    try:
        tree = _yaml().load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        message = " ".join(str(exc.problem or exc.context or "invalid YAML").split())
        duplicate = re.match(r'found duplicate key "(.*?)" with value', message)
        if duplicate and exc.problem_mark is not None:
            key = duplicate.group(1)
            first = _first_key_line(text.splitlines(), key, exc.problem_mark.line,
                                    exc.problem_mark.column)  # fmt: skip
            at = f" (first at line {first})" if first else ""
            message = f"duplicate key{at}: a key may appear only once in a mapping"
            raise InvalidInput([Problem(path, line, key, message)]) from None
        raise InvalidInput([Problem(path, line, "", f"YAML syntax: {message}")]) from None
    except ValueError as exc:  # pragma: no cover - the parser marks its errors; defensive
        raise InvalidInput([Problem(path, None, "", f"invalid YAML: {exc}")]) from None
    problems: list[Problem] = []
    plain = _check_tags(tree, path, (), problems, tree)
    if problems:
        raise InvalidInput(problems)
    return YamlFile(path, text.splitlines(), tree, plain)


def _first_key_line(lines: list[str], key: str, line: int, column: int) -> int | None:
    """The 1-based line where ``key`` first appears at ``column`` above ``line`` (same mapping)."""
    pattern = re.compile(rf"^(?:[ -]*){re.escape(key)}\s*:")
    for number in range(line - 1, -1, -1):
        text = lines[number]
        indent = len(text) - len(text.lstrip(" -"))
        if text.strip() and not text.lstrip().startswith("#") and indent < column:
            return None  # left the mapping
        if indent == column and pattern.match(text):
            return number + 1
        if indent == column and text.lstrip().startswith("-"):
            return None  # the first key of this list item's mapping
    return None


def load_yaml(path: Path) -> Any:
    """Read a UTF-8 YAML file; a syntax error or duplicate key is an InvalidInput with a line."""
    return load_yaml_file(path).tree


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


def _model_at(model: type[BaseModel], loc: Loc) -> type[BaseModel] | None:
    """The pydantic model that holds the field at ``loc`` (for 'did you mean' hints)."""
    current: type[BaseModel] | None = model
    for key in loc[:-1]:
        if current is None:
            return None
        if isinstance(key, int):
            continue
        field = current.model_fields.get(key)
        current = _inner_model(field.annotation) if field is not None else None
    return current


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _describe(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


_YAML11_BOOLS = {"yes", "no", "on", "off", "y", "n"}


def _message(model: type[BaseModel], err: Any, file: YamlFile) -> str:
    """The user's one-line message for a pydantic error, with YAML advice where it helps."""
    kind, loc, value = err["type"], tuple(err["loc"]), err.get("input")
    raw = file.raw(loc)
    if kind == "extra_forbidden":
        holder = _model_at(model, loc)
        names = list(holder.model_fields) if holder else []
        close = difflib.get_close_matches(str(loc[-1]), names, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else f" (allowed: {', '.join(names)})"
        return f"unknown field {loc[-1]!r}{hint}"
    if kind == "missing":
        return "required field is missing"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"expected a mapping of fields (key: value lines), got {_describe(value)}"
    if kind == "list_type":
        return f"expected a list ('- ' lines or [a, b]), got {_describe(value)}"
    if kind == "string_type":
        if isinstance(value, bool | int | float) and raw is not None:
            return (
                f"expected text, got {raw} unquoted, which YAML reads as {_describe(value)}: "
                f"put it in quotes"
            )
        return f"expected text, got {_describe(value)}"
    if kind == "bool_type":
        if isinstance(value, str) and value.lower() in _YAML11_BOOLS:
            return (
                f"expected true or false, got {value!r} (YAML 1.2 reads it as text; "
                f"write true or false)"
            )
        return f"expected true or false, got {_describe(value)}"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"expected a whole number, got {_describe(value)}"
    if kind == "too_short" and loc and loc[-1] == "quotes":
        return "needs at least one verbatim quote of the article"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "string_pattern_mismatch" and err.get("ctx", {}).get("pattern") == ID_PATTERN:
        return f"{value!r} is not an id: a letter, then letters, digits, '-' or '_' (max 40)"
    if kind == "value_error":
        return str(err["msg"]).removeprefix("Value error, ")
    return str(err["msg"])


def validate(model: type[Model], data: Any, path: Path) -> Any:
    """Validate ``data`` against ``model``; every error becomes a located Problem."""
    file = data if isinstance(data, YamlFile) else YamlFile(path, [], data, data)
    try:
        return model.model_validate(file.plain)
    except ValidationError as exc:
        problems = [
            Problem(path, file.line(tuple(err["loc"])) or 1, _field(tuple(err["loc"])),
                    _message(model, err, file))
            for err in exc.errors()
        ]  # fmt: skip
        raise InvalidInput(problems) from None


# --- quotes --------------------------------------------------------------------------------

_TYPO = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
        "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2012": "-", "\u2212": "-", "\u2010": "-",
        "\u2011": "-",
        "\u00a0": " ", "\u2009": " ", "\u202f": " ", "\u2007": " ", "\u2002": " ", "\u2003": " ",
        "\u200a": " ",
        "\u200b": None, "\u200c": None, "\u200d": None, "\u2060": None, "\ufeff": None,
        "\u00ad": None, "\u2026": "...",
    }
)  # fmt: skip


def _clusters(text: str) -> Iterator[tuple[int, str]]:
    """Yield (offset, cluster): a base character with the combining marks that follow it."""
    start = 0
    for i in range(1, len(text) + 1):
        if i == len(text) or not unicodedata.combining(text[i]):
            yield start, text[start:i]
            start = i


def normalise(text: str) -> tuple[str, list[int]]:
    """Fold typographic differences; return the folded text and each char's source offset.

    Folded: NFC/NFD, curly quotes, dashes (and the spaces around them: a spaced em dash
    matches a hyphen), the ellipsis character, runs of whitespace and line breaks,
    non-breaking and zero-width spaces, soft hyphens.
    """
    out: list[str] = []
    offsets: list[int] = []
    for i, cluster in _clusters(text):
        for c in unicodedata.normalize("NFC", cluster).translate(_TYPO):
            if c.isspace():
                if not out or out[-1] in " -":
                    continue
                c = " "
            elif c == "-":
                if out and out[-1] == " ":
                    out.pop()
                    offsets.pop()
                if out and out[-1] == "-":
                    continue
            out.append(c)
            offsets.append(i)
    while out and out[-1] == " ":
        out.pop()
        offsets.pop()
    return "".join(out), offsets


@dataclass(frozen=True)
class Anchor:
    """Where a quote sits in the article (character span of the original text)."""

    quote: str
    start: int
    end: int


class Article:
    """An article's text, folded once for anchoring many quotes."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.folded, self.offsets = normalise(text)

    def anchor(self, quote: str) -> Anchor | None:
        """Find ``quote`` up to typography; return its span in the original text or None."""
        needle, _ = normalise(quote)
        pos = self.folded.find(needle) if needle else -1
        if pos < 0:
            return None
        end = self.offsets[pos + len(needle) - 1] + 1
        # Take in combining marks that belong to the last character.
        while end < len(self.text) and unicodedata.combining(self.text[end]):
            end += 1
        return Anchor(quote, self.offsets[pos], end)

    def closest(self, quote: str) -> str:
        """The passage of the article most like ``quote`` (same number of words).

        Windows are ranked by shared character trigrams first; difflib scores the best few.
        """
        needle, _ = normalise(quote)
        words = list(re.finditer(r"\S+", self.folded))
        if not words:
            return ""
        size = min(len(words), max(1, len(needle.split())))
        grams = _trigrams(needle)
        spans = [
            (words[i].start(), words[i + size - 1].end()) for i in range(len(words) - size + 1)
        ]
        ranked = sorted(
            spans, key=lambda span: -len(grams & _trigrams(self.folded[span[0] : span[1]]))
        )
        matcher = difflib.SequenceMatcher(autojunk=False)
        matcher.set_seq2(needle)
        best, best_score = spans[0], -1.0
        for start, end in ranked[:12]:
            matcher.set_seq1(self.folded[start:end])
            score = matcher.ratio()
            if score > best_score:
                best, best_score = (start, end), score
        original = self.text[self.offsets[best[0]] : self.offsets[best[1] - 1] + 1]
        return " ".join(original.split())


def _trigrams(text: str) -> set[str]:
    return {text[i : i + 3] for i in range(max(1, len(text) - 2))}


def anchor(article: str, quote: str) -> Anchor | None:
    """Find ``quote`` in ``article`` up to typography; return its span or None."""
    return Article(article).anchor(quote)


@dataclass(frozen=True)
class QuoteAnchor:
    """A quote of the reading, where it is written (field, item id) and where it sits."""

    field: str
    #: The id of the item the quote anchors; empty for an ``excluded`` sentence.
    item: str
    anchor: Anchor


# --- coverage ------------------------------------------------------------------------------

#: Abbreviations whose full stop does not end a sentence.
_ABBREVIATIONS = ("U.S.", "U.K.", "U.N.", "E.U.", "Mr.", "Mrs.", "Ms.", "Dr.", "St.", "e.g.",
                  "i.e.", "etc.", "vs.", "No.", "Gen.", "Sen.", "Rep.", "Jr.", "Sr.")  # fmt: skip
_SENTENCE_END = re.compile(r"[.!?][\"'\u201d\u2019)\]]*(?=\s+|$)")


@dataclass(frozen=True)
class Sentence:
    """A sentence of the article: its span, its text, and what the reading does with it."""

    index: int
    start: int
    end: int
    text: str
    state: Literal["covered", "excluded", "uncovered"]
    items: tuple[str, ...]


def sentences(text: str) -> list[tuple[int, int]]:
    """Split ``text`` into sentence spans: at . ! ? before whitespace, and at line breaks."""
    spans: list[tuple[int, int]] = []
    for para in re.finditer(r"[^\n]+", text):
        start = para.start()
        for end_mark in _SENTENCE_END.finditer(para.group()):
            end = para.start() + end_mark.end()
            before = text[start:end]
            if any(before.endswith(a) for a in _ABBREVIATIONS):
                continue
            spans.append((start, end))
            start = end
        spans.append((start, para.end()))
    cleaned: list[tuple[int, int]] = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if s < e:
            cleaned.append((s, e))
    return cleaned


@dataclass(frozen=True)
class Coverage:
    """Which sentences of the article the reading anchors, excludes, or leaves uncovered."""

    sentences: tuple[Sentence, ...]

    @property
    def substantive(self) -> int:
        """Sentences not deliberately excluded."""
        return sum(1 for s in self.sentences if s.state != "excluded")

    @property
    def covered(self) -> int:
        """Sentences at least one item's quote anchors."""
        return sum(1 for s in self.sentences if s.state == "covered")

    @property
    def share(self) -> float:
        """Covered share of the substantive sentences (1.0 when there are none)."""
        return self.covered / self.substantive if self.substantive else 1.0

    def of(self, state: str) -> list[Sentence]:
        """The sentences in ``state`` (covered, excluded, uncovered)."""
        return [s for s in self.sentences if s.state == state]


def coverage(article: str, anchors: Sequence[QuoteAnchor]) -> Coverage:
    """Mark each sentence covered (an item anchors it), excluded, or uncovered."""
    result: list[Sentence] = []
    for index, (start, end) in enumerate(sentences(article)):
        hits = [a for a in anchors if a.anchor.start < end and a.anchor.end > start]
        items = tuple(sorted({a.item for a in hits if a.item}))
        excluded = any(not a.item for a in hits)
        state: Literal["covered", "excluded", "uncovered"] = (
            "covered" if items else "excluded" if excluded else "uncovered"
        )
        text = " ".join(article[start:end].split())
        result.append(Sentence(index + 1, start, end, text, state, items))
    return Coverage(tuple(result))


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
    anchors: tuple[QuoteAnchor, ...] = ()

    def coverage(self) -> Coverage:
        """The reading's sentence coverage of the article."""
        return coverage(self.article, self.anchors)


class BriefMeta(Model):
    """Per-brief settings kept beside the seed (``brief.yaml``)."""

    version: Annotated[str, StringConstraints(pattern=r"^\d+\.\d+\.\d+$")]


def _collect(problems: list[Problem], load: Any) -> Any:
    try:
        return load()
    except InvalidInput as exc:
        problems.extend(exc.problems)
        return None


def load_seed(root: Path, slug: str) -> Seed:
    """Load and validate a seed (article, source.yaml, reading.yaml, brief.yaml); anchor quotes.

    Problems in every file are collected and raised together; cross-checks run as a second
    pass once the reading's items are valid.
    """
    path = seed_dir(root, slug)
    problems: list[Problem] = []
    article_path = path / "article.txt"
    article: str | None = _collect(problems, lambda: read_text(article_path))
    if article is not None and not article.strip():
        problems.append(Problem(article_path, None, "", "the article is empty"))
        article = None

    source_path = path / "source.yaml"
    source_file: YamlFile | None = _collect(problems, lambda: load_yaml_file(source_path))
    source: Source | None = None
    if source_file is not None:
        source = _collect(problems, lambda: validate(Source, source_file, source_path))
    if source is not None and article_path.is_file() and article is not None:
        digest = hashlib.sha256(article_path.read_bytes()).hexdigest()
        if digest != source.sha256:
            line = source_file.line(("sha256",)) if source_file else None
            problems.append(
                Problem(source_path, line, "sha256", f"does not match article.txt ({digest})")
            )

    reading_path = path / "reading.yaml"
    reading_file: YamlFile | None = _collect(problems, lambda: load_yaml_file(reading_path))
    reading: Reading | None = None
    anchors: list[QuoteAnchor] = []
    if reading_file is not None:
        reading = _collect(problems, lambda: validate(Reading, reading_file, reading_path))
    if reading is not None and reading_file is not None:
        problems.extend(cross_check(reading, reading_file))
        if article is not None:
            anchors, missing = anchor_quotes(reading, reading_file, article)
            problems.extend(missing)

    meta_path = path / "brief.yaml"
    meta_file: YamlFile | None = _collect(problems, lambda: load_yaml_file(meta_path))
    meta: BriefMeta | None = None
    if meta_file is not None:
        meta = _collect(problems, lambda: validate(BriefMeta, meta_file, meta_path))

    if problems:
        raise InvalidInput(problems)
    assert article is not None
    assert source is not None
    assert reading is not None
    assert meta is not None
    return Seed(slug, path, article, source, reading, meta.version, tuple(anchors))


def check_reading(reading: Reading, data: Any, article: str, path: Path) -> None:
    """Cross-checks and quote anchoring of a validated reading; raise every problem together."""
    file = data if isinstance(data, YamlFile) else YamlFile(path, [], data, data)
    problems = cross_check(reading, file)
    problems += anchor_quotes(reading, file, article)[1]
    if problems:
        raise InvalidInput(problems)


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
        problems.append(Problem(path, file.line(loc), _field(loc), message))

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


def _quotes(reading: Reading) -> Iterator[tuple[Loc, str, str]]:
    """Every quote of the reading: (location, id of the item it anchors, quote)."""
    for j, q in enumerate(reading.thesis.quotes):
        yield ("thesis", "quotes", j), reading.thesis.id, q
    for group in GROUPS:
        for i, item in enumerate(getattr(reading, group)):
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
    for i, x in enumerate(reading.excluded):
        yield ("excluded", i, "quote"), "", x.quote


def anchor_quotes(
    reading: Reading, file: YamlFile, article: str
) -> tuple[list[QuoteAnchor], list[Problem]]:
    """Anchor every quote; an unmatched one names its item and the article's closest passage."""
    text = Article(article)
    anchors: list[QuoteAnchor] = []
    problems: list[Problem] = []
    for loc, item, quote in _quotes(reading):
        found = text.anchor(quote)
        if found is None:
            owner = f" (item {item})" if item else ""
            message = (
                f"quote not found in the article: {_clip(quote)!r}{owner}; "
                f"closest passage: {_clip(text.closest(quote), 120)!r}"
            )
            problems.append(Problem(file.path, file.line(loc), _field(loc), message))
        else:
            anchors.append(QuoteAnchor(_field(loc), item, found))
    return anchors, problems


def _clip(text: str, size: int = 80) -> str:
    return text if len(text) <= size else text[: size - 1] + "\u2026"


def coverage_report(slug: str, cov: Coverage) -> list[str]:
    """The lines ``briefkit check`` prints for a valid seed: its coverage, then the gaps."""
    lines = [
        f"{slug}: valid; coverage {cov.share:.1%} ({cov.covered} of {cov.substantive} "
        f"substantive sentences anchored, {len(cov.of('excluded'))} excluded on purpose)"
    ]
    for state in ("uncovered", "excluded"):
        lines += [f"  {state} sentence {s.index}: {_clip(s.text, 90)}" for s in cov.of(state)]
    return lines
