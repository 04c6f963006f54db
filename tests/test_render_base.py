"""Rendering helpers shared by both engines: plotly.js is inlined after the engine ran."""

from __future__ import annotations

from pathlib import Path

import pytest

from briefkit.errors import RenderFailed
from briefkit.render.html import PLOTLY_ASSET, PLOTLY_PLACEHOLDER, complete_page


def write_build(tmp_path: Path, html: str) -> Path:
    (tmp_path / "assets").mkdir()
    (tmp_path / PLOTLY_ASSET).write_text("var Plotly = {}; /* plotly.js v9 */", encoding="utf-8")
    page = tmp_path / "brief.html"
    page.write_text(html, encoding="utf-8")
    return page


def test_placeholder_becomes_one_inline_script(tmp_path: Path) -> None:
    page = write_build(tmp_path, f"<html><body>{PLOTLY_PLACEHOLDER}<div id=f></div></body></html>")
    complete_page(page, tmp_path)
    html = page.read_text(encoding="utf-8")
    assert html == (
        "<html><body><script>var Plotly = {}; /* plotly.js v9 */</script><div id=f></div>"
        "</body></html>"
    )


def test_escaped_placeholder_from_seed_text_is_left_alone(tmp_path: Path) -> None:
    escaped = PLOTLY_PLACEHOLDER.replace("<", "&lt;").replace(">", "&gt;")
    page = write_build(tmp_path, f"<html><p>{escaped}</p></html>")
    complete_page(page, tmp_path)
    assert page.read_text(encoding="utf-8") == f"<html><p>{escaped}</p></html>"


def test_two_placeholders_are_a_render_failure(tmp_path: Path) -> None:
    page = write_build(tmp_path, f"<html>{PLOTLY_PLACEHOLDER}{PLOTLY_PLACEHOLDER}</html>")
    with pytest.raises(RenderFailed, match=r"2 plotly\.js placeholders"):
        complete_page(page, tmp_path)
