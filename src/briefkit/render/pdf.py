"""PDF outputs: the typst source pandoc (or Quarto) writes, compiled by the typst wheel."""

from __future__ import annotations

import os
import re
from pathlib import Path

from briefkit.errors import RenderFailed, ToolNotFound, strip_ansi


def compile_typst(source: Path, output: Path, *, root: Path, timestamp: int) -> None:
    """Compile a .typ file to PDF with a fixed timestamp and only the bundled fonts."""
    try:
        import typst
    except ImportError as exc:  # pragma: no cover - a dependency
        raise ToolNotFound("typst", "pip install typst") from exc
    try:
        typst.compile(
            os.fspath(source),
            output=os.fspath(output),
            root=os.fspath(root),
            timestamp=timestamp,
            ignore_system_fonts=True,
        )
    except Exception as exc:  # typst raises its own TypstError with the diagnostic text
        raise RenderFailed(f"typst could not compile {typst_diagnostic(exc, source)}") from exc


_TYPST_ERROR = re.compile(r"^error: (.*)$", re.M)
_TYPST_SPAN = re.compile(r"^\s*┌─ .*?:(\d+):(\d+)\s*$", re.M)


def typst_diagnostic(exc: BaseException, source: Path) -> str:
    """``source:line:column: message`` of a TypstError's first error, and how many follow."""
    diagnostic = strip_ansi(str(getattr(exc, "diagnostic", "") or ""))
    errors = _TYPST_ERROR.findall(diagnostic)
    span = _TYPST_SPAN.search(diagnostic)
    message = " ".join((errors[0] if errors else str(exc)).split())
    # typst counts columns from 0; editors (and pandoc) count from 1.
    where = f"{source}:{span[1]}:{int(span[2]) + 1}" if span else f"{source}"
    more = f" (and {len(errors) - 1} more error(s))" if len(errors) > 1 else ""
    return f"{where}: {message}{more}"
