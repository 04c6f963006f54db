"""HTML outputs: plotly.js and the downloads' data are put into the page after the engine ran."""

from __future__ import annotations

import re
import urllib.parse
from pathlib import Path

from briefkit.errors import RenderFailed

#: What the Lua filter writes where plotly.js belongs; replaced after the engine ran.
PLOTLY_PLACEHOLDER = "<!-- briefkit:plotly.js -->"
PLOTLY_ASSET = "assets/plotly.min.js"
#: Where the filter left a download's data: URL: a link to ``briefkit-data:<path in hex>``.
#: Seed text cannot forge it: the writers escape every ``<`` of text and attributes.
_DATA_PLACEHOLDER = re.compile(r'<a href="briefkit-data:([^"]*)"')


def data_url(path: Path) -> str:
    """``path``'s bytes as a percent-encoded ``data:`` URL (JSON, else CSV), as the page links it.

    Every byte but letters, digits and ``-._~`` is encoded, so no byte of the data is markup.
    """
    mime = "application/json" if path.name.endswith(".json") else "text/csv"
    return f"data:{mime};charset=utf-8,{urllib.parse.quote(path.read_bytes(), safe='')}"


def _download(found: re.Match[str], build_dir: Path) -> str:
    try:
        rel = bytes.fromhex(found[1]).decode("utf-8")
    except ValueError:
        rel = ""
    base = build_dir.resolve()
    path = base.joinpath(rel).resolve() if rel else base
    if path == base or not path.is_relative_to(base) or not path.is_file():
        raise RenderFailed(f"the page links a download that is not a file of the build: {rel!r}")
    return f'<a href="{data_url(path)}"'


def complete_page(html_path: Path, build_dir: Path) -> Path:
    """Put plotly.js (once) and the downloads' data: URLs where the filter left placeholders.

    Done after the engine, because ``--embed-resources`` re-reads all that it is handed: it
    spent seconds scanning 4.8 MB of inline script, and a third of the render on the encoded
    downloads. Seed text cannot forge a placeholder: the writers escape its ``<``.
    """
    html = html_path.read_text(encoding="utf-8")
    count = html.count(PLOTLY_PLACEHOLDER)
    if count > 1:
        raise RenderFailed(f"{html_path} holds {count} plotly.js placeholders; expected one")
    done = _DATA_PLACEHOLDER.sub(lambda found: _download(found, build_dir), html)
    if count == 1:
        js = (build_dir / PLOTLY_ASSET).read_text(encoding="utf-8")
        # A "</script" inside the library would end the element early.
        js = js.replace("</script", "<\\/script")
        before, after = done.split(PLOTLY_PLACEHOLDER)
        done = f"{before}<script>{js}</script>{after}"
    if done != html:
        html_path.write_text(done, encoding="utf-8")
    return html_path


def finish(path: Path, build_dir: Path, timestamp: int) -> Path:
    """The HTML format's finishing step (see ``Format.finish``): the page completed."""
    return complete_page(path, build_dir)
