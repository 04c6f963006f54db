"""A real build of the first seed: the PDF reads right, the HTML opens offline with its figures."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from briefkit.context import content_hash
from briefkit.reading.seed import load_seed
from briefkit.steps import brief_metadata

from .conftest import SEED
from .pdf import A4, page_sizes, pdf_text

pytestmark = pytest.mark.build


def test_pdf_has_title_version_and_draft_status(built: Path) -> None:
    text = pdf_text(built / "brief.pdf")
    flat = " ".join(text.split())
    assert "Integrating Russia into a Western security framework" in flat
    # The title block shows the version a reader cites; the method section gives it in full,
    # with the build's content hash.
    assert re.search(r"Version 0\.1\.0-dev · DRAFT", flat)
    assert re.search(r"DRAFT v0\.1\.0-dev\+[0-9a-f]{8} · ", flat)


def test_pdf_is_a4_with_page_numbers(built: Path) -> None:
    sizes = page_sizes(built / "brief.pdf")
    assert all(abs(w - A4[0]) < 1 and abs(h - A4[1]) < 1 for w, h in sizes)
    pages = len(sizes)
    assert pages >= 2
    numbers = re.findall(r"^\s*(\d+) ?/ ?(\d+)\s*$", pdf_text(built / "brief.pdf"), re.M)
    assert numbers == [(str(i), str(pages)) for i in range(1, pages + 1)]


def test_html_inlines_plotly_once_and_fetches_nothing(built: Path) -> None:
    html = (built / "brief.html").read_text(encoding="utf-8")
    assert html.count("plotly.js v") == 1 or html.count("* plotly.js") == 1
    # plotly.js mentions its CDN as a default for geo maps (unused); nothing may *load* from it.
    assert not re.search(r"""<(script|link|img|iframe)[^>]+(src|href)=["']?(https?:)?//""", html)


def test_draft_version_carries_content_hash(project: Path) -> None:
    seed = load_seed(project, SEED)
    before = content_hash(project, seed.path)
    reading = project / "seeds" / SEED / "reading.yaml"
    reading.write_text(reading.read_text() + "\n# a comment changes the content\n")
    assert content_hash(project, seed.path) != before
    meta = brief_metadata(seed, "0.1.0-dev+abc", "draft", 0, "pandoc 3")
    assert meta["subtitle"] == "Version 0.1.0-dev · DRAFT · 1970-01-01"
    assert meta["build_line"] == "DRAFT v0.1.0-dev+abc · 1970-01-01 · pandoc 3"
    assert meta["date"] == "1970-01-01"
