"""Loading YAML with libyaml: the rules of ``load_yaml_file``, and the same results as ruamel.yaml.

briefkit read YAML with ruamel.yaml's round-trip loader until libyaml took over (for speed: the
preview checks the seed on every edit). ``_Ruamel`` below is that loader, kept here only as the
reference: for the seeds and for tricky snippets, the data, the lines and the raw text of every
value must be the same.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq, TaggedScalar
from ruamel.yaml.composer import Composer
from ruamel.yaml.error import MarkedYAMLError
from ruamel.yaml.events import AliasEvent

from briefkit.errors import InvalidInput
from briefkit.reading.yamlfile import MAX_ALIASED, MAX_DEPTH, YamlFile, load_yaml_file

ROOT = Path(__file__).resolve().parents[1]
SEED_FILES = sorted((ROOT / "seeds").glob("*/*.yaml"))

# --- the reference: briefkit's ruamel.yaml loader, as it was --------------------------------


class _Refused(MarkedYAMLError):
    pass


class _PlainComposer(Composer):  # type: ignore[misc]
    level = 0
    composed = 0
    aliased = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.parser.peek_event()
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


def _ruamel_position(data: Any, loc: tuple[Any, ...]) -> tuple[int, int | None] | None:
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
                    pos = lc.value(key) if not hasattr(value, "lc") else (lc.key(key)[0], None)
                else:
                    return (pos[0], None) if pos else None
            node = node[key]
        except (KeyError, IndexError, TypeError, AttributeError):
            return (pos[0], None) if pos else None
    return pos


class _Ruamel:
    """The old loader: ``plain``, ``line()`` and ``raw()``, or ``problems`` (lines as text)."""

    def __init__(self, path: Path) -> None:
        self.problems: list[str] = []
        text = path.read_text(encoding="utf-8")
        self.lines = text.splitlines()
        yaml = YAML(typ="rt")
        yaml.Composer = _PlainComposer
        yaml.version = (1, 2)
        yaml.allow_duplicate_keys = False
        yaml.constructor.add_constructor(
            "tag:yaml.org,2002:timestamp",
            lambda constructor, node: constructor.construct_scalar(node),
        )
        try:
            self.tree = yaml.load(text)
        except MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1
            message = " ".join(str(exc.problem or exc.context or "invalid YAML").split())
            duplicate = re.match(r'found duplicate key "(.*?)" with value', message)
            if isinstance(exc, _Refused):
                self.problems = [f"{path}:{line}: {message}"]
            elif duplicate:
                self.problems = [f"{path}:{line}: {duplicate.group(1)}: duplicate key"]
            else:
                self.problems = [f"{path}:{line}: YAML syntax: {message}"]
            return
        self.plain = self._plain(self.tree, path, ())

    def _plain(self, node: Any, path: Path, loc: tuple[Any, ...]) -> Any:
        tag = getattr(getattr(node, "tag", None), "value", None)
        if isinstance(node, TaggedScalar) and str(node.tag.value) == "tag:yaml.org,2002:str":
            return str(node.value)
        if isinstance(node, TaggedScalar) or (
            tag and isinstance(node, CommentedMap | CommentedSeq)
        ):
            short = str(node.tag.value).replace("tag:yaml.org,2002:", "!!")
            line = self.line(loc)
            where = ".".join(map(str, loc))
            self.problems.append(
                f"{path}:{line}: {where}: YAML tag {short} is not allowed (plain data only)"
            )
            return None
        if isinstance(node, dict):
            return {str(k): self._plain(v, path, (*loc, str(k))) for k, v in node.items()}
        if isinstance(node, list):
            return [self._plain(v, path, (*loc, i)) for i, v in enumerate(node)]
        for kind in (bool, int, float, str):
            if isinstance(node, kind):
                return kind(node)
        return node

    def line(self, loc: tuple[Any, ...]) -> int | None:
        pos = _ruamel_position(self.tree, loc)
        return None if pos is None else pos[0] + 1

    def raw(self, loc: tuple[Any, ...]) -> str | None:
        pos = _ruamel_position(self.tree, loc)
        if pos is None or pos[1] is None or pos[0] >= len(self.lines):
            return None
        text = self.lines[pos[0]][pos[1] :]
        return re.split(r"\s+#", text, maxsplit=1)[0].strip() or None


# --- comparing -----------------------------------------------------------------------------


def locations(plain: Any) -> list[tuple[Any, ...]]:
    """Every location in ``plain``, and one past the end of each mapping and list."""
    found: list[tuple[Any, ...]] = [()]
    stack: list[tuple[tuple[Any, ...], Any]] = [((), plain)]
    while stack:
        loc, node = stack.pop()
        if isinstance(node, dict):
            pairs: list[tuple[Any, Any]] = list(node.items())
            found.append((*loc, "no such key", 0))
        elif isinstance(node, list):
            pairs = list(enumerate(node))
            # ruamel had no line past the end of an empty list, now it has the list's.
            found += [(*loc, len(node)), (*loc, -1), (*loc, "0")] if node else []
        else:
            continue
        for key, value in pairs:
            found.append((*loc, key))
            stack.append(((*loc, key), value))
    return found


def value_at(plain: Any, loc: tuple[Any, ...]) -> Any:
    """The value at ``loc`` (None if there is none)."""
    for key in loc:
        try:
            plain = plain[key]
        except (KeyError, IndexError, TypeError):
            return None
    return plain


def same(a: Any, b: Any) -> bool:
    """Equal plain data, NaN equal to NaN."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def problems(path: Path) -> list[str]:
    """The problems loading ``path`` reports (none if it loads)."""
    try:
        load_yaml_file(path)
    except InvalidInput as exc:
        return [str(p) for p in exc.problems]
    return []


def assert_same_as_ruamel(path: Path) -> YamlFile | None:
    """Load ``path`` with both loaders: the same data, lines and raw text, or the same error."""
    old = _Ruamel(path)
    if old.problems:
        new = problems(path)
        if "duplicate key" in old.problems[0]:  # now says where the first one is, always
            new = [re.sub(r": duplicate key.*", ": duplicate key", p) for p in new]
        assert new == old.problems
        return None
    file = load_yaml_file(path)
    assert same(file.plain, old.plain), (file.plain, old.plain)
    for loc in locations(old.plain):
        new_line, new_raw = file.line(loc), file.raw(loc)
        if new_raw is None and old.raw(loc) is not None and value_at(old.plain, loc) is None:
            # An empty value (`key:`) is on its key's line; ruamel put it where the next begins.
            assert new_line is not None, loc
            assert new_line <= (old.line(loc) or 0), loc
            continue
        assert (new_line, new_raw) == (old.line(loc), old.raw(loc)), loc
    return file


@pytest.mark.parametrize("path", SEED_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_seed_files_load_as_ruamel_loaded_them(path: Path) -> None:
    file = assert_same_as_ruamel(path)
    assert file is not None
    assert len(locations(file.plain)) >= 3


SNIPPETS = {
    "block": "a: 1\nb:\n  c: two\n  d: [3, 4]\ne:\n- x\n- y: z\n  w: v\n-   - deep\n",
    "flow": "{a: [1, {b: c}], 'd e': \"f\", g: {}, h: []}\n",
    "flow-multiline": "a: [\n  one,\n  two  ,\n  {k: v,\n   k2: v2}\n]\nb: {x: 1,\n  y: 2}\n",
    "seq-root": "- a\n- - b\n  - c\n- {d: e}\n-\n- ''\n",
    "scalar-root": "just text\n",
    "empty": "",
    "comments": "# top\na: 1 # one\nb: 'x # y' # two\n# c: 3\nd: x#y\n",
    "plain-multiline": "a: this is\n  a long\n\n  plain text\nb: next\n",
    "literal": (
        "a: |\n  line one\n   indented\n  line three\nb: |-\n  kept\nc: |+\n  kept\n\nd: end\n"
    ),
    "folded": "a: >\n  folded\n  text\n\n  para\nb: >-\n  x\n  y\n",
    "quoted": "a: 'it''s'\nb: \"tab\\there \\u00e9 \\x41\"\nc: \"multi\n  line\"\nd: ''\ne: \"\"\n",
    "quoted-keys": "'a b': 1\n\"c\\td\": 2\n'': empty\n\"1\": text one\n",
    "empty-values": "a:\nb: ~\nc: null\nd:\n  -\n  - ~\ne: {f: , g: }\n",
    "core-schema": (
        "a: NO\nb: yes\nc: on\nd: 1:30\ne: 2024-01-02\nf: 1.10\ng: true\nh: False\ni: 0o17\n"
        "j: 0x1F\nk: 017\nl: 1_000\nm: .inf\nn: -.Inf\no: .nan\np: 1e3\nq: +5\nr: -0\ns: 0b101\n"
        "t: 1.\nu: .5\nv: y\nw: Null\nx: 2001-12-14t21:59:43.10-05:00\ny: 12e\nz: '12'\n"
    ),
    "keys-typed": "1: int\n1.5: float\ntrue: bool\nnull: none\n2024-01-01: date\n",
    "anchors": "a: &x {b: 1, c: [2, 3]}\nd: *x\ne: [*x, &s text, *s]\nf: *s\n",
    "anchor-on-seq-item": "- &i one\n- *i\n- &m\n  k: v\n- *m\n",
    "merge": "base: &b {x: 1, y: 2}\nm:\n  <<: *b\n  y: 3\n  z: 4\n",
    "merge-list": "a: &a {x: 1}\nb: &b {x: 2, y: 2}\nc:\n  <<: [*a, *b]\n  z: 3\n",
    "explicit-keys": "? a\n: 1\n? b\n: - c\n",
    "str-tag": "a: !!str 1\nb: !!str\nc: !!str ~\nd: [!!str 1, !!str yes]\n",
    "document-markers": "---\na: 1\n...\n",
    "document-start-line": "# comment\n---\n- a\n- b\n",
    "indented-seq-in-map": "a:\n- 1\n- 2\nb:\n    - 3\n",
    "unicode": "a: caf\u00e9\nb: [\u00e9, \u00fc\u00f1\u00ee, \u2014]\n\u00e9: ok\n",
    "long-line-values": "text: " + "word " * 200 + "\n",
    "crlf": "a: 1\r\nb:\r\n  - x\r\n",
    "nested-empty": "a: {b: {c: {}}}\nd: [[[]]]\n",
    "key-positions": "top:\n  mid:\n    low: 1\n  other:\n  - 2\n",
    # errors
    "dup": "a: 1\nb: 2\na: 3\n",
    "dup-nested": "x:\n  - a: 1\n    a: 2\n",
    "dup-typed": "1: a\n1.0: b\n",
    "alias-undefined": "a: *nope\n",
    "alias-endless": "a: &x [1, *x]\n",
    "two-documents": "a: 1\n---\nb: 2\n",
    "syntax-flow": "thesis: [\n",
    "syntax-tab": "a: 1\n\tb: 2\n",
    "syntax-indent": "a:\n  b: 1\n c: 2\n",
    "syntax-colon": "a: b: c\n",
    "syntax-quote": "a: 'unclosed\nb: 2\n",
    "syntax-block": "- a\nb: 1\n",
    "tag-python": "a: !!python/object/apply:os.system ['x']\n",
    "tag-local": "a: [1, !foo 2]\nb: !bar {c: 1}\n",
    "deep": "a: " + "[" * 70 + "]" * 70 + "\n",
    "deep-block": "- " * 70 + "x\n",
}


@pytest.mark.parametrize("text", SNIPPETS.values(), ids=SNIPPETS.keys())
def test_snippets_load_as_ruamel_loaded_them(tmp_path: Path, text: str) -> None:
    path = tmp_path / "x.yaml"
    path.write_text(text, encoding="utf-8", newline="")
    assert_same_as_ruamel(path)
