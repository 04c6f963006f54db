"""YAML files with line numbers: strict YAML 1.2 loading, tags refused, values located by path."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq, TaggedScalar
from ruamel.yaml.composer import Composer
from ruamel.yaml.error import MarkedYAMLError
from ruamel.yaml.events import AliasEvent

from briefkit.errors import InvalidInput, Problem

#: Nesting deeper than any seed file needs. ruamel composes (and briefkit copies) a tree
#: recursively, so a file thousands of levels deep would otherwise end in a RecursionError.
MAX_DEPTH = 64
#: How many values the aliases (``*name``) of one file may stand for in all. An alias repeats
#: a subtree; the first seed shares a few small ones, while a few hundred bytes of nested
#: aliases ("billion laughs") stand for millions of values once copied and validated.
MAX_ALIASED = 10_000


class _Refused(MarkedYAMLError):
    """YAML that is valid but not plain data within bounds: too deep, or an alias bomb."""


class _PlainComposer(Composer):
    """Composes plain data within bounds: nesting up to ``MAX_DEPTH``, aliases up to
    ``MAX_ALIASED`` values in all, no alias inside its own anchor (an endless structure).
    Each is refused when met, before the tree exists.
    """

    level = 0
    #: Values composed so far, and values the aliases met so far stand for.
    composed = 0
    aliased = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        """Compose one node, counting the values an alias stands for."""
        event = self.parser.peek_event()
        # The size of each anchored subtree, by node; absent while the node is being composed.
        sizes: dict[int, int] = self.__dict__.setdefault("sizes", {})
        if isinstance(event, AliasEvent) and event.anchor in self.anchors:
            size = sizes.get(id(self.anchors[event.anchor]))
            if size is None:
                message = f"YAML alias *{event.anchor} is inside its own anchor (endless data)"
                raise _Refused(problem=message, problem_mark=event.start_mark)
            self.aliased += size
            if self.aliased > MAX_ALIASED:
                message = (
                    f"YAML aliases stand for more than {MAX_ALIASED:,} values here "
                    f"(*{event.anchor} repeats {size:,}): write the values out"
                )
                raise _Refused(problem=message, problem_mark=event.start_mark)
            return super().compose_node(parent, index)
        if self.level >= MAX_DEPTH:
            message = f"YAML nesting deeper than {MAX_DEPTH} levels (a reading needs fewer than 10)"
            raise _Refused(problem=message, problem_mark=event.start_mark)
        self.level += 1
        self.composed += 1
        before = self.composed + self.aliased
        try:
            node = super().compose_node(parent, index)
        finally:
            self.level -= 1
        if getattr(event, "anchor", None) is not None:
            sizes[id(node)] = 1 + self.composed + self.aliased - before
        return node


def _yaml() -> YAML:
    # YAML 1.2 (core schema): `NO`, `yes`, `on` and `1:30` stay strings. Timestamps stay strings
    # too, so an impossible date is reported by validation with its line, not by the parser.
    yaml = YAML(typ="rt")
    yaml.Composer = _PlainComposer
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
    return Problem(path, _line_of(data, loc), field_name(loc), message)


def field_name(loc: Loc) -> str:
    """A location as the dotted field name users see (``claims.0.quotes.1``)."""
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
    text = read_text(path, limit=YAML_LIMIT, what="a YAML file")
    try:
        tree = _yaml().load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        message = " ".join(str(exc.problem or exc.context or "invalid YAML").split())
        if isinstance(exc, _Refused):
            raise InvalidInput([Problem(path, line, "", message)]) from None
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
