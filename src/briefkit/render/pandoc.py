"""The embedded engine: pandoc (pypandoc-binary) for HTML; pandoc -> typst (typst wheel) for PDF.

This is the route Quarto's ``format: typst`` takes too, so both engines read the same sources.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import re
from pathlib import Path

from briefkit import command
from briefkit.errors import CommandFailed, RenderFailed, ToolNotFound, strip_ansi
from briefkit.render.base import RenderJob, inline_plotly, verify_output

logger = logging.getLogger("briefkit")

FILTER = Path("briefing/filters/briefkit.lua")
CSS = Path("briefing/brief.css")
TYPST_STYLE = Path("briefing/brief-typst.typ")


def pandoc_binary() -> Path:
    """The pandoc shipped in the pypandoc-binary wheel (or ``PANDOC_PATH`` / PATH as fallback)."""
    if os.environ.get("PANDOC_PATH"):
        return command.which("pandoc", env_var="PANDOC_PATH")
    # The wheel's binary, found without importing pypandoc (a tenth of a no-change build).
    spec = importlib.util.find_spec("pypandoc")
    if spec is not None and spec.origin is not None:
        bundled = (
            Path(spec.origin).parent / "files" / ("pandoc.exe" if os.name == "nt" else "pandoc")
        )
        if bundled.is_file():
            return bundled
    try:
        import pypandoc

        return Path(pypandoc.get_pandoc_path())
    except (ImportError, OSError):
        return command.which("pandoc", hint="pip install pypandoc-binary")


def pandoc_args(job: RenderJob, fmt: str, output: Path) -> list[str]:
    """The argv (after the binary) of one pandoc call; pure, for testing."""
    common = [
        os.fspath(job.source),
        "--from",
        "markdown",
        "--standalone",
        "--lua-filter",
        os.fspath(FILTER),
        "--metadata",
        f"briefkit-build={job.build_dir.resolve()}",
        "--metadata",
        "briefkit-media=.",
        # pandoc only warns about a missing resource and exits 0; make every warning fatal.
        "--fail-if-warnings",
        "--output",
        os.fspath(output),
    ]
    if fmt == "html":
        return [
            *common,
            "--to",
            "html5",
            "--embed-resources",
            "--toc",
            "--toc-depth=2",
            # The title is the page's one <h1>; the brief's sections become <h2>.
            "--shift-heading-level-by=1",
            "--css",
            os.fspath(CSS),
        ]
    if fmt == "typst":
        return [
            *common,
            "--to",
            "typst",
            "--include-in-header",
            os.fspath(TYPST_STYLE),
            "--variable",
            "papersize=a4",
            "--variable",
            "page-numbering=1 / 1",
            "--variable",
            "margin.x=2cm",
            "--variable",
            "margin.y=2cm",
            "--variable",
            "fontsize=10pt",
        ]
    raise ValueError(f"unknown pandoc format {fmt!r}")


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


class PandocEngine:
    """Renders with the embedded pandoc and typst."""

    name = "pandoc"

    def __init__(self) -> None:
        self.binary = pandoc_binary()
        self._version: str | None = None

    def version(self) -> str:
        """pandoc and typst versions."""
        if self._version is None:
            first = command.run([self.binary, "--version"], timeout=60).stdout.splitlines()[0]
            from briefkit.fingerprint import dependency_versions  # cheaper than importlib.metadata

            typst_version = dependency_versions(["typst"])["typst"]
            self._version = f"{first.strip()}, typst {typst_version}"
        return self._version

    def _pandoc(self, job: RenderJob, fmt: str, output: Path) -> None:
        """Run pandoc; a failure shows pandoc's warnings and errors, not only its last line."""
        try:
            command.run([self.binary, *pandoc_args(job, fmt, output)], cwd=job.root, timeout=300)
        except CommandFailed as exc:
            lines = [ln.strip() for ln in exc.stderr.splitlines()]
            said = [ln for ln in lines if ln.startswith(("[WARNING]", "[ERROR]"))]
            detail = "; ".join(said or lines[-1:]) or f"exit code {exc.returncode}"
            raise RenderFailed(f"pandoc could not render {job.source} to {fmt}: {detail}") from exc

    def render(self, job: RenderJob) -> dict[str, Path]:
        """Render HTML and/or PDF, side by side; each is written beside its final name, renamed.

        The formats share nothing but their inputs, and pandoc is a subprocess: two run in the
        time of one on two cores. A failure or an interrupt removes the partial file: nothing
        half-written is left. When both fail, the first format's error is raised.
        """
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=len(job.formats)) as pool:
            futures = {fmt: pool.submit(self._render_one, job, fmt) for fmt in job.formats}
        return {fmt: future.result() for fmt, future in futures.items()}

    def _render_one(self, job: RenderJob, fmt: str) -> Path:
        final = job.output(fmt)
        tmp = final.with_name(final.name + ".tmp")
        typ = job.build_dir / "brief.typ"
        typ_tmp = typ.with_name(typ.name + ".tmp")
        try:
            if fmt == "html":
                self._pandoc(job, "html", tmp)
                verify_output(inline_plotly(tmp, job.build_dir), "html", self.name)
            elif fmt == "pdf":
                self._pandoc(job, "typst", typ_tmp)
                typ_tmp.replace(typ)
                compile_typst(typ, tmp, root=job.build_dir, timestamp=job.timestamp)
                verify_output(tmp, "pdf", self.name)
            else:
                raise ValueError(f"unknown format {fmt!r}")
            return tmp.replace(final)
        finally:
            tmp.unlink(missing_ok=True)
            typ_tmp.unlink(missing_ok=True)
