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
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
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
        if new_raw is None and value_at(old.plain, loc) is None and loc:
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


# --- the rules -----------------------------------------------------------------------------


def load(tmp_path: Path, text: str) -> YamlFile:
    """Load ``text`` as a YAML file."""
    path = tmp_path / "x.yaml"
    path.write_text(text, encoding="utf-8", newline="")
    return load_yaml_file(path)


def refused(tmp_path: Path, text: str) -> list[str]:
    """The problems of ``text`` as a YAML file, without the file's name."""
    path = tmp_path / "x.yaml"
    path.write_text(text, encoding="utf-8", newline="")
    return [p.replace(f"{path}:", "", 1) for p in problems(path)]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        # YAML 1.1 booleans, sexagesimal numbers and timestamps stay text.
        ("NO", "NO"), ("yes", "yes"), ("on", "on"), ("y", "y"), ("1:30", "1:30"),
        ("2024-01-02", "2024-01-02"), ("2001-12-14 21:59:43.10", "2001-12-14 21:59:43.10"),
        ("", None), ("~", None), ("null", None), ("Null", None), ("NULL", None), ("nil", "nil"),
        ("true", True), ("False", False), ("TRUE", True), ("tRUE", "tRUE"),
        ("0", 0), ("-12", -12), ("+5", 5), ("017", 17), ("0o17", 15), ("0x1F", 31), ("0b101", 5),
        ("1_000", 1000), ("0x_", "0x_"), ("+_", "+_"), ("_1", "_1"),
        ("1.10", 1.1), ("1.", 1.0), (".5", 0.5), ("1e3", 1000.0), ("-.inf", -math.inf),
        (".Inf", math.inf), ("._", "._"), ("1.2.3", "1.2.3"), ("12e", "12e"), ("0b2", "0b2"),
        ("'1'", "1"), ('"true"', "true"), ("'~'", "~"), ("!!str 12", "12"), ("!!str", ""),
        ("!<tag:yaml.org,2002:str> yes", "yes"), ("|\n  3\n", "3\n"),
    ],
)  # fmt: skip
def test_plain_scalars_are_read_by_the_yaml_1_2_core_schema(
    tmp_path: Path, text: str, value: object
) -> None:
    # `0x_` and `+_` crashed ruamel (IndexError); `._` was a located-nowhere "invalid YAML".
    assert same(load(tmp_path, f"a: {text}\n").plain, {"a": value})


def test_nan_is_a_float(tmp_path: Path) -> None:
    assert math.isnan(load(tmp_path, "a: .nan\n").plain["a"])


def test_a_number_longer_than_python_reads_stays_text(tmp_path: Path) -> None:
    # Python reads at most 4,300 digits; ruamel's ValueError became a line-less "invalid YAML".
    assert load(tmp_path, f"a: {'9' * 5000}\n").plain == {"a": "9" * 5000}


def test_every_tag_but_str_is_a_problem_with_its_line_and_field(tmp_path: Path) -> None:
    text = (
        "a: !!int '3'\n"  # ruamel read the YAML types' own tags: now plain data only
        "b: [1, !!binary aGk=]\n"
        "c: !foo\n  d: 1\n  e: !bar 2\n"  # one problem for a tagged mapping, not its content
        "f: !!python/object/apply:os.system ['true']\n"
        "g: !!str fine\n"
        "h: &x !baz 1\n"
        "i: *x\n"  # an alias repeats its anchor's problem, named by its own field
        "j: =\n"
        "k: <<\n"
    )
    assert refused(tmp_path, text) == [
        "1: a: YAML tag !!int is not allowed (plain data only)",
        "2: b.1: YAML tag !!binary is not allowed (plain data only)",
        "3: c: YAML tag !foo is not allowed (plain data only)",
        "6: f: YAML tag !!python/object/apply:os.system is not allowed (plain data only)",
        "8: h: YAML tag !baz is not allowed (plain data only)",
        "9: i: YAML tag !baz is not allowed (plain data only)",
        "10: j: YAML tag !!value is not allowed (plain data only)",
        "11: k: YAML tag !!merge is not allowed (plain data only)",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: 1\nb: 2\na: 3\n", "3: a: duplicate key (first at line 1)"),
        ("x:\n  - a: 1\n    b:\n      c: 2\n    a: 2\n", "5: a: duplicate key (first at line 2)"),
        # Flow mappings and keys written differently: ruamel's message did not say where.
        ("x: {k: 1, k: 2}\n", "1: k: duplicate key (first at line 1)"),
        ("'k': 1\nk: 2\n", "2: k: duplicate key (first at line 1)"),
        ("1: a\n1.0: b\n", "2: 1.0: duplicate key (first at line 1)"),
        # Read as the same text key: ruamel kept the last value and dropped the first unseen.
        ("1: a\n'1': b\n", "2: 1: duplicate key (first at line 1)"),
    ],
)
def test_a_duplicate_key_is_named_with_both_lines(tmp_path: Path, text: str, expected: str) -> None:
    assert refused(tmp_path, text) == [f"{expected}: a key may appear only once in a mapping"]


def test_a_syntax_error_after_a_duplicate_key_is_the_one_reported(tmp_path: Path) -> None:
    # Duplicates are known once the file is read; a file that is not YAML is reported as such.
    assert refused(tmp_path, "a: 1\na: 2\nb: [\n") == [
        "4: YAML syntax: expected the node content, but found '<stream end>'"
    ]


def test_nesting_up_to_the_limit_loads_and_one_more_level_is_refused(tmp_path: Path) -> None:
    # The document's top node is level 1: MAX_DEPTH levels in all.
    deep = "[" * (MAX_DEPTH - 1) + "x" + "]" * (MAX_DEPTH - 1)
    assert load(tmp_path, deep + "\n").line((0,) * (MAX_DEPTH - 1)) == 1

    def block(levels: int) -> str:
        return "".join("  " * i + "k:\n" for i in range(levels)) + "  " * levels + "v\n"

    assert load(tmp_path, block(MAX_DEPTH - 1)).line(("k",) * (MAX_DEPTH - 1)) == MAX_DEPTH
    message = f"YAML nesting deeper than {MAX_DEPTH} levels (a reading needs fewer than 10)"
    assert refused(tmp_path, "[" + deep + "]\n") == [f"1: {message}"]
    assert refused(tmp_path, block(MAX_DEPTH)) == [f"{MAX_DEPTH}: {message}"]
    # libyaml stops at 1,000 levels of its own: the limit is still the one reported.
    assert refused(tmp_path, "\n" + "{a: " * 3000 + "}" * 3000 + "\n") == [f"2: {message}"]


def test_aliases_nested_deeper_than_python_recurses_still_load(tmp_path: Path) -> None:
    # Each anchor nests the one before 60 levels deeper: 17 of them stay within MAX_ALIASED.
    lines = ["a0: &a0 x"]
    for i in range(1, 18):
        lines.append(f"a{i}: &a{i} " + "[" * 60 + f"*a{i - 1}" + "]" * 60)
    data = load(tmp_path, "\n".join(lines) + "\n").plain["a17"]
    depth = 0
    while isinstance(data, list):
        data, depth = data[0], depth + 1
    assert (depth, data) == (17 * 60, "x")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: &x [1, *x]\n", "1: YAML alias *x is inside its own anchor (endless data)"),
        ("a: *nope\n", "1: YAML syntax: found undefined alias 'nope'"),
        ("a: 1\n---\nb: 2\n", "2: YAML syntax: but found another document"),
        ("a:\n  b: 1\n c: 2\n", "3: YAML syntax: expected <block end>, but found "
         "'<block mapping start>'"),
        ("a: 'open\nb: 2\n", "3: YAML syntax: found unexpected end of stream"),
        ("a: b: c\n", "1: YAML syntax: mapping values are not allowed here"),
        # A control character: ruamel's ReaderError escaped as an internal error (exit 1).
        ("a: 1\nb: x\x01y\n", "2: YAML syntax: unacceptable character #x0001: special characters "
         "are not allowed"),
    ],
)  # fmt: skip
def test_yaml_errors_are_located(tmp_path: Path, text: str, expected: str) -> None:
    assert refused(tmp_path, text) == [expected]


def test_an_alias_bomb_within_the_limit_loads(tmp_path: Path) -> None:
    bomb = ["a0: &a0 [lol]"]
    bomb += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 4)]
    assert len(load(tmp_path, "\n".join(bomb) + "\n").plain["a3"]) == 9


def test_values_are_located_where_their_text_starts(tmp_path: Path) -> None:
    file = load(
        tmp_path,
        "title: Some text  # a comment\n"
        "items:\n"
        "  - first\n"
        "  - {k: 'quoted', n: 1.10}\n"
        "empty:\n"
        "nested:\n"
        "  deeper: [a,\n    b]\n",
    )
    assert (file.line(("title",)), file.raw(("title",))) == (1, "Some text")
    assert (file.line(("items",)), file.raw(("items",))) == (2, None)  # a nested node: its key
    assert (file.line(("items", 0)), file.raw(("items", 0))) == (3, "first")
    assert file.raw(("items", 1)) == "{k: 'quoted', n: 1.10}"  # an item: where it starts
    assert (file.line(("items", 1, "n")), file.raw(("items", 1, "n"))) == (4, "1.10}")
    assert (file.line(("items", 1, "k")), file.raw(("items", 1, "k"))) == (4, "'quoted', n: 1.10}")
    assert (file.line(("nested", "deeper", 1)), file.raw(("nested", "deeper", 1))) == (8, "b]")
    # An empty value is on its key's line (ruamel put it where the next key starts).
    assert (file.line(("empty",)), file.raw(("empty",))) == (5, None)
    # Past what exists: the nearest enclosing node's line, with no text.
    assert (file.line(("items", 5)), file.raw(("items", 5))) == (2, None)
    assert (file.line(("items", 1, "x", 2)), file.raw(("items", 1, "x"))) == (4, None)
    assert (file.line(("title", "x")), file.raw(("title", "x"))) == (1, None)
    assert file.line(()) == 1


def test_tabs_as_separation_are_yaml(tmp_path: Path) -> None:
    # YAML allows a tab between `:` and a value; ruamel refused it, libyaml reads it.
    assert load(tmp_path, "a:\tb\nc: \t1\n").plain == {"a": "b", "c": 1}


# ruamel writes `[:0]` plain, which YAML 1.2 allows and libyaml (YAML 1.1) refuses in [] and {}.
TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12).filter(
    lambda text: not text.startswith(":")
)
SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT
PLAIN = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=12,
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=PLAIN, flow=st.sampled_from([False, True, None]), width=st.sampled_from([20, 80]))
def test_any_data_ruamel_writes_loads_as_ruamel_loaded_it(
    tmp_path: Path, data: Any, flow: bool | None, width: int
) -> None:
    yaml = YAML()
    yaml.default_flow_style = flow
    yaml.width = width
    path = tmp_path / "x.yaml"
    with path.open("w", encoding="utf-8") as out:
        yaml.dump(data, out)
    assert_same_as_ruamel(path)
