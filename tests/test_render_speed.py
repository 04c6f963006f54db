"""The page's render without pandoc's re-reading: briefkit inlines the stylesheets pandoc would.

The embedded engine writes the HTML without ``--embed-resources`` and inlines the stylesheets
itself (``html.embed_stylesheets``); a page that links anything else is left to pandoc. Either
way the page must be self-contained and byte for byte the page pandoc's embedding writes.
"""

from __future__ import annotations

import base64
import dataclasses
import re
from pathlib import Path

import pytest

from briefkit.errors import RenderFailed
from briefkit.render import formats, html
from briefkit.render.base import RenderJob
from briefkit.render.formats import HTML
from briefkit.render.pandoc import PandocEngine

from .test_render_pandoc import make_job

#: Text the writer escapes, quotes TagSoup writes as entities, a long link whose start tag
#: pandoc wraps, a table (empty col elements), raw HTML with a bare attribute and a comment.
QMD = """# A brief's "first" section

The author's claim, in "quotes" & <angles> > less; a [long link to a place with a title](
https://example.org/a/rather/long/path/that/wraps "It's the 'title' of the link").

| Column one | Column two |
|:-----------|-----------:|
| O'Brien    | 1 > 0      |

<details open><summary>More</summary>

Text inside. <!-- a comment -->

</details>

Line one\\
line two.
"""

#: A stylesheet with what pandoc's CSS rewriting changes: comments, runs of white space.
EXTRA_CSS = "/* extra */\nmain  {\n\tcolor : #123 ;}  /* two */ ul li\f{ margin:0 }\n"

#: A tiny PNG (1x1 pixel).
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def render_both(job: RenderJob, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str, list[bool]]:
    """The page as the engine writes it now, and as pandoc's own embedding writes it.

    Also what ``embed_stylesheets`` answered: [True] when briefkit embedded, [False] when it
    left the page to pandoc.
    """
    answers: list[bool] = []

    def spy(path: Path, root: Path) -> bool:
        answers.append(html.embed_stylesheets(path, root))
        return answers[-1]

    monkeypatch.setitem(formats.REGISTRY, "html", dataclasses.replace(HTML, embed=spy))
    PandocEngine().render(job)
    ours = job.output("html").read_text(encoding="utf-8")
    monkeypatch.setitem(formats.REGISTRY, "html", dataclasses.replace(HTML, embed=None))
    PandocEngine().render(job)
    pandocs = job.output("html").read_text(encoding="utf-8")
    return ours, pandocs, answers


def assert_self_contained(page: str) -> None:
    """No element of ``page`` loads a file: no link, every source a data: URL."""
    assert "<link" not in page
    for source in re.findall(r'\b(?:src|href)="([^"#][^"]*)"', page):
        assert source.startswith(("data:", "https:", "#")), source


def test_the_house_stylesheet_is_inlined_by_briefkit_as_pandoc_inlines_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = make_job(tmp_path, QMD, ("html",))
    ours, pandocs, answers = render_both(job, monkeypatch)
    assert answers == [True]
    assert ours == pandocs
    css = (job.root / "briefing" / "brief.css").read_text(encoding="utf-8")
    first_rule = css.split("}")[0].split("*/")[-1].strip().split("\n")[0]
    assert '<style type="text/css">' in ours
    assert first_rule in ours
    assert_self_contained(ours)


def test_another_local_stylesheet_in_the_brief_is_inlined_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    qmd = QMD + '\n<link rel="stylesheet" href="briefing/extra.css">\n\nAfter it.\n'
    job = make_job(tmp_path, qmd, ("html",))
    (job.root / "briefing" / "extra.css").write_text(EXTRA_CSS, encoding="utf-8")
    ours, pandocs, answers = render_both(job, monkeypatch)
    assert answers == [True]
    assert ours == pandocs
    assert "main {\ncolor : #123 ;}  ul li\f{ margin:0 }" in ours
    assert_self_contained(ours)


@pytest.mark.parametrize(
    "extra",
    [
        pytest.param("![a local image](briefing/dot.png)\n", id="markdown-image"),
        pytest.param('<img src="briefing/dot.png" alt="dot">\n', id="raw-img"),
        pytest.param('<link rel="stylesheet" href="briefing/bg.css">\n', id="css-with-url"),
        pytest.param('<script src="briefing/tiny.js"></script>\n', id="script-file"),
    ],
)
def test_a_brief_that_links_other_resources_is_left_to_pandoc_and_self_contained(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, extra: str
) -> None:
    job = make_job(tmp_path, QMD + "\n" + extra, ("html",))
    (job.root / "briefing" / "dot.png").write_bytes(PNG)
    (job.root / "briefing" / "bg.css").write_text(
        "body { background: url(dot.png); }\n", encoding="utf-8"
    )
    (job.root / "briefing" / "tiny.js").write_text("var briefkitTest = 1;\n", encoding="utf-8")
    ours, pandocs, answers = render_both(job, monkeypatch)
    assert answers == [False]
    assert ours == pandocs
    assert_self_contained(ours)
    assert "data:image/png;base64," in ours or "var briefkitTest = 1;" in ours


def test_a_missing_resource_still_fails_with_pandocs_message(tmp_path: Path) -> None:
    qmd = QMD + '\n<link rel="stylesheet" href="briefing/gone.css">\n'
    job = make_job(tmp_path, qmd, ("html",))
    with pytest.raises(RenderFailed) as info:
        PandocEngine().render(job)
    assert "Could not fetch resource briefing/gone.css" in str(info.value)
    assert not job.output("html").exists()


@pytest.mark.parametrize(
    "page",
    [
        pytest.param("<p>a &nbsp; b</p>", id="named-entity"),
        pytest.param("<p>a < b</p>", id="bare-angle"),
        pytest.param('<p title="x &copy; y">a</p>', id="entity-in-attribute"),
        pytest.param("<P>upper</P>", id="upper-case-tag"),
        pytest.param("<span/>", id="self-closed-span"),
        pytest.param("<p>a\r\nb</p>", id="carriage-return"),
        pytest.param("<style>@import 'x.css';</style>", id="style-import"),
    ],
)
def test_a_page_written_otherwise_is_left_untouched(tmp_path: Path, page: str) -> None:
    """What TagSoup may read otherwise than briefkit's subset: pandoc embeds it."""
    path = tmp_path / "page.html"
    whole = f"<!DOCTYPE html>\n<html>\n<head>\n</head>\n<body>\n{page}\n</body>\n</html>\n"
    path.write_bytes(whole.encode("utf-8"))
    assert not html.embed_stylesheets(path, tmp_path)
    assert path.read_bytes() == whole.encode("utf-8")
