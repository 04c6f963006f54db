"""The embedded engine: pandoc (pypandoc-binary) writes each format, or its intermediate file.

A format with an intermediate (the PDF's typst source) is then compiled by the registry's
compiler (the typst wheel): the route Quarto's ``format: typst`` takes too, so both engines
read the same sources. Which writer, file and compiler a format takes is the registry's.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
from pathlib import Path
from typing import Any

from briefkit import command
from briefkit.errors import CommandFailed, RenderFailed
from briefkit.render.base import RenderJob, finish_output, tool_message
from briefkit.render.formats import Format, get_format, render_tools
from briefkit.render.project import load_project, pandoc_defaults

logger = logging.getLogger("briefkit")


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


def pandoc_args(job: RenderJob, fmt: Format, output: Path, defaults: Path) -> list[str]:
    """The argv (after the binary) of one pandoc call; pure, for testing.

    The house style (filters, CSS, paper, margins, ...) is in ``defaults``, written from
    ``_quarto.yml`` (see ``briefkit.render.project``); only what is this build's is given here.
    ``briefkit-media`` is the build folder as the written document refers to it: the typst
    source sits in it; pandoc reads (and embeds) any other output's files from the project.
    """
    media = "." if fmt.intermediate else os.path.relpath(job.build_dir, job.root)
    return [
        os.fspath(job.source),
        "--defaults",
        os.fspath(defaults),
        "--from",
        "markdown",
        "--to",
        fmt.pandoc_to,
        "--standalone",
        "--metadata",
        f"briefkit-build={job.build_dir.resolve()}",
        "--metadata",
        f"briefkit-media={media}",
        # pandoc only warns about a missing resource and exits 0; make every warning fatal.
        "--fail-if-warnings",
        "--output",
        os.fspath(output),
    ]


class PandocEngine:
    """Renders with the embedded pandoc and typst."""

    name = "pandoc"

    def __init__(self) -> None:
        self.binary = pandoc_binary()
        self._version: str | None = None

    def version(self) -> str:
        """pandoc's version, and those of the tools the formats compile with (typst)."""
        if self._version is None:
            first = command.run([self.binary, "--version"], timeout=60).stdout.splitlines()[0]
            from briefkit.fingerprint import dependency_versions  # cheaper than importlib.metadata

            tools = render_tools()
            versions = dependency_versions(tools)
            self._version = ", ".join([first.strip(), *(f"{t} {versions[t]}" for t in tools)])
        return self._version

    def _pandoc(self, job: RenderJob, fmt: Format, output: Path, style: dict[str, Any]) -> None:
        """Run pandoc; a failure shows pandoc's warnings and errors, or the filter's message."""
        defaults = output.with_name(f".{output.name}.defaults.json")
        try:
            # JSON is YAML: pandoc reads it as a defaults file.
            defaults.write_text(json.dumps(style, indent=1), encoding="utf-8")
            argv: list[str | os.PathLike[str]] = [
                self.binary,
                *pandoc_args(job, fmt, output, defaults),
            ]
            command.run(argv, cwd=job.root, timeout=300)
        except CommandFailed as exc:
            detail = tool_message(exc.stderr) or f"exit code {exc.returncode}"
            raise RenderFailed(
                f"pandoc could not render {job.source} to {fmt.name}: {detail}"
            ) from exc
        finally:
            defaults.unlink(missing_ok=True)

    def _write(self, job: RenderJob, fmt: Format, output: Path) -> None:
        """pandoc writes ``fmt`` in the house style; self-contained as ``_quarto.yml`` asks.

        A format that embeds its resources itself (``Format.embed``: the page's stylesheets) is
        written without ``--embed-resources``, which re-reads the whole output (a third of the
        page's render); when the output links anything else, pandoc writes it again, embedding.
        """
        style = pandoc_defaults(load_project(job.root), fmt)
        if fmt.embed is not None and style.get("embed-resources") is True:
            self._pandoc(job, fmt, output, {**style, "embed-resources": False})
            if fmt.embed(output, job.root):
                return
            logger.debug("%s links resources briefkit does not embed: pandoc embeds them", output)
        self._pandoc(job, fmt, output, style)

    def render(self, job: RenderJob) -> dict[str, Path]:
        """Render every format of ``job`` side by side; each is written beside its final name.

        The formats share nothing but their inputs, and pandoc is a subprocess: two run in the
        time of one on two cores. A failure or an interrupt removes the partial file: nothing
        half-written is left. When several fail, the first format's error is raised.
        """
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=len(job.formats)) as pool:
            futures = {fmt: pool.submit(self._render_one, job, fmt) for fmt in job.formats}
        return {fmt: future.result() for fmt, future in futures.items()}

    def _render_one(self, job: RenderJob, name: str) -> Path:
        fmt = get_format(name)
        final = job.output(name)
        tmp = final.with_name(final.name + ".tmp")
        between = job.build_dir / fmt.intermediate if fmt.intermediate else None
        between_tmp = between.with_name(between.name + ".tmp") if between else None
        try:
            if between is None or between_tmp is None or fmt.compile is None:
                self._write(job, fmt, tmp)
            else:
                # pandoc writes the intermediate; the format's compiler makes the output from it
                # (the intermediate is kept for review).
                self._write(job, fmt, between_tmp)
                between_tmp.replace(between)
                fmt.compile(between, tmp, root=job.build_dir, timestamp=job.timestamp)
            return finish_output(tmp, name, job, self.name)
        finally:
            tmp.unlink(missing_ok=True)
            if between_tmp is not None:
                between_tmp.unlink(missing_ok=True)
