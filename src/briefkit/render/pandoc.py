"""The embedded engine: pandoc (pypandoc-binary) for HTML; pandoc -> typst (typst wheel) for PDF.

This is the route Quarto's ``format: typst`` takes too, so both engines read the same sources.
"""

from __future__ import annotations

import importlib.util
import logging
import os
from pathlib import Path

from briefkit import command
from briefkit.errors import RenderFailed, ToolNotFound
from briefkit.render.base import RenderJob, inline_plotly, verify_output

logger = logging.getLogger("briefkit")

FILTER = Path("briefing/filters/briefkit.lua")
CSS = Path("briefing/brief.css")


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
        "--toc",
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
            "--toc-depth=2",
            "--css",
            os.fspath(CSS),
        ]
    if fmt == "typst":
        return [
            *common,
            "--to",
            "typst",
            "--toc-depth=1",
            "--variable",
            "papersize=a4",
            "--variable",
            "page-numbering=1 / 1",
            "--variable",
            "margin.x=2cm",
            "--variable",
            "margin.y=2.2cm",
            "--variable",
            "fontsize=10.5pt",
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
        message = " ".join(str(exc).split())
        raise RenderFailed(f"typst could not compile {source}: {message}") from exc


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
            from briefkit.cache import dependency_versions  # cheaper than importlib.metadata

            typst_version = dependency_versions(["typst"])["typst"]
            self._version = f"{first.strip()}, typst {typst_version}"
        return self._version

    def render(self, job: RenderJob) -> dict[str, Path]:
        """Render HTML and/or PDF; each is written beside its final name, then renamed."""
        outputs: dict[str, Path] = {}
        for fmt in job.formats:
            final = job.output(fmt)
            tmp = final.with_name(final.name + ".tmp")
            if fmt == "html":
                command.run(
                    [self.binary, *pandoc_args(job, "html", tmp)], cwd=job.root, timeout=300
                )
                verify_output(inline_plotly(tmp, job.build_dir), "html", self.name)
            elif fmt == "pdf":
                typ = job.build_dir / "brief.typ"
                command.run(
                    [self.binary, *pandoc_args(job, "typst", typ)], cwd=job.root, timeout=300
                )
                compile_typst(typ, tmp, root=job.build_dir, timestamp=job.timestamp)
                verify_output(tmp, "pdf", self.name)
            else:
                raise ValueError(f"unknown format {fmt!r}")
            outputs[fmt] = tmp.replace(final)
        return outputs
