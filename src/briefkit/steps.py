"""The build's steps, in order: each one function over a BuildContext, cached alike.

See briefkit.context for how a step is cached; a no-change rebuild does only hashing here.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from briefkit import artifacts, fingerprint, history, notebooks, present
from briefkit.context import (
    FIGURE_DEPS,
    NOTEBOOK_DEPS,
    RENDER_DEPS,
    BuildContext,
    Ran,
    day,
)
from briefkit.errors import RenderFailed
from briefkit.reading import reads
from briefkit.render import FORMATS, RenderJob, verify_output
from briefkit.render.formats import FIGURE_TYPES, get_format
from briefkit.seeds import build_dir
from briefkit.stamps import Stamp, StepCache, read_artifact_log

if TYPE_CHECKING:
    from briefkit.reading import Seed
    from briefkit.reading.model import Source

logger = logging.getLogger("briefkit")

BRIEF_SOURCE = Path("briefing/brief.qmd")
#: Folders of a build that notebooks fill; emptied before a cold run.
ARTIFACT_DIRS = ("tables", "figures", "texts", "data", "notebooks")
#: Folders of a build whose files the brief may read when it is rendered.
RENDER_INPUT_DIRS = ("tables", "figures", "texts", "data", "assets")

# --- check -------------------------------------------------------------------------------------


def check_step(ctx: BuildContext) -> None:
    """Validate the seed (its reading, its quotes) unless its files and validators are unchanged."""

    def check() -> Ran:
        ctx.seed()
        return Ran()

    ctx.cached("check", ctx.check_parts, check)


# --- notebooks ---------------------------------------------------------------------------------


def reset_artifacts(build: Path) -> None:
    """Empty the folders that notebooks fill."""
    for name in ARTIFACT_DIRS:
        shutil.rmtree(build / name, ignore_errors=True)


def notebook_jobs(
    root: Path, slug: str, date: str, snapshot: Path | None = None
) -> list[notebooks.NotebookJob]:
    """One job per notebook, writing into ``slug``'s build folder, for a brief dated ``date``.

    ``date`` (YYYY-MM-DD) is the notebooks' ``brief_date``: what is due, overdue or passed is
    judged at the brief's date, never at the wall clock, so that builds stay reproducible.

    With ``snapshot`` (a build's copy of the seed and notebooks under ``root``), the notebooks
    are executed from, and load the seed from, that copy; otherwise from the project.
    """
    build = build_dir(root, slug)
    # Relative paths, so that no machine path leaks into the executed notebooks.
    rel_build = build.relative_to(root).as_posix()
    seed_root = snapshot.relative_to(root).as_posix() if snapshot is not None else "."
    return [
        notebooks.NotebookJob(
            source=nb,
            output=build / "notebooks" / nb.name,
            parameters={
                "seed": slug,
                "root": seed_root,
                "build_dir": rel_build,
                "brief_date": date,
            },
        )
        for nb in notebooks.find_notebooks(snapshot or root)
    ]


def notebook_step(job: notebooks.NotebookJob) -> str:
    """The step name of a notebook job."""
    return f"notebook-{job.source.stem}"


def notebook_parts(
    job: notebooks.NotebookJob,
    seed_inputs: Mapping[str, str],
    deps: Mapping[str, str],
    reading: Mapping[str, str] | None = None,
    reading_key: str = "",
) -> dict[str, Any]:
    """What decides a notebook's outputs: the seed, its source, its parameters, code, deps.

    With ``reading`` (the digests of the parts of the reading the notebook read, see
    briefkit.reading.reads), the seed's reading.yaml (``reading_key`` in ``seed_inputs``)
    counts by those parts only, each a part of the key of its own (``reading.claims``), so that
    the log says which one changed.
    """
    seed = dict(seed_inputs)
    parts: dict[str, Any] = {}
    if reading is not None:
        seed.pop(reading_key, None)
        parts = {f"reading.{name}": digest for name, digest in reading.items()}
    return {
        "seed": seed,
        **parts,
        "notebook": fingerprint.file_digest(job.source),
        "parameters": dict(job.parameters),
        "code": fingerprint.code_digest(),
        "deps": {k: v for k, v in deps.items() if k == "python" or k in NOTEBOOK_DEPS},
    }


def _recorded_reads(ctx: BuildContext, stamp: Stamp | None) -> dict[str, str] | None:
    """The digests of the parts of the reading a notebook read last time, as they are now.

    None when its stamp does not say (none, or from before parts were noted): it runs. While
    reading.yaml is the file it read then, they are the recorded ones, and the seed is not
    loaded (a no-change build stays hashing only).
    """
    if stamp is None or not isinstance(stamp.data.get("reads"), dict):
        return None
    recorded: dict[str, str] = stamp.data["reads"]
    if stamp.data.get("reading_file") == ctx.reading_file:
        return recorded
    return reads.select(recorded, ctx.reading_digests())


def notebook_steps(ctx: BuildContext) -> None:
    """Execute the notebooks whose inputs changed, exporting figures as each one finishes.

    Figures are exported while the other notebooks still run (EarlyFigures); on a cold PDF
    build, Chromium is looked for and started before any notebook runs.
    """
    early = EarlyFigures(ctx.cache, static=ctx.static)
    try:
        _execute_stale_notebooks(ctx, on_recorded=early.submit)
    except BaseException:
        early.finish(cancel=True)
        raise
    ctx.early = early.finish()


def _execute_stale_notebooks(ctx: BuildContext, on_recorded: Callable[[list[Path]], None]) -> None:
    """Execute the notebooks whose inputs changed, in parallel; record each as it succeeds.

    A re-run notebook's recorded artifacts are removed first, so none of its stale ones survive;
    a skipped notebook's stay. With no notebook recorded yet, the artifact folders are emptied.
    Each notebook is recorded as soon as it succeeds, even when another fails; ``on_recorded``
    then gets its outputs (on the notebook's worker thread).
    """
    jobs = notebook_jobs(ctx.root, ctx.slug, ctx.date, ctx.snapshot)
    known = set(ctx.cache.steps("notebook-"))
    if not known:
        reset_artifacts(ctx.build)
    for gone in sorted(known - {notebook_step(job) for job in jobs}):
        logger.info("%s: notebook removed, dropping its artifacts", gone)
        ctx.cache.forget(gone)
    stale: dict[Path, tuple[notebooks.NotebookJob, Path, Path]] = {}
    for job in jobs:
        step = notebook_step(job)
        stamp = ctx.cache.load(step)
        parts = notebook_parts(
            job, ctx.seed_inputs, ctx.deps, _recorded_reads(ctx, stamp), ctx.reading_key
        )  # fmt: skip
        if not ctx.stale(step, parts, stamp=stamp):
            continue
        job.output.unlink(missing_ok=True)
        written = ctx.cache.folder / f"{step}.written"
        read = ctx.cache.folder / f"{step}.reads"
        written.parent.mkdir(parents=True, exist_ok=True)
        for log in (written, read):
            log.unlink(missing_ok=True)
        env = {
            **job.env,
            artifacts.ARTIFACT_LOG_ENV: str(written.resolve()),
            reads.READ_LOG_ENV: str(read.resolve()),
        }
        stale[job.output] = (replace(job, env=env), written, read)
    if not stale:
        logger.info("notebooks unchanged: nothing to execute")
        return

    def record(job: notebooks.NotebookJob) -> None:
        _, written, read = stale[job.output]
        outputs = [job.output, *read_artifact_log(written, ctx.build)]
        # Keyed on the parts of the reading this run read (and their digests now).
        parts_read = reads.select(reads.read_log(read), ctx.reading_digests())
        parts = notebook_parts(job, ctx.seed_inputs, ctx.deps, parts_read, ctx.reading_key)
        data = {"reads": parts_read, "reading_file": ctx.reading_file}
        ctx.record(notebook_step(job), parts, Ran(outputs, data))
        for log in (written, read):
            log.unlink(missing_ok=True)
        on_recorded(outputs)

    notebooks.import_engine()
    # Exports and brief.json need the validated seed: load it while the kernels work.
    ctx.load_seed_meanwhile()
    try:
        notebooks.execute_all(
            [job for job, _, _ in stale.values()], cwd=ctx.root, timeout=ctx.timeout,
            on_done=record,
        )  # fmt: skip
    finally:
        for _, written, read in stale.values():
            written.unlink(missing_ok=True)
            read.unlink(missing_ok=True)
    ctx.executed += [notebook_step(job) for job, _, _ in stale.values()]


class EarlyFigures:
    """Exports each figure as soon as its notebook is done, in one background thread.

    While the other notebooks still run, Chromium turns the finished figures into SVGs, so the
    figures step after the notebooks finds most of its work done. A figure whose spec has not
    changed since the last figures step is left to it (its outputs are current).

    This owns the notebooks' Chromium session. On a cold build that needs SVGs (no figures
    recorded yet), Chromium is looked for at once (ToolNotFound before any notebook runs) and
    started, so that it is ready when the first figure is; otherwise it is started with the
    first SVG to export. ``finish`` stops it. A failed export here is only logged: the figures
    step exports whatever is missing and reports its errors.
    """

    def __init__(self, cache: StepCache, *, static: Sequence[str]) -> None:
        self.build_dir = cache.build_dir
        self.static = static
        previous = cache.load("figures")
        self._opened_chromium = False
        if static and previous is None:
            artifacts.find_chromium()
            self._opened_chromium = artifacts.start_chromium()
        #: the spec digests the last figures step exported (relative path -> sha256)
        self._known: dict[str, str] = dict(previous.data.get("figures", {})) if previous else {}
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="briefkit-figures")
        self._queued: list[Future[None]] = []
        #: spec -> (its sha256 when exported, the files written from it)
        self._done: dict[Path, tuple[str, list[Path]]] = {}

    def submit(self, outputs: Iterable[Path]) -> None:
        """Queue the figure specs among a notebook's ``outputs`` for export."""
        for path in outputs:
            if path.parent == self.build_dir / "figures" and path.suffix == ".json":
                self._queued.append(self._pool.submit(self._export, path))

    def _export(self, spec: Path) -> None:
        try:
            digest = fingerprint.file_digest(spec)
            if self._known.get(spec.relative_to(self.build_dir).as_posix()) == digest:
                return
            if self.static and not artifacts.chromium_open():
                self._opened_chromium = artifacts.start_chromium()
            written = artifacts.export_figures(self.build_dir, static=self.static, specs=[spec])
        except Exception as exc:  # the figures step tries again, and reports it
            logger.debug("early export of %s failed: %s", spec.name, exc)
            return
        self._done[spec] = (digest, written)

    def finish(self, *, cancel: bool = False) -> dict[Path, tuple[str, list[Path]]]:
        """Wait for the queued exports; return what was exported.

        With ``cancel`` (the build failed or was interrupted), exports not started are dropped,
        and Chromium is stopped first if one is under way, so that it fails at once instead of
        being waited for.
        """
        if cancel and not all(future.done() for future in self._queued):
            artifacts.stop_chromium()
        self._pool.shutdown(wait=True, cancel_futures=cancel)
        if self._opened_chromium:
            artifacts.stop_chromium()
        return dict(self._done)


# --- what the render may read ------------------------------------------------------------------


def remove_unowned(ctx: BuildContext) -> None:
    """Remove every file the brief could read that no recorded step owns.

    A notebook that failed or was killed after writing artifacts is not recorded, so its files
    are nobody's: left in place, they would be rendered (a table of an old reading, say) and
    listed as downloads. After the notebooks, every notebook stamp is current, so whatever no
    stamp lists (and no early figure export of an owned spec wrote) is left over; it goes.
    """
    owned: set[str] = set()
    for step in ctx.cache.steps():
        stamp = ctx.cache.load(step)
        if stamp is not None:
            owned.update(stamp.outputs)
    for spec, (_, written) in ctx.early.items():
        if spec.relative_to(ctx.build).as_posix() in owned:
            owned.update(p.relative_to(ctx.build).as_posix() for p in written)
    for folder in RENDER_INPUT_DIRS:
        for path in fingerprint.files_under(ctx.build / folder):
            if path.relative_to(ctx.build).as_posix() not in owned:
                logger.info("removing %s: no step of this build wrote it", path)
                path.unlink()


# --- figures -----------------------------------------------------------------------------------


def figures_step(ctx: BuildContext) -> None:
    """Export the figures unless they are current: HTML divs, then the rendered formats' files.

    Two steps with stamps of their own: ``figures`` (each figure's HTML div, and plotly.js) and
    ``figures-static`` (the SVGs or PNGs that the formats rendered now embed, drawn by
    Chromium). A build that renders no such format (a preview's HTML build) leaves the static
    files and their stamp as they are, for the next build that renders one: it then exports
    only the figures whose spec changed.
    """
    specs = artifacts.figure_specs(ctx.build)
    digests = fingerprint.tree_digests(ctx.build, specs)
    _figure_divs(ctx, specs, digests)
    if ctx.static:
        _static_figures(ctx, specs, digests)


def _early(ctx: BuildContext, spec: Path, digest: str, div: bool) -> list[Path] | None:
    """The files exported early from ``spec`` (its div, or its static files), if still valid."""
    early = ctx.early.get(spec)
    if early is None or early[0] != digest:
        return None
    files = [p for p in early[1] if (p == artifacts.figure_div(spec)) == div]
    return files if files and all(p.is_file() for p in files) else None


def _sort_figures(
    ctx: BuildContext, step: str, previous: Stamp | None, parts: Mapping[str, Any],
    specs: list[Path], files_of: Callable[[Path], list[Path]], *, div: bool,
) -> tuple[list[Path], list[Path]]:  # fmt: skip
    """What a stale figure step keeps (files exported early, or by its last run from the same
    spec, intact) and the specs it must export again.

    The last run's files are kept only when nothing but the figures changed since (not the
    code, the versions, the browser, the kinds of file): a reading edit changes a few figures.
    """
    digests = parts["figures"]
    same = _only_figures_changed(previous, parts)
    drawn_from: dict[str, str] = dict(previous.data.get("figures", {})) if previous and same else {}

    def intact(path: Path) -> bool:
        return _intact(ctx, previous, path)

    kept: list[Path] = []
    todo: list[Path] = []
    for spec in specs:
        rel = spec.relative_to(ctx.build).as_posix()
        early = _early(ctx, spec, digests[rel], div=div)
        if early is not None:
            kept += early
        elif drawn_from.get(rel) == digests[rel] and all(map(intact, files_of(spec))):
            kept += files_of(spec)
        else:
            todo.append(spec)
    logger.debug("%s: %d figure(s) to export, %d kept", step, len(todo), len(specs) - len(todo))
    return kept, todo


def _only_figures_changed(previous: Stamp | None, parts: Mapping[str, Any]) -> bool:
    """Whether a figure step's last run had the same key parts as ``parts`` but the figures."""
    return previous is not None and all(
        previous.parts.get(k) == fingerprint.make_key({k: v})
        for k, v in parts.items() if k != "figures"
    )  # fmt: skip


def _intact(ctx: BuildContext, previous: Stamp | None, path: Path) -> bool:
    """Whether ``path`` is as the step's last run (``previous``) wrote it."""
    rel = path.relative_to(ctx.build).as_posix()
    drawn = previous.outputs if previous is not None else {}
    return path.is_file() and drawn.get(rel) == fingerprint.file_digest(path)


def _drop_unwritten(ctx: BuildContext, previous: Stamp | None, written: list[Path]) -> None:
    """Remove what the last run of a step wrote and this one did not (a figure gone)."""
    if previous is not None:
        for rel in set(previous.outputs) - {p.relative_to(ctx.build).as_posix() for p in written}:
            (ctx.build / rel).unlink(missing_ok=True)


def _figure_divs(ctx: BuildContext, specs: list[Path], digests: dict[str, str]) -> None:
    build = ctx.build
    previous = ctx.cache.load("figures")
    code, deps = fingerprint.code_digest(), ctx.deps_of(FIGURE_DEPS)
    parts = {"figures": digests, "code": code, "deps": deps}

    def export() -> Ran:
        written, todo = _sort_figures(
            ctx, "figures", previous, parts, specs, lambda s: [artifacts.figure_div(s)], div=True
        )  # fmt: skip
        if todo:
            written += artifacts.export_figures(build, static=(), specs=todo)
        # plotly.js is plotly's (its version is in the key): kept while it is as last written.
        js = artifacts.plotly_js_path(build)
        same = _only_figures_changed(previous, parts) and _intact(ctx, previous, js)
        written.append(js if same else artifacts.write_plotly_js(build))
        _drop_unwritten(ctx, previous, written)
        return Ran(written, data={"figures": digests})

    # Early exports are this step's outputs too: they are reused, not removed.
    ctx.cached("figures", parts, export, stamp=previous, keep_outputs=True)


def _static_figures(ctx: BuildContext, specs: list[Path], digests: dict[str, str]) -> None:
    build = ctx.build
    previous = ctx.cache.load("figures-static")
    # The drawings are Chromium's: the browser the last export used is part of the key.
    browser = previous.data.get("browser") if previous is not None else None
    parts = {
        "figures": digests,
        "static": ctx.static,
        "code": fingerprint.code_digest(),
        "deps": ctx.deps_of(FIGURE_DEPS),
        "browser": fingerprint.browser_identity(browser) if specs else None,
    }

    def export() -> Ran:
        used = artifacts.find_chromium() if specs else browser
        now = {**parts, "browser": fingerprint.browser_identity(used) if specs else None}
        written, todo = _sort_figures(
            ctx, "figures-static", previous, now, specs,
            lambda spec: [artifacts.figure_file(spec, kind) for kind in ctx.static], div=False,
        )  # fmt: skip
        if todo:
            written += artifacts.export_static_figures(build, specs=todo, kinds=ctx.static)
        _drop_unwritten(ctx, previous, written)
        data = {"browser": used, "figures": digests}
        return Ran(written, data=data, parts={"browser": now["browser"]})

    ctx.cached("figures-static", parts, export, stamp=previous, keep_outputs=True)


# --- exports and brief.json --------------------------------------------------------------------


def export_step(ctx: BuildContext) -> None:
    """Write the AIF and Argdown-style exports (after the notebooks, which may empty data/)."""

    def export() -> Ran:
        from briefkit.export import write_exports

        return Ran(write_exports(ctx.seed(), ctx.build / "data"))

    ctx.cached("export", {**ctx.check_parts, "step": "export"}, export)
    # The list of data/ files for the brief's appendix: cheap, and written the same each time.
    artifacts.write_downloads(ctx.build)


#: How a source's date or outlet is known, in words (source.yaml's ``status``).
KNOWN_AS = {
    "stated": "stated in the article",
    "implied": "implied by the article, not stated",
    "inferred": "inferred by the analyst, not stated",
}


def source_line(src: Source) -> str:
    """Page 1's source line in plain words: author and affiliation, outlet (or that it is not
    stated), the article's date and how it is known, and whose the title is."""
    by = src.author + (f" ({src.affiliation})" if src.affiliation else "")
    parts = [f"Article by {by}."]
    if src.outlet.value:
        how = KNOWN_AS.get(src.outlet.status or "", "")
        parts.append(f"Published in {src.outlet.value}" + (f" ({how})." if how else "."))
    else:
        parts.append("Outlet not stated.")
    if src.date.value:
        length = len(src.date.value)
        precision = "day" if length == 10 else "month" if length == 7 else "year"
        when = present.date_span(src.date.value, precision).label
        how = KNOWN_AS.get(src.date.status or "", src.date.basis.rstrip("."))
        parts.append(f"Dated {when} ({how}).")
    else:
        parts.append("Date not stated.")
    if src.title.status in ("implied", "inferred"):
        parts.append("Working title by the analyst.")
    return " ".join(parts)


def public_version(version: str) -> str:
    """The version a reader sees on every page: without the build metadata after "+" (the
    content hash of a draft), which the brief's method section gives in full."""
    return version.split("+", 1)[0]


def brief_metadata(
    seed: Seed, version: str, status: str, timestamp: int, engine: str, content: str = ""
) -> dict[str, str]:
    """The fields of brief.json that the brief's title block, stamps and method section show."""
    src = seed.source
    date = day(timestamp)
    label = "DRAFT" if status == "draft" else "Release"
    title = src.title.value or seed.slug
    shown = public_version(version)
    analysts = seed.brief.byline() if seed.brief else None
    return {
        "title": f"{title}: a policy brief",
        "short_title": title,
        "subtitle": f"Version {shown} · {label} · {date}",
        "date": date,
        "author": f"Analysis by {analysts} of an article by {src.author}"
        if analysts
        else f"Analysis of an article by {src.author}",
        "version": version,
        "status": status,
        # Page 1 and the running header: version and status. What the build was made with and
        # of (engine, tool versions, content hash) is the method section's build_line.
        "stamp": f"{label} v{shown} · {date}",
        "build_line": f"{label} v{version} · {date} · {engine}",
        "content_hash": content,
        "content_line": f"content sha256 {content[:12]}" if content else "",
        "engine": engine,
        "source_line": source_line(src),
    }


def meta_step(ctx: BuildContext) -> None:
    """Write brief.json: title block, version stamp, and what changed since the last release."""
    meta_path = ctx.build / "brief.json"
    parts = {
        **ctx.check_parts, "content": ctx.content, "timestamp": ctx.timestamp,
        "engine": ctx.engine.version(), "status": ctx.status, "formats": list(ctx.formats),
        "releases": history.release_marks(ctx.root, ctx.slug),
        "data": fingerprint.tree_digests(ctx.build, fingerprint.files_under(ctx.build / "data")),
    }  # fmt: skip

    def write() -> Ran:
        seed = ctx.seed()
        draft = f"{seed.version}-dev+{ctx.content[:8]}"
        version = seed.version if ctx.status == "release" else draft
        meta: dict[str, Any] = dict(
            brief_metadata(seed, version, ctx.status, ctx.timestamp, ctx.engine.version(),
                           ctx.content)
        )  # fmt: skip
        # The HTML links to the PDF when both are built.
        meta["formats"] = list(ctx.formats)
        if ctx.before_render is not None:
            meta.update(ctx.before_render(ctx.build, seed))
        elif ctx.status == "draft":
            meta.update(history.draft_changes(ctx.root, seed)(ctx.build))
        artifacts.write_json(meta_path, meta)
        return Ran([meta_path])

    # A release's own hook (release.py) is not cacheable: it always runs.
    ctx.cached("meta", parts, write, always=ctx.before_render is not None)
    ctx.version = json.loads(meta_path.read_text(encoding="utf-8"))["version"]


# --- render ------------------------------------------------------------------------------------


def render_parts(
    job: RenderJob, fmt: str, engine: str, engine_version: str, deps: Mapping[str, str]
) -> dict[str, Any]:
    """What decides one rendered format: templates, filter, artifacts, engine, code, deps."""
    root, build = job.root, job.build_dir
    templates = [
        *fingerprint.files_under(root / "briefing"), root / "_quarto.yml", root / job.source
    ]  # fmt: skip
    # Static figure files count only for the formats that embed them: a PDF build's SVGs do
    # not make the HTML stale (and a preview's HTML build leaves the last SVGs in place).
    embedded = get_format(fmt).figure_files
    foreign = {f".{kind}" for kind in FIGURE_TYPES if kind not in embedded}
    artifacts_in = [
        p for d in RENDER_INPUT_DIRS for p in fingerprint.files_under(build / d)
        if not (d == "figures" and p.suffix in foreign)
    ]  # fmt: skip
    return {
        "format": fmt,
        "source": job.source.as_posix(),
        "templates": fingerprint.tree_digests(root, templates),
        "artifacts": fingerprint.tree_digests(build, [*artifacts_in, build / "brief.json"]),
        "engine": engine,
        "engine_version": engine_version,
        "timestamp": job.timestamp,
        "code": fingerprint.code_digest(),
        "deps": {k: v for k, v in deps.items() if k == "python" or k in RENDER_DEPS},
    }


def clear_outputs(ctx: BuildContext, keep: Iterable[str] = ()) -> None:
    """Remove every rendered output (and its stamp) but the formats ``keep``.

    A build that fails leaves no brief (none would match its inputs), and one that succeeds
    leaves exactly the formats it was asked for: never a PDF older than the HTML beside it.
    """
    for fmt, name in FORMATS.items():
        if fmt in keep:
            continue
        ctx.cache.forget(f"render-{fmt}")
        for path in (ctx.build / name, ctx.build / f"{name}.tmp"):
            if path.exists():
                logger.debug("removing %s", path)
            path.unlink(missing_ok=True)


def render_steps(ctx: BuildContext) -> None:
    """Render the formats whose inputs changed, in one engine call; verify every output.

    Exit code 0 promises every requested output, whole: an engine's word is not trusted. The
    outputs of formats not asked for this time are removed (see ``clear_outputs``).
    """
    engine = ctx.engine
    formats = tuple(ctx.formats if ctx.render is None else ctx.render)
    job = RenderJob(ctx.root, BRIEF_SOURCE, ctx.build, formats, ctx.timestamp)
    parts = {
        fmt: render_parts(job, fmt, engine.name, engine.version(), ctx.deps) for fmt in job.formats
    }
    # An output is replaced (renamed over) by the render itself.
    stale = tuple(
        fmt for fmt in job.formats if ctx.stale(f"render-{fmt}", parts[fmt], keep_outputs=True)
    )
    outputs = {fmt: job.output(fmt) for fmt in job.formats}
    if stale:
        outputs.update(engine.render(replace(job, formats=stale)))
        for fmt in stale:
            ctx.record(f"render-{fmt}", parts[fmt], Ran([outputs[fmt]]))
    else:
        logger.info("brief unchanged: nothing to render")
    for fmt in job.formats:
        if fmt not in outputs:
            raise RenderFailed(f"{engine.name} produced no {fmt} output")
        verify_output(outputs[fmt], fmt, engine.name)
    clear_outputs(ctx, keep=job.formats)
    ctx.executed += [f"render-{fmt}" for fmt in stale]
    ctx.outputs = outputs
