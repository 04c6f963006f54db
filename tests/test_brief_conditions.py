"""Conditions and sequencing in the brief: one condition matrix per track, marked with symbols
and a legend (in HTML and PDF), and one sequencing view across all tracks (issue 11)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from briefkit.reading.seed import load_seed

from .conftest import REPO, SEED
from .pdf import pdf_text
from .second_seed import TRACKS as SECOND_TRACKS
from .test_generic import topic_words

pytestmark = pytest.mark.build

LABELS = {"stated": "Stated", "implied": "Implied", "inferred": "Analyst's inference"}
#: The matrices' marks: in the PDF's font (Libertinus Serif) and the usual system fonts.
STATUS_SYMBOLS = {"stated": "\u25cf", "implied": "\u25d0", "inferred": "\u25cb"}
LEGEND = "\u25cf stated, \u25d0 implied, \u25cb analyst's inference"


@pytest.fixture(scope="module")
def second(second_built: Path) -> Path:
    """The made-up second seed, built once for the session (conftest.second_built)."""
    return second_built


def build_of(which: str, built: Path, second: Path) -> Path:
    return built if which == "first" else second


def reading_of(build: Path) -> Any:
    """The reading of the seed a build folder was built from."""
    root = build.parents[1]
    return load_seed(root, build.name).reading


def requirements(reading: Any) -> dict[tuple[str, str], str]:
    """(measure, condition) -> how the article knows the requirement."""
    return {(m.id, link.id): link.basis(m.status) for m in reading.measures for link in m.requires}


def tracks_with_measures(reading: Any) -> list[str]:
    used = {m.track for m in reading.measures}
    return [t for t in reading.tracks if t in used]


def spec(build: Path, kind: str, name: str) -> dict[str, Any]:
    return json.loads((build / kind / f"{name}.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("which", ["first", "second"])
def test_one_matrix_per_track_measures_by_conditions(which: str, built: Path, second: Path) -> None:
    build = build_of(which, built, second)
    reading = reading_of(build)
    needs = requirements(reading)
    tracks = tracks_with_measures(reading)
    assert sorted(p.stem for p in (build / "tables").glob("matrix-*.json")) == sorted(
        f"matrix-{t}" for t in tracks
    )
    for track in tracks:
        table = spec(build, "tables", f"matrix-{track}")
        # Headed by the track's label, with the legend and each condition's text as a key.
        assert table["caption"].startswith(f"Condition matrix for {reading.tracks[track]}:")
        assert LEGEND in table["caption"]
        measures = [m for m in reading.measures if m.track == track]
        conditions = [k for k in reading.conditions if any((m.id, k.id) in needs for m in measures)]
        for k in conditions:
            assert f"{k.id}: {k.text.rstrip('.')}" in table["caption"]
        assert table["symbols"] == {LABELS[s]: STATUS_SYMBOLS[s] for s in LABELS}
        keys = [c["key"] for c in table["columns"]]
        assert keys[:3] == ["id", "text", "phase"]
        assert keys[3 : 3 + len(conditions)] == [k.id for k in conditions]
        # Rows in phase order; a cell for every requirement, its basis; blank elsewhere.
        rows = table["rows"]
        assert [r["id"] for r in rows] == [
            m.id for m in sorted(measures, key=lambda m: (m.phase.value, m.id))
        ]
        for row in rows:
            for k in conditions:
                basis = needs.get((row["id"], k.id))
                assert row[k.id] == (LABELS[basis] if basis else None)


@pytest.mark.parametrize("which", ["first", "second"])
def test_pdf_shows_matrices_with_symbols_and_legend(which: str, built: Path, second: Path) -> None:
    build = build_of(which, built, second)
    reading = reading_of(build)
    text = " ".join(pdf_text(build / "brief.pdf").split())
    tracks = tracks_with_measures(reading)
    for track in tracks:
        assert f"Condition matrix for {reading.tracks[track]}:" in text
    # A legend with each (the data appendix repeats the captions' first sentence).
    assert text.count(LEGEND) >= len(tracks)
    # Each requirement is one symbol in a cell, besides the legends.
    needs = list(requirements(reading).values())
    for status, symbol in STATUS_SYMBOLS.items():
        assert text.count(symbol) >= len(tracks) + needs.count(status), status
    # The cells hold symbols, not the words.
    assert "Required (" not in text


def test_html_matrix_symbols_have_a_text_equivalent(built: Path, browser: Any) -> None:
    reading = reading_of(built)
    needs = list(requirements(reading).values())
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto((built / "brief.html").as_uri())
    found = page.evaluate(r"""() => [...document.querySelectorAll('table.bk-matrix')].map(t => ({
      caption: t.caption.textContent.replace(/\s+/g, " "),
      heads: [...t.querySelectorAll('thead th')].map(th => ({
        text: th.textContent.trim(), align: getComputedStyle(th).textAlign,
        lines: (() => {
          const r = document.createRange(); r.selectNodeContents(th);
          return new Set([...r.getClientRects()].map(b => Math.round(b.top))).size; })(),
      })),
      symbols: [...t.querySelectorAll('td .bk-symbol')].map(s => ({
        shown: s.textContent, hidden: s.getAttribute('aria-hidden'), title: s.title,
        align: getComputedStyle(s.closest('td')).textAlign,
        word: s.nextElementSibling && s.nextElementSibling.matches('.bk-sr')
              ? s.nextElementSibling.textContent : null,
        wordBox: s.nextElementSibling ? s.nextElementSibling.getBoundingClientRect().width : null,
      })),
    }))""")
    # What a screen reader announces for each symbol cell: the word, not the glyph.
    matrices = page.locator("table.bk-matrix")
    names = [
        matrices.get_by_role("cell", name=LABELS[s], exact=True).count()
        for s in ("stated", "implied", "inferred")
    ]
    context.close()
    assert len(found) == len(tracks_with_measures(reading))
    symbols = [s for table in found for s in table["symbols"]]
    assert len(symbols) == len(needs)
    by_word = {LABELS[s]: STATUS_SYMBOLS[s] for s in LABELS}
    for s in symbols:
        assert s["word"] in by_word, s
        # The glyph is hidden from screen readers; its word is read, visually hidden, and
        # shows on hover; the symbol is centred.
        want = {
            "hidden": "true",
            "shown": by_word[s["word"]],
            "title": s["word"],
            "align": "center",
        }
        assert {k: s[k] for k in want} == want
        assert s["wordBox"] <= 1
    assert names == [needs.count(s) for s in ("stated", "implied", "inferred")]
    for table in found:
        assert LEGEND in table["caption"]
        conditions = [h for h in table["heads"] if re.fullmatch(r"K\d+", h["text"])]
        assert conditions
        # Centred over their symbols, each on one line (never broken).
        assert [(h["align"], h["lines"]) for h in conditions] == [("center", 1)] * len(conditions)


def test_html_matrices_fit_a_phone_or_scroll_with_a_cue(built: Path, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 900})
    page = context.new_page()
    page.goto((built / "brief.html").as_uri())
    boxes = page.evaluate("""() => [...document.querySelectorAll('table.bk-matrix')].map(t => {
      const box = t.closest('.bk-scroll'); const style = getComputedStyle(box);
      const last = [...t.querySelectorAll('tr')]
        .map(r => r.lastElementChild.getBoundingClientRect().right);
      return {fits: t.scrollWidth <= box.clientWidth + 1, scrolls: style.overflowX === 'auto',
              cue: style.backgroundImage.includes('radial-gradient'), focusable: box.tabIndex === 0,
              inside: box.getBoundingClientRect().right <= 390, right: Math.max(...last)};
    })""")
    context.close()
    assert boxes
    for box in boxes:
        # In a box that ends on screen, scrolls (with a shadow as the cue) and takes the focus;
        # its few narrow columns fit beside the measures: the last column is on screen.
        flags = ("inside", "scrolls", "cue", "focusable", "fits")
        assert {k: box[k] for k in flags} == dict.fromkeys(flags, True)
        assert box["right"] <= 390


@pytest.mark.parametrize("which", ["first", "second"])
def test_sequencing_view_has_every_lane_measure_gate_and_reversibility(
    which: str, built: Path, second: Path
) -> None:
    build = build_of(which, built, second)
    reading = reading_of(build)
    figure = spec(build, "figures", "sequence")
    traces = figure["figure"]["data"]
    layout = figure["figure"]["layout"]
    tracks = tracks_with_measures(reading)
    # One lane per track, labelled with the seed's own label.
    assert layout["yaxis"]["ticktext"] == [reading.tracks[t] for t in tracks]
    assert layout["yaxis"]["tickvals"] == list(range(len(tracks)))
    measures: dict[str, tuple[float, float, str]] = {}
    for trace in (t for t in traces if t.get("meta") == "measures"):
        for i, x, y in zip(trace["customdata"], trace["x"], trace["y"], strict=True):
            measures[i] = (x, y, trace["marker"]["symbol"])
    by_id = {m.id: m for m in reading.measures}
    assert set(measures) == set(by_id)
    shape = {True: "circle", False: "square", None: "circle-open"}
    for i, (x, y, symbol) in measures.items():
        m = by_id[i]
        assert x == m.phase.value  # in phase order along x
        assert round(y) == tracks.index(m.track)  # in its track's lane
        assert symbol == shape[m.reversible]  # reversibility as the marker's shape
    gates: dict[tuple[str, str], str] = {}
    for trace in (t for t in traces if t.get("meta") == "gates"):
        for (measure, condition), x, y, label in zip(
            trace["customdata"], trace["x"], trace["y"], trace["text"], strict=True
        ):
            assert label == condition
            assert measures[measure][0] - 0.6 < x < measures[measure][0]  # before its measure
            assert round(y) == round(measures[measure][1])  # in the same lane
            gates[(measure, condition)] = trace["name"]
    needs = requirements(reading)
    assert set(gates) == set(needs)
    for key, name in gates.items():
        assert LABELS[needs[key]].lower() in name
    # The alt text counts what is drawn.
    alt = figure["alt"]
    assert f"{len(tracks)} tracks" in alt
    assert f"{len(needs)} condition gates" in alt
    assert f"{len(by_id)} measures" in alt


def test_html_sequencing_view_has_hover_text(built: Path) -> None:
    div = (built / "figures" / "sequence.html").read_text(encoding="utf-8")
    reading = reading_of(built)
    for m in reading.measures:
        assert json.dumps(m.text)[1:-1][:30] in div
    assert '"hoverinfo":"text"' in div


@pytest.mark.parametrize("which", ["first", "second"])
def test_silence_is_a_gap_said_once_not_not_stated_per_row(
    which: str, built: Path, second: Path
) -> None:
    build = build_of(which, built, second)
    reading = reading_of(build)
    text = " ".join(pdf_text(build / "brief.pdf").split())
    # The section itself, after the outline (which lists it before "Objections and risks").
    section = text[text.index("Proposals and their conditions", text.index("Objections")) :]
    section = section[: section.index("Objections and risks")]
    assert section.count("Not stated") == 0
    gaps = json.loads((build / "texts" / "sequence-gaps.json").read_text(encoding="utf-8"))
    unknown = [m for m in reading.measures if m.reversible is None]
    said = [g for g in gaps if isinstance(g, dict) and g.get("lead") == "Reversibility."]
    assert len(said) == (1 if unknown else 0)
    for g in gaps:
        assert (g["text"] if isinstance(g, dict) else g) in section
    if not unknown:
        # Every measure's reversibility is stated: the matrices show it.
        for track in tracks_with_measures(reading):
            assert "reversible" in [
                c["key"] for c in spec(build, "tables", f"matrix-{track}")["columns"]
            ]


def test_the_heatmap_is_gone(built: Path) -> None:
    assert not (built / "figures" / "condition-matrix.json").exists()
    assert "condition-matrix" not in (built / "brief.html").read_text(encoding="utf-8")
    assert "condition-matrix" not in (REPO / "briefing" / "brief.qmd").read_text(encoding="utf-8")
    assert not (built / "tables" / "sequence.json").exists()  # the view says what it said


def test_captions_are_generic(second: Path) -> None:
    """A seed on another topic: none of the first seed's words, nor its vocabulary of "unlocks"."""
    words = topic_words(REPO, SEED)
    pattern = re.compile(r"\b(" + "|".join(sorted(map(re.escape, words))) + r")\b", re.I)
    names = ["proposals", "conditions", *(f"matrix-{t}" for t in SECOND_TRACKS)]
    texts = []
    for name in names:
        table = spec(second, "tables", name)
        texts += [table["caption"], *(c["label"] for c in table["columns"])]
    figure = spec(second, "figures", "sequence")
    texts += [figure["caption"], figure["alt"]]
    texts += [t["name"] for t in figure["figure"]["data"]]
    texts += figure["figure"]["layout"]["yaxis"]["ticktext"]
    for text in texts:
        assert not pattern.search(text), text
        assert not re.search(r"unlock|snap-back|must do", text, re.I), text
    assert "Needed for" in [c["label"] for c in spec(second, "tables", "conditions")["columns"]]


def test_second_seed_matrices_and_lanes_carry_its_own_track_labels(second: Path) -> None:
    text = " ".join(pdf_text(second / "brief.pdf").split())
    for label in SECOND_TRACKS.values():
        assert f"Condition matrix for {label}:" in text
    html = (second / "brief.html").read_text(encoding="utf-8")
    assert html.count('class="bk-table bk-matrix"') == len(SECOND_TRACKS)
    ticks = spec(second, "figures", "sequence")["figure"]["layout"]["yaxis"]["ticktext"]
    assert ticks == list(SECOND_TRACKS.values())


def test_html_proposals_link_every_condition_id(built: Path, browser: Any) -> None:
    """The proposals table names each proposal's conditions by id, each a link to its row, with
    how the link is known in words where the article does not state it."""
    reading = reading_of(built)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto((built / "brief.html").as_uri())
    cells = page.evaluate(r"""() => {
      const t = document.getElementById('tbl-proposals');
      const col = [...t.querySelectorAll('thead th')]
        .findIndex(th => th.textContent.trim() === 'Conditions');
      return Object.fromEntries([...t.querySelectorAll('tbody tr')].map(r => [
        r.cells[0].querySelector('a.bk-id').textContent.trim(),
        {links: [...r.cells[col].querySelectorAll('a')].map(a => a.getAttribute('href')),
         text: r.cells[col].textContent.replace(/\s+/g, ' ').trim()}]));
    }""")
    context.close()
    assert set(cells) == {p.id for p in reading.proposals}
    for p in reading.proposals:
        cell = cells[p.id]
        assert cell["links"] == [f"#item-{link.id}" for link in p.conditions], p.id
        for link in p.conditions:
            if p.conditional is True and link.basis(p.status) != "stated":
                assert f"{link.id} ({link.basis(p.status)})" in cell["text"]


def symbol_offsets(pdf: Path) -> list[float]:
    """For each symbol in a matrix of the PDF, how far (pt) its centre lies from the centre of
    the nearest condition heading of its table."""
    import pypdfium2 as pdfium

    def centre(textpage: Any, start: int, length: int) -> float:
        boxes = [textpage.get_charbox(i) for i in range(start, start + length)]
        return (min(b[0] for b in boxes) + max(b[2] for b in boxes)) / 2

    offsets: list[float] = []
    doc = pdfium.PdfDocument(pdf)
    try:
        for page in doc:
            textpage = page.get_textpage()
            text = textpage.get_text_range(0, textpage.count_chars())
            heads: list[float] = []
            at = 0
            for line in text.split("\r\n"):
                if line.startswith("ID Measure Phase "):
                    heads = [
                        centre(textpage, at + m.start(), len(m.group()))
                        for m in re.finditer(r"\bK\d+\b", line)
                    ]
                elif line.startswith("Table"):
                    heads = []  # the next table's caption, with its legend
                elif heads:
                    for m in re.finditer("[\u25cf\u25d0\u25cb]", line):
                        x = centre(textpage, at + m.start(), 1)
                        offsets.append(min(abs(x - h) for h in heads))
                at += len(line) + 2
            textpage.close()
    finally:
        doc.close()
    return offsets


def test_pdf_symbols_are_centred_under_their_condition(built: Path) -> None:
    offsets = symbol_offsets(built / "brief.pdf")
    assert len(offsets) == len(requirements(reading_of(built)))
    # Centred: a glyph off by less than a point (left-aligned in its column, 2 pt or more).
    assert max(offsets) < 1, offsets
