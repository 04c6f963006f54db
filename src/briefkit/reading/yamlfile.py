"""YAML files with line numbers: strict YAML 1.2 loading, tags refused, values located by path.

libyaml (PyYAML's C parser) reads the file into events; this module builds the plain data and
an index of where each value starts from them, with an explicit stack (no recursion, so no
depth of nesting can overflow a stack). A file libyaml refuses is read again by PyYAML's
pure-Python parser, which words its errors as users have seen them so far and keeps going
where libyaml stops at its own nesting limit (1,000 levels), so the limits below are reported.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml import events as ev

from briefkit.errors import InvalidInput, Problem

#: Nesting deeper than any seed file needs. Deeper files are refused when met: validation and
#: the notebooks walk the data recursively, so a file thousands of levels deep would otherwise
#: end in a RecursionError there.
MAX_DEPTH = 64
#: How many values the aliases (``*name``) of one file may stand for in all. An alias repeats
#: a subtree; the first seed shares a few small ones, while a few hundred bytes of nested
#: aliases ("billion laughs") stand for millions of values once copied and validated.
MAX_ALIASED = 10_000

Loc = tuple[int | str, ...]

#: YAML 1.2 core schema for plain scalars, as ruamel.yaml (the loader before libyaml) read it:
#: `NO`, `yes`, `on` stay strings, `1:30` and timestamps too (an impossible date is reported by
#: validation with its line, not by the parser); digits may be grouped with `_`.
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_NULL = {"", "~", "null", "Null", "NULL"}
_FLOAT = re.compile(
    r"""[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+]?[0-9]+)?
    |[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+
    |[-+]?\.[0-9_]+(?:[eE][-+][0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN)""",
    re.X,
)
_INT = re.compile(r"[-+]?0b[0-1_]+|[-+]?0o?[0-7_]+|[-+]?[0-9_]+|[-+]?0x[0-9a-fA-F_]+")
_STR_TAG = "tag:yaml.org,2002:str"
#: Plain scalars YAML 1.1 gave a meaning of their own (merge keys aside): refused as before.
_TYPE_TAGS = {"<<": "tag:yaml.org,2002:merge", "=": "tag:yaml.org,2002:value"}
#: A ``<<`` key: its value (a mapping, or a list of them) is merged into the enclosing mapping.
_MERGE = object()


def _resolve(value: str) -> Any:
    """The value of a plain scalar: null, bool, int or float (YAML 1.2 core), else the text."""
    if value in _NULL:
        return None
    if value in _BOOL:
        return _BOOL[value]
    first = value[0]
    if first in "-+0123456789.":
        if _FLOAT.fullmatch(value):
            return _float(value)
        if first != "." and _INT.fullmatch(value):
            return _int(value)
    return value


def _float(value: str) -> Any:
    text = value.replace("_", "").lower()
    sign = -1.0 if text[0] == "-" else 1.0
    text = text.lstrip("+-")
    if text == ".inf":
        return sign * math.inf
    if text == ".nan":
        return math.nan
    try:
        return sign * float(text)
    except ValueError:  # `._` has no digit: text, as YAML 1.2 core reads it
        return value


def _int(value: str) -> Any:
    text = value.replace("_", "")
    sign = -1 if text[0] == "-" else 1
    text = text.lstrip("+-")
    base = {"0b": 2, "0o": 8, "0x": 16}.get(text[:2], 10)
    digits = text[2:] if base != 10 else text
    try:
        return sign * int(digits, base)
    except ValueError:  # no digit (`0x_`, `+_`), or more than Python reads (4,300): text
        return value


class _Refused(Exception):
    """YAML that is valid but not plain data within bounds: too deep, or an alias bomb."""

    def __init__(self, message: str, mark: Any) -> None:
        super().__init__(message)
        self.message, self.line = message, mark.line + 1


class _Syntax(_Refused):
    """YAML that is not one document of valid YAML."""


#: A problem found while reading: its location, message, and line when not the location's own.
_Found = tuple[Loc, str, int | None]


@dataclass(frozen=True)
class _Anchor:
    """What an alias repeats: the anchored value, its positions and where it starts."""

    plain: Any
    index: Any
    mark: tuple[int, int]
    #: How many values it stands for, and its tag problems (relative locations).
    size: int
    tags: list[_Found]


#: An anchor whose node is still being read: an alias to it is an endless structure.
_OPEN = object()


class _Map(dict[Any, tuple[int, int, int, int, Any]]):
    """Positions in a mapping: key -> (key line, key column, value line, value column, index)."""


class _Seq(list[tuple[int, int, Any]]):
    """Positions in a sequence: (line, column, index) of each item."""


#: The key of a pair whose key is a mapping or list: the pair is read, and not kept.
_SKIP = object()
#: No key read yet (a key may be null).
_NOKEY = object()
#: The index of a tagged scalar: located, as before, like a mapping or list (by its key's line).
_TAGGED = object()


class _Frame:
    """A mapping or sequence being read."""

    __slots__ = (
        "anchor", "before", "data", "dup", "index", "is_key", "key", "key_mark", "loc", "mark",
        "merges", "quiet", "seen", "tags_at", "texts",
    )  # fmt: skip

    def __init__(self, data: Any, index: Any, loc: Loc, mark: tuple[int, int]) -> None:
        self.data, self.index, self.loc, self.mark = data, index, loc, mark
        self.anchor: str | None = None
        self.before = self.tags_at = 0
        #: True for a mapping or list used as a key, and for what a refused tag covers (whose
        #: content is not checked for tags: one problem is enough).
        self.is_key = self.quiet = False
        #: For a mapping: the key read and waiting for its value, and where it starts; the
        #: first duplicate key (its text, line, and the line where it came first).
        self.key: Any = _NOKEY
        self.key_mark = (0, 0)
        self.dup: tuple[str, int, int] | None = None
        #: Keys so far, by value (as YAML compares them) and as text (as the data keeps them).
        self.seen: dict[Any, int] = {}
        self.texts: dict[str, int] = {}
        self.merges: list[dict[str, Any]] | None = None


class _Builder:
    """Builds the plain data and the position index of one YAML document from its events."""

    def __init__(self) -> None:
        self.stack: list[_Frame] = []
        self.anchors: dict[str, Any] = {}
        self.composed = self.aliased = 0
        self.root: Any = None
        self.root_index: Any = None
        self.root_mark = (0, 0)
        self.documents = 0
        #: Problems with values (tags), and the first error known only once the whole file is
        #: read (duplicate keys, bad merges: ruamel reported them after parsing, so syntax wins).
        self.found: list[_Found] = []
        self.late: tuple[int, str, str] | None = None

    def build(self, stream: Iterable[Any]) -> None:
        """Read all events of ``stream``; raise _Refused or _Syntax when met."""
        for event in stream:
            kind = type(event)
            if kind is ev.ScalarEvent:
                self.scalar(event)
            elif kind is ev.MappingStartEvent or kind is ev.SequenceStartEvent:
                self.start(event, kind is ev.MappingStartEvent)
            elif kind is ev.MappingEndEvent or kind is ev.SequenceEndEvent:
                self.end()
            elif kind is ev.AliasEvent:
                self.alias(event)
            elif kind is ev.DocumentStartEvent:
                self.documents += 1
                if self.documents > 1:
                    raise _Syntax("but found another document", event.start_mark)

    def count(self, event: Any) -> None:
        """Count a node, refused past ``MAX_DEPTH``."""
        if len(self.stack) >= MAX_DEPTH:
            message = f"YAML nesting deeper than {MAX_DEPTH} levels (a reading needs fewer than 10)"
            raise _Refused(message, event.start_mark)
        self.composed += 1

    def at_key(self) -> bool:
        """Whether the next node is a mapping's key."""
        return (
            bool(self.stack) and type(self.stack[-1].index) is _Map and self.stack[-1].key is _NOKEY
        )

    def loc(self) -> Loc:
        """The location of the next node (a key's is its mapping's)."""
        if not self.stack:
            return ()
        top = self.stack[-1]
        if type(top.index) is _Seq:
            return (*top.loc, len(top.index))
        if top.key is _NOKEY or top.key is _SKIP or top.key is _MERGE:
            return top.loc
        return (*top.loc, str(top.key))

    def tag(self, tag: str) -> None:
        """A tag other than ``!!str``: a problem, unless a refused tag covers it already."""
        if not (self.stack and self.stack[-1].quiet):
            short = tag.replace("tag:yaml.org,2002:", "!!")
            self.found.append(
                (self.loc(), f"YAML tag {short} is not allowed (plain data only)", None)
            )

    def scalar(self, event: Any) -> None:
        """A scalar: resolve it and attach it."""
        self.count(event)
        tag, value = event.tag, event.value
        found = len(self.found)
        if tag is not None and tag != _STR_TAG:
            self.tag(tag)
            value = None
        elif tag is None and not event.style:
            key = self.at_key()
            if value in _TYPE_TAGS and not key:
                self.tag(_TYPE_TAGS[value])
                value = None
            elif value == "<<" and key:
                value = _MERGE
            else:
                value = _resolve(value)
        mark = (event.start_mark.line, event.start_mark.column)
        index = None if tag is None else _TAGGED
        if event.anchor is not None:
            tags: list[_Found] = [((), message, line) for _, message, line in self.found[found:]]
            self.anchors[event.anchor] = _Anchor(value, index, mark, 1, tags)
        self.attach(value, index, mark)

    def start(self, event: Any, mapping: bool) -> None:
        """A mapping or sequence begins: attach its (empty) data, then read into it."""
        self.count(event)
        if event.tag is not None:
            self.tag(event.tag)
        mark = (event.start_mark.line, event.start_mark.column)
        frame = _Frame({} if mapping else [], _Map() if mapping else _Seq(), self.loc(), mark)
        frame.quiet = event.tag is not None or bool(self.stack and self.stack[-1].quiet)
        if self.at_key():
            frame.is_key = True
            self.attach(frame.data, frame.index, mark)
        else:
            self.attach(frame.data, frame.index, mark, pending=True)
        frame.tags_at = len(self.found)
        if event.anchor is not None:
            frame.anchor = event.anchor
            frame.before = self.composed + self.aliased
            self.anchors[event.anchor] = _OPEN
        self.stack.append(frame)

    def end(self) -> None:
        """A mapping or sequence ends: merge its ``<<`` keys, record its anchor, finish its pair."""
        frame = self.stack.pop()
        for merged in frame.merges or ():
            for key, value in merged.items():
                if key not in frame.data:  # the mapping's own keys win, then the first merged
                    frame.data[key] = _copy(value)
        if frame.anchor is not None and self.anchors.get(frame.anchor) is _OPEN:
            size = 1 + self.composed + self.aliased - frame.before
            n = len(frame.loc)
            found = [(loc[n:], message, line) for loc, message, line in self.found[frame.tags_at :]]
            self.anchors[frame.anchor] = _Anchor(frame.data, frame.index, frame.mark, size, found)
        if self.stack and not frame.is_key:
            self.finish(frame.data, frame.index)

    def alias(self, event: Any) -> None:
        """An alias: a copy of the anchored value, within ``MAX_ALIASED`` values in all."""
        anchored = self.anchors.get(event.anchor)
        if anchored is None:
            raise _Syntax(f"found undefined alias {event.anchor!r}", event.start_mark)
        if anchored is _OPEN:
            message = f"YAML alias *{event.anchor} is inside its own anchor (endless data)"
            raise _Refused(message, event.start_mark)
        self.aliased += anchored.size
        if self.aliased > MAX_ALIASED:
            message = (
                f"YAML aliases stand for more than {MAX_ALIASED:,} values here "
                f"(*{event.anchor} repeats {anchored.size:,}): write the values out"
            )
            raise _Refused(message, event.start_mark)
        if not (self.stack and self.stack[-1].quiet):
            loc = self.loc()
            self.found.extend(((*loc, *rel), msg, line) for rel, msg, line in anchored.tags)
        self.attach(_copy(anchored.plain), anchored.index, anchored.mark)

    def attach(self, value: Any, index: Any, mark: tuple[int, int], pending: bool = False) -> None:
        """Put a value where the stack expects it (a collection is ``pending``: still read)."""
        if not self.stack:
            self.root, self.root_index, self.root_mark = value, index, mark
            return
        top = self.stack[-1]
        if type(top.index) is _Seq:
            top.data.append(value)
            top.index.append((mark[0], mark[1], index))
        elif top.key is _NOKEY:
            self.key(top, value, index, mark)
            return
        else:
            key = top.key
            if key is not _SKIP and key is not _MERGE:
                top.data[str(key)] = value
                top.index[key] = (*top.key_mark, *mark, index)
        if not pending:
            self.finish(value, index)

    def key(self, top: _Frame, value: Any, index: Any, mark: tuple[int, int]) -> None:
        """A mapping's key: remember it, and whether it came before."""
        top.key_mark = mark
        if index is not None and index is not _TAGGED:
            # A mapping or list as a key: it has no name a field could have.
            message = "a mapping or list cannot be a key here (keys are text or numbers)"
            self.found.append((top.loc, message, mark[0] + 1))
            top.key = _SKIP
            return
        top.key = value
        if value is _MERGE:
            if top.merges is not None and top.dup is None:
                top.dup = ("", mark[0], -1)
            top.merges = top.merges or []
            return
        text = str(value)
        first = top.seen.get(value, top.texts.get(text))
        if first is not None and top.dup is None:
            top.dup = (text, mark[0], first)
        top.seen.setdefault(value, mark[0])
        top.texts.setdefault(text, mark[0])

    def finish(self, value: Any, index: Any) -> None:
        """A node is complete: in a mapping, its pair (checked after the value, as ruamel did)."""
        top = self.stack[-1]
        if type(top.index) is not _Map or top.key is _NOKEY:
            return  # an item of a list, or a key
        key, top.key = top.key, _NOKEY
        if key is _MERGE:
            self.merge(top, value, index)
        if top.dup is not None and self.late is None:
            name, line, first = top.dup
            if first < 0:
                self.late = (line + 1, "", 'YAML syntax: found duplicate merge key "<<"')
            else:
                message = f"duplicate key (first at line {first + 1}): a key may appear only once "
                self.late = (line + 1, name, message + "in a mapping")
        top.dup = None

    def merge(self, top: _Frame, value: Any, index: Any) -> None:
        """Keep the mapping(s) a ``<<`` key merges in; anything else is an error."""
        if isinstance(value, dict):
            top.merges = [*(top.merges or []), value]
            return
        if isinstance(value, list):
            for item, (line, _, _) in zip(value, index, strict=True):
                if not isinstance(item, dict):
                    found = "sequence" if isinstance(item, list) else "scalar"
                    message = f"expected a mapping for merging, but found {found}"
                    self.late = self.late or (line + 1, "", f"YAML syntax: {message}")
                    return
            top.merges = [*(top.merges or []), *value]
            return
        line = top.key_mark[0]
        message = "expected a mapping or list of mappings for merging, but found scalar"
        self.late = self.late or (line + 1, "", f"YAML syntax: {message}")


def _copy(value: Any) -> Any:
    """A copy of plain data, made without recursion (aliases nest as deep as they may)."""
    if not isinstance(value, dict | list):
        return value
    top: Any = type(value)()
    stack = [(value, top)]
    while stack:
        source, target = stack.pop()
        pairs = source.items() if isinstance(source, dict) else enumerate(source)
        for key, item in pairs:
            if isinstance(item, dict | list):
                new: Any = type(item)()
                stack.append((item, new))
            else:
                new = item
            if isinstance(target, dict):
                target[key] = new
            else:
                target.append(new)
    return top


def _position(index: Any, mark: tuple[int, int] | None, loc: Loc) -> tuple[int, int | None] | None:
    """The 0-based (line, column) of the value at ``loc``, or of the nearest enclosing node."""
    if mark is None:
        return None  # a scalar document: nothing is located in it
    pos: tuple[int, int | None] = mark
    node = index
    for key in loc:
        if type(node) is _Seq and isinstance(key, int) and 0 <= key < len(node):
            line, column, node = node[key]
            pos = (line, column)
        elif type(node) is _Map and isinstance(key, int | str | float) and key in node:
            key_line, _, line, column, node = node[key]
            # A scalar's own column is where its text starts; a nested node's is its key.
            pos = (line, column) if node is None else (key_line, None)
        else:
            return (pos[0], None)
    return pos


def field_name(loc: Loc) -> str:
    """A location as the dotted field name users see (``claims.0.quotes.1``)."""
    return ".".join(map(str, loc))


@dataclass(frozen=True)
class YamlFile:
    """A loaded YAML file: its path, lines, plain data and where each value starts."""

    path: Path
    lines: list[str]
    #: The positions of the values: an index shaped like the data (see ``_Map``, ``_Seq``),
    #: and where the top-level mapping or list starts (None for a scalar document).
    tree: Any
    plain: Any
    start: tuple[int, int] | None = None

    def line(self, loc: Loc) -> int | None:
        """The 1-based line of the value at ``loc``."""
        pos = _position(self.tree, self.start, loc)
        return None if pos is None else pos[0] + 1

    def raw(self, loc: Loc) -> str | None:
        """The value's text as written in the file (for scalars on one line)."""
        pos = _position(self.tree, self.start, loc)
        if pos is None or pos[1] is None or pos[0] >= len(self.lines):
            return None
        text = self.lines[pos[0]][pos[1] :]
        return re.split(r"\s+#", text, maxsplit=1)[0].strip() or None


def _events(text: str, loader: type[Any]) -> Iterator[Any]:
    """The events of ``text`` from ``loader``'s parser (libyaml's or PyYAML's own)."""
    return yaml.parse(text, Loader=loader)


def _syntax(exc: yaml.YAMLError, text: str) -> tuple[int | None, str]:
    """The line and message of a parser's error."""
    if isinstance(exc, yaml.reader.ReaderError):
        line = text.count("\n", 0, exc.position) + 1
        return line, f"unacceptable character #x{exc.character:04x}: {exc.reason}"
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        message = " ".join(str(exc.problem or exc.context or "invalid YAML").split())
        return (mark.line + 1 if mark is not None else None), message
    return None, " ".join(str(exc).split())  # pragma: no cover - the parsers mark their errors


def _read(text: str, path: Path) -> _Builder:
    """Build ``text``'s data with libyaml; a file it refuses is read again for the message."""
    builder = _Builder()
    try:
        builder.build(_events(text, yaml.CBaseLoader))
        return builder
    except yaml.YAMLError as exc:
        error = exc
    # PyYAML's parser words errors as ruamel.yaml did, and goes past libyaml's nesting limit
    # to the limits above; if it finds no error, libyaml's stands.
    builder = _Builder()
    try:
        builder.build(_events(text, yaml.BaseLoader))
    except yaml.YAMLError as exc:
        error = exc
    line, message = _syntax(error, text)
    raise InvalidInput([Problem(path, line, "", f"YAML syntax: {message}")]) from None


def load_yaml_file(path: Path) -> YamlFile:
    """Read a UTF-8 YAML file safely; syntax errors, duplicate keys and tags are InvalidInput."""
    text = read_text(path, limit=YAML_LIMIT, what="a YAML file")
    try:
        built = _read(text, path)
    except _Syntax as exc:
        raise InvalidInput([Problem(path, exc.line, "", f"YAML syntax: {exc.message}")]) from None
    except _Refused as exc:
        raise InvalidInput([Problem(path, exc.line, "", exc.message)]) from None
    if built.late is not None:
        line, name, message = built.late
        raise InvalidInput([Problem(path, line, name, message)])
    start = built.root_mark if type(built.root_index) in (_Map, _Seq) else None
    file = YamlFile(path, text.splitlines(), built.root_index, built.root, start)
    if built.found:
        problems = [
            Problem(path, file.line(loc) if line is None else line, field_name(loc), message)
            for loc, message, line in built.found
        ]
        raise InvalidInput(problems)
    return file


#: The largest article and YAML file a seed may have, in bytes. A policy article is 5-50 kB
#: and the first seed's reading 25 kB; inputs 5x-20x past these limits took minutes and GiBs
#: (parsing and anchoring are repeated in every notebook), so they are refused up front.
ARTICLE_LIMIT = 1_000_000
YAML_LIMIT = 512 * 1024


def read_text(path: Path, *, limit: int | None = None, what: str = "file") -> str:
    """Read a UTF-8 text file with no byte-order mark, naming the file on failure.

    A file larger than ``limit`` bytes (a ``what``) is refused before it is read.
    """
    try:
        if not path.is_file() and path.exists():
            raise InvalidInput([Problem(path, None, "", "not a file")])
        size = path.stat().st_size
        if limit is not None and size > limit:
            message = (
                f"is {size:,} bytes, more than the {limit:,} {what} may have "
                "(see docs/reading.md, Limits)"
            )
            raise InvalidInput([Problem(path, None, "", message)])
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
