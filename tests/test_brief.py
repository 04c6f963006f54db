"""The brief as readers get it: every section, figure, link and download works, in HTML and PDF."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path
from typing import Any

import pytest

from briefkit.build import BuildOptions, run_build

from .conftest import copy_project
from .pdf import grey_pages, pdf_text
from .second_seed import SLUG as SECOND
from .second_seed import TITLE as SECOND_TITLE
from .second_seed import write_second_seed

pytestmark = pytest.mark.build

SECTIONS = [
    "Executive summary",
    "The argument",
    "Proposals and their conditions",
    "Sequencing",
    "Objections and risks",
    "Actors and stances",
    "Timeline",
    "Indicators to watch",
    "Method and source fidelity",
    "Appendix: quotes",
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
      alt: (f.querySelector('[role=img]') || {getAttribute: () => null}).getAttribute('aria-label'),
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
def second(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A made-up second seed, built with no change to code, notebooks or templates."""
    root = copy_project(tmp_path_factory.mktemp("second") / "project")
    write_second_seed(root)
    run_build(BuildOptions(root, SECOND, engine="pandoc"))
    return root / "_build" / SECOND


@pytest.mark.parametrize("which", ["first", "second"])
def test_html_works_offline_for_a_reader(
    which: str, built: Path, second: Path, browser: Any
) -> None:
    build = built if which == "first" else second
    seen = inspect_html(browser, build / "brief.html")
    assert seen["external"] == []
    assert seen["errors"] == []
    # Every plotly figure has drawn, and each is a captioned figure with alt text.
    assert seen["figure_specs"] >= 4
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
    # Every download exists beside the HTML.
    assert seen["downloads"]
    for href in seen["downloads"]:
        assert (build / href).is_file(), href


def test_html_fits_a_phone_screen(built: Path, browser: Any) -> None:
    seen = inspect_html(browser, built / "brief.html", width=390)
    assert seen["errors"] == []
    # Wide tables and figures scroll inside their own box; the page itself never scrolls sideways.
    assert seen["scrollWidth"] <= 390


def test_second_seed_gets_its_own_brief(second: Path) -> None:
    html = (second / "brief.html").read_text(encoding="utf-8")
    assert SECOND_TITLE in html
    assert "Integrating Russia" not in html
    text = " ".join(pdf_text(second / "brief.pdf").split())
    assert SECOND_TITLE in text
    assert "Restore a limited import quota." in text
    assert "Condition matrix for sanctions" in text
    assert "Condition matrix for energy" in text


@pytest.mark.parametrize("which", ["first", "second"])
def test_pdf_has_every_section_and_summary_on_page_one(
    which: str, built: Path, second: Path
) -> None:
    pdf = (built if which == "first" else second) / "brief.pdf"
    text = pdf_text(pdf)
    for heading in SECTIONS:
        assert re.search(rf"^\s*{re.escape(heading)}\s*$", text, re.M), heading
    first_page = " ".join(pdf_text(pdf, 1).split())
    assert "Executive summary" in first_page
    assert "Thesis." in first_page
    assert "Key judgements." in first_page
    # The whole summary fits on page 1: down to its last line, the list of conditions.
    conditions = json.loads((pdf.parent / "texts" / "summary-conditions.json").read_text())
    assert conditions
    for line in conditions:
        assert line.split(":")[0] + ":" in first_page


def test_pdf_has_running_header_with_version_and_status(built: Path) -> None:
    page_two = pdf_text(built / "brief.pdf", 2).splitlines()
    header = next(line for line in page_two if line.strip())
    assert "Integrating Russia into a Western security framework" in header
    assert re.search(r"DRAFT v0\.1\.0-dev\+[0-9a-f]{8}", header)


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


def test_every_quote_in_the_appendix_has_a_location(built: Path) -> None:
    table = json.loads((built / "tables" / "quotes.json").read_text(encoding="utf-8"))
    assert table["rows"]
    for row in table["rows"]:
        assert re.fullmatch(r"\u00b6\d+, chars \d+\u2013\d+", row["where"]), row
