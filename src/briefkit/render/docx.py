"""Word (DOCX) outputs: the brief's reference document, and the same bytes for the same inputs.

The reference document (``briefing/brief-reference.docx``, named in ``_quarto.yml`` for both
engines) is pandoc's own, with the brief's house style written into it by ``reference_doc``:
A4 with 2 cm margins, navy headings, captions small and grey, tables with a shaded, bold header
row, a running header (short title, then version and status) from page 2 and page numbers
``n / N``. The header reads the build's values from document properties the Lua filter sets
(``DOCPROPERTY bk-title``, ``bk-stamp``): field codes are the template's, never seed text.
Regenerate it with ``python -m briefkit.render`` (pandoc's own reference document comes
from the pandoc briefkit uses: ``default_reference_doc``); a test checks the file is what the
code makes.

A DOCX is a zip: ``make_reproducible`` dates every entry and ``docProps/core.xml``'s created and
modified at the build's timestamp (whichever engine wrote it), records the brief's version
as the core property ``cp:version``, and writes the header's property values as the fields'
shown results, so the header reads right before Word updates its fields.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile
from pathlib import Path

REFERENCE_DOC = Path("briefing/brief-reference.docx")

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
#: The zip date of the reference document itself (zip cannot date before 1980).
_EPOCH_1980 = (1980, 1, 1, 0, 0, 0)
NAVY = "1F3B57"
#: A4, 2 cm margins (twentieths of a point); the text is 17 cm wide.
_PAGE = (
    '<w:pgSz w:w="11906" w:h="16838" />'
    '<w:pgMar w:top="1134" w:right="1134" w:bottom="1134" w:left="1134" w:header="567" '
    'w:footer="567" w:gutter="0" />'
)
_TEXT_WIDTH = 9638

#: (pandoc's text, the brief's): each must be in pandoc's styles.xml (a paragraph style and its
#: linked character style may share one).
_STYLE_EDITS = [
    # Body text 10 pt, as the PDF.
    (
        '<w:sz w:val="24" />\n        <w:szCs w:val="24" />',
        '<w:sz w:val="20" />\n        <w:szCs w:val="20" />',
    ),
    # Headings navy; the sections 13 pt as in the PDF.
    (
        '<w:color w:val="0F4761" w:themeColor="accent1"\n      w:themeShade="BF" />\n      '
        '<w:sz w:val="40" />',
        f'<w:color w:val="{NAVY}" />\n      <w:sz w:val="26" />',
    ),
    (
        '<w:color w:val="0F4761" w:themeColor="accent1"\n      w:themeShade="BF" />\n      '
        '<w:sz w:val="32" />',
        f'<w:color w:val="{NAVY}" />\n      <w:sz w:val="22" />',
    ),
    (
        '<w:sz w:val="56" />\n      <w:szCs w:val="56" />',
        f'<w:color w:val="{NAVY}" />\n      <w:sz w:val="36" />\n      <w:szCs w:val="36" />',
    ),
    # Captions 8.5 pt grey, not italic.
    (
        '<w:spacing w:before="0" w:after="120" />\n    </w:pPr>\n'
        "    <w:rPr>\n      <w:i />\n    </w:rPr>",
        '<w:spacing w:before="120" w:after="80" />\n    </w:pPr>\n    <w:rPr>\n'
        '      <w:color w:val="464646" />\n      <w:sz w:val="17" />\n      <w:szCs w:val="17" />\n'
        "    </w:rPr>",
    ),
    # Tables: 8.5 pt, a rule under every row, the header row bold on grey over a navy rule.
    (
        '<w:tblPr>\n      <w:tblInd w:w="0" w:type="dxa" />',
        '<w:rPr>\n      <w:sz w:val="17" />\n      <w:szCs w:val="17" />\n    </w:rPr>\n'
        "    <w:tblPr>\n      <w:tblBorders>\n"
        '        <w:insideH w:val="single" w:sz="2" w:space="0" w:color="C8C8C8" />\n'
        '        <w:bottom w:val="single" w:sz="2" w:space="0" w:color="C8C8C8" />\n'
        '      </w:tblBorders>\n      <w:tblInd w:w="0" w:type="dxa" />',
    ),
    (
        '<w:tblStylePr w:type="firstRow">\n      <w:tcPr>\n        <w:tcBorders>\n'
        '          <w:bottom w:val="single"/>\n        </w:tcBorders>',
        '<w:tblStylePr w:type="firstRow">\n      <w:rPr>\n        <w:b />\n      </w:rPr>\n'
        "      <w:tcPr>\n        <w:tcBorders>\n"
        f'          <w:bottom w:val="single" w:sz="6" w:space="0" w:color="{NAVY}" />\n'
        '        </w:tcBorders>\n        <w:shd w:val="clear" w:color="auto" w:fill="EEEEEE" />',
    ),
]


def _field(instruction: str, shown: str) -> str:
    """A complex field: Word shows ``shown`` until it updates the field."""
    return (
        '<w:r><w:fldChar w:fldCharType="begin" /></w:r>'
        f'<w:r><w:instrText xml:space="preserve"> {instruction} </w:instrText></w:r>'
        '<w:r><w:fldChar w:fldCharType="separate" /></w:r>'
        f"<w:r><w:t>{shown}</w:t></w:r>"
        '<w:r><w:fldChar w:fldCharType="end" /></w:r>'
    )


def _part(root: str, body: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<w:{root} xmlns:w="{_W}" xmlns:r="{_R}">{body}</w:{root}>'
    )


_SMALL = '<w:rPr><w:color w:val="5A5A5A" /><w:sz w:val="16" /><w:szCs w:val="16" /></w:rPr>'
#: From page 2: the short title left, version and status right (as the PDF's header).
HEADER = _part(
    "hdr",
    f'<w:p><w:pPr><w:tabs><w:tab w:val="right" w:pos="{_TEXT_WIDTH}" /></w:tabs>{_SMALL}</w:pPr>'
    + _field("DOCPROPERTY bk-title", "Title")
    + "<w:r><w:tab /></w:r>"
    + _field("DOCPROPERTY bk-stamp", "Version")
    + "</w:p>",
)
#: Page 1 has no running header: the title block is there.
FIRST_HEADER = _part("hdr", "<w:p />")
#: Every page: "n / N", centred.
FOOTER = _part(
    "ftr",
    f'<w:p><w:pPr><w:jc w:val="center" />{_SMALL}</w:pPr>'
    + _field("PAGE", "1")
    + '<w:r><w:t xml:space="preserve"> / </w:t></w:r>'
    + _field("NUMPAGES", "1")
    + "</w:p>",
)
_PARTS = {
    "word/header1.xml": ("header", "rIdBkHeader", HEADER),
    "word/header2.xml": ("header", "rIdBkHeaderFirst", FIRST_HEADER),
    "word/footer1.xml": ("footer", "rIdBkFooter", FOOTER),
}
_SECTION = (
    "<w:sectPr>"
    '<w:headerReference w:type="default" r:id="rIdBkHeader" />'
    '<w:headerReference w:type="first" r:id="rIdBkHeaderFirst" />'
    '<w:footerReference w:type="default" r:id="rIdBkFooter" />'
    '<w:footerReference w:type="first" r:id="rIdBkFooter" />'
    '<w:footnotePr><w:numRestart w:val="eachSect" /></w:footnotePr>'
    f"{_PAGE}<w:titlePg />"
    "</w:sectPr>"
)


def _replace(text: str, old: str, new: str, where: str) -> str:
    if old not in text:
        raise ValueError(f"{where}: no {old[:60]!r}; pandoc's reference.docx changed")
    return text.replace(old, new)


def reference_doc(default: bytes) -> bytes:
    """The brief's reference document, made from pandoc's default ``reference.docx``."""
    parts: dict[str, bytes] = {}
    with zipfile.ZipFile(io.BytesIO(default)) as src:
        for info in src.infolist():
            parts[info.filename] = src.read(info)
    styles = parts["word/styles.xml"].decode("utf-8")
    for old, new in _STYLE_EDITS:
        styles = _replace(styles, old, new, "styles.xml")
    parts["word/styles.xml"] = styles.encode("utf-8")
    document = parts["word/document.xml"].decode("utf-8")
    document = re.sub(r"<w:sectPr>.*?</w:sectPr>", lambda _: _SECTION, document, flags=re.S)
    parts["word/document.xml"] = document.encode("utf-8")
    rels = parts["word/_rels/document.xml.rels"].decode("utf-8")
    types = parts["[Content_Types].xml"].decode("utf-8")
    for name, (kind, rid, xml) in _PARTS.items():
        parts[name] = xml.encode("utf-8")
        target = name.removeprefix("word/")
        rels = rels.replace(
            "</Relationships>",
            f'<Relationship Type="{_REL}/{kind}" Id="{rid}" Target="{target}" /></Relationships>',
        )
        content_type = f"application/vnd.openxmlformats-officedocument.wordprocessingml.{kind}+xml"
        types = types.replace(
            "</Types>", f'<Override PartName="/{name}" ContentType="{content_type}" /></Types>'
        )
    parts["word/_rels/document.xml.rels"] = rels.encode("utf-8")
    parts["[Content_Types].xml"] = types.encode("utf-8")
    # Word fills the header's document-property fields and the outline when it opens the file.
    settings = parts["word/settings.xml"].decode("utf-8")
    settings = _replace(
        settings, "<w:footnotePr>", '<w:updateFields w:val="true" />\n  <w:footnotePr>', "settings"
    )
    parts["word/settings.xml"] = settings.encode("utf-8")
    return _zip(parts, _EPOCH_1980)


def default_reference_doc(pandoc: Path) -> bytes:
    """pandoc's own ``reference.docx``, from the pandoc binary ``pandoc``."""
    import tempfile

    from briefkit import command

    with tempfile.TemporaryDirectory() as tmp:
        default = Path(tmp) / "reference.docx"
        command.run(
            [pandoc, "--output", default, "--print-default-data-file", "reference.docx"],
            timeout=60,
        )
        return default.read_bytes()


def write_reference_doc(root: Path, pandoc: Path) -> Path:
    """Write the brief's reference document into the project at ``root``, from ``pandoc``'s."""
    path = root / REFERENCE_DOC
    path.write_bytes(reference_doc(default_reference_doc(pandoc)))
    return path


def _zip(parts: dict[str, bytes], date: tuple[int, int, int, int, int, int]) -> bytes:
    """A zip of ``parts`` in their order, every entry dated ``date``, nothing of this machine."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dest:
        for name, data in parts.items():
            info = zipfile.ZipInfo(name, date_time=date)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 0
            info.external_attr = 0
            dest.writestr(info, data, compresslevel=6)
    return out.getvalue()


def _zip_date(timestamp: int) -> tuple[int, int, int, int, int, int]:
    when = dt.datetime.fromtimestamp(max(timestamp, 315532800), tz=dt.UTC)  # 1980-01-01
    return (when.year, when.month, when.day, when.hour, when.minute, when.second)


_PROPERTY = re.compile(r'<property\b[^>]*\bname="([^"]+)"[^>]*>\s*<vt:lpwstr>([^<]*)</vt:lpwstr>')
#: The shown result of a DOCPROPERTY field as ``_field`` writes it (group 2: the property).
_PROPERTY_FIELD = re.compile(
    r'(<w:instrText xml:space="preserve"> DOCPROPERTY ([^\s<]+) </w:instrText></w:r>'
    r'<w:r><w:fldChar w:fldCharType="separate" /></w:r><w:r>)<w:t>[^<]*</w:t>'
)


def show_properties(parts: dict[str, bytes]) -> None:
    """Show each header's and footer's DOCPROPERTY fields with the document's own values.

    Word updates them on opening (``updateFields``), but only when the reader agrees; a reader
    who declines, a previewer or another word processor shows the field's last result, which
    the template can only fill with a placeholder. The values are the custom properties the
    filter set, already XML text in ``docProps/custom.xml``: seed text stays text, never a field.
    """
    custom = parts.get("docProps/custom.xml")
    if custom is None:
        return
    values = dict(_PROPERTY.findall(custom.decode("utf-8")))

    def shown(match: re.Match[str]) -> str:
        value = values.get(match[2])
        if value is None:
            return match[0]
        return f'{match[1]}<w:t xml:space="preserve">{value}</w:t>'

    for name in parts:
        if re.fullmatch(r"word/(header|footer)\d*\.xml", name):
            parts[name] = _PROPERTY_FIELD.sub(shown, parts[name].decode("utf-8")).encode("utf-8")


def make_reproducible(path: Path, build_dir: Path, timestamp: int) -> Path:
    """Date a DOCX at ``timestamp``, record the brief's version, show its header's properties."""
    with zipfile.ZipFile(path) as src:
        parts = {info.filename: src.read(info) for info in src.infolist()}
    show_properties(parts)
    core = parts.get("docProps/core.xml")
    if core is not None:
        text = core.decode("utf-8")
        iso = dt.datetime.fromtimestamp(timestamp, tz=dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        for tag in ("created", "modified"):
            text = re.sub(
                rf"(<dcterms:{tag}\b[^>]*>)[^<]*(</dcterms:{tag}>)", rf"\g<1>{iso}\g<2>", text
            )
        meta = build_dir / "brief.json"
        brief = json.loads(meta.read_text(encoding="utf-8")) if meta.is_file() else {}
        version = brief.get("version")
        text = re.sub(r"<cp:version>[^<]*</cp:version>", "", text)
        if version:
            # Here, not at the top: xml.sax.saxutils imports urllib.request, about 20 ms of every
            # build's start (a no-change build's included).
            from xml.sax.saxutils import escape

            element = f"<cp:version>{escape(str(version))}</cp:version>"
            text = text.replace("</cp:coreProperties>", f"{element}</cp:coreProperties>")
        parts["docProps/core.xml"] = text.encode("utf-8")
    tmp = path.with_name(path.name + ".zip.tmp")
    try:
        tmp.write_bytes(_zip(parts, _zip_date(timestamp)))
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
