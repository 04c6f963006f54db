"""The build: check the seed, execute the notebooks, export figures, render the brief."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from briefkit import __version__, artifacts, cache, command, lock, notebooks
from briefkit.errors import BriefkitError, InputError, RenderFailed
from briefkit.render import FORMATS, RenderJob, get_engine, verify_output
from briefkit.seeds import seed_dir

if TYPE_CHECKING:
    from briefkit.reading import Seed

logger = logging.getLogger("briefkit")

BRIEF_SOURCE = Path("briefing/brief.qmd")
#: Folders of a build that notebooks fill; emptied before a cold run (see briefkit.cache).
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
    #: Export the figures' SVGs (for the PDF) even when no PDF is asked for; None: only then.
    #: A preview builds HTML, then PDF: with the same figures step, neither undoes the other's.
    static_figures: bool | None = None


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
    #: The steps that ran (the others were current): check, notebook-<name>, figures, export,
    #: meta, render-<format>.
    executed: list[str] = field(default_factory=list)


def build_dir(root: Path, seed: str) -> Path:
    """Where a seed's draft build lives."""
    return root / "_build" / seed


def input_files(root: Path, seed_path: Path) -> list[Path]:
    """Every file whose content decides the brief of the seed at ``seed_path``, sorted."""
    files = [p for p in seed_path.iterdir() if p.is_file()]
    files += notebooks.find_notebooks(root)
    files += [p for p in (root / "briefing").rglob("*") if p.is_file()]
    files.append(root / "_quarto.yml")
    return sorted(p for p in files if p.exists())


def content_hash(root: Path, seed_path: Path) -> str:
    """sha256 over the inputs' relative paths and bytes, and briefkit's own version."""
    h = hashlib.sha256(f"briefkit {__version__}\n".encode())
    for path in input_files(root, seed_path):
        h.update(path.relative_to(root).as_posix().encode() + b"\0")
        # The cache's digest: a file the cache step already hashed is not read again.
        h.update(bytes.fromhex(cache.file_digest(path)))
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


def notebook_jobs(root: Path, slug: str) -> list[notebooks.NotebookJob]:
    """One job per project notebook, writing into ``slug``'s build folder."""
    build = build_dir(root, slug)
    rel_build = build.relative_to(root).as_posix()
    return [
        notebooks.NotebookJob(
            source=nb,
            output=build / "notebooks" / nb.name,
            # Relative paths, so that no machine path leaks into the executed notebooks.
            parameters={"seed": slug, "root": ".", "build_dir": rel_build},
        )
        for nb in notebooks.find_notebooks(root)
    ]


def run_notebooks(
    root: Path, seed: Seed, *, timeout: float = notebooks.DEFAULT_TIMEOUT
) -> list[Path]:
    """Execute every notebook for ``seed``; artifacts and executed copies go to its build folder."""
    build = build_dir(root, seed.slug)
    build.mkdir(parents=True, exist_ok=True)
    _reset(build)
    return notebooks.execute_all(notebook_jobs(root, seed.slug), cwd=root, timeout=timeout)


def clear_outputs(build: Path) -> None:
    """Remove the outputs of an earlier build, so that a failed build leaves none behind."""
    for name in FORMATS.values():
        for path in (build / name, build / f"{name}.tmp"):
            path.unlink(missing_ok=True)


def run_build(opts: BuildOptions) -> BuildResult:
    """Build one seed's brief into ``_build/<seed>/`` under its lock, running only stale steps."""
    t0 = time.perf_counter()
    root = opts.root.resolve()
    unknown = [f for f in opts.formats if f not in FORMATS]
    if unknown or not opts.formats:
        raise InputError(f"unknown format(s) {unknown}: choose from {', '.join(FORMATS)}")
    seed_dir(root, opts.seed)  # a valid seed name, before any folder is made from it
    with lock.build_lock(build_dir(root, opts.seed), wait=LOCK_WAIT):
        return _run_steps(opts, root, cache.StepCache(build_dir(root, opts.seed)), t0)


def _release_marks(root: Path, slug: str) -> dict[str, str]:
    """The published releases of ``slug`` and their readings' digests (cheap: no parsing)."""
    folder = root / "dist" / slug
    if not folder.is_dir():
        return {}
    return {
        release.name: cache.file_digest(release / "reading.json")
        for release in sorted(folder.glob("v*"))
        if (release / "reading.json").is_file()
    }


def _run_steps(opts: BuildOptions, root: Path, steps: cache.StepCache, t0: float) -> BuildResult:
    timings: dict[str, float] = {}
    executed: list[str] = []
    build = steps.build_dir
    seed_path = seed_dir(root, opts.seed)
    seed_inputs = cache.tree_digests(root, cache.files_under(seed_path))
    deps = cache.dependency_versions(
        sorted({*cache.NOTEBOOK_DEPS, *cache.FIGURE_DEPS, *cache.RENDER_DEPS})
    )
    reading_deps = {k: v for k, v in deps.items() if k == "python" or k in cache.READING_DEPS}
    check_parts = {"seed": seed_inputs, "code": cache.code_digest(), "deps": reading_deps}
    seed: Seed | None = None
    if steps.fresh("check", check_parts) is None:
        seed = _load_seed(root, opts.seed)
        steps.record("check", check_parts, [])
        executed.append("check")
    timings["check"] = time.perf_counter() - t0

    engine = get_engine(opts.engine)
    timestamp = source_date_epoch(root)
    digest = content_hash(root, seed_path)
    with ThreadPoolExecutor(max_workers=1) as background:
        loading: list[Future[Seed]] = []

        def load_meanwhile() -> None:
            # Exports and brief.json need the validated seed: load it while the kernels work.
            if seed is None and not loading:
                loading.append(background.submit(_load_seed, root, opts.seed))

        t = time.perf_counter()
        static = "pdf" in opts.formats if opts.static_figures is None else opts.static_figures
        # Figures are exported as their notebooks finish, while the others still run; on a
        # cold PDF build, Chromium is looked for and started before any notebook runs.
        early = cache.EarlyFigures(steps, static=static)
        try:
            executed += cache.run_notebooks(
                steps, notebook_jobs(root, opts.seed), cwd=root, seed_inputs=seed_inputs,
                deps=deps, timeout=opts.timeout, reset=lambda: _reset(build),
                on_execute=load_meanwhile, on_recorded=early.submit,
            )  # fmt: skip
        except BaseException:
            early.finish(cancel=True)
            raise
        ready = early.finish()
        timings["notebooks"] = time.perf_counter() - t

        t = time.perf_counter()
        if cache.export_figures(steps, static=static, deps=deps, ready=ready):
            executed.append("figures")
        timings["figures"] = time.perf_counter() - t
        if loading:
            seed = loading[0].result()

    # AIF and Argdown-style exports: after the notebooks, which may have emptied data/.
    export_parts = {**check_parts, "step": "export"}
    if steps.fresh("export", export_parts) is None:
        from briefkit import export

        seed = seed or _load_seed(root, opts.seed)
        steps.record("export", export_parts, export.write_exports(seed, build / "data"))
        executed.append("export")
    artifacts.write_downloads(build)

    meta_path = build / "brief.json"
    meta_parts = {
        **check_parts, "content": digest, "timestamp": timestamp, "engine": engine.version(),
        "status": opts.status, "releases": _release_marks(root, opts.seed),
        "data": cache.tree_digests(build, cache.files_under(build / "data")),
    }  # fmt: skip
    # A release's own hook (release.py) is not cacheable: it always runs.
    if opts.before_render is not None or steps.fresh("meta", meta_parts) is None:
        seed = seed or _load_seed(root, opts.seed)
        draft = f"{seed.version}-dev+{digest[:8]}"
        version = seed.version if opts.status == "release" else draft
        meta: dict[str, Any] = dict(
            brief_metadata(seed, version, opts.status, timestamp, engine.version(), digest)
        )
        before_render = opts.before_render
        if before_render is None and opts.status == "draft":
            from briefkit.release import draft_changes  # release builds on this module

            before_render = draft_changes(root, seed)
        if before_render is not None:
            meta.update(before_render(build))
        artifacts.write_json(meta_path, meta)
        steps.record("meta", meta_parts, [meta_path])
        executed.append("meta")
    version = json.loads(meta_path.read_text(encoding="utf-8"))["version"]

    t = time.perf_counter()
    job = RenderJob(root, BRIEF_SOURCE, build, tuple(opts.formats), timestamp)
    try:
        outputs, rendered = cache.render(steps, engine, job, deps)
        # Exit code 0 promises every requested output, whole: do not trust an engine's word.
        for fmt in opts.formats:
            if fmt not in outputs:
                raise RenderFailed(f"{engine.name} produced no {fmt} output")
            verify_output(outputs[fmt], fmt, engine.name)
    except RenderFailed:
        for fmt in opts.formats:
            steps.forget(f"render-{fmt}")
        clear_outputs(build)
        raise
    executed += rendered
    timings["render"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - t0
    if not executed:
        logger.info("%s: up to date", opts.seed)
    return BuildResult(
        opts.seed, version, engine.name, engine.version(), outputs, timings, digest, timestamp,
        executed,
    )  # fmt: skip


def _load_seed(root: Path, slug: str) -> Seed:
    from briefkit.reading import load_seed

    return load_seed(root, slug)
