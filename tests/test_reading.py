"""Seeds and readings: the first seed loads, and bad input is named by file, line and field."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from briefkit.errors import InvalidInput, SeedNotFound
from briefkit.reading.anchors import anchor, normalise
from briefkit.reading.coverage import sentences
from briefkit.reading.seed import load_seed
from briefkit.reading.yamlfile import load_yaml_file

from .conftest import SEED


def test_first_seed_loads_and_matches_its_sha256() -> None:
    seed = load_seed(Path(__file__).resolve().parents[1], SEED)
    assert seed.source.author == "Alexander Clackson"
    assert seed.source.sha256 == "b0baf0d18a65257071dcb55c080c99ffccd3cf5867fd6a42a98ec50136d96e7c"
    assert seed.reading.claims


def test_anchor_tolerates_typography_only() -> None:
    article = "Russia\u2019s actions \u2014 especially its\n invasion"
    found = anchor(article, "Russia's actions - especially its invasion")
    assert found is not None
    assert article[found.start : found.end] == article
    assert anchor(article, "Russia's deeds") is None


def test_unmatched_quote_names_file_line_and_field(project: Path) -> None:
    reading = project / "seeds" / SEED / "reading.yaml"
    text = reading.read_text()
    reading.write_text(
        text.replace('"If Russia ends its aggressive policies"', '"If Russia apologises"')
    )
    with pytest.raises(InvalidInput) as info:
        load_seed(project, SEED)
    lines = reading.read_text().splitlines()
    line = next(i for i, text in enumerate(lines, 1) if "apologises" in text)
    assert f"{reading}:{line}: conditions.0.quotes.0: quote not found in the article" in str(
        info.value
    )


def test_duplicate_key_names_line(project: Path) -> None:
    reading = project / "seeds" / SEED / "reading.yaml"
    reading.write_text(
        reading.read_text().replace("schema_version: 2\n", "schema_version: 2\nschema_version: 2\n")
    )
    with pytest.raises(InvalidInput, match=r"reading\.yaml:\d+: .*duplicate key"):
        load_seed(project, SEED)


def test_seed_name_cannot_leave_seeds(project: Path) -> None:
    with pytest.raises(SeedNotFound, match="not valid"):
        load_seed(project, "../etc")


# --- bad input: the exact line a user sees -------------------------------------------------

#: The first seed's reading as it was on schema version 1, kept to prove that version-1
#: readings still load (upgraded in memory) and get the same messages.
READING_V1 = Path(__file__).resolve().parent / "data" / "reading-v1.yaml"


def use_v1_reading(project: Path) -> Path:
    """Put the version-1 reading of the first seed in place of the current one."""
    reading = project / "seeds" / SEED / "reading.yaml"
    shutil.copyfile(READING_V1, reading)
    return reading


def edit_reading(project: Path, old: str, new: str) -> Path:
    """Replace ``old`` (which must occur) by ``new`` in the first seed's reading."""
    reading = project / "seeds" / SEED / "reading.yaml"
    text = reading.read_text(encoding="utf-8")
    assert old in text, old
    reading.write_text(text.replace(old, new, 1), encoding="utf-8")
    return reading


def line_of(path: Path, marker: str, nth: int = 1) -> int:
    """The 1-based line of the ``nth`` line containing ``marker``; ``A >> B``: first B after A."""
    lines = path.read_text().splitlines()
    after, _, marker = marker.rpartition(" >> ")
    start = line_of(path, after) if after else 0
    hits = [i for i, text in enumerate(lines, 1) if marker in text and i > start]
    return hits[nth - 1]


def problems_of(project: Path) -> list[str]:
    """The lines a user sees when the first seed is loaded."""
    with pytest.raises(InvalidInput) as info:
        load_seed(project, SEED)
    return str(info.value).splitlines()


BAD_READINGS = [
    pytest.param(
        '"If Russia ends its aggressive policies"',
        '"If Russia ends its aggresive policies"',
        "aggresive",
        "conditions.0.quotes.0: quote not found in the article: "
        "'If Russia ends its aggresive policies' (item K1); "
        "closest passage: 'If Russia ends its aggressive policies'",
        id="quote-not-in-article",
    ),
    pytest.param(
        "    held_by: [A-EE]",
        "    held_by: [A-XX]",
        "A-XX",
        "objections.0.held_by.0: 'A-XX' does not name any item of the reading "
        "(expected one of its actors)",
        id="dangling-reference",
    ),
    pytest.param(
        "    requires: [K1, K2]\n    phase: 2",
        "    requires: [P1, K2]\n    phase: 2",
        "[P1, K2]",
        "measures.2.requires.0: 'P1' is in proposals, but requires must name one of the "
        "reading's conditions",
        id="reference-to-wrong-kind",
    ),
    pytest.param(
        "measures:\n",
        '  - id: K9\n    text: Orphan.\n    status: stated\n    quotes: ["It was avoidable."]\n'
        "\nmeasures:\n",
        "id: K9",
        "conditions.4.id: condition 'K9' is not required by any measure or proposal",
        id="orphan-condition",
    ),
    pytest.param(
        "  - id: C2\n",
        "  - id: C1\n",
        "id: C1",
        "claims.1.id: duplicate id 'C1' (first used in claims at line 23)",
        id="duplicate-id",
    ),
    pytest.param(
        "    conditional: false\n",
        "    conditional: NO\n",
        "conditional: NO",
        "proposals.8.conditional: expected true, false or unstated, got 'NO' "
        "(YAML 1.2 reads it as text; write true or false) (item P8)",
        id="yaml11-NO-is-not-false",
    ),
    pytest.param(
        "    phase: 1\n    reversible: null\n    status: stated",
        "    phase: 1\n    reversible: yes\n    status: stated",
        "reversible: yes",
        "measures.1.reversible: expected true or false, got 'yes' "
        "(YAML 1.2 reads it as text; write true or false) (item M2)",
        id="yaml11-yes-is-not-true",
    ),
    pytest.param(
        "    text: Force reductions near borders.",
        "    text: 1.10",
        "text: 1.10",
        "proposals.4.text: expected text, got 1.10 unquoted, which YAML reads as the number "
        "1.1: put it in quotes (item P4)",
        id="yaml-number-where-text-expected",
    ),
    pytest.param(
        "    phase: 2\n",
        "    phase: 1:30\n",
        "phase: 1:30",
        "measures.2.phase: expected a whole number, got '1:30' (item M3)",
        id="yaml11-sexagesimal",
    ),
    pytest.param(
        '    date: "2014"',
        "    date: 2014",
        "date: 2014",
        "events.0.date: expected text, got 2014 unquoted, which YAML reads as the number 2014: "
        "put it in quotes (item T1)",
        id="unquoted-year",
    ),
    pytest.param(
        '    date: "1987-12-08"',
        "    date: 2025-02-30",
        "2025-02-30",
        "events.6.date: 2025-02-30 is not a calendar date (day is out of range for month) "
        "(item T7)",
        id="impossible-date",
    ),
    pytest.param(
        '    date: "2022-02"\n    precision: month',
        '    date: "2022-02"\n    precision: day',
        "precision: day",
        "events.1.precision: precision 'day' does not fit the date '2022-02'",
        id="precision-does-not-fit-date",
    ),
    pytest.param(
        "    citation: >-\n      SALT I: Interim Agreement between the United States of America "
        "and the Union of Soviet\n      Socialist Republics on Certain Measures with Respect to "
        "the Limitation of Strategic\n      Offensive Arms, signed at Moscow, 26 May 1972 "
        "(U.S. Department of State, treaty text).\n",
        "",
        "date_source: external",
        "events.5.date_source: an external date needs a citation "
        "(citation: where the date comes from)",
        id="external-date-without-citation",
    ),
    pytest.param(
        "    held_by: [A-UA]",
        "    held_bye: [A-UA]",
        "held_bye",
        "objections.1.held_bye: unknown field 'held_bye' (did you mean 'held_by'?) (item O2)",
        id="misspelt-field",
    ),
    pytest.param(
        '    quotes:\n      - "Conditional agreements on oil and gas exports"\n\nconditions:',
        "    quotes: []\n\nconditions:",
        "quotes: []",
        "proposals.11.quotes: needs at least one verbatim quote of the article (item P11)",
        id="no-quotes",
    ),
    pytest.param(
        '      - "Under strict conditions"\n',
        '      - "  "\n',
        '- "  "',
        "conditions.3.quotes.0: must not be empty (item K4)",
        id="empty-quote",
    ),
    pytest.param(
        '    conditional: true\n    conditions: [K3]\n    quotes:\n      - "Additionally',
        '    conditional: false\n    conditions: [K3]\n    quotes:\n      - "Additionally',
        "conditions: [K3]",
        "proposals.6.conditions: an unconditional proposal (conditional: false) cannot list "
        "conditions",
        id="unconditional-proposal-with-conditions",
    ),
    pytest.param(
        '    conditional: true\n    conditions: [K3]\n    quotes:\n      - "Additionally',
        '    conditional: true\n    quotes:\n      - "Additionally',
        "id: P6 >> conditional: true",
        "proposals.6.conditional: a conditional proposal must list its conditions",
        id="conditional-proposal-without-conditions",
    ),
    pytest.param(
        "    # The article names no conditions of its own for these; by analogy they would share "
        "P6/P7's.\n    conditional: false\n",
        "",
        "id: P8",
        "proposals.8.conditional: required field is missing (item P8)",
        id="proposal-neither-conditional-nor-unconditional",
    ),
    pytest.param(
        "    held_by: [A-UA]\n",
        "",
        "id: O2",
        "objections.1.held_by: an objection must say whose it is (held_by: actor ids)",
        id="objection-without-holder",
    ),
]


@pytest.mark.parametrize(("old", "new", "marker", "expected"), BAD_READINGS)
def test_bad_reading_is_named_by_file_line_and_field(
    project: Path, old: str, new: str, marker: str, expected: str
) -> None:
    use_v1_reading(project)
    reading = edit_reading(project, old, new)
    line = line_of(reading, marker, 2 if marker == "id: C1" else 1)
    assert f"{reading}:{line}: {expected}" in problems_of(project)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("", "1: expected a mapping of fields (key: value lines), got nothing (null)"),
        ("- a\n- b\n", "1: expected a mapping of fields (key: value lines), got a list"),
        (
            "thesis:\n  text: T\n  quotes: just one\n",
            "3: thesis.quotes: expected a list ('- ' lines or [a, b]), got 'just one'",
        ),
        ("thesis: [\n", "2: YAML syntax: expected the node content, but found '<stream end>'"),
        ("a: 1\n\tb: 2\n", "2: YAML syntax: found character '\\t' that cannot start any token"),
    ],
)
def test_reading_of_the_wrong_shape_is_named_by_line(
    project: Path, content: str, expected: str
) -> None:
    reading = project / "seeds" / SEED / "reading.yaml"
    reading.write_text(content, encoding="utf-8")
    assert problems_of(project) == [f"{reading}:{expected}"]


def test_duplicate_key_names_both_lines(project: Path) -> None:
    reading = edit_reading(
        project, "    status: stated\n", "    status: stated\n    status: implied\n"
    )
    first = line_of(reading, "status: implied") - 1
    assert problems_of(project) == [
        f"{reading}:{first + 1}: status: duplicate key (first at line {first}): "
        "a key may appear only once in a mapping"
    ]


def test_python_tag_is_rejected_and_never_run(project: Path, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    reading = edit_reading(
        project,
        "    text: Russia annexes Crimea.",
        f"    text: !!python/object/apply:os.system ['touch {marker}']",
    )
    line = line_of(reading, "!!python")
    assert problems_of(project) == [
        f"{reading}:{line}: events.0.text: YAML tag !!python/object/apply:os.system is not "
        "allowed (plain data only)"
    ]
    assert not marker.exists()


def yaml_problems(path: Path, text: str) -> list[str]:
    """The problems ``load_yaml_file`` reports for a file holding ``text``."""
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidInput) as info:
        load_yaml_file(path)
    return [str(p) for p in info.value.problems]


def test_a_yaml_alias_bomb_is_refused_before_the_tree_is_built(tmp_path: Path) -> None:
    path = tmp_path / "reading.yaml"
    # A "billion laughs": each level repeats the one before nine times (9**6 leaves).
    bomb = ["a0: &a0 [lol]"]
    bomb += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 7)]
    assert yaml_problems(path, "\n".join(bomb) + "\n") == [
        # a3 is [9 x a2 = 9 x [9 x a1 = 9 x [9 x a0 = [lol]]]]: 1 + 9 * (1 + 9 * (1 + 9 * 2))
        f"{path}:5: YAML aliases stand for more than 10,000 values here (*a3 repeats 1,549): "
        "write the values out"
    ]


def test_shared_yaml_values_still_load_but_an_endless_one_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("a: &x [one, {two: 2}]\nb: *x\nc: [*x, *x]\n")
    shared = ["one", {"two": 2}]
    assert load_yaml_file(path).plain == {"a": shared, "b": shared, "c": [shared, shared]}
    assert yaml_problems(path, "a: &x [one, *x]\n") == [
        f"{path}:1: YAML alias *x is inside its own anchor (endless data)"
    ]


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("x: " + "[" * 5000 + "]" * 5000 + "\n", 1),
        ("- " * 5000 + "x\n", 1),  # block sequences, nested on one line
    ],
)
def test_deep_yaml_nesting_is_an_input_error_not_a_crash(
    tmp_path: Path, text: str, line: int
) -> None:
    path = tmp_path / "reading.yaml"
    assert yaml_problems(path, text) == [
        f"{path}:{line}: YAML nesting deeper than 64 levels (a reading needs fewer than 10)"
    ]


def test_yaml11_on_key_stays_a_key(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("on: C1\nanswer: NO\nversion: 1.10\n")
    assert load_yaml_file(path).plain == {"on": "C1", "answer": "NO", "version": 1.1}


def test_problems_in_every_file_are_shown_together(project: Path) -> None:
    seed = project / "seeds" / SEED
    source = seed / "source.yaml"
    source.write_text(source.read_text().replace("author: Alexander Clackson", 'author: ""'))
    (seed / "brief.yaml").write_text("version: 1.10\n")
    reading = edit_reading(project, "    held_by: [A-EE]", "    held_by: [A-XX]")
    problems = problems_of(project)
    assert problems == [
        f"{source}:{line_of(source, 'author:')}: author: must not be empty",
        f"{reading}:{line_of(reading, 'A-XX')}: objections.0.held_by.0: 'A-XX' does not name "
        "any item of the reading (expected one of its actors)",
        f"{seed / 'brief.yaml'}:1: version: expected text, got 1.10 unquoted, which YAML reads "
        "as the number 1.1: put it in quotes",
    ]


def test_item_errors_are_all_reported_before_cross_checks(project: Path) -> None:
    use_v1_reading(project)
    edit_reading(project, "    held_by: [A-UA]", "    held_bye: [A-UA]")
    reading = edit_reading(project, "    phase: 2\n", "    phase: 0\n")
    problems = problems_of(project)
    assert len(problems) == 2
    assert problems[1] == (
        f"{reading}:{line_of(reading, 'phase: 0')}: measures.2.phase: "
        "Input should be greater than or equal to 1 (item M3)"
    )


# --- anchoring -----------------------------------------------------------------------------

ARTICLE = (
    "Russia\u2019s actions \u2014 especially its full-scale invasion \u2014 undermined\n"
    " trust in Caf\u00e9s. Wait\u2026 no."
)


@pytest.mark.parametrize(
    "quote",
    [
        pytest.param("Russia's actions", id="straight-apostrophe"),
        pytest.param("actions - especially", id="spaced-hyphen-for-spaced-em-dash"),
        pytest.param("actions\u2014especially", id="unspaced-em-dash"),
        pytest.param("actions -- especially", id="double-hyphen"),
        pytest.param("undermined trust", id="line-break"),
        pytest.param("undermined\u00a0trust", id="non-breaking-space"),
        pytest.param("under\u200bmined  trust", id="zero-width-and-double-space"),
        pytest.param("Cafe\u0301s", id="nfd"),
        pytest.param("full\u2011scale", id="non-breaking-hyphen"),
        pytest.param("Wait... no", id="three-dots-for-ellipsis"),
    ],
)
def test_anchor_tolerates_typography(quote: str) -> None:
    found = anchor(ARTICLE, quote)
    assert found is not None
    assert normalise(ARTICLE[found.start : found.end])[0] == normalise(quote)[0]


@pytest.mark.parametrize(
    "quote",
    [
        pytest.param("russia's actions", id="case"),
        pytest.param("Russia's deeds", id="other-word"),
        pytest.param("actions, especially", id="comma-for-dash"),
        pytest.param("undermined trust in cafes", id="accent-dropped"),
        pytest.param("actions especially", id="dash-dropped"),
    ],
)
def test_anchor_rejects_more_than_typography(quote: str) -> None:
    assert anchor(ARTICLE, quote) is None


def test_anchor_span_of_nfd_article_covers_combining_marks() -> None:
    article = "Cafe\u0301 society"
    found = anchor(article, "Caf\u00e9")
    assert found is not None
    assert article[found.start : found.end] == "Cafe\u0301"


def test_first_seed_quotes_have_spans_in_the_article() -> None:
    seed = load_seed(Path(__file__).resolve().parents[1], SEED)
    assert len(seed.anchors) > 60
    for qa in seed.anchors:
        found = seed.article[qa.anchor.start : qa.anchor.end]
        assert normalise(found)[0] == normalise(qa.anchor.quote)[0]


# --- coverage ------------------------------------------------------------------------------


def test_sentences_split_on_stops_and_lines_but_not_abbreviations() -> None:
    text = "The U.S. talks began. U.S.-Russia ties matter! Really?\nA last line"
    assert [text[s:e] for s, e in sentences(text)] == [
        "The U.S. talks began.",
        "U.S.-Russia ties matter!",
        "Really?",
        "A last line",
    ]


@pytest.mark.parametrize("newline", ["\r", "\r\n", "\u2029"])
def test_sentences_split_at_any_line_ending(newline: str) -> None:
    text = f"A title{newline}A first line{newline}{newline}A last line{newline}"
    assert [text[s:e] for s, e in sentences(text)] == ["A title", "A first line", "A last line"]


def test_first_seed_covers_every_substantive_sentence_and_excludes_the_biography() -> None:
    cov = load_seed(Path(__file__).resolve().parents[1], SEED).coverage()
    assert cov.share >= 0.9
    assert cov.of("uncovered") == []
    excluded = cov.of("excluded")
    assert [s.text[:18] for s in excluded] == ["Alexander Clackson", "He is currently co"]


# --- a second, made-up seed ----------------------------------------------------------------

WATER_ARTICLE = """\
Two rivers, one basin: why Arland and Berin should share water. The basin is home to four \
million people.
Arland and Berin have quarrelled over the Sel river since the dam was finished in 1998. \
A joint water commission could end the dispute, but only if Berin publishes its dam \
releases every month.
Critics in Arland say Berin cannot be trusted. Yet the 2011 flood showed that both sides \
lose when they do not talk.
Jo Smith writes about water.
"""

WATER_READING = """\
schema_version: 1
thesis:
  text: Arland and Berin should manage the Sel river jointly.
  quotes: ["why Arland and Berin should share water"]
claims:
  - id: C1
    text: Not talking makes both sides lose.
    status: stated
    quotes: ["both sides lose when they do not talk"]
    supports: [thesis]
evidence:
  - id: E1
    text: The 2011 flood.
    kind: example
    status: stated
    quotes: ["the 2011 flood showed"]
    supports: [C1]
objections:
  - id: O1
    text: Berin cannot be trusted.
    status: stated
    quotes: ["Critics in Arland say Berin cannot be trusted."]
    held_by: [A1]
    attacks: [P1]
    answer:
      text: Both sides lose without talks.
      status: implied
      quotes: ["Yet the 2011 flood showed"]
proposals:
  - id: P1
    text: A joint water commission.
    domain: diplomatic
    status: stated
    conditional: true
    conditions: [K1]
    quotes: ["A joint water commission could end the dispute"]
conditions:
  - id: K1
    text: Berin publishes its dam releases monthly.
    status: stated
    kind: verification
    quotes: ["Berin publishes its dam releases every month"]
measures:
  - id: M1
    text: The commission starts work.
    track: diplomatic
    requires: [K1]
    phase: 1
    reversible: null
    status: inferred
    quotes: ["could end the dispute"]
events:
  - id: T1
    text: The dam is finished.
    date: "1998"
    precision: year
    when: past
    date_source: article
    status: stated
    quotes: ["since the dam was finished in 1998"]
actors:
  - id: A1
    name: Critics in Arland
    stances:
      - on: P1
        stance: opposes
        status: implied
        quotes: ["Critics in Arland"]
excluded:
  - quote: Jo Smith writes about water.
    reason: Author note.
"""


def write_water_seed(root: Path) -> Path:
    """A short made-up seed (article, source, reading, brief) under ``root/seeds/water``."""
    seed = root / "seeds" / "water"
    seed.mkdir(parents=True)
    (seed / "article.txt").write_text(WATER_ARTICLE, encoding="utf-8")
    digest = hashlib.sha256(WATER_ARTICLE.encode()).hexdigest()
    (seed / "source.yaml").write_text(
        "title: {value: Two rivers, basis: first line}\nauthor: Jo Smith\n"
        "outlet: {basis: not stated}\ndate: {basis: not stated}\n"
        f"sha256: {digest}\n"
    )
    (seed / "brief.yaml").write_text("version: 0.1.0\n")
    (seed / "reading.yaml").write_text(WATER_READING, encoding="utf-8")
    return seed


def test_made_up_seed_validates_anchors_and_reports_coverage(tmp_path: Path) -> None:
    write_water_seed(tmp_path)
    seed = load_seed(tmp_path, "water")
    assert seed.reading.proposals[0].condition_ids == ["K1"]
    spans = {qa.anchor.quote: seed.article[qa.anchor.start : qa.anchor.end] for qa in seed.anchors}
    assert spans["since the dam was finished in 1998"] == "since the dam was finished in 1998"
    cov = seed.coverage()
    assert [s.state for s in cov.sentences] == [
        "covered", "uncovered", "covered", "covered", "covered", "covered", "excluded",
    ]  # fmt: skip
    assert cov.of("uncovered")[0].text == "The basin is home to four million people."
    assert cov.share == 5 / 6


def test_documented_example_validates_against_its_article(tmp_path: Path) -> None:
    doc = (Path(__file__).resolve().parents[1] / "docs" / "reading.md").read_text()
    article = re.search(r"```text\n(.*?)```", doc, re.S)
    example = re.search(r"```yaml\n(.*?)```", doc, re.S)
    assert article is not None
    assert example is not None
    assert article.group(1) == WATER_ARTICLE
    seed = write_water_seed(tmp_path)
    (seed / "reading.yaml").write_text(example.group(1), encoding="utf-8")
    assert load_seed(tmp_path, "water").coverage().share == 5 / 6


_WORDS = st.sampled_from(
    ["Russia\u2019s", "\u201cdeal\u201d", "Caf\u00e9", "Cafe\u0301", "U.S.-Russia", "talks", "a"]
)
_GAPS = st.sampled_from([" ", "  ", "\n", " \u2014 ", "\u2014", " - ", "\u00a0", " \u200b"])
_TYPOGRAPHY = [
    ("\u2019", "'"), ("\u201c", '"'), ("\u201d", '"'), ("\u2014", "-"), ("\n", " "),
    ("\u00a0", " "), ("\u200b", ""), ("Caf\u00e9", "Cafe\u0301"), ("Cafe\u0301", "Caf\u00e9"),
]  # fmt: skip


@given(
    words=st.lists(_WORDS, min_size=2, max_size=12),
    gaps=st.lists(_GAPS, min_size=12, max_size=12),
    cut=st.tuples(st.integers(0, 11), st.integers(1, 12)),
    swaps=st.lists(st.sampled_from(_TYPOGRAPHY), max_size=4),
)
def test_any_passage_retyped_is_found_at_its_span(
    words: list[str], gaps: list[str], cut: tuple[int, int], swaps: list[tuple[str, str]]
) -> None:
    article = "".join(w + g for w, g in zip(words, gaps, strict=False))
    start, size = cut[0] % len(words), cut[1]
    passage = "".join(
        w + g for w, g in zip(words[start : start + size], gaps[start:], strict=False)
    ).strip()
    quote = passage
    for old, new in swaps:
        quote = quote.replace(old, new)
    found = anchor(article, quote)
    assert found is not None
    assert normalise(article[found.start : found.end])[0] == normalise(quote)[0]


def test_reading_package_reexports_resolve_and_light_modules_skip_pydantic() -> None:
    code = (
        "import sys\n"
        "import briefkit.reading.anchors, briefkit.reading.coverage, briefkit.reading.yamlfile\n"
        "light = 'pydantic' not in sys.modules\n"
        "import briefkit.reading as r\n"
        "missing = [n for n in r.__all__ if getattr(r, n, None) is None]\n"
        "print(light, missing)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "True []", proc.stderr


def test_seed_files_past_the_documented_limits_are_refused_before_parsing(tmp_path: Path) -> None:
    seed = write_water_seed(tmp_path)
    article = (WATER_ARTICLE * (1_000_000 // len(WATER_ARTICLE) + 1)).encode()
    (seed / "article.txt").write_bytes(article)
    reading = seed / "reading.yaml"
    reading.write_text(reading.read_text() + "#" * 512 * 1024 + "\n")
    with pytest.raises(InvalidInput) as info:
        load_seed(tmp_path, "water")
    assert [str(p) for p in info.value.problems] == [
        f"{seed / 'article.txt'}: is {len(article):,} bytes, more than the 1,000,000 an article "
        "may have (see docs/reading.md, Limits)",
        f"{reading}: is {reading.stat().st_size:,} bytes, more than the 524,288 a YAML file "
        "may have (see docs/reading.md, Limits)",
    ]


def test_a_folder_where_a_file_should_be_is_an_input_error(tmp_path: Path) -> None:
    seed = write_water_seed(tmp_path)
    (seed / "brief.yaml").unlink()
    (seed / "brief.yaml").mkdir()
    with pytest.raises(InvalidInput, match=r"brief\.yaml: not a file"):
        load_seed(tmp_path, "water")


# --- schema version 2 ----------------------------------------------------------------------

V2_BAD_READINGS = [
    pytest.param(
        "    track: energy\n    requires: [K1, K2]",
        "    track: enrgy\n    requires: [K1, K2]",
        "track: enrgy",
        "measures.1.track: 'enrgy' is not one of the reading's tracks (did you mean 'energy'?)",
        id="undeclared-track",
    ),
    pytest.param(
        "    domain: territorial\n    status: stated\n    # The article gives no condition",
        "    domain: maritime\n    status: stated\n    # The article gives no condition",
        "domain: maritime",
        "proposals.8.domain: 'maritime' is not one of the reading's domains (declare it under "
        "domains: with its label; declared: security, territorial, economic, energy)",
        id="undeclared-domain",
    ),
    pytest.param(
        "      - id: K3\n        status: inferred\n",
        "      - id: K3\n        status: stated\n",
        "status: stated >> id: K3",
        "proposals.8.conditions.0: conditional: unstated says the article gives no condition, "
        "so a condition linked here is the analyst's: write {id: K3, status: inferred}",
        id="unstated-with-a-stated-condition",
    ),
    pytest.param(
        "    conditional: unstated\n",
        "    conditional: maybe\n",
        "conditional: maybe",
        "proposals.8.conditional: expected true, false or unstated, got 'maybe' (item P8)",
        id="conditional-neither-bool-nor-unstated",
    ),
    pytest.param(
        "    phase: {value: 2, status: inferred}",
        "    phase: {value: 0, status: inferred}",
        "value: 0",
        "measures.2.phase.value: Input should be greater than or equal to 1 (item M3)",
        id="phase-mapping-below-one",
    ),
    pytest.param(
        "      - {id: K1, status: implied}\n      - {id: K2, status: implied}\n    phase:",
        "      - {id: K1, status: implicit}\n      - {id: K2, status: implied}\n    phase:",
        "status: implicit",
        "measures.2.requires.0.status: Input should be 'stated', 'implied' or 'inferred' (item M3)",
        id="link-with-unknown-status",
    ),
    pytest.param(
        "      probability: unlikely\n",
        "      probability: improbable\n",
        "probability: improbable",
        "assessment.judgements.1.probability: 'improbable' is not a probability term of the "
        "yardstick 'ICD 203 expressions of likelihood, with confidence levels' (almost no "
        "chance, very unlikely, unlikely, roughly even chance, likely, very likely, almost "
        "certain)",
        id="term-outside-the-yardstick",
    ),
    pytest.param(
        "      confidence: high\n      rests_on: [T5]",
        "      rests_on: [T5]",
        "id: AJ4",
        "assessment.judgements.3.id: a judgement needs a probability term, a confidence level, "
        "or both (from the yardstick)",
        id="judgement-without-a-term",
    ),
    pytest.param(
        "      rests_on: [T5]",
        "      rests_on: [T9]",
        "rests_on: [T9]",
        "assessment.judgements.3.rests_on.0: 'T9' does not name any item of the reading "
        "(expected one of its thesis/key_judgements/claims/evidence/objections/proposals/"
        "conditions/measures/events/risks/actors)",
        id="judgement-resting-on-nothing",
    ),
    pytest.param(
        '    quotes:\n      - "could drive a wedge between Moscow and Beijing"\n'
        '      - "The Cold War offers a valuable precedent."\n\nclaims:',
        "\nclaims:",
        "id: J5",
        "key_judgements.4.quotes: a stated key judgement needs at least one verbatim quote of "
        "the article (only the analyst's own, status: inferred, may have none)",
        id="stated-judgement-without-quotes",
    ),
    pytest.param(
        "schema_version: 2\n",
        "schema_version: 3\n",
        "schema_version: 3",
        "schema_version: unknown schema_version 3: this briefkit reads versions 1 and 2",
        id="unknown-schema-version",
    ),
]


@pytest.mark.parametrize(("old", "new", "marker", "expected"), V2_BAD_READINGS)
def test_bad_v2_reading_is_named_by_file_line_and_field(
    project: Path, old: str, new: str, marker: str, expected: str
) -> None:
    reading = edit_reading(project, old, new)
    assert problems_of(project) == [f"{reading}:{line_of(reading, marker)}: {expected}"]


def written(new: object, old: object) -> object:
    """``new`` cut down to the fields ``old`` has (version 2 adds fields with empty defaults)."""
    if isinstance(new, dict) and isinstance(old, dict):
        return {k: written(new[k], v) for k, v in old.items()}
    if isinstance(new, list) and isinstance(old, list) and len(new) == len(old):
        return [written(n, o) for n, o in zip(new, old, strict=True)]
    return new


def test_a_v1_reading_is_upgraded_in_memory_with_no_change_of_meaning(project: Path) -> None:
    reading = use_v1_reading(project)
    before = reading.read_bytes()
    old = load_yaml_file(reading).plain
    seed = load_seed(project, SEED)
    assert reading.read_bytes() == before  # nothing rewritten
    new = seed.reading.model_dump(mode="json")
    # Every item and field of version 1 means the same in version 2 ...
    for group in ("claims", "evidence", "objections", "conditions", "events", "actors", "risks"):
        assert written(new[group], old[group]) == old[group], group
    for x, o in zip(new["measures"], old["measures"], strict=True):
        assert [link["id"] for link in x["requires"]] == o["requires"]
        assert {link["status"] for link in x["requires"]} == {None}  # the measure's own basis
        assert x["phase"] == {"value": o["phase"], "status": None, "quotes": []}
        assert x["track"] == o["track"]
    for x, o in zip(new["proposals"], old["proposals"], strict=True):
        assert (x["conditional"], [c["id"] for c in x["conditions"]]) == (
            o["conditional"], o.get("conditions", [])
        )  # fmt: skip
    # ... the tracks and domains are the ones it used, and its key judgements the analyst's.
    assert new["tracks"] == {"sanctions": "Sanctions", "energy": "Energy"}
    assert list(new["domains"]) == ["security", "territorial", "economic", "energy"]
    assert [(j["id"], j["text"], j["status"], j["quotes"]) for j in new["key_judgements"]] == [
        (f"J{n}", text, "inferred", []) for n, text in enumerate(old["key_judgements"], 1)
    ]
    assert seed.notes[0].startswith("schema_version 1, read as version 2 in memory")


def test_check_says_that_a_v1_reading_was_upgraded(project: Path) -> None:
    use_v1_reading(project)
    proc = subprocess.run(
        [sys.executable, "-m", "briefkit", "--root", str(project), "check"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert (
        "  note: reading.yaml: schema_version 1, read as version 2 in memory (the file is "
        "unchanged; docs/reading.md, Version 1, says how to update it)" in proc.stdout.splitlines()
    )


def test_problems_of_both_passes_are_listed_in_line_order(project: Path) -> None:
    reading = edit_reading(project, '"If Russia ends its aggressive policies"', '"If Russia x"')
    edit_reading(project, "    held_by: [A-EE]", "    held_by: [A-XX]")
    lines = [int(p.split(":")[1]) for p in problems_of(project)]
    assert len(lines) == 2
    assert lines == sorted(lines), reading
