"""The build: check the seed, execute the notebooks, export figures, render the brief."""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from briefkit import __version__, artifacts, command, export, lock, notebooks
from briefkit.errors import BriefkitError, InputError, RenderFailed
from briefkit.reading import Seed, load_seed, seed_dir
from briefkit.render import FORMATS, RenderJob, get_engine, verify_output

logger = logging.getLogger("briefkit")

BRIEF_SOURCE = Path("briefing/brief.qmd")
#: Folders of a build that notebooks fill; emptied before notebooks run so nothing stale survives.
ARTIFACT_DIRS = ("tables", "figures", "texts", "data", "notebooks")
#: Seconds a build waits for another build of the same seed (then BuildLocked, exit 4).
LOCK_WAIT = lock.DEFAULT_WAIT


@dataclass(frozen=True)
class BuildOptions:
    """What to build, and how."""

    root: Path
    seed: str
    engine: str = "auto"
    formats: tuple[str, ...] = ("html", "pdf")
    timeout: float = notebooks.DEFAULT_TIMEOUT
    #: "draft" (stamped <version>-dev+<hash>) or "release" (stamped <version>; see release.py).
    status: str = "draft"
    #: Called with the build folder after notebooks and figures; returns extra brief.json fields.
    before_render: Callable[[Path], Mapping[str, Any]] | None = None


@dataclass
class BuildResult:
    """What a build produced."""

    seed: str
    version: str
    engine: str
    engine_version: str
    outputs: dict[str, Path]
    timings: dict[str, float] = field(default_factory=dict)
    content_hash: str = ""
    timestamp: int = 0


def build_dir(root: Path, seed: str) -> Path:
    """Where a seed's draft build lives."""
    return root / "_build" / seed


def input_files(root: Path, seed: Seed) -> list[Path]:
    """Every file whose content decides the brief, sorted."""
    files = [p for p in seed.path.iterdir() if p.is_file()]
    files += notebooks.find_notebooks(root)
    files += [p for p in (root / "briefing").rglob("*") if p.is_file()]
    files.append(root / "_quarto.yml")
    return sorted(p for p in files if p.exists())


def content_hash(root: Path, seed: Seed) -> str:
    """sha256 over the inputs' relative paths and bytes, and briefkit's own version."""
    h = hashlib.sha256(f"briefkit {__version__}\n".encode())
    for path in input_files(root, seed):
        h.update(path.relative_to(root).as_posix().encode() + b"\0")
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def source_date_epoch(root: Path) -> int:
    """SOURCE_DATE_EPOCH, else the last commit's time, else 0: never the wall clock."""
    env = os.environ.get("SOURCE_DATE_EPOCH")
    if env:
        try:
            return int(env)
        except ValueError:
            raise InputError(
                f"SOURCE_DATE_EPOCH={env!r} is not a whole number of seconds"
            ) from None
    try:
        out = command.run(["git", "log", "-1", "--format=%ct"], cwd=root, timeout=30).stdout.strip()
        return int(out)
    except (BriefkitError, ValueError):
        logger.debug("no git history: using SOURCE_DATE_EPOCH=0")
        return 0


def brief_metadata(
    seed: Seed, version: str, status: str, timestamp: int, engine: str, content: str = ""
) -> dict[str, str]:
    """The fields of brief.json that the brief's title block and stamps show."""
    src = seed.source
    date = datetime.fromtimestamp(timestamp, tz=UTC).strftime("%Y-%m-%d")
    label = "DRAFT" if status == "draft" else "Release"
    title = src.title.value or seed.slug
    by = src.author + (f", {src.affiliation}" if src.affiliation else "")
    outlet = src.outlet.value or "outlet not stated in the text"
    when = src.date.value or "date not stated in the text"
    return {
        "title": f"{title}: a policy brief",
        "short_title": title,
        "subtitle": f"Version {version} · {label}",
        "date": date,
        "author": f"Analysis of an article by {src.author}",
        "version": version,
        "status": status,
        "stamp": f"{label} v{version} · {date} · {engine}",
        "content_hash": content,
        "content_line": f"content sha256 {content[:12]}" if content else "",
        "engine": engine,
        "source_line": f"{by}. {outlet}. Date: {when}.",
    }


def _reset(build: Path) -> None:
    for name in ARTIFACT_DIRS:
        shutil.rmtree(build / name, ignore_errors=True)


def run_notebooks(
    root: Path, seed: Seed, *, timeout: float = notebooks.DEFAULT_TIMEOUT
) -> list[Path]:
    """Execute every notebook for ``seed``; artifacts and executed copies go to its build folder."""
    build = build_dir(root, seed.slug)
    build.mkdir(parents=True, exist_ok=True)
    _reset(build)
    rel_build = build.relative_to(root).as_posix()
    jobs = [
        notebooks.NotebookJob(
            source=nb,
            output=build / "notebooks" / nb.name,
            # Relative paths, so that no machine path leaks into the executed notebooks.
            parameters={"seed": seed.slug, "root": ".", "build_dir": rel_build},
        )
        for nb in notebooks.find_notebooks(root)
    ]
    return notebooks.execute_all(jobs, cwd=root, timeout=timeout)


def clear_outputs(build: Path) -> None:
    """Remove the outputs of an earlier build, so that a failed build leaves none behind."""
    for name in FORMATS.values():
        for path in (build / name, build / f"{name}.tmp"):
            path.unlink(missing_ok=True)


def run_build(opts: BuildOptions) -> BuildResult:
    """Build one seed's draft brief into ``_build/<seed>/``, holding the seed's build lock."""
    root = opts.root.resolve()
    seed_dir(root, opts.seed)  # a valid seed name, before any folder is made from it
    with lock.build_lock(build_dir(root, opts.seed), wait=LOCK_WAIT):
        return _run_build(opts)


def _run_build(opts: BuildOptions) -> BuildResult:
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    root = opts.root.resolve()
    unknown = [f for f in opts.formats if f not in FORMATS]
    if unknown or not opts.formats:
        raise InputError(f"unknown format(s) {unknown}: choose from {', '.join(FORMATS)}")
    seed = load_seed(root, opts.seed)
    timings["check"] = time.perf_counter() - t0

    engine = get_engine(opts.engine)
    digest = content_hash(root, seed)
    version = seed.version if opts.status == "release" else f"{seed.version}-dev+{digest[:8]}"
    timestamp = source_date_epoch(root)
    build = build_dir(root, seed.slug)
    if "pdf" in opts.formats:
        artifacts.find_chromium()  # before the notebooks run, not after
    clear_outputs(build)

    t = time.perf_counter()
    run_notebooks(root, seed, timeout=opts.timeout)
    export.write_exports(seed, build / "data")
    timings["notebooks"] = time.perf_counter() - t

    t = time.perf_counter()
    artifacts.export_figures(build, static="pdf" in opts.formats)
    artifacts.write_plotly_js(build)
    artifacts.write_downloads(build)
    timings["figures"] = time.perf_counter() - t

    meta: dict[str, Any] = dict(
        brief_metadata(seed, version, opts.status, timestamp, engine.version(), digest)
    )
    before_render = opts.before_render
    if before_render is None and opts.status == "draft":
        from briefkit.release import draft_changes  # release builds on this module

        before_render = draft_changes(root, seed)
    if before_render is not None:
        meta.update(before_render(build))
    artifacts.write_json(build / "brief.json", meta)

    t = time.perf_counter()
    job = RenderJob(root, BRIEF_SOURCE, build, tuple(opts.formats), timestamp)
    outputs = engine.render(job)
    # Exit code 0 promises every requested output, whole: do not trust an engine's word for it.
    try:
        for fmt in opts.formats:
            if fmt not in outputs:
                raise RenderFailed(f"{engine.name} produced no {fmt} output")
            verify_output(outputs[fmt], fmt, engine.name)
    except RenderFailed:
        clear_outputs(build)
        raise
    timings["render"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - t0
    return BuildResult(
        seed.slug, version, engine.name, engine.version(), outputs, timings, digest, timestamp
    )
