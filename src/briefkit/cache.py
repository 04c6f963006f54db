"""Content-hash caching of build steps: a stamp per step, and a step runs only when needed.

A step's *key* is a sha256 over everything that can change its output (input files' hashes,
parameters, briefkit's own code, dependency and tool versions). Its stamp,
``_build/<seed>/.cache/<step>.json``, records the key and the sha256 of each output. A step is
skipped only when the key matches AND every recorded output still exists with its recorded hash,
so an edited or deleted output is rebuilt, never served. Before a step re-runs, the outputs it
recorded last time are removed, so nothing stale survives it.

This module stays cheap to import: a no-change rebuild does only hashing.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import re
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from briefkit.artifacts import ARTIFACT_LOG_ENV, write_json

if TYPE_CHECKING:
    from concurrent.futures import Future

    from briefkit.notebooks import NotebookJob
    from briefkit.render import Engine, RenderJob

logger = logging.getLogger("briefkit")

CACHE_DIR = ".cache"

#: Distributions whose versions can change each step's output.
READING_DEPS = ("pydantic", "pydantic-core", "ruamel.yaml")
NOTEBOOK_DEPS = (
    *READING_DEPS, "papermill", "nbclient", "nbformat", "ipykernel", "jupyter-client", "plotly",
)  # fmt: skip
FIGURE_DEPS = ("plotly", "kaleido")
RENDER_DEPS = ("pypandoc-binary", "typst")


#: path -> ((size, mtime_ns, inode), sha256), so that a build hashes each big file once.
_DIGESTS: dict[Path, tuple[tuple[int, int, int], str]] = {}
#: A file modified this recently is never remembered: file times are coarse, and a same-size
#: rewrite within one tick would keep its stat (git's "racy" rule).
_RACY_NS = 2_000_000_000


def file_digest(path: Path) -> str:
    """The sha256 (hex) of a file's bytes."""
    st = path.stat()
    sig = (st.st_size, st.st_mtime_ns, st.st_ino)
    known = _DIGESTS.get(path)
    if known is not None and known[0] == sig:
        return known[1]
    with path.open("rb") as f:
        digest = hashlib.file_digest(f, "sha256").hexdigest()
    if st.st_mtime_ns < time.time_ns() - _RACY_NS:
        _DIGESTS[path] = (sig, digest)
    return digest


def tree_digests(base: Path, paths: Iterable[Path]) -> dict[str, str]:
    """{path relative to ``base``: sha256} for ``paths`` (files only), sorted by path."""
    found = {p.relative_to(base).as_posix(): file_digest(p) for p in paths if p.is_file()}
    return dict(sorted(found.items()))


def files_under(folder: Path) -> list[Path]:
    """Every file below ``folder`` (none if it is missing), skipping caches."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


@functools.cache
def code_digest() -> str:
    """sha256 over briefkit's own source files (its code version, finer than ``__version__``)."""
    return package_digest(Path(__file__).resolve().parent)


def package_digest(package: Path) -> str:
    """sha256 over the relative paths and bytes of a package's files (bytecode aside)."""
    h = hashlib.sha256()
    for rel, digest in tree_digests(package, files_under(package)).items():
        if not rel.endswith(".pyc"):
            h.update(f"{rel}\0{digest}\n".encode())
    return h.hexdigest()


def dependency_versions(names: Sequence[str]) -> dict[str, str]:
    """The installed version of each distribution (``absent`` when missing), and Python's."""
    versions = {"python": sys.version.split()[0]}
    installed = _dist_info_versions()
    missing = []
    for name in names:
        found = installed.get(_normalise(name))
        if found is None:
            missing.append(name)
        else:
            versions[name] = found
    if missing:
        from importlib.metadata import PackageNotFoundError, version

        for name in missing:
            try:
                versions[name] = version(name)
            except PackageNotFoundError:
                versions[name] = "absent"
    return versions


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def _dist_info_versions() -> dict[str, str]:
    """{normalised name: version} from ``<name>-<version>.dist-info`` folders on sys.path.

    What importlib.metadata finds first, without its import cost (a third of a no-change build).
    """
    found: dict[str, str] = {}
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for folder in names:
            if folder.endswith(".dist-info") and "-" in folder:
                name, _, version = folder[: -len(".dist-info")].partition("-")
                found.setdefault(_normalise(name), version)
    return found


def make_key(parts: Mapping[str, Any]) -> str:
    """The sha256 of ``parts`` as canonical JSON."""
    text = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class Stamp:
    """What a step recorded when it last ran: its key, its parts, its outputs' hashes."""

    key: str
    outputs: dict[str, str]
    parts: dict[str, str] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)


class StepCache:
    """The stamps of one build folder's steps."""

    def __init__(self, build_dir: Path) -> None:
        self.build_dir = build_dir
        self.folder = build_dir / CACHE_DIR

    def exists(self) -> bool:
        """Whether any step of this build folder was ever recorded."""
        return self.folder.is_dir()

    def stamp_path(self, step: str) -> Path:
        """Where ``step``'s stamp lives."""
        return self.folder / f"{step}.json"

    def steps(self, prefix: str = "") -> list[str]:
        """The recorded steps whose names start with ``prefix``, sorted."""
        return sorted(p.stem for p in self.folder.glob(f"{prefix}*.json"))

    def load(self, step: str) -> Stamp | None:
        """The stamp of ``step``, or None when missing or unreadable."""
        try:
            raw = json.loads(self.stamp_path(step).read_text(encoding="utf-8"))
            return Stamp(raw["key"], dict(raw["outputs"]), dict(raw.get("parts", {})),
                         dict(raw.get("data", {})))  # fmt: skip
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def fresh(self, step: str, parts: Mapping[str, Any]) -> Stamp | None:
        """The stamp of ``step`` if its key matches and its outputs are intact, else None."""
        return self.current(step, self.load(step), parts)

    def current(self, step: str, stamp: Stamp | None, parts: Mapping[str, Any]) -> Stamp | None:
        """``stamp`` (``step``'s, loaded already) if it matches ``parts`` and is intact."""
        if stamp is None:
            logger.debug("%s: no stamp, runs", step)
            return None
        if stamp.key != make_key(parts):
            changed = sorted(
                k for k in set(parts) | set(stamp.parts)
                if stamp.parts.get(k) != make_key({k: parts.get(k)})
            )  # fmt: skip
            logger.debug("%s: inputs changed (%s), runs", step, ", ".join(changed) or "?")
            return None
        for rel, digest in stamp.outputs.items():
            path = self.build_dir / rel
            if not path.is_file() or file_digest(path) != digest:
                logger.debug("%s: output %s missing or changed, runs", step, rel)
                return None
        return stamp

    def record(
        self,
        step: str,
        parts: Mapping[str, Any],
        outputs: Iterable[Path],
        data: Mapping[str, Any] | None = None,
    ) -> Stamp:
        """Record that ``step`` ran with ``parts`` and produced ``outputs`` (under the build)."""
        stamp = Stamp(
            key=make_key(parts),
            outputs=tree_digests(self.build_dir, outputs),
            parts={k: make_key({k: v}) for k, v in parts.items()},
            data=dict(data or {}),
        )
        write_json(self.stamp_path(step), stamp.__dict__)
        return stamp

    def forget(self, step: str, *, remove_outputs: bool = True) -> None:
        """Drop ``step``'s stamp and, unless told otherwise, the outputs it recorded."""
        stamp = self.load(step)
        if stamp is not None and remove_outputs:
            for rel in stamp.outputs:
                (self.build_dir / rel).unlink(missing_ok=True)
        self.stamp_path(step).unlink(missing_ok=True)


def read_artifact_log(path: Path, build_dir: Path) -> list[Path]:
    """The files under ``build_dir`` that a notebook's Artifacts writer logged (absolute paths)."""
    if not path.is_file():
        return []
    base = build_dir.resolve()
    found = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        full = Path(line).resolve() if line.strip() else None
        if full is not None and full.is_relative_to(base):
            found.add(build_dir / full.relative_to(base))
    return sorted(found)


# --- the build's cached steps ----------------------------------------------------------------


def notebook_step(job: NotebookJob) -> str:
    """The step name of a notebook job."""
    return f"notebook-{job.source.stem}"


def notebook_parts(
    job: NotebookJob, seed_inputs: Mapping[str, str], deps: Mapping[str, str]
) -> dict[str, Any]:
    """What decides a notebook's outputs: the seed, its source, its parameters, code, deps."""
    return {
        "seed": dict(seed_inputs),
        "notebook": file_digest(job.source),
        "parameters": dict(job.parameters),
        "code": code_digest(),
        "deps": {k: v for k, v in deps.items() if k == "python" or k in NOTEBOOK_DEPS},
    }


def run_notebooks(
    steps: StepCache,
    jobs: Sequence[NotebookJob],
    *,
    cwd: Path,
    seed_inputs: Mapping[str, str],
    deps: Mapping[str, str],
    timeout: float,
    reset: Callable[[], None],
    on_execute: Callable[[], None] | None = None,
    on_recorded: Callable[[list[Path]], None] | None = None,
) -> list[str]:
    """Execute the jobs whose inputs changed (in parallel); return the names of those that ran.

    A re-run notebook's recorded artifacts are removed first, so none of its stale ones survive;
    a skipped notebook's stay. With no notebook recorded yet, ``reset`` empties the artifacts.
    ``on_execute`` is called when notebooks are about to run (papermill already imported). Each
    notebook is recorded as soon as it succeeds, even when another fails; ``on_recorded`` then
    gets its outputs (on the notebook's worker thread).
    """
    from briefkit import notebooks

    known = set(steps.steps("notebook-"))
    if not known:
        reset()
    current = {notebook_step(job) for job in jobs}
    for gone in sorted(known - current):
        logger.info("%s: notebook removed, dropping its artifacts", gone)
        steps.forget(gone)
    stale: dict[Path, tuple[NotebookJob, dict[str, Any], Path]] = {}
    for job in jobs:
        step = notebook_step(job)
        parts = notebook_parts(job, seed_inputs, deps)
        if steps.fresh(step, parts) is not None:
            continue
        steps.forget(step)
        job.output.unlink(missing_ok=True)
        written = steps.folder / f"{step}.written"
        written.parent.mkdir(parents=True, exist_ok=True)
        written.unlink(missing_ok=True)
        env = {**job.env, ARTIFACT_LOG_ENV: str(written.resolve())}
        stale[job.output] = (replace(job, env=env), parts, written)
    if not stale:
        logger.info("notebooks unchanged: nothing to execute")
        return []

    def record(job: NotebookJob) -> None:
        _, parts, written = stale[job.output]
        outputs = [job.output, *read_artifact_log(written, steps.build_dir)]
        steps.record(notebook_step(job), parts, outputs)
        written.unlink(missing_ok=True)
        if on_recorded is not None:
            on_recorded(outputs)

    notebooks.import_engine()
    if on_execute is not None:
        on_execute()
    try:
        notebooks.execute_all(
            [job for job, _, _ in stale.values()], cwd=cwd, timeout=timeout, on_done=record
        )
    finally:
        for _, _, written in stale.values():
            written.unlink(missing_ok=True)
    return [notebook_step(job) for job, _, _ in stale.values()]


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

    def __init__(self, steps: StepCache, *, static: bool) -> None:
        from concurrent.futures import ThreadPoolExecutor

        from briefkit import artifacts

        self.build_dir = steps.build_dir
        self.static = static
        previous = steps.load("figures")
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
        from briefkit import artifacts

        try:
            digest = file_digest(spec)
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
        from briefkit import artifacts

        if cancel and not all(future.done() for future in self._queued):
            artifacts.stop_chromium()
        self._pool.shutdown(wait=True, cancel_futures=cancel)
        if self._opened_chromium:
            artifacts.stop_chromium()
        return dict(self._done)


def export_figures(
    steps: StepCache,
    *,
    static: bool,
    deps: Mapping[str, str],
    ready: Mapping[Path, tuple[str, list[Path]]] | None = None,
) -> bool:
    """Export the figures (HTML divs, SVGs in one Chromium) unless they are current; True if run.

    ``ready`` holds figures exported early (see EarlyFigures): those whose spec has not changed
    since are not exported again.
    """
    from briefkit import artifacts

    build = steps.build_dir
    specs = artifacts.figure_specs(build)
    digests = tree_digests(build, specs)
    previous = steps.load("figures")
    # The SVGs are Chromium's drawing: the browser the last export used is part of the key.
    browser = previous.data.get("browser") if previous is not None else None
    parts = {
        "figures": digests,
        "static": static,
        "code": code_digest(),
        "deps": {k: v for k, v in deps.items() if k == "python" or k in FIGURE_DEPS},
        "browser": browser_identity(browser) if static and specs else None,
    }
    if steps.current("figures", previous, parts) is not None:
        return False
    steps.forget("figures", remove_outputs=False)
    written: list[Path] = []
    todo = []
    for spec in specs:
        early = (ready or {}).get(spec)
        if (
            early is not None
            and early[0] == digests[spec.relative_to(build).as_posix()]
            and all(p.is_file() for p in early[1])
        ):
            written += early[1]
        else:
            todo.append(spec)
    if todo:
        written += artifacts.export_figures(build, static=static, specs=todo)
    written.append(artifacts.write_plotly_js(build))
    # What the last run wrote and this one did not (a figure gone, or SVGs no longer wanted).
    if previous is not None:
        for rel in set(previous.outputs) - {p.relative_to(build).as_posix() for p in written}:
            (build / rel).unlink(missing_ok=True)
    if static and specs:
        browser = artifacts.find_chromium()
        parts["browser"] = browser_identity(browser)
    steps.record("figures", parts, written, data={"browser": browser, "figures": digests})
    return True


def browser_identity(path: str | None) -> str | None:
    """Chromium's identity without starting it: BROWSER_PATH, the resolved path, size and mtime.

    An upgrade replaces the file (a package manager writes a new one), so its size or time
    changes; starting Chromium to ask its version would cost a no-change build a second.
    """
    chosen = os.environ.get("BROWSER_PATH", "")
    if path is None:
        return f"BROWSER_PATH={chosen}; none recorded"
    try:
        real = Path(path).resolve()
        st = real.stat()
    except OSError:
        return f"BROWSER_PATH={chosen}; {path} missing"
    return f"BROWSER_PATH={chosen}; {real} {st.st_size} {st.st_mtime_ns}"


#: Folders of a build whose files the brief may read when it is rendered.
RENDER_INPUT_DIRS = ("tables", "figures", "texts", "data", "assets")


def render_parts(
    job: RenderJob, fmt: str, engine: str, engine_version: str, deps: Mapping[str, str]
) -> dict[str, Any]:
    """What decides one rendered format: templates, filter, artifacts, engine, code, deps."""
    root, build = job.root, job.build_dir
    templates = [*files_under(root / "briefing"), root / "_quarto.yml", root / job.source]
    artifacts_in = [p for d in RENDER_INPUT_DIRS for p in files_under(build / d)]
    return {
        "format": fmt,
        "source": job.source.as_posix(),
        "templates": tree_digests(root, templates),
        "artifacts": tree_digests(build, [*artifacts_in, build / "brief.json"]),
        "engine": engine,
        "engine_version": engine_version,
        "timestamp": job.timestamp,
        "code": code_digest(),
        "deps": {k: v for k, v in deps.items() if k == "python" or k in RENDER_DEPS},
    }


def render(
    steps: StepCache, engine: Engine, job: RenderJob, deps: Mapping[str, str]
) -> tuple[dict[str, Path], list[str]]:
    """Render the formats of ``job`` whose inputs changed; return all outputs and those rendered."""
    version = engine.version()
    parts = {fmt: render_parts(job, fmt, engine.name, version, deps) for fmt in job.formats}
    stale = tuple(fmt for fmt in job.formats if steps.fresh(f"render-{fmt}", parts[fmt]) is None)
    outputs = {fmt: job.output(fmt) for fmt in job.formats}
    if not stale:
        logger.info("brief unchanged: nothing to render")
        return outputs, []
    for fmt in stale:
        steps.forget(f"render-{fmt}", remove_outputs=False)
    outputs.update(engine.render(replace(job, formats=stale)))
    for fmt in stale:
        steps.record(f"render-{fmt}", parts[fmt], [outputs[fmt]])
    return outputs, [f"render-{fmt}" for fmt in stale]
