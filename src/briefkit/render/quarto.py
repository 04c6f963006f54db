"""The Quarto engine: a thin, checked wrapper around ``quarto render``.

CLI reference: https://quarto.org/docs/cli/render.html (``--to``, ``--output``, ``--output-dir``,
``-M/--metadata KEY:VALUE``, ``--quiet``); ``quarto --version`` prints the bare version number.
Formats: https://quarto.org/docs/output-formats/typst.html (``--to typst`` renders a PDF).
"""

from __future__ import annotations

import logging
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from briefkit import command
from briefkit.errors import CommandFailed, RenderFailed, ToolNotFound
from briefkit.render.base import RenderJob, finish_output, tool_message
from briefkit.render.formats import get_format

logger = logging.getLogger("briefkit")

MIN_VERSION = (1, 5)
INSTALL_HINT = (
    "install Quarto >= 1.5 (https://quarto.org/docs/get-started/) and put it on PATH or set "
    "QUARTO_PATH, or use the embedded engine: --engine pandoc"
)


@dataclass(frozen=True)
class QuartoOptions:
    """Everything that decides one ``quarto render`` call."""

    source: str
    fmt: str
    output_name: str
    output_dir: str
    build_dir: str
    media_dir: str


def quarto_args(opts: QuartoOptions) -> list[str]:
    """Build the argv (after the binary) of one ``quarto render`` call; pure, for testing."""
    return [
        "render",
        opts.source,
        "--to",
        get_format(opts.fmt).quarto_to,
        "--output",
        opts.output_name,
        "--output-dir",
        opts.output_dir,
        "-M",
        f"briefkit-build:{opts.build_dir}",
        "-M",
        f"briefkit-media:{opts.media_dir}",
        "--quiet",
    ]


def parse_tool_version(text: str) -> tuple[int, ...]:
    """Parse ``quarto --version`` output such as ``1.6.40``."""
    match = re.search(r"(\d+)\.(\d+)(?:\.(\d+))?", text)
    if not match:
        return ()
    return tuple(int(g) for g in match.groups() if g is not None)


def find_quarto() -> Path:
    """Find Quarto: ``QUARTO_PATH`` first, then ``PATH``."""
    return command.which("quarto", env_var="QUARTO_PATH", hint=INSTALL_HINT)


class QuartoEngine:
    """Renders through ``quarto render`` (subprocess)."""

    name = "quarto"

    def __init__(self, binary: Path | None = None) -> None:
        self.binary = binary or find_quarto()
        self._version: str | None = None

    def version(self) -> str:
        """Quarto's version; raise ToolNotFound if it is older than 1.5."""
        if self._version is None:
            out = command.run([self.binary, "--version"], timeout=60).stdout.strip()
            parsed = parse_tool_version(out)
            if parsed < MIN_VERSION:
                raise ToolNotFound(
                    "quarto >= 1.5", f"{self.binary} is version {out or '?'}; {INSTALL_HINT}"
                )
            self._version = out
        return f"quarto {self._version}"

    def render(self, job: RenderJob) -> dict[str, Path]:
        """Render each format into a staging folder, verify it, then move it into place.

        A failure is a RenderFailed with Quarto's own message, as for the embedded engine, and
        a failed or interrupted render leaves nothing half-written behind.
        """
        self.version()
        stage = job.build_dir / "quarto-out"
        if stage.exists():
            shutil.rmtree(stage)
        try:
            return self._render(job, stage)
        finally:
            shutil.rmtree(stage, ignore_errors=True)

    def _render(self, job: RenderJob, stage: Path) -> dict[str, Path]:
        outputs: dict[str, Path] = {}
        source_dir = (job.root / job.source).parent
        for fmt in job.formats:
            name = get_format(fmt).output
            opts = QuartoOptions(
                source=os.fspath(job.source),
                fmt=fmt,
                output_name=name,
                # --output-dir is project-relative: keep the build folder inside the project.
                output_dir=os.path.relpath(stage, job.root),
                build_dir=os.fspath(job.build_dir.resolve()),
                media_dir=os.path.relpath(job.build_dir.resolve(), source_dir.resolve()),
            )
            env = {"SOURCE_DATE_EPOCH": str(job.timestamp)}
            try:
                command.run([self.binary, *quarto_args(opts)], cwd=job.root, env=env, timeout=900)
            except CommandFailed as exc:
                detail = tool_message(exc.stderr) or f"exit code {exc.returncode}"
                raise RenderFailed(
                    f"quarto could not render {job.source} to {fmt}: {detail}"
                ) from exc
            outputs[fmt] = finish_output(stage / name, fmt, job, self.name)
        return outputs
