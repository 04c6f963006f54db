"""A hostile seed builds; its text shows as text in HTML and PDF, runs nowhere, breaks no table."""

from __future__ import annotations

import hashlib
import json
import subprocess
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import docx
import pytest
import typst

from briefkit import views
from briefkit.build import BuildOptions, run_build
from briefkit.escape import visible

from .conftest import copy_project
from .hostile import HOSTILE, PLOTLY_MARKUP
from .pdf import pdf_text
from .test_brief import SECTIONS
from .test_brief_page1 import SUMMARY_PARTS
from .test_escape import svg_texts

pytestmark = pytest.mark.build

SLUG = "hostile"
TITLE = '<script>window.__pwned=1</script> #eval("1+1") $x$'
AUTHOR = "<img src=x onerror=window.__pwned=1> @ref"
ACTOR = "[x](javascript:window.__pwned=1) | ] *"
#: Every string the brief must show verbatim: the hostile set, the ones above, plotly's markup
#: (as actor names: rows of the actors table; as events: tick labels of the timeline figure).
EXPECTED = [*HOSTILE, TITLE, AUTHOR, ACTOR, *PLOTLY_MARKUP]


def write_hostile_seed(root: Path) -> None:
    """Write seeds/hostile: every hostile string in the article, reading and source metadata."""
    seed = root / "seeds" / SLUG
    seed.mkdir(parents=True)
    article = "A hostile article.\n\n" + "\n\n".join(f"It says {h} here." for h in HOSTILE) + "\n"
    (seed / "article.txt").write_text(article, encoding="utf-8")
    sha = hashlib.sha256(article.encode()).hexdigest()
    # JSON is YAML 1.2: every string is written as a double-quoted, fully escaped scalar.
    source = {
        "title": {"value": TITLE, "basis": "Hostile by design."},
        "author": AUTHOR,
        "outlet": {"value": None, "basis": "</script> not stated"},
        "date": {"value": None, "basis": "not stated"},
        "language": "en",
        "sha256": sha,
    }
    reading = {
        "schema_version": 1,
        "thesis": {"text": " ".join(HOSTILE), "status": "stated", "quotes": [HOSTILE[0]]},
        "key_judgements": HOSTILE,
        "claims": [
            {"id": f"C{i}", "text": h, "status": "stated", "quotes": [h]}
            for i, h in enumerate(HOSTILE, 1)
        ],
        "objections": [
            {
                "id": "O1",
                "text": HOSTILE[3],
                "status": "stated",
                "quotes": [HOSTILE[3]],
                "held_by": ["A1"],
                "answer": {"text": HOSTILE[6], "status": "stated", "quotes": [HOSTILE[6]]},
            }
        ],
        "events": [
            {
                "id": f"T{i}",
                "text": h,
                "date": "2024",
                "precision": "year",
                "when": "past",
                "date_source": "article",
                "status": "stated",
                "quotes": [h],
            }
            for i, h in enumerate(HOSTILE[:4], 1)
        ]
        + [
            # plotly's markup as events: the timeline figure labels its rows with their text.
            {
                "id": f"T{i}",
                "text": name,
                "date": "2024",
                "precision": "year",
                "when": "past",
                "date_source": "article",
                "status": "stated",
                "quotes": [HOSTILE[0]],
            }
            for i, name in enumerate(PLOTLY_MARKUP, 5)
        ],
        "actors": [
            {"id": "A1", "name": ACTOR},
            *(
                {
                    "id": f"A{i}",
                    "name": name,
                    "stances": [
                        {
                            "on": "C1",
                            "stance": "supports",
                            "status": "stated",
                            "quotes": [HOSTILE[0]],
                        },
                    ],
                }
                for i, name in enumerate(PLOTLY_MARKUP, 2)
            ),
        ],
    }
    (seed / "source.yaml").write_text(json.dumps(source, indent=1), encoding="utf-8")
    (seed / "reading.yaml").write_text(json.dumps(reading, indent=1), encoding="utf-8")
    (seed / "brief.yaml").write_text("version: 0.1.0\n", encoding="utf-8")


@pytest.fixture(scope="module")
def hostile_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hostile seed built once (pandoc engine, HTML, PDF, Word); returns its build folder."""
    root = copy_project(tmp_path_factory.mktemp("hostile") / "project", seeds=())
    write_hostile_seed(root)
    formats = ("html", "pdf", "docx")
    result = run_build(BuildOptions(root, SLUG, engine="pandoc", formats=formats))
    assert set(result.outputs) == set(formats)
    return root / "_build" / SLUG


def test_hostile_html_runs_no_script_and_shows_every_string(
    hostile_build: Path, browser: Any
) -> None:
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto((hostile_build / "brief.html").as_uri())
    page.wait_for_function("document.querySelectorAll('.js-plotly-plot .main-svg').length >= 3")
    # Show a hover label of hostile text, as a reader's mouse would.
    # The argument map's claims (C1 first): the hover label is the id, then the text (its lines
    # joined by a space).
    page.evaluate(
        "const map = document.getElementById('plot-argument-map');"
        "const claims = map.data.findIndex(t => t.name === 'Claims');"
        "Plotly.Fx.hover(map, [{curveNumber: claims, pointNumber: 0}])"
    )
    page.wait_for_selector("#plot-argument-map .hovertext")
    hover = page.evaluate(
        "const label = document.querySelector('#plot-argument-map .hovertext text');"
        "const lines = [...label.querySelectorAll('tspan.line')].map(t => t.textContent);"
        "lines.length ? lines.join(' ') : label.textContent"
    )
    pwned = page.evaluate("typeof window.__pwned")
    text = visible(page.inner_text("body"))
    title = page.title()
    context.close()
    assert pwned == "undefined"
    assert dialogs == []
    assert visible(hover) == visible(f"C1 {HOSTILE[0]}")
    assert visible(TITLE) in visible(title)
    missing = [s for s in EXPECTED if visible(s) not in text]
    assert missing == []


def test_hostile_figure_labels_show_plotly_markup_as_text(
    hostile_build: Path, browser: Any
) -> None:
    # Each event's row label: its text, on two lines (tspans, read here without the break).
    def squeezed(text: str) -> str:
        return "".join(visible(text).split())

    labels = [squeezed(views.label_lines(name)) for name in PLOTLY_MARKUP]
    # The SVG (as the PDF embeds it): no link, and every event's label drawn as written.
    texts, tags = svg_texts(hostile_build / "figures" / "timeline.svg")
    assert "a" not in tags
    shown = {squeezed(t) for t in texts}
    assert [label for label in labels if label not in shown] == []
    # The HTML's figure, as plotly.js draws it in the page.
    page = browser.new_page()
    page.goto((hostile_build / "brief.html").as_uri())
    page.wait_for_selector("#plot-timeline .main-svg")
    links = page.evaluate("document.querySelectorAll('#plot-timeline svg a').length")
    ticks = page.evaluate(
        "[...document.querySelectorAll('#plot-timeline .ytick text')].map(t => t.textContent)"
    )
    page.close()
    assert links == 0
    assert [label for label in labels if label not in {squeezed(t) for t in ticks}] == []


def test_hostile_annotated_article_shows_quotes_as_text(hostile_build: Path, browser: Any) -> None:
    page = browser.new_page()
    page.goto((hostile_build / "brief.html").as_uri())
    text = visible(page.inner_text(".bk-article"))
    titles = page.evaluate(
        "[...document.querySelectorAll('.bk-article .bk-qid')].map(q => q.getAttribute('title'))"
    )
    marks = page.evaluate(
        "[...document.querySelectorAll('.bk-article mark')].map(m => m.textContent)"
    )
    page.close()
    # Each paragraph, its quote marked, the quote on hover of its ids: all of it as text.
    assert [h for h in HOSTILE if f"It says {visible(h)}" not in text] == []
    assert [h for h in HOSTILE if visible(h) not in {visible(t) for t in titles}] == []
    assert [h for h in HOSTILE if visible(h) not in {visible(m) for m in marks}] == []


class _Tags(HTMLParser):
    """Event-handler attributes, script URLs and <script> elements of an HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.handlers: list[str] = []
        self.script_urls: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.scripts += tag == "script"
        for name, value in attrs:
            if name.startswith("on"):
                self.handlers.append(f"<{tag} {name}>")
            if name in {"href", "src", "action"} and (value or "").strip().lower().startswith(
                ("javascript:", "vbscript:")
            ):
                self.script_urls.append(f"<{tag} {name}={value}>")


def test_hostile_html_has_only_the_briefs_own_scripts(hostile_build: Path) -> None:
    html = (hostile_build / "brief.html").read_text(encoding="utf-8")
    specs = [json.loads(p.read_text()) for p in (hostile_build / "figures").glob("*.json")]
    # A figure with nothing to draw (a sentence "instead", e.g. no measures) has no script.
    figures = len([spec for spec in specs if "instead" not in spec])
    # plotly.js once, then one script per figure; nothing from the seed.
    assert html.lower().count("<script") == 1 + figures
    tags = _Tags()
    tags.feed(html)
    assert tags.handlers == []
    assert tags.script_urls == []
    assert tags.scripts == 1 + figures


def test_hostile_pdf_text_contains_every_string(hostile_build: Path) -> None:
    text = pdf_text(hostile_build / "brief.pdf")
    flat = visible(text)
    missing = [s for s in EXPECTED if visible(s) not in flat]
    assert missing == []
    assert "root:x:0:0" not in text  # #read("/etc/passwd") was never run


def plain(content: dict[str, Any]) -> str:
    """The text of a queried typst content element (a text node, or a sequence of them)."""
    if "text" in content:
        return str(content["text"])
    if content.get("func") == "space":
        return " "
    if content.get("func") == "smartquote":
        # An apostrophe of the brief's own text ("The author's"), as typst sets it.
        return "\u201d" if content.get("double") else "\u2019"
    return "".join(plain(child) for child in content.get("children", []))


def test_hostile_tables_keep_every_row_in_html_and_typst(hostile_build: Path, browser: Any) -> None:
    specs = {
        p.stem: json.loads(p.read_text(encoding="utf-8"))
        for p in sorted((hostile_build / "tables").glob("*.json"))
    }
    page = browser.new_page()
    page.goto((hostile_build / "brief.html").as_uri())
    html_rows = {
        name: page.evaluate(f"document.querySelectorAll('#tbl-{name} tbody tr').length")
        for name in specs
    }
    page.close()
    assert html_rows == {name: len(spec["rows"]) for name, spec in specs.items()}

    typ = hostile_build / "brief.typ"
    figures = json.loads(typst.query(str(typ), "figure", root=str(hostile_build)))
    cells = {
        f["label"].strip("<>"): sum(
            1 for c in f["body"]["body"]["children"] if c.get("func") == "cell"
        )
        for f in figures
        if f.get("kind") == "table"
    }
    assert cells == {
        f"tbl-{name}": len(spec["rows"]) * len(spec["columns"]) for name, spec in specs.items()
    }
    # Data made no heading: only the outline's title and the brief's own sections.
    headings = json.loads(typst.query(str(typ), "heading", root=str(hostile_build)))
    # (The PDF's outline follows page 1's summary and its parts; the argument's own outline, a
    # sub-heading of the brief's text, follows its tables.)
    outline = "The argument as an outline"
    expected = [SECTIONS[0], *SUMMARY_PARTS, "Contents", SECTIONS[1], outline, *SECTIONS[2:]]
    assert [plain(h["body"]) for h in headings] == expected


#: Collects every string of the filtered document that Quarto's shortcode pass would read (raw
#: blocks and inlines, code, attribute values, link targets, image sources: quarto-cli
#: src/resources/filters/customnodes/shortcodes.lua) into the file named by metadata.
RAW_OUTPUTS = """
local seen = {}
local function attrs(el)
  for _, kv in ipairs(el.attributes) do table.insert(seen, kv[2]) end
end
function Pandoc(doc)
  doc:walk({
    RawBlock = function(el) table.insert(seen, el.text) end,
    RawInline = function(el) table.insert(seen, el.text) end,
    Code = function(el) table.insert(seen, el.text); attrs(el) end,
    CodeBlock = function(el) table.insert(seen, el.text); attrs(el) end,
    Div = attrs, Span = attrs, Header = attrs, Table = attrs, Figure = attrs,
    Link = function(el) table.insert(seen, el.target); attrs(el) end,
    Image = function(el) table.insert(seen, el.src); attrs(el) end,
  })
  local out = io.open(pandoc.utils.stringify(doc.meta["raw-outputs"]), "w")
  out:write(pandoc.json.encode(seen))
  out:close()
end
"""


@pytest.mark.parametrize("to", ["html", "typst"])
def test_no_raw_output_of_the_filter_can_start_a_shortcode(
    hostile_build: Path, tmp_path: Path, to: str
) -> None:
    """Seed text holding "{{< env HOME >}}" stays text under Quarto too: no string the filter
    emits where Quarto looks for shortcodes contains "{{<"."""
    from briefkit.render.pandoc import pandoc_binary

    root = hostile_build.parents[1]
    checker = tmp_path / "raw-outputs.lua"
    checker.write_text(RAW_OUTPUTS, encoding="utf-8")
    report = tmp_path / f"raw-{to}.json"
    argv = [str(pandoc_binary()), "briefing/brief.qmd", "--to", to, "--standalone",
            "--lua-filter", "briefing/filters/briefkit.lua", "--lua-filter", str(checker),
            "--metadata", f"briefkit-build={hostile_build}", "--metadata", f"raw-outputs={report}",
            "--output", str(tmp_path / f"out.{to}")]  # fmt: skip
    subprocess.run(argv, cwd=root, check=True, capture_output=True)
    seen = json.loads(report.read_text(encoding="utf-8"))
    assert len(seen) > 20
    assert [s for s in seen if "{{<" in s] == []
    # ... though the seed's shortcode strings did reach them (typst literals, figure data).
    assert any("env HOME" in s for s in seen)


def test_hostile_word_shows_every_string_as_text_and_no_field(hostile_build: Path) -> None:
    """Seed text in Word is text: every string shows as itself, none becomes a field."""
    from .test_render_docx import FIELDS, fields, word_text

    path = hostile_build / "brief.docx"
    text = word_text(docx.Document(str(path)))
    assert [s for s in EXPECTED if visible(s) not in text] == []
    assert fields(path) == FIELDS
    with zipfile.ZipFile(path) as z:
        assert [n for n in z.namelist() if n.endswith((".js", ".bin", ".vml"))] == []
