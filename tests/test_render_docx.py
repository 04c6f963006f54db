"""The Word brief, opened with python-docx as a reader's Word would; the same bytes each time."""

from __future__ import annotations

import datetime as dt
import json
import re
import zipfile
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn

from briefkit.build import BuildOptions, run_build
from briefkit.escape import visible
from briefkit.render.base import RenderJob
from briefkit.render.docx import (
    HEADER,
    REFERENCE_DOC,
    default_reference_doc,
    make_reproducible,
    reference_doc,
    show_properties,
)
from briefkit.render.pandoc import PandocEngine, pandoc_binary

from .conftest import SEED, copy_project
from .test_brief import SECTIONS

REPO = Path(__file__).resolve().parents[1]
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
EPOCH = 1764000000
#: The only fields a brief may hold: the template's (running header, page numbers) and the
#: filter's outline. Seed text never becomes a field.
FIELDS = {
    'TOC \\o "1-1" \\h \\z \\u',
    "DOCPROPERTY bk-title",
    "DOCPROPERTY bk-stamp",
    "PAGE",
    "NUMPAGES",
}
_INSTR = re.compile(
    r"<w:instrText[^>]*>([^<]*)</w:instrText>|<w:fldSimple [^>]*w:instr=\"([^\"]*)\""
)


def fields(path: Path) -> set[str]:
    """Every field instruction in the document, its headers and footers."""
    found: set[str] = set()
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.startswith("word/") and name.endswith(".xml"):
                for a, b in _INSTR.findall(z.read(name).decode("utf-8")):
                    found.add(" ".join((a or b).split()))
    return found


def word_text(document: docx.document.Document) -> str:
    """The visible text of every paragraph and table cell."""
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts += [cell.text for row in table.rows for cell in row.cells]
    return visible(" ".join(parts))


@pytest.fixture(scope="module")
def docx_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first seed built as Word only (pandoc engine); returns its build folder."""
    root = copy_project(tmp_path_factory.mktemp("docx") / "project", seeds=(SEED,))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOURCE_DATE_EPOCH", str(EPOCH))
        result = run_build(BuildOptions(root, SEED, engine="pandoc", formats=("docx",)))
    assert set(result.outputs) == {"docx"}
    return root / "_build" / SEED


def test_reference_doc_is_what_the_code_makes() -> None:
    made = reference_doc(default_reference_doc(pandoc_binary()))
    assert made == (REPO / REFERENCE_DOC).read_bytes()


def test_make_reproducible_dates_everything_at_the_build_and_sets_the_version(
    tmp_path: Path,
) -> None:
    path = tmp_path / "brief.docx"
    core = (
        '<cp:coreProperties xmlns:cp="c" xmlns:dcterms="d">'
        '<dcterms:created x="1">2031-01-01T00:00:00Z</dcterms:created>'
        '<dcterms:modified x="1">2031-01-01T00:00:00Z</dcterms:modified></cp:coreProperties>'
    )
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(zipfile.ZipInfo("docProps/core.xml", (2031, 1, 1, 0, 0, 0)), core)
        z.writestr(zipfile.ZipInfo("word/document.xml", (2031, 1, 2, 3, 4, 6)), "<w/>")
    (tmp_path / "brief.json").write_text(json.dumps({"version": "1.2.3"}), encoding="utf-8")
    make_reproducible(path, tmp_path, 1764000000)
    with zipfile.ZipFile(path) as z:
        assert {i.date_time for i in z.infolist()} == {(2025, 11, 24, 16, 0, 0)}
        text = z.read("docProps/core.xml").decode("utf-8")
    assert text.count("2025-11-24T16:00:00Z") == 2
    assert "<cp:version>1.2.3</cp:version>" in text
    first = path.read_bytes()
    make_reproducible(path, tmp_path, 1764000000)
    assert path.read_bytes() == first


def test_header_fields_show_the_properties_as_text_never_as_markup() -> None:
    from xml.etree import ElementTree as ET

    hostile = '</w:t><w:fldSimple w:instr="INCLUDETEXT x"/> { PAGE } & "q"'
    value = hostile.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    custom = (
        '<Properties xmlns:vt="v"><property fmtid="f" pid="2" name="bk-stamp">'
        f"<vt:lpwstr>{value}</vt:lpwstr></property></Properties>"
    )
    parts = {
        "docProps/custom.xml": custom.encode(),
        "word/header1.xml": HEADER.encode(),
        "word/document.xml": b"<w:document/>",
    }
    show_properties(parts)
    header = parts["word/header1.xml"].decode()
    texts = [t.text for t in ET.fromstring(header).iter(f"{{{W}}}t")]
    # The stamp shows as written; the title, which has no property here, keeps its placeholder.
    assert texts == ["Title", hostile]
    assert re.findall(r"<w:instrText[^>]*>([^<]*)<", header) == [
        " DOCPROPERTY bk-title ",
        " DOCPROPERTY bk-stamp ",
    ]
    assert "fldSimple" not in header.replace("&lt;w:fldSimple", "")
    assert parts["word/document.xml"] == b"<w:document/>"


@pytest.mark.build
def test_word_brief_has_every_section_table_caption_and_figure(docx_build: Path) -> None:
    document = docx.Document(str(docx_build / "brief.docx"))
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert headings == SECTIONS
    specs = [json.loads(p.read_text("utf-8")) for p in sorted(docx_build.glob("tables/*.json"))]
    # Real Word tables, a header row and one row per data row, each under its caption.
    assert sorted(len(t.rows) for t in document.tables) == sorted(len(s["rows"]) + 1 for s in specs)
    captions = [p.text for p in document.paragraphs if p.style.name == "Table Caption"]
    assert sorted(visible(c) for c in captions) == sorted(visible(s["caption"]) for s in specs)
    figures = [json.loads(p.read_text("utf-8")) for p in docx_build.glob("figures/*.json")]
    images = [p.text for p in document.paragraphs if p.style.name == "Image Caption"]
    assert sorted(visible(c) for c in images) == sorted(visible(f["caption"]) for f in figures)
    assert len(document.inline_shapes) == len(figures)
    parts = [rel.target_part for rel in document.part.rels.values() if "image" in rel.reltype]
    assert {p.content_type for p in parts} == {"image/png"}
    # The annotated article appendix is text too.
    assert "Appendix: the annotated article" in word_text(document)


@pytest.mark.build
def test_word_brief_core_properties_fields_and_page(docx_build: Path) -> None:
    meta = json.loads((docx_build / "brief.json").read_text(encoding="utf-8"))
    path = docx_build / "brief.docx"
    document = docx.Document(str(path))
    core = document.core_properties
    assert core.title == meta["title"]
    assert core.version == meta["version"]
    when = dt.datetime.fromtimestamp(EPOCH, tz=dt.UTC)
    assert (core.created, core.modified) == (when, when)
    assert fields(path) == FIELDS
    section = document.sections[0]
    assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (21.0, 29.7)
    assert round(section.left_margin.cm, 1) == 2.0
    assert section.different_first_page_header_footer
    # The build's folder is this machine's: it stays out of the file.
    with zipfile.ZipFile(path) as z:
        assert not [n for n in z.namelist() if str(docx_build).encode() in z.read(n)]


def custom_properties(path: Path) -> dict[str, str]:
    """The document's custom properties (docProps/custom.xml), by name."""
    with zipfile.ZipFile(path) as z:
        xml = z.read("docProps/custom.xml").decode("utf-8")
    found = re.findall(r'<property [^>]*name="([^"]+)"[^>]*><vt:lpwstr>([^<]*)</vt:lpwstr>', xml)
    return dict(found)


@pytest.mark.build
def test_word_title_block_and_running_header_carry_version_and_status(docx_build: Path) -> None:
    meta = json.loads((docx_build / "brief.json").read_text(encoding="utf-8"))
    path = docx_build / "brief.docx"
    document = docx.Document(str(path))
    block = [(p.style.name, p.text) for p in document.paragraphs[:3]]
    assert block == [
        ("Title", meta["title"]),
        ("Subtitle", meta["subtitle"]),
        ("Author", meta["author"]),
    ]
    # Version and status; the content hash is for Method, not the title block or the header.
    public = meta["version"].split("+")[0]
    assert meta["subtitle"].startswith(f"Version {public} · DRAFT · ")
    # The header from page 2 shows the document properties the filter set: title and stamp.
    props = custom_properties(path)
    assert props["bk-title"] == meta["short_title"]
    assert props["bk-stamp"] == meta["stamp"]
    assert meta["stamp"].startswith(f"DRAFT v{public} · ")
    assert meta["version"] not in meta["stamp"]
    header = document.sections[0].header
    assert "DOCPROPERTY bk-stamp" in header._element.xml
    # Shown as they are before Word updates the fields (or when it is told not to).
    assert header.paragraphs[0].text == f"{meta['short_title']}\t{meta['stamp']}"
    assert not document.sections[0].first_page_header.paragraphs[0].text


@pytest.mark.build
def test_word_tables_have_a_repeated_header_row_in_the_briefs_table_style(
    docx_build: Path,
) -> None:
    document = docx.Document(str(docx_build / "brief.docx"))
    assert document.tables
    for table in document.tables:
        assert table.style is not None
        assert table.style.name == "Table"
        look = table._tbl.tblPr.find(qn("w:tblLook"))
        assert look is not None
        assert look.get(qn("w:firstRow")) == "1"
        header = table.rows[0]._tr.trPr
        assert header is not None
        assert header.find(qn("w:tblHeader")) is not None
        assert all(row._tr.trPr is None or row._tr.trPr.find(qn("w:tblHeader")) is None
                   for row in table.rows[1:])  # fmt: skip
    # The style's header row: bold, shaded, a navy rule under it.
    style = document.styles["Table"].element.xml
    first_row = style[style.index('w:type="firstRow"') :]
    assert "<w:b/>" in first_row.replace(" ", "")
    assert 'w:fill="EEEEEE"' in first_row


@pytest.mark.build
def test_word_brief_is_the_same_bytes_each_time(docx_build: Path) -> None:
    before = (docx_build / "brief.docx").read_bytes()
    job = RenderJob(docx_build.parents[1], Path("briefing/brief.qmd"), docx_build, ("docx",), EPOCH)
    PandocEngine().render(job)
    assert (docx_build / "brief.docx").read_bytes() == before
