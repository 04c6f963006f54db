"""``python -m briefkit.bench``: how fast is a build, and how much faster than a naive one?

In a temporary copy of the project it measures, as medians over ``--runs`` runs: a cold build
(empty cache), a no-change rebuild through the CLI and through ``nox -s build``, a rebuild after
one notebook changed, and the same brief built by a naive pipeline (each notebook in turn by the
papermill command line, one kaleido ``write_image`` per figure, then the same render). It also
measures the unavoidable parts of a cold build (kernel start and stop per notebook, one Chromium
start plus its figures, pandoc and typst), peak memory and the outputs' sizes; it prints a table
and writes JSON (default ``_build/bench.json``). Targets are reported, never asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import re
import resource
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from briefkit import command
from briefkit.context import day, source_date_epoch

logger = logging.getLogger("briefkit")

PROJECT_FILES = ("seeds", "notebooks", "briefing", "_quarto.yml")
NOX_FILES = ("noxfile.py", "pyproject.toml")
GIB = 1024**3


class MemoryWatch:
    """Samples the memory of this process's descendants while a measured command runs.

    ``peak`` is the largest sum of proportional set sizes (PSS: a page shared by n processes
    counts 1/n in each, so Chromium's and the kernels' shared libraries are counted once);
    ``peak_rss`` the largest plain sum of resident sizes, which counts shared pages repeatedly.
    """

    def __init__(self, interval: float = 0.1) -> None:
        self.interval = interval
        self.peak = 0
        self.peak_rss = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            import psutil
        except ImportError:  # pragma: no cover - psutil comes with ipykernel
            return
        me = psutil.Process()
        while not self._stop.is_set():
            pss = rss = 0
            for child in me.children(recursive=True):
                with contextlib.suppress(psutil.Error):
                    info = child.memory_full_info()
                    pss += info.pss
                    rss += info.rss
            self.peak = max(self.peak, pss)
            self.peak_rss = max(self.peak_rss, rss)
            self._stop.wait(self.interval)

    def __enter__(self) -> MemoryWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def timed(argv: Sequence[str | os.PathLike[str]], *, cwd: Path) -> float:
    """Run ``argv`` (through briefkit.command) and return its wall time."""
    t = time.perf_counter()
    command.run(argv, cwd=cwd, timeout=1800)
    return time.perf_counter() - t


def peak_memory(argv: Sequence[str | os.PathLike[str]], *, cwd: Path) -> tuple[int, int]:
    """Run ``argv`` while sampling memory; return the peak PSS and RSS sums of its processes.

    Kept apart from the timed runs: reading every process's memory map costs CPU.
    """
    with MemoryWatch() as watch:
        command.run(argv, cwd=cwd, timeout=1800)
    return watch.peak, watch.peak_rss


def copy_project(src: Path, dest: Path, names: Sequence[str] = PROJECT_FILES) -> Path:
    """Copy what a build reads (and, for nox, what the noxfile reads) into ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in names:
        if (src / name).is_dir():
            shutil.copytree(src / name, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
        elif (src / name).exists():
            shutil.copy2(src / name, dest / name)
    return dest


def touch_notebook(notebook: Path, value: str) -> None:
    """Change one notebook: a cell that writes one more text artifact."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    source = f"out.text('bench-change', {value!r})"
    cell: dict[str, Any] = {
        "cell_type": "code",
        "id": "bench-change",
        "metadata": {},
        "outputs": [],
        "execution_count": None,
        "source": [source],
    }
    nb["cells"] = [c for c in nb["cells"] if c.get("id") != "bench-change"] + [cell]
    notebook.write_text(json.dumps(nb, indent=1) + "\n", encoding="utf-8")


# --- the naive baseline ------------------------------------------------------------------------

_NAIVE_FIGURES = """
import json, os, sys
from pathlib import Path
import plotly.io as pio
from plotly.offline import get_plotlyjs
from briefkit.browser import find_chromium
build = Path(sys.argv[1]); static = sys.argv[2] == "1"
if static:  # the browser briefkit uses (kaleido alone would not find a fetched one)
    os.environ["BROWSER_PATH"] = find_chromium()
for spec_path in sorted((build / "figures").glob("*.json")):
    fig = pio.from_json(json.dumps(json.loads(spec_path.read_text())["figure"]))
    name = spec_path.stem
    spec_path.with_suffix(".html").write_text(fig.to_html(
        full_html=False, include_plotlyjs=False, div_id="fig-" + name))
    if static:
        fig.write_image(str(spec_path.with_suffix(".svg")), format="svg",
                        width=fig.layout.width or 900, height=fig.layout.height or 450)
(build / "assets").mkdir(exist_ok=True)
(build / "assets" / "plotly.min.js").write_text(get_plotlyjs())
"""

_NAIVE_RENDER = """
import sys
from pathlib import Path
from briefkit import artifacts, export
from briefkit.context import source_date_epoch
from briefkit.steps import BRIEF_SOURCE, brief_metadata
from briefkit.reading import load_seed
from briefkit.render import RenderJob, get_engine
root, slug, engine_name = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
formats = tuple(sys.argv[4].split(","))
build = root / "_build" / slug
engine = get_engine(engine_name)
ts = source_date_epoch(root)
seed = load_seed(root, slug)
export.write_exports(seed, build / "data")
artifacts.write_downloads(build)
meta = brief_metadata(seed, seed.version + "-naive", "draft", ts, engine.version())
artifacts.write_json(build / "brief.json", meta)
engine.render(RenderJob(root, BRIEF_SOURCE, build, formats, ts))
"""


def naive_build(root: Path, seed: str, engine: str, formats: str) -> dict[str, float]:
    """Build the brief the naive way; return the time of each part."""
    py = sys.executable
    papermill = Path(py).parent / "papermill"
    build = root / "_build" / seed
    shutil.rmtree(build, ignore_errors=True)
    (build / "notebooks").mkdir(parents=True)
    parts = {"notebooks": 0.0}
    for nb in sorted((root / "notebooks").glob("*.ipynb")):
        argv: list[str | os.PathLike[str]] = [
            papermill,
            nb,
            build / "notebooks" / nb.name,
            "--cwd",
            root,
            "-p",
            "seed",
            seed,
            "-p",
            "root",
            ".",
            "-p",
            "build_dir",
            f"_build/{seed}",
            "-p",
            "brief_date",
            day(source_date_epoch(root)),
            "--no-progress-bar",
        ]
        parts["notebooks"] += timed(argv, cwd=root)
    static = "1" if "pdf" in formats else "0"
    parts["figures"] = timed([py, "-c", _NAIVE_FIGURES, build, static], cwd=root)
    parts["render"] = timed([py, "-c", _NAIVE_RENDER, root, seed, engine, formats], cwd=root)
    parts["total"] = sum(parts.values())
    return parts


# --- unavoidable parts -------------------------------------------------------------------------

_PARTS = """
import json, sys, time
from pathlib import Path
import nbformat
from briefkit import artifacts, notebooks
from briefkit.render import RenderJob, get_engine
from briefkit.steps import BRIEF_SOURCE
root, slug, engine_name, formats = Path(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
build = root / "_build" / slug
out = {}
nb = nbformat.v4.new_notebook()
nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
cell = nbformat.v4.new_code_cell("x = 1")
cell.metadata["tags"] = ["parameters"]
nb.cells = [cell]
empty = build / "empty.ipynb"
nbformat.write(nb, empty)
job = notebooks.NotebookJob(empty, build / "empty-out.ipynb", {})
notebooks.execute(job, cwd=root)  # warm imports
t = time.perf_counter(); notebooks.execute(job, cwd=root); out["kernel"] = time.perf_counter() - t
if "pdf" in formats:
    from briefkit import browser
    exe = browser.find_chromium()
    t = time.perf_counter()
    session = browser.Session(exe, browser.browser_timeout())
    session.ready()
    session.close()
    out["chromium"] = time.perf_counter() - t
    t = time.perf_counter(); artifacts.export_figures(build, static=True)
    out["chromium_and_figures"] = time.perf_counter() - t
engine = get_engine(engine_name)
job = RenderJob(root, BRIEF_SOURCE, build, tuple(formats.split(",")), 0)
engine.render(job)
t = time.perf_counter(); engine.render(job); out["render"] = time.perf_counter() - t
print(json.dumps(out))
"""


def unavoidable_parts(root: Path, seed: str, engine: str, formats: str) -> dict[str, float]:
    """Kernel start+stop (one empty notebook), Chromium start with all figures, the render."""
    out = command.run(
        [sys.executable, "-c", _PARTS, root, seed, engine, formats], cwd=root, timeout=900
    ).stdout
    parts: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return parts


# --- the live preview ------------------------------------------------------------------------

_CLAIM_TEXT = re.compile(r"^(    text: )(?:bench-edit-\d+ )?", re.M)
_QMD_MARK = re.compile(r"The claims the article makes(?: \(bench-qmd-\d+\))?")


def edit_claim(reading: Path, marker: str) -> None:
    """Put ``marker`` at the start of the first claim's text (one claim's text changes)."""
    text = reading.read_text(encoding="utf-8")
    start = text.index("\nclaims:\n")
    head, tail = text[:start], text[start:]
    reading.write_text(head + _CLAIM_TEXT.sub(rf"\g<1>{marker} ", tail, count=1), encoding="utf-8")


def edit_brief_text(qmd: Path, marker: str) -> None:
    """Put ``marker`` into one sentence of the brief's text."""
    text = qmd.read_text(encoding="utf-8")
    new = _QMD_MARK.sub(f"The claims the article makes ({marker})", text, count=1)
    if new == text:
        raise ValueError(f"{qmd}: the sentence the bench edits is gone")
    qmd.write_text(new, encoding="utf-8")


def tree_pss(pid: int) -> int:
    """The summed PSS of a process and its descendants."""
    import psutil

    top = psutil.Process(pid)
    total = 0
    for proc in [top, *top.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            total += proc.memory_full_info().pss
    return int(total)


class PreviewRun:
    """A ``briefkit preview`` process in a project copy, followed by a page in Chromium.

    Without Playwright, the page is followed by its event stream's state and a fetch of the
    brief (what a reload would get): the browser's own drawing is then not counted.
    """

    def __init__(self, cli: Sequence[str | os.PathLike[str]], root: Path, seed: str,
                 engine: str, formats: str, extra: Sequence[str] = ()) -> None:  # fmt: skip
        import subprocess

        self.root = root
        self.log = (root / "preview.log").open("w")
        self.process = subprocess.Popen(
            [*cli, "--root", root, "preview", "--seed", seed, "--port", "0", "--engine", engine,
             "--formats", formats, *extra],
            stdout=subprocess.PIPE, stderr=self.log, text=True, cwd=root,
        )  # fmt: skip
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        match = re.search(r"at (http://\S+)", line)
        if match is None:
            self.close()
            raise RuntimeError(f"preview did not start: {line!r}")
        self.url = match.group(1)
        self.base = self.url.rsplit("/", 1)[0]
        self._pw: Any = None
        self.page: Any = None

    def state(self) -> dict[str, Any]:
        """The preview's state (as its page's script gets it)."""
        import urllib.request

        with urllib.request.urlopen(f"{self.base}/__briefkit/state", timeout=30) as r:
            data: dict[str, Any] = json.loads(r.read())
            return data

    def wait_idle(self, timeout: float = 600) -> None:
        """Wait until nothing builds, the PDF is current and the kernel pool is full."""
        end = time.monotonic() + timeout
        while True:
            s = self.state()
            if (s["generation"] and not s["building"] and s["pdf"] in ("ready", "off")
                    and s.get("kernels_ready", 0) >= s.get("kernels", 0)):  # fmt: skip
                return
            if self.process.poll() is not None or time.monotonic() > end:
                raise RuntimeError(f"preview not idle: {s}")
            time.sleep(0.1)

    def open_page(self) -> bool:
        """Open the brief in headless Chromium (Playwright); False when Playwright is missing."""
        try:
            from playwright.sync_api import sync_playwright
        except ImportError:
            return False
        exe = shutil.which("chromium") or shutil.which("chromium-browser")
        self._pw = sync_playwright().start()
        browser = self._pw.chromium.launch(
            executable_path=exe, args=["--no-sandbox", "--disable-gpu"]
        )
        self.page = browser.new_page()
        self.page.goto(self.url)
        return True

    def shows(self, marker: str, timeout: float = 600) -> float:
        """Wait until the page shows ``marker``; return when (perf_counter)."""
        if self.page is not None:
            self.page.wait_for_function(
                f"document.body.innerText.includes({json.dumps(marker)})", timeout=timeout * 1000
            )
            return time.perf_counter()
        import urllib.request

        end = time.monotonic() + timeout
        first = self.state()["generation"]
        while self.state()["generation"] == first:
            if time.monotonic() > end:
                raise RuntimeError(f"no rebuild showed {marker}")
            time.sleep(0.01)
        with urllib.request.urlopen(self.url, timeout=30) as r:
            if marker.encode() not in r.read():
                raise RuntimeError(f"the rebuilt page lacks {marker}")
        return time.perf_counter()

    def close(self) -> None:
        """Stop the preview (SIGINT, like Ctrl-C) and the browser."""
        import signal

        if self._pw is not None:
            self._pw.stop()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=120)
            except Exception:
                self.process.kill()
                self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()
        self.log.close()


def preview_bench(
    cli: Sequence[str | os.PathLike[str]], root: Path, *, seed: str, engine: str, formats: str,
    runs: int, memory_edits: int, extra: Sequence[str] = (),
) -> dict[str, Any]:  # fmt: skip
    """Edit → page shows the change, in a live preview: reading edits and brief.qmd edits.

    Memory: the preview's process tree (PSS), idle after the first edit and after
    ``memory_edits`` more reading edits. ``extra`` goes to ``briefkit preview``.
    """
    reading = root / "seeds" / seed / "reading.yaml"
    qmd = root / "briefing" / "brief.qmd"
    out: dict[str, Any] = {"reading_edit": [], "qmd_edit": [], "first_build": 0.0}
    t = time.perf_counter()
    run = PreviewRun(cli, root, seed, engine, formats, extra)
    try:
        run.wait_idle()
        out["first_build"] = time.perf_counter() - t
        out["browser"] = run.open_page()
        n = 0
        memory: list[int] = []
        for i in range(runs + 1):
            for kind, edit, path in (("reading_edit", edit_claim, reading),
                                     ("qmd_edit", edit_brief_text, qmd)):  # fmt: skip
                run.wait_idle()
                n += 1
                marker = f"bench-{'edit' if kind == 'reading_edit' else 'qmd'}-{n}"
                t = time.perf_counter()
                edit(path, marker)
                shown = run.shows(marker)
                if i:  # the first edit of each kind warms up what a first edit pays for
                    out[kind].append(shown - t)
            if i == 0:
                run.wait_idle()
                memory.append(tree_pss(run.process.pid))
        for _ in range(memory_edits):
            # One after the other, as fast as the page shows each: the pool refills meanwhile.
            n += 1
            edit_claim(reading, f"bench-edit-{n}")
            run.shows(f"bench-edit-{n}")
        run.wait_idle()
        memory.append(tree_pss(run.process.pid))
        out["memory_pss"] = {"after_first_edit": memory[0], "after_more_edits": memory[-1],
                             "edits": memory_edits}  # fmt: skip
    finally:
        run.close()
    return out


# --- the whole benchmark -----------------------------------------------------------------------


def median(values: Sequence[float]) -> float:
    """The median of ``values`` (0 when empty)."""
    return statistics.median(values) if values else 0.0


def run_bench(
    repo: Path, *, runs: int, seed: str, engine: str, formats: str, preview_edits: int = 50
) -> dict[str, Any]:
    """Measure everything once per run in a temporary copy of ``repo``; return medians and more.

    The preview is measured in its own copy, after the builds (``preview_edits`` reading edits
    for its memory; a negative number skips the preview).
    """
    nox = shutil.which("nox")
    # The CLI of nox's build environment when there is one, so that the CLI and nox runs share
    # their dependency versions (and so their cache keys).
    nox_cli = repo / ".nox" / "build" / "bin" / "briefkit"
    tmp = Path(tempfile.mkdtemp(prefix="briefkit-bench-"))
    try:
        root = copy_project(repo, tmp / "project", (*PROJECT_FILES, *NOX_FILES))
        build = root / "_build" / seed
        nox_argv: list[str | os.PathLike[str]] = []
        if nox:
            # Installs the build environment once, in the repository, where the editable
            # install points; the measured runs reuse it from the copy.
            command.run([nox, "-s", "build", "--install-only"], cwd=repo, timeout=1800)
            nox_argv = [
                nox,
                "--envdir",
                repo / ".nox",
                "-s",
                "build",
                "--",
                "--seed",
                seed,
                "--engine",
                engine,
                "--formats",
                formats,
            ]
        cli = [nox_cli] if nox_cli.exists() else [sys.executable, "-m", "briefkit"]
        build_argv = [*cli, "build", "--seed", seed, "--engine", engine, "--formats", formats]
        samples: dict[str, list[float]] = {
            k: [] for k in ("cold", "nochange_cli", "nochange_nox", "one_notebook", "naive")
        }
        naive_parts: list[dict[str, float]] = []
        part_samples: list[dict[str, float]] = []
        for i in range(runs):
            logger.info("run %d of %d", i + 1, runs)
            shutil.rmtree(build, ignore_errors=True)
            samples["cold"].append(timed(build_argv, cwd=root))
            samples["nochange_cli"].append(timed(build_argv, cwd=root))
            if nox_argv:
                samples["nochange_nox"].append(timed(nox_argv, cwd=root))
            touch_notebook(root / "notebooks" / "timeline.ipynb", f"run {i}")
            samples["one_notebook"].append(timed(build_argv, cwd=root))
        sizes = {fmt: (build / f"brief.{fmt}").stat().st_size for fmt in formats.split(",")}
        logger.info("memory: one more cold build")
        shutil.rmtree(build, ignore_errors=True)
        pss, rss = peak_memory(build_argv, cwd=root)
        largest = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
        for i in range(runs):
            logger.info("unavoidable parts %d of %d", i + 1, runs)
            part_samples.append(unavoidable_parts(root, seed, engine, formats))
        parts = {k: median([p[k] for p in part_samples]) for k in part_samples[0]}
        naive_root = copy_project(repo, tmp / "naive")
        for i in range(runs):
            logger.info("naive run %d of %d", i + 1, runs)
            naive_parts.append(naive_build(naive_root, seed, engine, formats))
            samples["naive"].append(naive_parts[-1]["total"])
        preview: dict[str, Any] = {}
        if preview_edits >= 0:
            logger.info("preview: %d edit(s) of each kind, then %d more", runs, preview_edits)
            preview = preview_bench(
                cli, copy_project(repo, tmp / "preview"), seed=seed, engine=engine,
                formats=formats, runs=runs, memory_edits=preview_edits,
            )  # fmt: skip
            samples["preview_reading_edit"] = preview["reading_edit"]
            samples["preview_qmd_edit"] = preview["qmd_edit"]
        n_notebooks = len(list((root / "notebooks").glob("*.ipynb")))
        unavoidable = (
            n_notebooks * parts["kernel"] + parts.get("chromium_and_figures", 0.0) + parts["render"]
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    med = {k: median(v) for k, v in samples.items()}
    return {
        "runs": runs,
        "seed": seed,
        "engine": engine,
        "formats": formats,
        "cpus": os.cpu_count(),
        "samples": samples,
        "median": med,
        "naive_parts": {k: median([p[k] for p in naive_parts]) for k in naive_parts[0]},
        "unavoidable_parts": {**parts, "notebooks": n_notebooks, "sum": unavoidable},
        "peak_memory_bytes": {
            "build_tree_sum": pss,
            "build_tree_rss_sum": rss,
            "largest_process": largest,
        },
        "sizes_bytes": sizes,
        "preview": {k: v for k, v in preview.items() if k not in ("reading_edit", "qmd_edit")},
        "ratios": {
            "cold_over_unavoidable": med["cold"] / unavoidable,
            "naive_over_cold": med["naive"] / med["cold"],
            "one_notebook_over_cold": med["one_notebook"] / med["cold"],
            "preview_reading_edit_over_cold": med.get("preview_reading_edit", 0.0) / med["cold"],
        },
    }


def targets(result: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """Each target: what it asks, what was measured, whether it was met."""
    med, ratios = result["median"], result["ratios"]
    peak = result["peak_memory_bytes"]["build_tree_sum"]
    rows = [
        (
            "cold <= 1.5 x unavoidable parts",
            f"{ratios['cold_over_unavoidable']:.2f} x",
            ratios["cold_over_unavoidable"] <= 1.5,
        ),
        (
            "cold >= 2.5 x faster than naive",
            f"{ratios['naive_over_cold']:.2f} x",
            ratios["naive_over_cold"] >= 2.5,
        ),
        ("no-change (CLI) < 0.3 s", f"{med['nochange_cli']:.3f} s", med["nochange_cli"] < 0.3),
        (
            "one-notebook change < cold / 2",
            f"{ratios['one_notebook_over_cold']:.2f} x cold",
            ratios["one_notebook_over_cold"] < 0.5,
        ),
        ("peak memory (PSS) < 1 GiB", f"{peak / GIB:.2f} GiB", peak < GIB),
    ]
    if result["samples"]["nochange_nox"]:
        rows.insert(
            3,
            (
                "no-change (nox -s build) < 1 s",
                f"{med['nochange_nox']:.3f} s",
                med["nochange_nox"] < 1.0,
            ),
        )
    if result["samples"].get("preview_reading_edit"):
        edit, qmd = med["preview_reading_edit"], med["preview_qmd_edit"]
        ratio = ratios["preview_reading_edit_over_cold"]
        rows += [
            ("preview: reading edit -> page <= 1.5 s", f"{edit:.3f} s", edit <= 1.5),
            ("preview: reading edit <= 0.25 x cold", f"{ratio:.2f} x cold", ratio <= 0.25),
            ("preview: brief.qmd edit -> page <= 0.5 s", f"{qmd:.3f} s", qmd <= 0.5),
        ]
        mem = result["preview"].get("memory_pss")
        if mem and mem["edits"]:
            growth = mem["after_more_edits"] / mem["after_first_edit"]
            rows.append(
                (f"preview memory after {mem['edits']} edits <= 110 % of after one",
                 f"{growth * 100:.0f} %", growth <= 1.10)
            )  # fmt: skip
    return rows


def print_table(result: dict[str, Any], write: Callable[[Any], None] | None = None) -> None:
    """Print the measurements and the targets as rich tables."""
    from rich.console import Console
    from rich.table import Table

    console = Console()
    show = write or console.print
    med = result["median"]
    t = Table(title=f"briefkit bench: medians of {result['runs']} run(s), {result['cpus']} CPUs")
    t.add_column("measure")
    t.add_column("median", justify="right")
    t.add_column("samples", justify="right")
    names = {
        "cold": "cold build",
        "nochange_cli": "no-change rebuild (CLI)",
        "nochange_nox": "no-change rebuild (nox -s build)",
        "one_notebook": "one-notebook change",
        "naive": "naive baseline",
        "preview_reading_edit": "preview: reading edit -> page shows it",
        "preview_qmd_edit": "preview: brief.qmd edit -> page shows it",
    }
    for key, label in names.items():
        values = result["samples"][key]
        if values:
            t.add_row(label, f"{med[key]:.3f} s", " ".join(f"{v:.2f}" for v in values))
    parts = result["unavoidable_parts"]
    t.add_row(
        "unavoidable parts (sum)",
        f"{parts['sum']:.3f} s",
        f"kernel {parts['kernel']:.2f} x {parts['notebooks']}, "
        f"chromium+figs {parts.get('chromium_and_figures', 0):.2f}, render {parts['render']:.2f}",
    )
    naive = result["naive_parts"]
    naive_split = f"{naive['notebooks']:.2f} / {naive['figures']:.2f} / {naive['render']:.2f}"
    t.add_row("naive: notebooks / figures / render", "", naive_split)
    mem = result["peak_memory_bytes"]
    t.add_row(
        "peak memory, cold build (PSS, all processes)",
        f"{mem['build_tree_sum'] / 2**20:.0f} MiB",
        f"RSS sum {mem['build_tree_rss_sum'] / 2**20:.0f}, largest process "
        f"{mem['largest_process'] / 2**20:.0f} MiB",
    )
    preview = result.get("preview") or {}
    if preview.get("memory_pss"):
        mem = preview["memory_pss"]
        t.add_row(
            "preview memory (PSS, idle): after 1 edit / after more",
            f"{mem['after_first_edit'] / 2**20:.0f} MiB",
            f"{mem['after_more_edits'] / 2**20:.0f} MiB after {mem['edits']} more edits"
            f" (page in {'Chromium' if preview.get('browser') else 'fetches'})",
        )
    for fmt, size in result["sizes_bytes"].items():
        t.add_row(f"brief.{fmt} size", f"{size / 2**20:.2f} MiB", f"{size} B")
    show(t)
    g = Table(title="targets")
    g.add_column("target")
    g.add_column("measured", justify="right")
    g.add_column("met")
    for what, measured, ok in targets(result):
        g.add_row(what, measured, "yes" if ok else "NO")
    show(g)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; print the table and write the JSON."""
    p = argparse.ArgumentParser(prog="python -m briefkit.bench", description=__doc__)
    p.add_argument("--runs", type=int, default=3, help="runs per measure (default 3)")
    p.add_argument("--root", type=Path, default=Path("."), help="project folder (default: .)")
    p.add_argument("--seed", help="seed to build (default: the first)")
    p.add_argument("--engine", default="pandoc", help="engine (default: pandoc)")
    p.add_argument("--formats", default="html,pdf", help="formats (default: html,pdf)")
    p.add_argument("--output", type=Path, help="JSON output (default: <root>/_build/bench.json)")
    p.add_argument(
        "--preview-edits", type=int, default=50,
        help="reading edits before the preview's memory is measured again (-1: no preview)",
    )  # fmt: skip
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="bench: %(message)s")
    logger.setLevel(logging.INFO)
    from briefkit.seeds import list_seeds

    repo = args.root.resolve()
    seed = args.seed or list_seeds(repo)[0]
    result = run_bench(
        repo,
        runs=max(1, args.runs),
        seed=seed,
        engine=args.engine,
        formats=args.formats,
        preview_edits=args.preview_edits,
    )
    output = args.output or repo / "_build" / "bench.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(result, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print_table(result)
    print(f"written: {output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
