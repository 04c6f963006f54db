"""What every render engine takes and gives: the Engine protocol and the render job."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from briefkit.errors import RenderFailed, strip_ansi
from briefkit.render.formats import FORMATS, get_format
from briefkit.render.formats import verify as verify_output

__all__ = ["FORMATS", "Engine", "RenderJob", "finish_output", "inline_plotly", "verify_output"]

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
        return self.build_dir / get_format(fmt).output


class Engine(Protocol):
    """A renderer of the brief's .qmd sources into the registered formats."""

    name: str

    def version(self) -> str:
        """The engine's tool version(s), for stamps and manifests."""
        ...

    def render(self, job: RenderJob) -> dict[str, Path]:
        """Render every format of ``job``; return {format: output path}."""
        ...


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


def finish_output(produced: Path, fmt: str, job: RenderJob, engine: str) -> Path:
    """Check an engine's output is whole, complete it, and move it to its final name."""
    verify_output(produced, fmt, engine)
    spec = get_format(fmt)
    # Checked again after a rewrite: what is moved into place is what was checked.
    if spec.inline_plotly:
        verify_output(inline_plotly(produced, job.build_dir), fmt, engine)
    if spec.ooxml:
        from briefkit.render.docx import make_reproducible

        verify_output(make_reproducible(produced, job.build_dir, job.timestamp), fmt, engine)
    return produced.replace(job.output(fmt))


_FILTER_ERROR = re.compile(
    r"^Error running filter [^\n]*:\n(.*?)(?:\nstack traceback:|\Z)", re.MULTILINE | re.DOTALL
)


def tool_message(stderr: str) -> str:
    """The part of a tool's stderr that says why it failed, on one line.

    A Lua filter's ``error()`` is printed by pandoc as "Error running filter <file>:", the
    message, then a Lua stack traceback whose last line ("(...tail calls...)") says nothing:
    the message is what the user needs. Otherwise pandoc's warnings and errors, else the last line.
    """
    text = strip_ansi(stderr)
    found = _FILTER_ERROR.search(text)
    if found and found[1].strip():
        return " ".join(found[1].split())
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    said = [ln for ln in lines if ln.startswith(("[WARNING]", "[ERROR]", "ERROR:"))]
    return "; ".join(said or lines[-1:])
