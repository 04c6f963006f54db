"""The Quarto engine: a thin, checked wrapper around ``quarto render``.

Every behaviour relied on here was read in Quarto's source (quarto-dev/quarto-cli, tag v1.7.34;
the same in v1.8.27), not only its documentation; ``tests/test_render_quarto.py``'s fake quarto
mirrors each rule and cites the file. CLI: https://quarto.org/docs/cli/render.html.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from briefkit import command, lock
from briefkit.errors import CommandFailed, RenderFailed, ToolNotFound
from briefkit.render.base import RenderJob, finish_output, tool_message
from briefkit.render.formats import get_format, output_suffixes

logger = logging.getLogger("briefkit")

#: 1.7 is the first Quarto whose typst template honours ``page-numbering`` (1.6 hard-codes
#: ``numbering: "1"``: src/resources/formats/typst/pandoc/quarto/typst-template.typ).
MIN_VERSION = (1, 7)
MIN_VERSION_TEXT = ".".join(map(str, MIN_VERSION))
INSTALL_HINT = (
    f"install Quarto >= {MIN_VERSION_TEXT} (https://quarto.org/docs/get-started/) and put it on "
    "PATH or set QUARTO_PATH, or use the embedded engine: --engine pandoc"
)
#: Quarto's log level: its own errors and warnings reach stderr, progress does not. Never
#: ``--quiet``: it installs no stderr handler at all (src/core/log.ts), so a YAML or validation
#: error would fail the render without a word.
LOG_LEVEL = "warning"
#: Seconds a render waits for another Quarto render of the same project.
RENDER_WAIT = 900.0


@dataclass(frozen=True)
class QuartoOptions:
    """Everything that decides one ``quarto render`` call."""

    source: str
    fmt: str
    output_dir: str
    build_dir: str
    media_dir: str


def quarto_args(opts: QuartoOptions) -> list[str]:
    """Build the argv (after the binary) of one ``quarto render`` call; pure, for testing.

    No ``--output``: with it, Quarto renames a typst PDF relative to its process's working
    directory (src/command/render/output-typst.ts, quarto-cli issue #12920) while the HTML
    stays in the source's folder; without it both are named after the source and land where
    ``quarto_output`` says.
    """
    return [
        "render",
        opts.source,
        "--to",
        get_format(opts.fmt).quarto_to,
        "--output-dir",
        opts.output_dir,
        "-M",
        f"briefkit-build:{opts.build_dir}",
        "-M",
        f"briefkit-media:{opts.media_dir}",
        "--log-level",
        LOG_LEVEL,
    ]


def quarto_output(output_dir: Path, source: Path, fmt: str) -> Path:
    """Where Quarto puts ``source``'s ``fmt`` output for a project render with ``output_dir``.

    Pandoc runs in the source's folder and writes ``<stem>.<ext>`` there
    (src/command/render/pandoc.ts: ``cwd = dirname(options.source)``); the project render then
    moves each output to ``<output-dir>/<source folder relative to the project>/``
    (src/command/render/project.ts: ``join(formatOutputDir, renderedFile.file)``, the file being
    project-relative), as the maintainers confirm is intended (quarto-cli #9300, #1691).
    ``source`` is relative to the project.
    """
    suffix = Path(get_format(fmt).output).suffix
    return output_dir / source.parent / f"{source.stem}{suffix}"


def intermediates(root: Path, source: Path) -> list[Path]:
    """What Quarto writes beside the source while it renders (and moves or removes after)."""
    folder = root / source.parent
    stem = source.stem
    return [folder / f"{stem}{ext}" for ext in output_suffixes()] + [folder / f"{stem}_files"]


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
        """Quarto's version; raise ToolNotFound if it is older than ``MIN_VERSION``."""
        if self._version is None:
            out = command.run([self.binary, "--version"], timeout=60).stdout.strip()
            parsed = parse_tool_version(out)
            if parsed < MIN_VERSION:
                raise ToolNotFound(
                    f"quarto >= {MIN_VERSION_TEXT}",
                    f"{self.binary} is version {out or '?'}; {INSTALL_HINT}",
                )
            self._version = out
        return f"quarto {self._version}"

    def render(self, job: RenderJob) -> dict[str, Path]:
        """Render each format into a staging folder, verify it, then move it into place.

        Quarto writes its intermediates beside the source, shared by every seed: renders of
        one project are serialized by a lock, and whatever a render leaves there is removed.
        A failure is a RenderFailed with Quarto's own message, as for the embedded engine, and
        a failed or interrupted render leaves nothing half-written behind.
        """
        self.version()
        stage = job.build_dir / "quarto-out"
        busy = f"another Quarto render of {job.root} is running; wait for it, or stop it"
        with lock.hold(job.build_dir.parent / ".quarto-render.lock", wait=RENDER_WAIT, busy=busy):
            leftovers = [p for p in intermediates(job.root, job.source) if not p.exists()]
            if stage.exists():
                shutil.rmtree(stage)
            try:
                return self._render(job, stage)
            finally:
                shutil.rmtree(stage, ignore_errors=True)
                for path in leftovers:
                    if path.is_dir():
                        shutil.rmtree(path, ignore_errors=True)
                    else:
                        path.unlink(missing_ok=True)

    def _render(self, job: RenderJob, stage: Path) -> dict[str, Path]:
        outputs: dict[str, Path] = {}
        source_dir = (job.root / job.source).parent
        for fmt in job.formats:
            opts = QuartoOptions(
                source=os.fspath(job.source),
                fmt=fmt,
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
            produced = quarto_output(stage, job.source, fmt)
            outputs[fmt] = finish_output(produced, fmt, job, self.name)
        return outputs
