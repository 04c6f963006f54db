"""What every render engine takes and gives: the Engine protocol and the render job."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from briefkit.errors import RenderFailed

#: Output formats and the file each produces.
FORMATS = {"html": "brief.html", "pdf": "brief.pdf"}
#: What the Lua filter writes where plotly.js belongs; replaced after the engine ran.
PLOTLY_PLACEHOLDER = "<!-- briefkit:plotly.js -->"
PLOTLY_ASSET = "assets/plotly.min.js"


@dataclass(frozen=True)
class RenderJob:
    """Render ``source`` (a .qmd under ``root``) with the artifacts of ``build_dir``."""

    root: Path
    source: Path
    build_dir: Path
    formats: tuple[str, ...]
    timestamp: int

    def output(self, fmt: str) -> Path:
        """The final path of ``fmt``'s output."""
        return self.build_dir / FORMATS[fmt]


class Engine(Protocol):
    """A renderer of the brief's .qmd sources into HTML and PDF."""

    name: str

    def version(self) -> str:
        """The engine's tool version(s), for stamps and manifests."""
        ...

    def render(self, job: RenderJob) -> dict[str, Path]:
        """Render every format of ``job``; return {format: output path}."""
        ...


def verify_output(path: Path, fmt: str, engine: str) -> Path:
    """Check that an engine really produced ``path``: exit codes alone are not trusted."""
    if not path.is_file():
        raise RenderFailed(f"{engine} reported success but wrote no {fmt} output ({path})")
    size = path.stat().st_size
    if size == 0:
        raise RenderFailed(f"{engine} wrote an empty {fmt} output ({path})")
    with path.open("rb") as f:
        head = f.read(1024)
        f.seek(max(0, size - 1024))
        tail = f.read()
    if fmt == "pdf" and (not head.startswith(b"%PDF-") or b"%%EOF" not in tail):
        raise RenderFailed(f"{engine} wrote an incomplete PDF ({path})")
    if fmt == "html" and b"<html" not in head.lower():
        raise RenderFailed(f"{engine} wrote an HTML output with no <html> element ({path})")
    if fmt == "html" and b"</html>" not in tail.lower():
        raise RenderFailed(f"{engine} wrote an incomplete HTML output, with no </html> ({path})")
    return path


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
