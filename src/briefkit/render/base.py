"""What every render engine takes and gives: the Engine protocol and the render job."""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from briefkit.errors import RenderFailed, strip_ansi
from briefkit.render.formats import FORMATS, get_format
from briefkit.render.formats import verify as verify_output

__all__ = ["FORMATS", "Engine", "RenderJob", "complete_page", "finish_output", "verify_output"]

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


def finish_output(produced: Path, fmt: str, job: RenderJob, engine: str) -> Path:
    """Check an engine's output is whole, complete it, and move it to its final name."""
    verify_output(produced, fmt, engine)
    spec = get_format(fmt)
    # Checked again after a rewrite: what is moved into place is what was checked.
    if spec.inline_plotly:
        verify_output(complete_page(produced, job.build_dir), fmt, engine)
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
