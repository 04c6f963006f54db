"""One build's context: what was asked, what it reads (once), and what its steps did so far.

Every step of the build (briefkit.steps) is a function over one BuildContext, cached the same
way: ``BuildContext.cached`` computes nothing itself; it takes the step's key *parts*
(everything that can change its output, see briefkit.fingerprint), asks the stamp store
(briefkit.stamps) whether the step is current, and otherwise runs it and records its outputs.
Before a step re-runs, the outputs it recorded last time are removed (unless it replaces them
itself), so nothing stale survives it. Steps that run several units at once (the notebooks, the
formats) use the two halves, ``stale`` and ``record``, per unit.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from briefkit import __version__, command, fingerprint, notebooks
from briefkit.errors import BriefkitError, EnvironmentProblem, InputError
from briefkit.render import DEFAULT_FORMATS, get_engine, static_figure_types
from briefkit.render.formats import render_tools
from briefkit.seeds import build_dir, seed_dir
from briefkit.stamps import Stamp, StepCache

if TYPE_CHECKING:
    from briefkit.reading import Seed
    from briefkit.render import Engine

logger = logging.getLogger("briefkit")

#: Where a build keeps the copy of its seed and notebooks that its steps read.
SNAPSHOT_DIR = ".snapshot"

#: The seed's reading, which notebooks are keyed on by the parts they read (steps.notebook_parts).
READING_FILE = "reading.yaml"

#: Distributions whose versions can change each step's output.
READING_DEPS = ("pydantic", "pydantic-core", "pyyaml", "ruamel.yaml")
NOTEBOOK_DEPS = (
    *READING_DEPS, "papermill", "nbclient", "nbformat", "ipykernel", "jupyter-client", "plotly",
)  # fmt: skip
FIGURE_DEPS = ("plotly", "kaleido")
#: pandoc's wheel and what the formats compile with (the registry's tools: typst).
RENDER_DEPS = ("pypandoc-binary", *render_tools())


@dataclass
class Ran:
    """What a step's run produced: its outputs, data for its stamp, parts learned on the way."""

    outputs: list[Path] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    parts: dict[str, Any] = field(default_factory=dict)


@dataclass
class BuildContext:
    """One build of one seed: what was asked, what it reads, and what its steps did so far."""

    root: Path
    slug: str
    formats: tuple[str, ...] = DEFAULT_FORMATS
    engine_name: str = "auto"
    timeout: float = notebooks.DEFAULT_TIMEOUT
    #: "draft" (stamped <version>-dev+<hash>) or "release" (stamped <version>).
    status: str = "draft"
    #: Called with the build folder and the seed before brief.json is written; returns extra
    #: fields.
    before_render: Callable[[Path, Seed], Mapping[str, Any]] | None = None
    #: Seed files whose bytes this build takes instead of the seed folder's, by name (a
    #: release's brief.yaml with the new version, written to the seed only once published).
    seed_files: Mapping[str, bytes] = field(default_factory=dict)
    #: Called with the seed once it is validated.
    on_seed: Callable[[Seed], None] | None = None
    #: The formats rendered by this build (None: all of ``formats``; see BuildOptions.render).
    render: tuple[str, ...] | None = None
    #: The steps that ran, in order (the others were current).
    executed: list[str] = field(default_factory=list)
    #: Figures exported while the notebooks ran: spec -> (its sha256 then, files written).
    early: dict[Path, tuple[str, list[Path]]] = field(default_factory=dict)
    #: The rendered outputs, by format; the brief's version (from brief.json).
    outputs: dict[str, Path] = field(default_factory=dict)
    version: str = ""
    _seed: Seed | None = None
    _loading: Future[Seed] | None = None
    _digests: dict[str, str] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.build = build_dir(self.root, self.slug)
        self.cache = StepCache(self.build)
        self.seed_path = seed_dir(self.root, self.slug)
        for folder in (self.build, self.cache.folder, self.build / SNAPSHOT_DIR):
            if folder.exists() and not folder.is_dir():
                raise EnvironmentProblem(
                    f"{folder} is not a folder: briefkit keeps its build there; remove it"
                )
        #: A copy of the seed and the notebooks, read once: every step reads this copy, so that
        #: a key describes exactly the bytes its step consumed, even if a file changes meanwhile.
        self.snapshot = self.build / SNAPSHOT_DIR
        self.inputs = snapshot(
            self.root, self.snapshot, self.seed_path, notebooks.find_notebooks(self.root),
            self.seed_files,
        )  # fmt: skip
        seed_rel = self.seed_path.relative_to(self.root).as_posix() + "/"
        self.seed_inputs = {k: v for k, v in self.inputs.items() if k.startswith(seed_rel)}
        self.deps = fingerprint.dependency_versions(
            sorted({*NOTEBOOK_DEPS, *FIGURE_DEPS, *RENDER_DEPS})
        )

    @functools.cached_property
    def engine(self) -> Engine:
        """The render engine (found when first needed: after the seed check)."""
        return get_engine(self.engine_name)

    @functools.cached_property
    def timestamp(self) -> int:
        """The build's date (SOURCE_DATE_EPOCH, else the last commit's time)."""
        return source_date_epoch(self.root, release=self.status == "release")

    @property
    def date(self) -> str:
        """The build's date as YYYY-MM-DD: the brief's date, which notebooks also get."""
        return day(self.timestamp)

    @functools.cached_property
    def content(self) -> str:
        """The content hash of the brief's inputs."""
        return content_hash(self.root, self.seed_path, self.inputs)

    def input_digests(self) -> dict[str, str]:
        """{path: sha256} of every input of the brief, as this build read it."""
        return input_digests(self.root, self.seed_path, self.inputs)

    @property
    def static(self) -> tuple[str, ...]:
        """The static figure files the formats rendered now embed (SVG for PDF, PNG for Word).

        () for none: a preview's HTML build draws no SVG, its PDF build does.
        """
        return static_figure_types(self.render or self.formats)

    def deps_of(self, names: Iterable[str]) -> dict[str, str]:
        """The versions of Python and of the distributions ``names``."""
        wanted = {"python", *names}
        return {k: v for k, v in self.deps.items() if k in wanted}

    @property
    def check_parts(self) -> dict[str, Any]:
        """What decides whether the seed is valid: its files, briefkit's code, the validators."""
        return {
            "seed": self.seed_inputs,
            "code": fingerprint.code_digest(),
            "deps": self.deps_of(READING_DEPS),
        }

    @property
    def loaded_seed(self) -> Seed | None:
        """The seed if a step loaded it (or a background load finished), else None."""
        if self._seed is None and self._loading is not None and self._loading.done():
            return self.seed()
        return self._seed

    def seed(self) -> Seed:
        """The validated seed, loaded once (or taken from the background load)."""
        if self._seed is None:
            self._seed = self._loading.result() if self._loading else _load_seed(self)
            if self.on_seed is not None:
                self.on_seed(self._seed)
        return self._seed

    @property
    def reading_key(self) -> str:
        """The seed's reading.yaml among ``inputs`` (its path relative to the root)."""
        return f"{self.seed_path.relative_to(self.root).as_posix()}/{READING_FILE}"

    @property
    def reading_file(self) -> str | None:
        """The sha256 of the seed's reading.yaml as this build read it (None if it has none)."""
        return self.seed_inputs.get(self.reading_key)

    def reading_digests(self) -> dict[str, str]:
        """The digest of every part of the reading a notebook can read (reads.digests), once.

        Called from the notebooks' worker threads as each one is recorded.
        """
        from briefkit.reading import reads

        with self._lock:
            if self._digests is None:
                self._digests = reads.digests(self.seed(), self.reading_file or "")
            return self._digests

    def load_seed_meanwhile(self) -> None:
        """Start loading the seed on a background thread (while the kernels work)."""
        if self._seed is None and self._loading is None:
            pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="briefkit-seed")
            self._loading = pool.submit(_load_seed, self)
            pool.shutdown(wait=False)  # the submitted load still runs

    def stale(
        self,
        step: str,
        parts: Mapping[str, Any],
        *,
        stamp: Stamp | None = None,
        always: bool = False,
        keep_outputs: bool = False,
    ) -> bool:
        """Whether ``step`` must run; if so, drop its stamp and (unless kept) its old outputs.

        ``stamp`` is the step's stamp if the caller loaded it already; ``always`` runs a step
        that cannot be cached; ``keep_outputs`` is for a step that replaces its outputs itself.
        """
        if always:
            logger.debug("%s: not cached, runs", step)
        elif self.cache.current(step, stamp or self.cache.load(step), parts) is not None:
            return False
        self.cache.forget(step, remove_outputs=not keep_outputs)
        return True

    def record(self, step: str, parts: Mapping[str, Any], ran: Ran) -> None:
        """Record that ``step`` ran with ``parts`` and produced ``ran``."""
        self.cache.record(step, {**parts, **ran.parts}, ran.outputs, ran.data)

    def cached(
        self,
        step: str,
        parts: Mapping[str, Any],
        run: Callable[[], Ran],
        *,
        stamp: Stamp | None = None,
        always: bool = False,
        keep_outputs: bool = False,
    ) -> bool:
        """Run ``step`` unless it is current for ``parts``, and record it; True if it ran."""
        if not self.stale(step, parts, stamp=stamp, always=always, keep_outputs=keep_outputs):
            return False
        self.record(step, parts, run())
        self.executed.append(step)
        return True


#: The seed this process validated last, by what decides it (its files, code, validators):
#: a preview's builds (the HTML, the PDF, the next edit's) do not validate unchanged files again.
_LAST_SEED: dict[str, Seed] = {}


def _load_seed(ctx: BuildContext) -> Seed:
    from briefkit.errors import InvalidInput, Problem
    from briefkit.reading import load_seed

    key = fingerprint.make_key({"root": str(ctx.root), "slug": ctx.slug, **ctx.check_parts})
    seed = _LAST_SEED.get(key)
    if seed is not None:
        return seed
    copy = ctx.snapshot / ctx.seed_path.relative_to(ctx.root)
    try:
        seed = load_seed(ctx.snapshot, ctx.slug)
    except InvalidInput as exc:
        # Name the seed's own files, which the user edits, not their copies.
        def real(path: Path) -> Path:
            return ctx.seed_path / path.relative_to(copy) if path.is_relative_to(copy) else path

        problems = [Problem(real(p.path), p.line, p.field, p.message) for p in exc.problems]
        raise InvalidInput(problems) from None
    _LAST_SEED.clear()
    _LAST_SEED[key] = seed
    return seed


def snapshot(
    root: Path,
    folder: Path,
    seed_path: Path,
    notebook_files: Iterable[Path],
    replaced: Mapping[str, bytes],
) -> dict[str, str]:
    """Copy the seed's files and the notebooks into ``folder`` (same relative paths), reading
    each once; return {path relative to root: sha256 of the bytes copied}.

    ``replaced`` gives other bytes for seed files, by name. The seed folder was confined
    (``seeds.seed_dir``: no link out of it) before this reads anything.
    """
    wanted: dict[str, bytes] = {}
    for path in fingerprint.files_under(seed_path):
        rel = path.relative_to(seed_path).as_posix()
        wanted[path.relative_to(root).as_posix()] = replaced.get(rel) or path.read_bytes()
    for path in notebook_files:
        wanted[path.relative_to(root).as_posix()] = path.read_bytes()
    digests = {}
    for rel, data in sorted(wanted.items()):
        digest = hashlib.sha256(data).hexdigest()
        copy = folder / rel
        # Unchanged copies are not rewritten: their digests stay known by their stat.
        if not copy.is_file() or fingerprint.file_digest(copy) != digest:
            copy.parent.mkdir(parents=True, exist_ok=True)
            tmp = copy.with_name(copy.name + ".tmp")
            tmp.write_bytes(data)
            tmp.replace(copy)
        digests[rel] = digest
    for stale in fingerprint.files_under(folder):
        if stale.relative_to(folder).as_posix() not in digests:
            stale.unlink()
    return digests


def input_files(root: Path, seed_path: Path) -> list[Path]:
    """Every file whose content decides the brief of the seed at ``seed_path``, sorted."""
    files = [p for p in seed_path.iterdir() if p.is_file()]
    files += notebooks.find_notebooks(root)
    files += [p for p in (root / "briefing").rglob("*") if p.is_file()]
    files.append(root / "_quarto.yml")
    return sorted(p for p in files if p.exists())


def input_digests(
    root: Path, seed_path: Path, known: Mapping[str, str] | None = None
) -> dict[str, str]:
    """{path relative to root: sha256} of the inputs; ``known`` digests (a snapshot's) first."""
    known = known or {}
    found = {}
    for path in input_files(root, seed_path):
        rel = path.relative_to(root).as_posix()
        found[rel] = known.get(rel) or fingerprint.file_digest(path)
    return found


def content_hash(root: Path, seed_path: Path, known: Mapping[str, str] | None = None) -> str:
    """sha256 over the inputs' relative paths and bytes, and briefkit's own version."""
    h = hashlib.sha256(f"briefkit {__version__}\n".encode())
    for rel, digest in input_digests(root, seed_path, known).items():
        h.update(rel.encode() + b"\0")
        h.update(bytes.fromhex(digest))
    return h.hexdigest()


#: The latest date typst and Python's datetime can both show: 9999-12-31 23:59:59 UTC.
MAX_EPOCH = 253402300799


def day(timestamp: int) -> str:
    """The UTC day of ``timestamp``, YYYY-MM-DD."""
    return datetime.fromtimestamp(timestamp, tz=UTC).strftime("%Y-%m-%d")


def source_date_epoch(root: Path, *, release: bool = False) -> int:
    """SOURCE_DATE_EPOCH, else the last commit's time: never the wall clock.

    Without either, a draft is dated 1970-01-01 (with a warning) and a release is refused.
    """
    env = os.environ.get("SOURCE_DATE_EPOCH")
    if env:
        try:
            value = int(env)
        except ValueError:
            raise InputError(
                f"SOURCE_DATE_EPOCH={env!r} is not a whole number of seconds"
            ) from None
        if not 0 <= value <= MAX_EPOCH:
            raise InputError(
                f"SOURCE_DATE_EPOCH={env} is out of range: give seconds since 1970-01-01 UTC, "
                f"from 0 to {MAX_EPOCH} (9999-12-31)"
            )
        return value
    try:
        out = command.run(["git", "log", "-1", "--format=%ct"], cwd=root, timeout=30).stdout.strip()
        return int(out)
    except (BriefkitError, ValueError):
        pass
    hint = "set SOURCE_DATE_EPOCH (e.g. SOURCE_DATE_EPOCH=$(date +%s)) or commit the project"
    if release:
        raise InputError(f"no date for the release: {root} has no git history; {hint}")
    logger.warning("no git history and no SOURCE_DATE_EPOCH: the draft is dated 1970-01-01 (%s)",
                   hint)  # fmt: skip
    return 0
