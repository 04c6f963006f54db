"""Escaping: any string shows as the same visible text in markdown, typst, HTML, plotly and CSV."""

from __future__ import annotations

import csv
import json
import re
import string
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import pytest
import typst
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from briefkit import command, escape
from briefkit.artifacts import Artifacts, export_figures
from briefkit.render.html import complete_page
from briefkit.render.pandoc import pandoc_binary

from .hostile import HOSTILE, PLOTLY_MARKUP

REPO = Path(__file__).resolve().parents[1]
FILTER = REPO / "briefing" / "filters" / "briefkit.lua"

#: Any text (control characters included) for the Python escapers.
ANY_TEXT = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=40),
    st.text(string.punctuation + " \n\tab1", max_size=40),
)
#: Text as a reading can hold it (YAML allows no control characters but tab and newline).
READING_TEXT = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(st.characters(exclude_categories=("Cs", "Cc")) | st.sampled_from("\t\n"), max_size=40),
    st.text(string.punctuation + " \n\tab1", max_size=40),
)
BATCH = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def pandoc(args: list[str], stdin_text: str, tmp: Path) -> str:
    """Run the embedded pandoc on ``stdin_text`` (through a file: command.run takes no input)."""
    src = tmp / "in.md"
    src.write_text(stdin_text, encoding="utf-8")
    return command.run([pandoc_binary(), str(src), *args], timeout=60).stdout


def test_markdown_text_escapes_hostile_examples_exactly() -> None:
    assert escape.markdown_text("<b>*x*</b>\n# y") == r"\<b\>\*x\*\<\/b\> \# y"
    assert escape.markdown_text("a\x1b[31mb") == r"a\[31mb"


@BATCH
@given(st.lists(ANY_TEXT, min_size=1, max_size=12))
def test_markdown_text_round_trips_through_pandoc(
    tmp_path_factory: pytest.TempPathFactory, texts: list[str]
) -> None:
    doc = "\n\n".join(
        f"BKSTART{i}BK {escape.markdown_text(t)} BKEND{i}BK" for i, t in enumerate(texts)
    )
    out = pandoc(
        ["--from", "markdown", "--to", "plain", "--wrap=none"], doc, tmp_path_factory.mktemp("md")
    )
    for i, t in enumerate(texts):
        found = re.search(rf"BKSTART{i}BK(.*?)BKEND{i}BK", out, re.S)
        assert found is not None, (t, out)
        assert escape.visible(found.group(1)) == escape.visible(t)


@BATCH
@given(st.lists(ANY_TEXT, min_size=1, max_size=12))
def test_typst_string_round_trips_through_typst(
    tmp_path_factory: pytest.TempPathFactory, texts: list[str]
) -> None:
    src = tmp_path_factory.mktemp("typ") / "strings.typ"
    src.write_text("".join(f"#metadata({escape.typst_string(t)}) <s>\n" for t in texts))
    values = json.loads(typst.query(str(src), "<s>", field="value", root=str(src.parent)))
    assert values == [escape.printable(t) for t in texts]


def test_printable_keeps_every_visible_character() -> None:
    assert escape.printable("a\tb\nc\rd\x00e\x1b[0m\x85f") == "a\tb\nc de[0m f"


class _Cells(HTMLParser):
    """The text of every <td> of an HTML page, in order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.cells: list[str] = []
        self._in = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "td":
            self._in = True
            self.cells.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "td":
            self._in = False

    def handle_data(self, data: str) -> None:
        if self._in:
            self.cells[-1] += data


def filter_table(tmp: Path, texts: list[str], to: str) -> Path:
    """Render a one-column table artifact of ``texts`` through the brief's Lua filter."""
    build = tmp / "build"
    Artifacts(build).table("t", pd.DataFrame({"v": texts}), labels={"v": "Value"}, caption="c")
    (build / "brief.json").write_text(
        json.dumps({"title": "T", "subtitle": "S", "date": "D", "stamp": "x"})
    )
    out = tmp / f"out.{to}"
    doc = '::: {.bk-table name="t"}\n:::\n'
    pandoc(
        ["--standalone", "--to", to, "--lua-filter", str(FILTER),
         "--metadata", f"briefkit-build={build}", "--output", str(out)],
        doc, tmp,
    )  # fmt: skip
    return out


@BATCH
@given(st.lists(READING_TEXT, min_size=1, max_size=12))
def test_lua_filter_table_cells_show_text_in_html(
    tmp_path_factory: pytest.TempPathFactory, texts: list[str]
) -> None:
    out = filter_table(tmp_path_factory.mktemp("html"), texts, "html5")
    html = out.read_text(encoding="utf-8")
    assert "<script" not in html
    parser = _Cells()
    parser.feed(html)
    assert [escape.visible(c) for c in parser.cells] == [escape.visible(t) for t in texts]


def _typst_text(node: object) -> str:
    """The visible text of typst content JSON (as ``typst query`` prints it)."""
    if isinstance(node, list):
        return "".join(_typst_text(n) for n in node)
    if not isinstance(node, dict):
        return ""
    func = node.get("func")
    if func == "text":
        return str(node["text"])
    if func == "space":
        return " "
    assert func in {"sequence", "cell", "styled"}, f"data became typst markup: {node}"
    return _typst_text(node.get("children") or node.get("body") or node.get("child"))


@BATCH
@given(st.lists(READING_TEXT, min_size=1, max_size=12))
def test_lua_filter_table_cells_show_text_in_typst(
    tmp_path_factory: pytest.TempPathFactory, texts: list[str]
) -> None:
    out = filter_table(tmp_path_factory.mktemp("typst"), texts, "typst")
    figure = json.loads(typst.query(str(out), "figure", root=str(out.parent)))[0]
    children = figure["body"]["body"]["children"]
    cells = [_typst_text(c["body"]) for c in children if c.get("func") == "cell"]
    assert [escape.visible(c) for c in cells] == [escape.visible(t) for t in texts]


def test_plotly_text_cannot_close_the_script_or_become_tags(tmp_path: Path) -> None:
    hover = "</script><script>window.__pwned=1</script><!-- <b>x</b> &amp;"
    fig = go.Figure(go.Scatter(x=[1], y=[1], text=[hover], hovertext=[hover], name=hover))
    fig.update_traces(hovertemplate="%{x}<extra></extra>")
    build = tmp_path / "build"
    Artifacts(build).figure("f", fig, caption="c", alt="a")
    spec = json.loads((build / "figures" / "f.json").read_text())
    trace = spec["figure"]["data"][0]
    assert trace["hovertext"] == [escape.plotly_text(hover)]
    assert trace["name"] == escape.plotly_text(hover)
    assert trace["hovertemplate"] == "%{x}<extra></extra>"  # code's formatting is kept
    export_figures(build, static=False)
    div = (build / "figures" / "f.html").read_text()
    assert div.count("</script>") == 1
    assert "<!--" not in div
    assert "__pwned" in div  # the text is there, as data


def svg_texts(svg: Path) -> tuple[list[str], list[str]]:
    """The text of every ``<text>`` element of an SVG, and the tags of every element in it."""
    import xml.etree.ElementTree as ET

    tree = ET.parse(svg)
    tags = [el.tag.rsplit("}", 1)[-1] for el in tree.iter()]
    texts = ["".join(el.itertext()) for el in tree.iter() if el.tag.endswith("}text")]
    return texts, tags


def test_figure_text_shows_plotly_markup_literally_in_every_place(tmp_path: Path) -> None:
    link, styled, bold = PLOTLY_MARKUP
    fig = go.Figure(
        go.Heatmap(z=[[1], [2]], x=[bold], y=[link, styled], customdata=[[link], [styled]],
                   hovertemplate="%{customdata}<br>%{x}<extra></extra>", name=styled),
    )  # fmt: skip
    fig.add_trace(go.Scatter(x=[bold], y=[link], name=link, showlegend=True))
    fig.update_layout(
        title=bold, annotations=[{"text": styled, "x": bold, "y": link, "showarrow": False}],
        width=700, height=400,
    )  # fmt: skip
    fig.update_xaxes(title="line one\nline two")
    build = tmp_path / "build"
    Artifacts(build).figure("f", fig, caption="c", alt="a")
    spec = json.loads((build / "figures" / "f.json").read_text())
    assert spec["figure"]["data"][0]["hovertemplate"] == "%{customdata}<br>%{x}<extra></extra>"
    export_figures(build)
    texts, tags = svg_texts(build / "figures" / "f.svg")
    assert "a" not in tags  # no link
    shown = [escape.visible(t) for t in texts]
    # Tick labels, the legend, the title and the annotation show the markup as written.
    assert shown.count(link) >= 2
    assert shown.count(bold) >= 2
    assert styled in shown
    # A newline in a label is a line break: two lines, not one with a space.
    assert "line oneline two" in shown
    assert "line one line two" not in shown


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("-2+3", "'-2+3"),
        ("-", "-"),
        ("-1.5", "-1.5"),
        ("+44", "+44"),
        ("plain text", "plain text"),
        (3, 3),
    ],
)
def test_csv_cell_defuses_formulas_only(cell: object, expected: object) -> None:
    assert escape.csv_cell(cell) == expected


def test_table_csv_has_defused_cells(tmp_path: Path) -> None:
    Artifacts(tmp_path).table(
        "t", pd.DataFrame({"v": ["=1+1", "ok"]}), labels={"v": "V"}, caption="c"
    )
    with (tmp_path / "data" / "t.csv").open(newline="") as f:
        assert list(csv.reader(f)) == [["V"], ["'=1+1"], ["ok"]]


def test_terminal_text_shows_escape_sequences_instead_of_running_them() -> None:
    assert escape.terminal_text("a\x1b]0;pwned\x07b\tc") == "a\\x1b]0;pwned\\x07b\tc"


def test_terminal_text_shows_c1_controls_del_and_bidi_controls() -> None:
    assert escape.terminal_text("\x9b2J\x7f\u202eabc\u2066") == "\\x9b2J\\x7f\\u202eabc\\u2066"
    assert escape.markdown_readable("a\x1bc") == "a\\x1bc"


class _Figure(HTMLParser):
    """The aria-label of the plot and the text of the <figcaption>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.labels: list[str] = []
        self.caption = ""
        self._in_caption = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if "aria-label" in values:
            self.labels.append(values["aria-label"] or "")
        self._in_caption = self._in_caption or tag == "figcaption"

    def handle_endtag(self, tag: str) -> None:
        if tag == "figcaption":
            self._in_caption = False

    def handle_data(self, data: str) -> None:
        if self._in_caption:
            self.caption += data


def filter_figure(tmp: Path, caption: str, alt: str, to: str) -> Path:
    """Render a figure artifact with ``caption`` and ``alt`` through the brief's Lua filter."""
    build = tmp / "build"
    fig = go.Figure(go.Scatter(x=[1, 2], y=[1, 2]))
    Artifacts(build).figure("f", fig, caption=caption, alt=alt)
    export_figures(build, static=False)
    svg = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>'
    (build / "figures" / "f.svg").write_text(svg)
    (build / "assets").mkdir()
    (build / "assets" / "plotly.min.js").write_text("/* plotly.js stand-in */")
    (build / "brief.json").write_text(json.dumps({"title": "T", "stamp": "x"}))
    out = build / f"out.{to}"
    pandoc(
        ["--standalone", "--to", to, "--lua-filter", str(FILTER),
         "--metadata", f"briefkit-build={build}", "--metadata", "briefkit-media=.",
         "--output", str(out)],
        '::: {.bk-figure name="f"}\n:::\n', tmp,
    )  # fmt: skip
    if to.startswith("html"):
        complete_page(out, build)  # as both engines do after pandoc
    return out


def test_figure_alt_and_caption_stay_text_in_html_and_typst(tmp_path: Path) -> None:
    caption = " ".join(HOSTILE[: len(HOSTILE) // 2])
    alt = " ".join(HOSTILE[len(HOSTILE) // 2 :]) + ' " quote'
    html = filter_figure(tmp_path / "h", caption, alt, "html5").read_text(encoding="utf-8")
    parser = _Figure()
    parser.feed(html)
    assert parser.labels == [alt]
    assert escape.visible(parser.caption) == escape.visible(caption)
    assert html.count("<script") == 2  # the plotly.js stand-in and the figure's own

    typ = filter_figure(tmp_path / "t", caption, alt, "typst")
    figure = json.loads(typst.query(str(typ), "figure", root=str(typ.parent)))[0]
    assert escape.visible(_typst_text(figure["caption"]["body"])) == escape.visible(caption)
    image = figure["body"] if figure["body"]["func"] == "image" else figure["body"]["body"]
    assert image["alt"] == alt


def test_markdown_readable_keeps_data_from_acting_as_markup() -> None:
    assert escape.markdown_readable("<b>*x*</b> [l](javascript:1)") == (
        "\\<b\\>\\*x\\*\\</b\\> \\[l\\](javascript:1)"
    )


def filter_list(tmp: Path, entries: list[Any], to: str) -> str:
    """Render a text artifact of list ``entries`` through the brief's Lua filter; the output."""
    build = tmp / "build"
    Artifacts(build).text("l", entries)
    (build / "brief.json").write_text(
        json.dumps({"title": "T", "subtitle": "S", "date": "D", "stamp": "x"})
    )
    out = tmp / f"out.{to}"
    pandoc(
        ["--to", to, "--lua-filter", str(FILTER),
         "--metadata", f"briefkit-build={build}", "--output", str(out)],
        '::: {.bk-list name="l"}\n:::\n', tmp,
    )  # fmt: skip
    return out.read_text(encoding="utf-8")


def test_list_entries_show_lead_text_and_nested_items_as_text(tmp_path: Path) -> None:
    hostile = "*not bold* <b>x</b> #strong[y]"
    entries = [
        "plain",
        {"lead": "High confidence.", "text": hostile, "items": ["one", {"text": "two"}]},
    ]
    html = filter_list(tmp_path, entries, "html5")
    assert "<li>plain</li>" in html
    assert "<strong>High confidence.</strong>" in html
    assert "&lt;b&gt;x&lt;/b&gt;" in html
    assert "*not bold*" in html
    assert "<em>" not in html
    # The nested list sits inside the entry's own item.
    assert re.search(r"<li><strong>High confidence\.</strong>.*?<ul>\s*<li>one</li>", html, re.S)
    typ = filter_list(tmp_path, entries, "typst")
    assert "#strong[" in typ
    assert typ.count("- ") >= 4


def test_list_entry_of_the_wrong_shape_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match=r"text 'l', entry 1\.0: .*'text'"):
        Artifacts(tmp_path).text("l", ["ok", {"text": "t", "items": [{"lead": "no text"}]}])
    with pytest.raises(TypeError, match="'lead' must be a string"):
        Artifacts(tmp_path).text("l", [{"text": "t", "lead": 3}])
