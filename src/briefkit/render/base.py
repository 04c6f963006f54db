"""What every render engine takes and gives: the Engine protocol and the render job."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from briefkit.errors import strip_ansi
from briefkit.render.formats import FORMATS, get_format
from briefkit.render.formats import verify as verify_output

__all__ = ["FORMATS", "Engine", "RenderJob", "finish_output", "verify_output"]


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


def finish_output(produced: Path, fmt: str, job: RenderJob, engine: str) -> Path:
    """Check an engine's output is whole, complete it, and move it to its final name."""
    verify_output(produced, fmt, engine)
    finish = get_format(fmt).finish
    # Checked again after a rewrite: what is moved into place is what was checked.
    if finish is not None:
        verify_output(finish(produced, job.build_dir, job.timestamp), fmt, engine)
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
