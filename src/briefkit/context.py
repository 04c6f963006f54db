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
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from briefkit import __version__, command, fingerprint, notebooks
from briefkit.errors import BriefkitError, InputError
from briefkit.render import DEFAULT_FORMATS, get_engine, static_figure_types
from briefkit.seeds import build_dir, seed_dir
from briefkit.stamps import Stamp, StepCache

if TYPE_CHECKING:
    from briefkit.reading import Seed
    from briefkit.render import Engine

logger = logging.getLogger("briefkit")

#: Distributions whose versions can change each step's output.
READING_DEPS = ("pydantic", "pydantic-core", "ruamel.yaml")
NOTEBOOK_DEPS = (
    *READING_DEPS, "papermill", "nbclient", "nbformat", "ipykernel", "jupyter-client", "plotly",
)  # fmt: skip
FIGURE_DEPS = ("plotly", "kaleido")
RENDER_DEPS = ("pypandoc-binary", "typst")


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
    #: Called with the build folder before brief.json is written; returns extra fields.
    before_render: Callable[[Path], Mapping[str, Any]] | None = None
    #: The steps that ran, in order (the others were current).
    executed: list[str] = field(default_factory=list)
    #: Figures exported while the notebooks ran: spec -> (its sha256 then, files written).
    early: dict[Path, tuple[str, list[Path]]] = field(default_factory=dict)
    #: The rendered outputs, by format; the brief's version (from brief.json).
    outputs: dict[str, Path] = field(default_factory=dict)
    version: str = ""
    _seed: Seed | None = None
    _loading: Future[Seed] | None = None

    def __post_init__(self) -> None:
        self.build = build_dir(self.root, self.slug)
        self.cache = StepCache(self.build)
        self.seed_path = seed_dir(self.root, self.slug)
        self.seed_inputs = fingerprint.tree_digests(
            self.root, fingerprint.files_under(self.seed_path)
        )
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
        return source_date_epoch(self.root)

    @functools.cached_property
    def content(self) -> str:
        """The content hash of the brief's inputs."""
        return content_hash(self.root, self.seed_path)

    @property
    def static(self) -> tuple[str, ...]:
        """The static figure files the formats embed (SVG for PDF, PNG for Word); () for none."""
        return static_figure_types(self.formats)

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

    def seed(self) -> Seed:
        """The validated seed, loaded once (or taken from the background load)."""
        if self._seed is None:
            self._seed = self._loading.result() if self._loading else _load_seed(self)
        return self._seed

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


def _load_seed(ctx: BuildContext) -> Seed:
    from briefkit.reading import load_seed

    return load_seed(ctx.root, ctx.slug)


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
        # The cache's digest: a file the check step already hashed is not read again.
        h.update(bytes.fromhex(fingerprint.file_digest(path)))
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
