"""The brief as readers get it: every section, figure, link and download works, in HTML and PDF."""

from __future__ import annotations

import csv
import importlib.resources
import itertools
import json
import re
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pytest
import typst

from briefkit.build import BuildOptions, run_build

from .conftest import SEED, copy_project
from .pdf import grey_pages, pdf_text
from .second_seed import TITLE as SECOND_TITLE

pytestmark = pytest.mark.build

SECTIONS = [
    "Summary",
    "The argument",
    "Proposals and their conditions",
    "Sequencing",
    "Objections and risks",
    "Actors and stances",
    "Timeline",
    "Indicators to watch",
    "Method and source fidelity",
    "Appendix: the annotated article",
    "Appendix: data",
]

INSPECT = r"""() => {
  const abs = (a) => a.getAttribute('href');
  const norm = (s) => s.replace(/\s+/g, ' ').trim();
  const toc = [...document.querySelectorAll('nav#TOC a')].map(a => {
    const id = decodeURIComponent(abs(a).slice(1));
    const target = document.getElementById(id);
    return {href: abs(a), tag: target ? target.tagName : null,
            text: norm(a.textContent), heading: target ? norm(target.textContent) : null};
  });
  const levels = [...document.querySelectorAll('h1, h2, h3, h4, h5, h6')].map(h => +h.tagName[1]);
  return {
    toc,
    levels,
    plots: [...document.querySelectorAll('.plotly-graph-div')]
      .filter(d => d.querySelector('.main-svg')).length,
    plotDivs: document.querySelectorAll('.plotly-graph-div').length,
    figures: [...document.querySelectorAll('figure')].map(f => ({
      alt: (f.querySelector('.bk-plot') || {getAttribute: () => null}).getAttribute('aria-label'),
      caption: (f.querySelector('figcaption') || {textContent: ''}).textContent.trim(),
    })),
    tables: [...document.querySelectorAll('table')]
      .map(t => (t.caption ? t.caption.textContent.trim() : '')),
    downloads: [...document.querySelectorAll('a.bk-download')].map(abs),
    scrollWidth: document.documentElement.scrollWidth,
    text: document.body.innerText,
  };
}"""


def inspect_html(browser: Any, html: Path, width: int = 1100) -> dict[str, Any]:
    """Open ``html`` offline in Chromium; return what a reader would see, and any errors."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    external: list[str] = []

    def guard(route: Any) -> None:
        if route.request.url.startswith(("file:", "data:", "blob:", "about:")):
            route.continue_()
        else:
            external.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(html.as_uri())
    n = len(list((html.parent / "figures").glob("*.json")))
    drawn = (
        "[...document.querySelectorAll('.plotly-graph-div')]"
        ".filter(d => d.querySelector('.main-svg'))"
    )
    page.wait_for_function(f"{drawn}.length >= {n}")
    result: dict[str, Any] = page.evaluate(INSPECT)
    context.close()
    result["errors"] = errors
    result["external"] = external
    result["figure_specs"] = n
    return result


@pytest.fixture(scope="module")
def second(second_built: Path) -> Path:
    """A made-up second seed, built with no change to code, notebooks or templates (once for
    the session: conftest.second_built)."""
    return second_built


@pytest.mark.parametrize("which", ["first", "second"])
def test_html_works_offline_for_a_reader(
    which: str, built: Path, second: Path, browser: Any
) -> None:
    build = built if which == "first" else second
    seen = inspect_html(browser, build / "brief.html")
    assert seen["external"] == []
    assert seen["errors"] == []
    # Every plotly figure has drawn, and each is a captioned figure with alt text.
    assert seen["figure_specs"] >= 3
    assert seen["plots"] == seen["plotDivs"] == seen["figure_specs"]
    assert all(f["alt"] and f["caption"] for f in seen["figures"])
    # Every table has a caption.
    assert seen["tables"]
    assert all(seen["tables"])
    # Every table-of-contents link lands on the heading it names.
    assert [t["text"] for t in seen["toc"]] == SECTIONS
    for t in seen["toc"]:
        assert t["tag"] in {"H2", "H3"}
        assert t["heading"] == t["text"]
    # Headings go down one level at a time, from the one <h1> title.
    levels = seen["levels"]
    assert levels[0] == 1
    assert levels.count(1) == 1
    assert all(b - a <= 1 for a, b in itertools.pairwise(levels))
    # Every download is in the HTML itself (test_downloads_work_from_the_html_file_alone).
    assert seen["downloads"]
    assert all(href.startswith("data:") for href in seen["downloads"])


def test_html_fits_a_phone_screen(built: Path, browser: Any) -> None:
    seen = inspect_html(browser, built / "brief.html", width=390)
    assert seen["errors"] == []
    # Wide tables and figures scroll inside their own box; the page itself never scrolls sideways.
    assert seen["scrollWidth"] <= 390


#: axe-core's browser script, as the axe-playwright-python wheel ships it (a test dependency from
#: PyPI, so the tests need no npm): the same engine as the npm package.
AXE = Path(str(importlib.resources.files("axe_playwright_python") / "axe.min.js"))
#: WCAG 2.1 A and AA, and axe's two landmark rules (every page has a main landmark, and all
#: content is inside landmarks).
AXE_RUN = """() => axe.run(document, {runOnly: {type: 'tag', values:
  ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})
  .then(r => r.violations
    .filter(v => v.tags.some(t => t.startsWith('wcag'))
                 || ['landmark-one-main', 'region'].includes(v.id))
    .map(v => v.id + ': ' + v.help + ' '
              + JSON.stringify(v.nodes.slice(0, 3).map(n => n.target))))"""


#: True once every plotly figure of the page is drawn.
DRAWN = "[...document.querySelectorAll('.plotly-graph-div')].every(d => d.querySelector('svg'))"


def open_brief(browser: Any, html: Path, width: int) -> tuple[Any, Any]:
    """A page (and its context) with the brief open at ``width`` px and every plot drawn."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto(html.as_uri())
    page.wait_for_function(DRAWN)
    return context, page


@pytest.mark.parametrize("width", [1280, 390])
def test_html_has_no_accessibility_violations(width: int, built: Path, browser: Any) -> None:
    if not AXE.is_file():
        pytest.fail(f"{AXE} is missing: nox -s tests installs axe-playwright-python")
    context, page = open_brief(browser, built / "brief.html", width)
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate(AXE_RUN)
    context.close()
    assert violations == []


def test_html_table_of_contents_beside_the_text_and_folded_on_a_phone(
    built: Path, browser: Any
) -> None:
    visible_links = "[...document.querySelectorAll('nav#TOC a')].filter(a => a.checkVisibility())"
    context, page = open_brief(browser, built / "brief.html", 1280)
    page.evaluate("window.scrollTo(0, document.body.scrollHeight / 2)")
    # Half-way down, the contents are still in view, left of the text.
    box = page.evaluate("document.querySelector('nav#TOC').getBoundingClientRect().toJSON()")
    text = page.evaluate("document.querySelector('main').getBoundingClientRect().toJSON()")
    assert page.evaluate(f"{visible_links}.length") == len(SECTIONS)
    assert box["top"] >= 0
    assert box["bottom"] <= 900
    assert box["right"] <= text["left"]
    context.close()

    context, page = open_brief(browser, built / "brief.html", 390)
    assert page.evaluate(f"{visible_links}.length") == 0
    page.click("nav#TOC summary")
    assert page.evaluate(f"{visible_links}.length") == len(SECTIONS)
    context.close()


def test_html_item_ids_link_to_their_rows(built: Path, browser: Any) -> None:
    context, page = open_brief(browser, built / "brief.html", 1280)
    seen = page.evaluate("""() => ({
      links: [...document.querySelectorAll('a.bk-id')].map(a => {
        const to = document.getElementById(a.getAttribute('href').slice(1));
        return {href: a.getAttribute('href'), text: a.textContent,
                target: to ? to.tagName : null, row: to ? to.closest('tr') !== null : false};
      }),
      ids: [...document.querySelectorAll('table')].flatMap(t => {
        const heads = [...t.querySelectorAll('thead th')];
        const col = heads.findIndex(th => th.textContent.trim() === 'ID');
        return col < 0 ? [] : [...t.querySelectorAll('tbody tr')].map(tr => tr.cells[col]);
      }).map(td => ({text: (td.querySelector('a.bk-id') || td).textContent.trim(),
                     linked: td.querySelector('a.bk-id') !== null})),
    })""")
    page.click("#tbl-claims a.bk-id[href='#item-C11']:not([id])")
    target = page.evaluate("location.hash")
    context.close()
    # Every id in an ID column is a link, and every id link lands on an item's row.
    assert seen["ids"]
    assert [i for i in seen["ids"] if not i["linked"]] == []
    for link in seen["links"]:
        assert link["href"] == f"#item-{link['text']}"
        assert link["target"] == "A", link
        assert link["row"], link
    # References (what supports a claim) link too, and lead to the row.
    assert target == "#item-C11"
    ids = {i["text"] for i in seen["ids"]}
    assert len([x for x in seen["links"] if x["text"] in ids]) > len(ids)


def test_html_wide_tables_and_figures_scroll_with_a_cue_on_a_phone(
    built: Path, browser: Any
) -> None:
    context, page = open_brief(browser, built / "brief.html", 390)
    boxes = page.evaluate("""() => [...document.querySelectorAll('table, .bk-plot')].map(el => {
      const box = el.closest('.bk-scroll, .bk-plot') || el;
      const style = getComputedStyle(box);
      return {name: el.id || el.className, wide: el.scrollWidth > box.clientWidth + 1,
              scrolls: style.overflowX === 'auto', focusable: box.tabIndex === 0,
              cue: style.backgroundImage.includes('radial-gradient'),
              inside: box.getBoundingClientRect().right <= 390};
    })""")
    context.close()
    wide = [b for b in boxes if b["wide"]]
    assert wide  # a phone is narrower than the brief's wide tables and figures
    # Each scrolls inside its box, which a keyboard can focus, shows a shadow at the edge where
    # there is more, and ends within the screen.
    assert [b for b in wide if not (b["scrolls"] and b["focusable"])] == []
    assert [b for b in wide if not (b["cue"] and b["inside"])] == []


def test_downloads_work_from_the_html_file_alone(built: Path, browser: Any, tmp_path: Path) -> None:
    """The brief e-mailed on its own: every data link still downloads the build's file."""
    alone = tmp_path / "brief.html"
    alone.write_bytes((built / "brief.html").read_bytes())
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    page.goto(alone.as_uri())
    # Plots drawn first: a plot drawn between locating a link and clicking it moves the link.
    page.wait_for_function(DRAWN)
    # Chromium throttles a page's rapid downloads, so one link is clicked as a reader would;
    # every link's bytes are read through the page (what a click would save).
    with page.expect_download(timeout=60_000) as info:
        page.click("a.bk-download")
    first = info.value
    clicked = (first.suggested_filename, Path(first.path()).read_bytes())
    links = page.evaluate("""() => Promise.all([...document.querySelectorAll('a.bk-download')]
      .map(a => fetch(a.href).then(r => r.arrayBuffer())
        .then(b => [a.getAttribute('download'), Array.from(new Uint8Array(b))])))""")
    got = {name: bytes(data) for name, data in links}
    context.close()
    data = {p.name: p.read_bytes() for p in (built / "data").iterdir()}
    assert clicked[1] == data[clicked[0]]
    assert set(got) == set(data)
    assert got == data


def test_html_links_to_the_pdf_only_when_it_was_built(built: Path, tmp_path: Path) -> None:
    html = (built / "brief.html").read_text(encoding="utf-8")
    assert re.search(r'<a href="brief.pdf" class="bk-pdf">', html)
    root = copy_project(tmp_path / "project", seeds=(SEED,))
    run_build(BuildOptions(root, SEED, engine="pandoc", formats=("html",)))
    alone = (root / "_build" / SEED / "brief.html").read_text(encoding="utf-8")
    assert 'class="bk-pdf"' not in alone


def test_second_seed_gets_its_own_brief(second: Path) -> None:
    html = (second / "brief.html").read_text(encoding="utf-8")
    assert SECOND_TITLE in html
    assert "Integrating Russia" not in html
    text = " ".join(pdf_text(second / "brief.pdf").split())
    assert SECOND_TITLE in text
    assert "Restore a limited import quota." in text
    # Its own tracks, by their labels: nothing of the first seed's vocabulary.
    assert "Condition matrix for Grid access" in text
    assert "Condition matrix for Export rules" in text


@pytest.mark.parametrize("which", ["first", "second"])
def test_pdf_has_every_section_and_summary_on_page_one(
    which: str, built: Path, second: Path
) -> None:
    pdf = (built if which == "first" else second) / "brief.pdf"
    text = pdf_text(pdf)
    for heading in SECTIONS:
        assert re.search(rf"^\s*{re.escape(heading)}\s*$", text, re.M), heading
    first_page = " ".join(pdf_text(pdf, 1).split())
    assert "Summary" in first_page
    assert "Bottom line" in first_page
    # The whole summary fits on page 1: down to its last part, what to watch.
    watch = json.loads((pdf.parent / "texts" / "watch-summary.json").read_text())
    assert watch
    for entry in watch:
        assert " ".join(f"{entry['lead']} {entry['text']}".split()) in first_page


def test_pdf_has_running_header_with_version_and_status(built: Path) -> None:
    page_two = pdf_text(built / "brief.pdf", 2).splitlines()
    header = next(line for line in page_two if line.strip())
    assert "Integrating Russia into a Western security framework" in header
    # Version and status; the build's content hash is in the method section, not here.
    assert re.search(r"DRAFT v0\.1\.0-dev · \d{4}-\d\d-\d\d", header)


@pytest.mark.parametrize("which", ["first", "second"])
def test_nothing_in_the_pdf_runs_off_the_page(which: str, built: Path, second: Path) -> None:
    """No table, figure or text reaches into the right margin of any page (A4, 2 cm margins)."""
    pdf = (built if which == "first" else second) / "brief.pdf"
    pages = grey_pages(pdf, 40)
    assert pages
    for number, page in enumerate(pages, 1):
        width, height = page.width, page.height
        margin = int(40 / 2.54 * 2.0) - 3  # 2 cm at 40 dpi, less a little anti-aliasing slack
        for y in range(height):
            row = page.row(y)
            where = f"page {number}, row {y}"
            assert min(row[width - margin :]) > 200, f"{where}: ink in the right margin"
            assert min(row[:margin]) > 200, f"{where}: ink in the left margin"


#: Typst show rules that mark where each table's caption and each body cell (its start and its
#: end) are laid out, as labelled metadata that ``typst.query`` returns with the page.
PROBE = """
#let bk-probe(row, col, at) = context [#metadata((
  table: counter(figure.where(kind: table)).get().first(),
  row: row, col: col, at: at, page: here().page(),
)) <bk-probe>]
#show table.cell: it => if it.y == 0 { it } else {
  bk-probe(it.y, it.x, "start"); it; bk-probe(it.y, it.x, "end")
}
#show figure.caption.where(kind: table): it => { bk-probe(0, 0, "caption"); it }
"""


def table_pages(build: Path) -> dict[int, dict[str, Any]]:
    """Per table of the PDF: the caption's page, and each body row's pages (from its cells)."""
    probe = build / "probe.typ"
    probe.write_text(PROBE + (build / "brief.typ").read_text(encoding="utf-8"), encoding="utf-8")
    marks = json.loads(typst.query(str(probe), "<bk-probe>", root=str(build)))
    probe.unlink()
    tables: dict[int, dict[str, Any]] = {}
    for mark in (m["value"] for m in marks):
        table = tables.setdefault(mark["table"], {"caption": None, "rows": {}})
        if mark["at"] == "caption":
            table["caption"] = mark["page"]
        else:
            table["rows"].setdefault(mark["row"], set()).add(mark["page"])
    return tables


@pytest.mark.parametrize("which", ["first", "second"])
def test_pdf_tables_break_cleanly(which: str, built: Path, second: Path) -> None:
    """Captions stay with their table, rows never split, no row is left alone on a page."""
    build = built if which == "first" else second
    tables = table_pages(build)
    assert len(tables) == len(list((build / "tables").glob("*.json")))
    for number, table in tables.items():
        rows = table["rows"]
        if not rows:  # a table of no rows is its caption and header alone
            continue
        assert all(len(pages) == 1 for pages in rows.values()), f"table {number}: a row splits"
        assert table["caption"] == min(rows[1]), f"table {number}: caption apart from its table"
        per_page: dict[int, int] = {}
        for pages in rows.values():
            per_page[min(pages)] = per_page.get(min(pages), 0) + 1
        if len(rows) > 1:
            assert min(per_page.values()) >= 2, f"table {number}: a row alone on page {per_page}"


def hyphen_breaks(pdf: Path) -> list[tuple[str, str]]:
    """Words typst broke with a hyphen (PDFium marks it as U+0002), as (start, what follows).

    In a table row PDFium runs the cells together: a header's "Condi-tions" comes out as
    "Condi", then "tionsLimits" (the next cell's first word glued on).
    """
    doc = pdfium.PdfDocument(pdf)
    try:
        raw = []
        for page in doc:
            textpage = page.get_textpage()
            raw.append(textpage.get_text_bounded())
            textpage.close()
    finally:
        doc.close()
    return re.findall(r"(\w+)\x02(?:\r?\n)?(\w*)", "\n".join(raw))


def test_pdf_column_headers_are_not_hyphenated(built: Path) -> None:
    # A header cell's first word is capitalised ("Conditions"); body text that typst breaks is
    # mostly lower case, so a capitalised label word cut short is a hyphenated header.
    labels = {
        col["label"].split()[0]
        for spec in (built / "tables").glob("*.json")
        for col in json.loads(spec.read_text(encoding="utf-8"))["columns"]
    }
    labels = {w for w in labels if w[:1].isupper() and len(w) > 3}
    breaks = hyphen_breaks(built / "brief.pdf")
    assert breaks  # typst does hyphenate the tables' text

    def is_label(start: str, rest: str, label: str) -> bool:
        joined = start + rest
        if not rest:
            return label.startswith(start) and label != start
        return joined == label or (joined.startswith(label) and joined[len(label)].isupper())

    cut = [(s, r, w) for s, r in breaks for w in labels if is_label(s, r, w)]
    assert cut == []


def test_every_quote_in_the_data_has_a_location(built: Path) -> None:
    with (built / "data" / "quotes.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows
    for row in rows:
        assert all(row[k].isdigit() for k in ("Paragraph", "First character", "End (exclusive)"))
        assert int(row["First character"]) < int(row["End (exclusive)"]), row
