"""HTML outputs: plotly.js is inlined once into the rendered page, after the engine ran."""

from __future__ import annotations

from pathlib import Path

from briefkit.errors import RenderFailed

#: What the Lua filter writes where plotly.js belongs; replaced after the engine ran.
PLOTLY_PLACEHOLDER = "<!-- briefkit:plotly.js -->"
PLOTLY_ASSET = "assets/plotly.min.js"


def inline_plotly(html_path: Path, build_dir: Path) -> Path:
    """Put plotly.js (once) where the filter left its placeholder in a rendered HTML page.

    Done after the engine, because ``--embed-resources`` spends seconds scanning 4.8 MB of
    inline script. Seed text cannot forge the placeholder: the writers escape its ``<``.
    """
    html = html_path.read_text(encoding="utf-8")
    count = html.count(PLOTLY_PLACEHOLDER)
    if count == 0:
        return html_path
    if count > 1:
        raise RenderFailed(f"{html_path} holds {count} plotly.js placeholders; expected one")
    js = (build_dir / PLOTLY_ASSET).read_text(encoding="utf-8")
    # A "</script" inside the library would end the element early.
    js = js.replace("</script", "<\\/script")
    before, after = html.split(PLOTLY_PLACEHOLDER)
    html_path.write_text(f"{before}<script>{js}</script>{after}", encoding="utf-8")
    return html_path


def finish(path: Path, build_dir: Path, timestamp: int) -> Path:
    """The HTML format's finishing step (see ``Format.finish``): plotly.js inlined."""
    return inline_plotly(path, build_dir)
