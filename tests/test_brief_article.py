"""The appendix's annotated article: numbered paragraphs, every quote marked with its items' ids,
links both ways between the article and the tables' rows, in HTML, PDF and Word."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any

import docx
import pandas as pd
import pypdfium2 as pdfium
import pytest

from briefkit.artifacts import Artifacts
from briefkit.build import BuildOptions, run_build
from briefkit.escape import visible
from briefkit.present import annotated_article
from briefkit.reading.anchors import anchor
from briefkit.reading.coverage import paragraph_spans

from .conftest import SEED, copy_built
from .test_render_docx import word_text

REPO = Path(__file__).resolve().parents[1]
HEADING = "Appendix: the annotated article"
NEXT_HEADING = "Appendix: data"
#: The old appendix, a table of every quote, ran from 0.1 of page 8 to 0.35 of page 11 of the
#: first seed's PDF (measured on main before this change): over three pages.
OLD_APPENDIX_PAGES = 3.2
#: The PDF's bottom margin (2 cm, _quarto.yml) in points: the page number sits in it.
MARGIN = 2 / 2.54 * 72


def norm(text: str) -> str:
    """Text with its whitespace runs as single spaces."""
    return " ".join(text.split())


# --- the annotation itself (no build) ----------------------------------------------------------


def pieces_text(pieces: list[dict[str, Any]]) -> str:
    return "".join(p["text"] for p in pieces if "text" in p)


def test_annotated_article_keeps_every_paragraph_and_numbers_spans_per_item() -> None:
    article = "One two three.\n\n  Four five.\nSix.\n"
    quotes = [("C1", "the item", 0, 3), ("C2", "the item", 4, 14), ("C1", "a limit", 18, 22)]
    got = annotated_article(article, quotes)
    assert [pieces_text(p) for p in got["paragraphs"]] == ["One two three.", "  Four five.", "Six."]
    assert got["refs"] == {
        "C1": [{"paragraph": 1, "anchor": "q-C1-1"}, {"paragraph": 2, "anchor": "q-C1-2"}],
        "C2": [{"paragraph": 1, "anchor": "q-C2-1"}],
    }
    first, second, third = got["paragraphs"]
    assert first == [
        {"anchors": ["q-C1-1"]},
        {"text": "One", "depth": 1},
        {"ids": [{"id": "C1", "role": "the item", "quote": "One", "spans": ["q-C1-1"]}]},
        {"text": " ", "depth": 0},
        {"anchors": ["q-C2-1"]},
        {"text": "two three.", "depth": 1},
        {"ids": [{"id": "C2", "role": "the item", "quote": "two three.", "spans": ["q-C2-1"]}]},
    ]
    assert second[2] == {"text": "Four", "depth": 1}
    assert second[3] == {
        "ids": [{"id": "C1", "role": "a limit", "quote": "Four", "spans": ["q-C1-2"]}]
    }
    assert third == [{"text": "Six.", "depth": 0}]


def test_overlapping_and_shared_spans_are_marked_once_each_with_every_id() -> None:
    article = "Alpha beta gamma delta.\n"
    # C1 and C2 overlap on "beta gamma"; J1 quotes exactly what C1 quotes.
    quotes = [("C1", "the item", 0, 16), ("C2", "the item", 6, 23), ("J1", "the item", 0, 16)]
    (pieces,) = annotated_article(article, quotes)["paragraphs"]
    assert pieces == [
        {"anchors": ["q-C1-1", "q-J1-1"]},
        {"text": "Alpha ", "depth": 1},
        {"anchors": ["q-C2-1"]},
        {"text": "beta gamma", "depth": 2},
        {
            "ids": [
                {"id": "C1", "role": "the item", "quote": "Alpha beta gamma", "spans": ["q-C1-1"]},
                {"id": "J1", "role": "the item", "quote": "Alpha beta gamma", "spans": ["q-J1-1"]},
            ]
        },
        {"text": " delta.", "depth": 1},
        {
            "ids": [
                {"id": "C2", "role": "the item", "quote": "beta gamma delta.", "spans": ["q-C2-1"]}
            ]
        },
    ]


def test_two_spans_of_one_item_ending_together_name_it_once_with_the_longer_quote() -> None:
    article = "Alpha beta gamma.\n"
    quotes = [("A1", "a stance", 6, 17), ("A1", "the item", 0, 17)]
    (pieces,) = annotated_article(article, quotes)["paragraphs"]
    assert pieces[-1] == {
        "ids": [
            {
                "id": "A1",
                "spans": ["q-A1-1", "q-A1-2"],
                "role": "the item",
                "quote": "Alpha beta gamma.",
            }
        ]
    }
    assert [p["anchors"] for p in pieces if "anchors" in p] == [["q-A1-2"], ["q-A1-1"]]


def test_a_span_across_two_paragraphs_is_marked_in_both() -> None:
    article = "First line ends\nand the next goes on.\n"
    got = annotated_article(article, [("E1", "the item", 6, 24)])
    first, second = got["paragraphs"]
    assert first[-1] == {"text": "line ends", "depth": 1}
    assert second[0] == {"text": "and the ", "depth": 1}
    assert second[1]["ids"][0]["quote"] == "line ends and the"
    assert got["refs"] == {"E1": [{"paragraph": 1, "anchor": "q-E1-1"}]}


def test_a_quote_ending_in_a_folded_character_is_anchored_to_its_last_character() -> None:
    # "--" folds to one "-" when quotes are matched: the span still ends after both.
    article = "It says </script><!-- here, and x\u2014\u2014 there.\n"
    for quote in ("</script><!--", "x\u2014\u2014"):
        found = anchor(article, quote)
        assert found is not None
        assert article[found.start : found.end] == quote
    (pieces,) = annotated_article(article, [("C1", "the item", 8, 21)])["paragraphs"]
    assert pieces[2] == {"text": "</script><!--", "depth": 1}


def test_quotes_csv_is_written_as_a_tables_data_without_a_table(tmp_path: Path) -> None:
    out = Artifacts(tmp_path)
    frame = pd.DataFrame({"id": ["C1", "C2"], "quote": ["=1+1", "plain"], "start": [0, 7]})
    out.csv("quotes", frame, labels={"quote": "Quote"})
    out.table("twin", frame, caption="The same.", labels={"quote": "Quote"})
    written = (tmp_path / "data" / "quotes.csv").read_text(encoding="utf-8")
    assert written == "id,Quote,start\nC1,'=1+1,0\nC2,plain,7\n"
    assert written == (tmp_path / "data" / "twin.csv").read_text(encoding="utf-8")
    assert not (tmp_path / "tables" / "quotes.json").exists()


def test_an_annotated_article_artifact_needs_paragraphs_and_refs(tmp_path: Path) -> None:
    out = Artifacts(tmp_path)
    with pytest.raises(TypeError, match="article 'article'"):
        out.article("article", {"paragraphs": []})
    path = out.article("article", annotated_article("One.\n", [("C1", "the item", 0, 4)]))
    assert json.loads(path.read_text(encoding="utf-8"))["refs"] == {
        "C1": [{"paragraph": 1, "anchor": "q-C1-1"}]
    }


# --- the built brief ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def article_build(built: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first seed built as HTML, PDF and Word (pandoc engine); returns its build folder.

    Built in a copy of the shared build (conftest.built, the same inputs and options but for
    Word): the cache redoes only the Word document.
    """
    root = copy_built(built, tmp_path_factory.mktemp("article") / "project")
    formats = ("html", "pdf", "docx")
    result = run_build(BuildOptions(root, SEED, engine="pandoc", formats=formats))
    assert set(result.outputs) == set(formats)
    return root / "_build" / SEED


def article_paragraphs() -> list[str]:
    text = (REPO / "seeds" / SEED / "article.txt").read_text(encoding="utf-8")
    return [norm(text[start:end]) for start, end in paragraph_spans(text)]


def quote_rows(build: Path) -> list[dict[str, str]]:
    with (build / "data" / "quotes.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


SEEN = r"""() => {
  const norm = (s) => s.replace(/\s+/g, ' ').trim();
  const article = document.querySelector('.bk-article');
  // The text of a node without the ids after the spans and the paragraph numbers.
  const bare = (el) => {
    const copy = el.cloneNode(true);
    copy.querySelectorAll('sup, .bk-pnum').forEach(x => x.remove());
    return norm(copy.textContent);
  };
  const paragraphs = [...article.querySelectorAll('.bk-para')].map(d => ({
    id: d.id, number: d.querySelector('.bk-pnum').textContent, text: bare(d),
  }));
  // From each span's anchor to its item's id after it: the text, and whether all of it is
  // marked.
  const spans = [...article.querySelectorAll('span.bk-anchor')].map(a => {
    const item = a.id.slice(2, a.id.lastIndexOf('-'));
    const walker = document.createTreeWalker(article, NodeFilter.SHOW_ALL);
    walker.currentNode = a;
    let text = '', marked = true, id = null, node;
    while ((node = walker.nextNode())) {
      if (node.nodeType === 1 && node.tagName === 'SUP') {
        const own = [...node.querySelectorAll('.bk-qid')]
          .find(q => q.dataset.spans.split(' ').includes(a.id));
        if (own) {
          id = {text: own.textContent, title: own.getAttribute('title')};
          break;
        }
      } else if (node.nodeType === 3 && !node.parentElement.closest('sup, .bk-pnum')) {
        text += node.data;
        if (node.data.trim() && !node.parentElement.closest('mark')) marked = false;
      }
    }
    return {anchor: a.id, item, text: norm(text), marked, id};
  });
  const target = (href) => document.getElementById(decodeURIComponent(href.slice(1)));
  const qids = [...article.querySelectorAll('a.bk-qid')].map(a => {
    const to = target(a.getAttribute('href'));
    return {text: a.textContent, href: a.getAttribute('href'),
            row: to !== null && to.closest('tr') !== null};
  });
  const refs = [...document.querySelectorAll('td a.bk-pref')].map(a => {
    const to = target(a.getAttribute('href'));
    return {text: a.textContent, href: a.getAttribute('href'),
            item: a.closest('td').querySelector('a.bk-id').textContent,
            anchor: to !== null && to.matches('.bk-article span.bk-anchor'),
            para: to !== null && to.closest('.bk-para') ? to.closest('.bk-para').id : null};
  });
  const rows = [...document.querySelectorAll('td a.bk-id[id^="item-"]')].map(a => ({
    item: a.textContent,
    refs: [...a.closest('td').querySelectorAll('a.bk-pref')].map(r => r.textContent),
  }));
  const overlaps = article.querySelectorAll('mark mark').length;
  return {paragraphs, spans, qids, refs, rows, overlaps};
}"""


@pytest.fixture(scope="module")
def seen(article_build: Path, browser: Any) -> dict[str, Any]:
    """What the HTML's annotated article and tables hold, read in Chromium."""
    page = browser.new_page()
    # The document is all this reads (not the plots): no wait for the page's scripts, and time
    # enough for a loaded machine to parse 5 MB of inlined plotly.js.
    page.goto(
        (article_build / "brief.html").as_uri(), wait_until="domcontentloaded", timeout=120_000
    )
    result: dict[str, Any] = page.evaluate(SEEN)
    page.close()
    return result


def test_html_numbers_every_paragraph_of_the_article(seen: dict[str, Any]) -> None:
    paragraphs = article_paragraphs()
    numbers = range(1, len(paragraphs) + 1)
    assert [p["id"] for p in seen["paragraphs"]] == [f"para-{n}" for n in numbers]
    assert [p["number"] for p in seen["paragraphs"]] == [f"\u00b6{n}" for n in numbers]
    assert [p["text"] for p in seen["paragraphs"]] == paragraphs


def test_html_marks_every_quote_with_the_ids_that_quote_it(
    article_build: Path, seen: dict[str, Any]
) -> None:
    rows = quote_rows(article_build)
    assert rows
    spans = seen["spans"]
    # Every span is marked throughout and followed by its item's id, the quote on hover.
    assert [s for s in spans if not s["marked"] or s["id"] is None] == []
    assert [s for s in spans if s["id"]["text"] != s["item"]] == []
    assert [s for s in spans if not s["id"]["title"].endswith(s["text"])] == []
    # Every quote of the reading is one of them, under its own item.
    marked = {(s["item"], s["text"]) for s in spans}
    assert [r for r in rows if (r["Item"], norm(r["Quote from the article"])) not in marked] == []
    # The first seed quotes some passages twice over (spans overlap): they show as marks in marks.
    assert seen["overlaps"] > 0


def test_html_ids_link_to_rows_and_rows_link_back_to_the_spans(
    article_build: Path, seen: dict[str, Any]
) -> None:
    # Each id after a span links to its item's row (items without a row show their id unlinked).
    assert seen["qids"]
    assert [q for q in seen["qids"] if q["href"] != f"#item-{q['text']}" or not q["row"]] == []
    # Each row's paragraph references lead back to that item's span in that paragraph.
    assert seen["refs"]
    for ref in seen["refs"]:
        assert ref["anchor"], ref
        assert ref["href"].startswith(f"#q-{ref['item']}-"), ref
        assert ref["text"] == "\u00b6" + ref["para"].removeprefix("para-"), ref
    # Every item's row names every paragraph that quotes it.
    paragraphs: dict[str, set[str]] = {}
    for row in quote_rows(article_build):
        paragraphs.setdefault(row["Item"], set()).add(f"\u00b6{row['Paragraph']}")
    assert seen["rows"]
    for row in seen["rows"]:
        assert set(row["refs"]) == paragraphs.get(row["item"], set()), row


def appendix_extent(pdf: Path) -> tuple[int, float, float]:
    """The first page of the appendix (from 1), and its length in pages, from its heading to the
    next one (the last occurrence of each: the outline names them too)."""
    doc = pdfium.PdfDocument(pdf)
    try:
        found: dict[str, tuple[int, float]] = {}
        for index in range(len(doc)):
            page = doc[index]
            height = page.get_height()
            textpage = page.get_textpage()
            for heading in (HEADING, NEXT_HEADING):
                searcher = textpage.search(heading, match_case=True)
                hit = searcher.get_next()
                while hit is not None:
                    top = textpage.get_charbox(hit[0])[3]
                    found[heading] = (index, (height - top) / height)
                    hit = searcher.get_next()
            textpage.close()
            page.close()
    finally:
        doc.close()
    (page1, y1), (page2, y2) = found[HEADING], found[NEXT_HEADING]
    return page1 + 1, page2 + 1, (page2 + y2) - (page1 + y1)


def body_text(pdf: Path, first: int, last: int, min_size: float = 9.5) -> str:
    """The text of pages ``first`` to ``last`` in type of at least ``min_size`` pt, above the
    bottom margin: the article without its superscript ids, paragraph numbers and page numbers."""
    doc = pdfium.PdfDocument(pdf)
    chars: list[str] = []
    try:
        for index in range(first - 1, last):
            page = doc[index]
            # Not the page number in the bottom margin (the running header is in small type).
            textpage = page.get_textpage()
            for i in range(textpage.count_chars()):
                char = textpage.get_text_range(i, 1)
                size = pdfium.raw.FPDFText_GetFontSize(textpage.raw, i)
                bottom = textpage.get_charbox(i)[1]
                if char.isspace() or (size >= min_size and bottom >= MARGIN):
                    chars.append(char)
            textpage.close()
            page.close()
    finally:
        doc.close()
    return norm("".join(chars))


def test_pdf_appendix_is_the_article_and_shorter_than_the_quote_table(article_build: Path) -> None:
    pdf = article_build / "brief.pdf"
    first, last, length = appendix_extent(pdf)
    assert length < OLD_APPENDIX_PAGES - 1, length

    # Spaces as the PDF's text layer has them around superscripts are not the article's, and a
    # hyphen at a line's end may be typst's (PDFium: U+FFFE): compare the other characters.
    def chars(text: str) -> str:
        return "".join(text.split()).replace("\ufffe", "").replace("-", "")

    text = chars(body_text(pdf, first, last))
    assert [p for p in article_paragraphs() if chars(p) not in text] == []


def test_pdf_tables_give_each_items_paragraphs(article_build: Path) -> None:
    from .pdf import pdf_text

    text = pdf_text(article_build / "brief.pdf")
    paragraphs: dict[str, list[int]] = {}
    for row in quote_rows(article_build):
        paragraphs.setdefault(row["Item"], []).append(int(row["Paragraph"]))
    ids = [
        row["id"]
        for spec in article_build.glob("tables/*.json")
        for row in json.loads(spec.read_text(encoding="utf-8"))["rows"]
        if row.get("id") in paragraphs
    ]
    assert ids
    # Each id cell: the id, then (plain text) the paragraphs that quote the item.
    missing = []
    for item in ids:
        refs = r",\s*".join(f"\u00b6{n}" for n in sorted(set(paragraphs[item])))
        if not re.search(rf"{re.escape(item)}\s+{refs}\s", text):
            missing.append(item)
    assert missing == []


def test_word_brief_holds_the_article_with_the_ids_in_brackets(article_build: Path) -> None:
    document = docx.Document(str(article_build / "brief.docx"))
    text = word_text(document)
    ids = {r["Item"] for r in quote_rows(article_build)}
    id_list = "|".join(re.escape(i) for i in sorted(ids, key=len, reverse=True))
    bracketed = re.compile(rf" ?\[(?:{id_list})(?:, (?:{id_list}))*\]")
    assert bracketed.search(text)
    plain = norm(bracketed.sub("", text))
    missing = [p for p in article_paragraphs() if visible(p) not in plain]
    assert missing == []
    assert HEADING in text
