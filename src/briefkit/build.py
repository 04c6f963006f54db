"""The build: check the seed, execute the notebooks, export figures, render the brief.

Each step (briefkit.steps) runs only when something it depends on changed; see
briefkit.context for how a step is cached.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from briefkit import lock, notebooks, steps
from briefkit.context import BuildContext, day, source_date_epoch
from briefkit.errors import InputError
from briefkit.render import DEFAULT_FORMATS, FORMATS, check_engine_name
from briefkit.seeds import build_dir, seed_dir

if TYPE_CHECKING:
    from briefkit.reading import Seed

logger = logging.getLogger("briefkit")

#: Seconds a build waits for another build of the same seed (then BuildLocked, exit 4).
LOCK_WAIT = lock.DEFAULT_WAIT


@dataclass(frozen=True)
class BuildOptions:
    """What to build, and how."""

    root: Path
    seed: str
    engine: str = "auto"
    formats: tuple[str, ...] = DEFAULT_FORMATS
    timeout: float = notebooks.DEFAULT_TIMEOUT
    #: "draft" (stamped <version>-dev+<hash>) or "release" (stamped <version>; see release.py).
    status: str = "draft"
    #: Called with the build folder and the seed (as the build read it) after notebooks and
    #: figures; returns extra brief.json fields.
    before_render: Callable[[Path, Seed], Mapping[str, Any]] | None = None
    #: Seed files whose bytes the build takes instead of the seed folder's, by name (see
    #: release.py: the new version's brief.yaml is written to the seed only once published).
    seed_files: Mapping[str, bytes] = field(default_factory=dict)
    #: Called with the seed once the build has validated it (a preview shares it with its kernels).
    on_seed: Callable[[Seed], None] | None = None
    #: The formats rendered now (None: all of ``formats``). The others are prepared (their
    #: figures, brief.json's list) but not rendered, and their old outputs go: a preview renders
    #: the HTML first, and a second build of every format then finds all but the PDF current.
    render: tuple[str, ...] | None = None
    #: Build only from exactly these inputs ({path: sha256}, as BuildResult.inputs), else raise
    #: InputsChanged before any step runs: a preview builds the PDF of the HTML the page shows,
    #: and an edit saved since is the next HTML build's to take.
    inputs: Mapping[str, str] | None = None


class InputsChanged(Exception):
    """The inputs are no longer those the build was asked to build from (BuildOptions.inputs)."""


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
    #: {path: sha256} of every input, as the build read them (its snapshot of the seed).
    inputs: dict[str, str] = field(default_factory=dict)
    #: The seed as the build loaded it (None when every step that needs it was current).
    seed_loaded: Seed | None = None


def run_build(opts: BuildOptions) -> BuildResult:
    """Build one seed's brief into ``_build/<seed>/`` under its lock, running only stale steps."""
    t0 = time.perf_counter()
    root = opts.root.resolve()
    render = opts.formats if opts.render is None else opts.render
    unknown = [f for f in (*opts.formats, *render) if f not in FORMATS or f not in opts.formats]
    if unknown or not render:
        raise InputError(f"unknown format(s) {unknown}: choose from {', '.join(FORMATS)}")
    seed_dir(root, opts.seed)  # a valid seed name, before any folder is made from it
    check_engine_name(opts.engine)  # before any notebook runs (the engine is found after them)
    timings: dict[str, float] = {}
    with lock.build_lock(build_dir(root, opts.seed), wait=LOCK_WAIT):
        ctx = BuildContext(
            root, opts.seed, tuple(opts.formats), opts.engine, opts.timeout, opts.status,
            opts.before_render, opts.seed_files, opts.on_seed, opts.render,
        )  # fmt: skip
        if opts.inputs is not None:
            now = ctx.input_digests()
            changed = set(now.items()) ^ set(opts.inputs.items())
            if changed:
                raise InputsChanged(", ".join(sorted({path for path, _ in changed})))
        steps.check_step(ctx)
        ctx.timestamp  # noqa: B018 - a bad SOURCE_DATE_EPOCH fails now, before any notebook runs
        timings["check"] = time.perf_counter() - t0
        try:
            for name, step in (
                ("notebooks", steps.notebook_steps), ("unowned", steps.remove_unowned),
                ("figures", steps.figures_step), ("export", steps.export_step),
                ("meta", steps.meta_step), ("render", steps.render_steps),
            ):  # fmt: skip
                t = time.perf_counter()
                step(ctx)
                timings[name] = time.perf_counter() - t
        except BaseException:
            # The inputs passed their checks, so the old brief is out of date: a failed or
            # interrupted build leaves none (its exit code says why).
            steps.clear_outputs(ctx)
            raise
    timings["total"] = time.perf_counter() - t0
    if not ctx.executed:
        logger.info("%s: up to date", opts.seed)
    return BuildResult(
        opts.seed, ctx.version, ctx.engine.name, ctx.engine.version(), ctx.outputs, timings,
        ctx.content, ctx.timestamp, ctx.executed, ctx.input_digests(), ctx.loaded_seed,
    )  # fmt: skip


def execute_notebooks(
    root: Path, seed: Seed, *, timeout: float = notebooks.DEFAULT_TIMEOUT
) -> list[Path]:
    """Execute every notebook for ``seed``, uncached (``briefkit notebooks``); return the copies."""
    build = build_dir(root, seed.slug)
    build.mkdir(parents=True, exist_ok=True)
    steps.reset_artifacts(build)
    jobs = steps.notebook_jobs(root, seed.slug, day(source_date_epoch(root)))
    return notebooks.execute_all(jobs, cwd=root, timeout=timeout)
