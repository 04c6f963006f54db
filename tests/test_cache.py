"""The build cache: a step is skipped only when none of its inputs changed and its outputs hold."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from briefkit import artifacts, context, fingerprint, notebooks, render, steps
from briefkit.build import BuildOptions, BuildResult, run_build
from briefkit.errors import NotebookFailed
from briefkit.reading import reads
from briefkit.render import RenderJob
from briefkit.stamps import StepCache, read_artifact_log

from .conftest import SEED

# --- the stamp store ---------------------------------------------------------------------------


def test_step_without_stamp_is_not_fresh(tmp_path: Path) -> None:
    assert StepCache(tmp_path).fresh("step", {"a": 1}) is None


def test_recorded_step_with_same_parts_is_fresh(tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    out.write_text("result")
    steps = StepCache(tmp_path)
    steps.record("step", {"a": 1, "b": {"x": "y"}}, [out])
    stamp = steps.fresh("step", {"b": {"x": "y"}, "a": 1})
    assert stamp is not None
    assert stamp.outputs == {"out.txt": hashlib.sha256(b"result").hexdigest()}


def test_changed_part_makes_step_stale(tmp_path: Path) -> None:
    steps = StepCache(tmp_path)
    steps.record("step", {"a": 1, "b": 2}, [])
    assert steps.fresh("step", {"a": 1, "b": 3}) is None
    assert steps.fresh("step", {"a": 1}) is None


@pytest.mark.parametrize(
    "damage", [Path.unlink, lambda p: p.write_text("edited")], ids=["deleted", "modified"]
)
def test_damaged_output_makes_step_stale(tmp_path: Path, damage: Callable[[Path], None]) -> None:
    out = tmp_path / "out.txt"
    out.write_text("result")
    steps = StepCache(tmp_path)
    steps.record("step", {"a": 1}, [out])
    damage(out)
    assert steps.fresh("step", {"a": 1}) is None


def test_unreadable_stamp_makes_step_stale(tmp_path: Path) -> None:
    steps = StepCache(tmp_path)
    steps.record("step", {"a": 1}, [])
    steps.stamp_path("step").write_text("{not json")
    assert steps.fresh("step", {"a": 1}) is None


def test_forget_removes_recorded_outputs(tmp_path: Path) -> None:
    out = tmp_path / "tables" / "x.json"
    out.parent.mkdir()
    out.write_text("{}")
    steps = StepCache(tmp_path)
    steps.record("step", {}, [out])
    steps.forget("step")
    assert not out.exists()
    assert steps.load("step") is None


def test_package_digest_changes_with_any_package_file(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "a.py").write_text("x = 1\n")
    before = fingerprint.package_digest(package)
    (package / "a.py").write_text("x = 2\n")
    assert fingerprint.package_digest(package) != before


def test_dependency_versions_name_missing_distributions() -> None:
    versions = fingerprint.dependency_versions(["pytest", "no-such-distribution-briefkit"])
    assert versions["no-such-distribution-briefkit"] == "absent"
    assert versions["pytest"][0].isdigit()
    assert "python" in versions


def test_notebook_parameters_are_part_of_its_key(tmp_path: Path) -> None:
    source = tmp_path / "n.ipynb"
    source.write_text("{}")
    job = notebooks.NotebookJob(source, tmp_path / "out.ipynb", {"seed": "a"})
    other = notebooks.NotebookJob(source, tmp_path / "out.ipynb", {"seed": "b"})
    parts = steps.notebook_parts(job, {}, {})
    assert fingerprint.make_key(parts) != fingerprint.make_key(steps.notebook_parts(other, {}, {}))


def test_artifact_log_keeps_only_files_under_the_build(tmp_path: Path) -> None:
    build_dir = tmp_path / "build"
    log = tmp_path / "log"
    log.write_text(f"{build_dir / 'tables' / 'a.json'}\n{tmp_path / 'elsewhere.json'}\n\n")
    assert read_artifact_log(log, build_dir) == [build_dir / "tables" / "a.json"]


def test_artifacts_writer_logs_what_it_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pandas as pd

    log = tmp_path / "written"
    monkeypatch.setenv(artifacts.ARTIFACT_LOG_ENV, str(log))
    out = artifacts.Artifacts(tmp_path / "b")
    out.text("t", "x")
    out.table("tb", pd.DataFrame({"k": [1]}), labels={"k": "K"}, caption="c")
    logged = read_artifact_log(log, tmp_path / "b")
    assert [p.relative_to(tmp_path / "b").as_posix() for p in logged] == [
        "data/tb.csv", "tables/tb.json", "texts/t.json",
    ]  # fmt: skip


# --- the build's steps, with fake notebooks, figures and engine -------------------------------


class FakeEngine:
    """Writes a stand-in for each format; its version is settable."""

    name = "fake"

    def __init__(self) -> None:
        self.tool_version = "fake 1.0"

    def version(self) -> str:
        return self.tool_version

    def render(self, job: RenderJob) -> dict[str, Path]:
        outputs = {}
        for fmt in job.formats:
            path = job.output(fmt)
            body = f"{fmt} {(job.build_dir / 'brief.json').read_text()}"
            # Complete outputs, as the build verifies them: an HTML page or a whole PDF.
            if fmt == "pdf":
                path.write_text(f"%PDF-1.7\n{body}\n%%EOF\n")
            else:
                path.write_text(f"<html>{body}</html>\n")
            outputs[fmt] = path
        return outputs


class FakeFigure:
    """Stands in for a plotly figure: all Artifacts.figure needs is to_json."""

    def __init__(self, value: str) -> None:
        self.value = value

    def to_json(self) -> str:
        return json.dumps({"data": [], "layout": {"title": self.value}})


def fake_execute_all(
    jobs: Sequence[notebooks.NotebookJob],
    *,
    cwd: Path,
    timeout: float,
    on_done: Callable[[notebooks.NotebookJob], None] | None = None,
) -> list[Path]:
    """Each notebook writes artifacts derived from its source, parameters and seed."""
    for job in jobs:
        # As views.setup does: the seed is loaded from under the "root" parameter.
        seed_dir = cwd / job.parameters["root"] / "seeds" / job.parameters["seed"]
        h = hashlib.sha256(job.source.read_bytes() + json.dumps(job.parameters).encode())
        for f in sorted(seed_dir.iterdir()):
            h.update(f.read_bytes())
        meta = json.loads(job.source.read_text())["metadata"]
        names = meta.get("fake", [job.source.stem])
        log = job.env.get(reads.READ_LOG_ENV)
        if log and "reads" in meta:  # the parts of the reading it reads, as a kernel logs them
            lines = [reads.HEADER, *meta["reads"]]
            Path(log).write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
        old = dict(os.environ)
        os.environ.update(job.env)
        try:
            out = artifacts.Artifacts(cwd / job.parameters["build_dir"])
            for name in names:
                out.text(name, h.hexdigest())
                out.figure(name, FakeFigure(h.hexdigest()), caption="c", alt="a")
        finally:
            os.environ.clear()
            os.environ.update(old)
        job.output.parent.mkdir(parents=True, exist_ok=True)
        job.output.write_text(h.hexdigest())
        if on_done is not None:
            on_done(job)
    return [job.output for job in jobs]


def fake_export_figures(
    build_dir: Path, *, static: bool = True, specs: Sequence[Path] | None = None
) -> list[Path]:
    written = []
    for spec in artifacts.figure_specs(build_dir) if specs is None else specs:
        for suffix in (".html", ".svg") if static else (".html",):
            path = spec.with_suffix(suffix)
            path.write_text(spec.read_text())
            written.append(path)
    return written


def fake_export_static(
    build_dir: Path, *, specs: Sequence[Path], kinds: Sequence[str]
) -> list[Path]:
    """The static figure files, as fake_export_figures writes them."""
    return [p for p in fake_export_figures(build_dir, specs=specs) if p.suffix != ".html"]


def fake_plotly_js(build_dir: Path) -> Path:
    path = build_dir / "assets" / "plotly.min.js"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("plotly")
    return path


@pytest.fixture
def browser(tmp_path: Path) -> Path:
    """The Chromium that the (fake) figure export says it used."""
    path = tmp_path / "browser" / "chromium"
    path.parent.mkdir()
    path.write_text("#!/bin/sh\n")
    return path


@pytest.fixture
def engine(monkeypatch: pytest.MonkeyPatch, browser: Path) -> FakeEngine:
    """Fake notebooks, figure export and engine, so that only the cache logic runs."""
    fake = FakeEngine()
    monkeypatch.setattr(artifacts, "find_chromium", lambda: str(browser))
    monkeypatch.setattr(notebooks, "execute_all", fake_execute_all)
    monkeypatch.setattr(artifacts, "export_figures", fake_export_figures)
    monkeypatch.setattr(artifacts, "export_static_figures", fake_export_static)
    monkeypatch.setattr(artifacts, "write_plotly_js", fake_plotly_js)
    monkeypatch.setattr(artifacts, "start_chromium", lambda: True)
    monkeypatch.setattr(artifacts, "stop_chromium", lambda: None)
    monkeypatch.setattr(context, "get_engine", lambda name: fake)
    # A known engine name: a build refuses an unknown one before anything runs.
    monkeypatch.setitem(render.ENGINES, "fake", lambda: fake)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    return fake


def fake_build(root: Path, formats: tuple[str, ...] = ("html", "pdf")) -> BuildResult:
    return run_build(BuildOptions(root, SEED, engine="fake", formats=formats))


ALL_NOTEBOOKS = [
    f"notebook-{p.stem}" for p in notebooks.find_notebooks(Path(__file__).resolve().parents[1])
]
RENDERS = ["render-html", "render-pdf"]
FIGURES = ["figures", "figures-static"]
EVERYTHING = ["check", *ALL_NOTEBOOKS, *FIGURES, "export", "meta", *RENDERS]


def test_cold_build_runs_every_step_and_rebuild_runs_none(
    project: Path, engine: FakeEngine
) -> None:
    assert fake_build(project).executed == EVERYTHING
    again = fake_build(project)
    assert again.executed == []
    assert set(again.outputs) == {"html", "pdf"}
    assert again.version.startswith("0.1.0-dev+")


def test_notebooks_get_the_brief_date_and_rerun_on_a_new_day(
    project: Path, engine: FakeEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What is due or passed is judged at the brief's date: a new day re-runs the notebooks.
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764000000")  # 2025-11-24 16:00 UTC
    seen: list[dict[str, Any]] = []
    monkeypatch.setattr(
        notebooks,
        "execute_all",
        lambda jobs, **kw: (
            seen.extend(dict(j.parameters) for j in jobs) or fake_execute_all(jobs, **kw)
        ),
    )
    fake_build(project)
    assert {p["brief_date"] for p in seen} == {"2025-11-24"}
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764003600")  # an hour later, the same day
    assert not [s for s in fake_build(project).executed if s.startswith("notebook-")]
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764086400")  # the next day
    assert [s for s in fake_build(project).executed if s.startswith("notebook-")] == ALL_NOTEBOOKS


def append(path: Path, text: str = "\n# changed\n") -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def edit_article(root: Path) -> None:
    seed = root / "seeds" / SEED
    append(seed / "article.txt", "\nA sentence added to the article.\n")
    digest = hashlib.sha256((seed / "article.txt").read_bytes()).hexdigest()
    source = seed / "source.yaml"
    text = source.read_text(encoding="utf-8")
    old = next(line for line in text.splitlines() if line.startswith("sha256:"))
    source.write_text(text.replace(old, f"sha256: {digest}"), encoding="utf-8")


def edit_notebook(root: Path, name: str = "timeline") -> None:
    path = root / "notebooks" / f"{name}.ipynb"
    nb = json.loads(path.read_text(encoding="utf-8"))
    nb["cells"][-1]["source"].append("\n# changed")
    path.write_text(json.dumps(nb), encoding="utf-8")


SEED_CHANGES: dict[str, Callable[[Path], None]] = {
    "article": edit_article,
    "reading": lambda root: append(root / "seeds" / SEED / "reading.yaml"),
    "source": lambda root: append(root / "seeds" / SEED / "source.yaml"),
    "brief.yaml": lambda root: append(root / "seeds" / SEED / "brief.yaml"),
}


@pytest.mark.parametrize("change", SEED_CHANGES.values(), ids=SEED_CHANGES.keys())
def test_seed_change_reruns_check_every_notebook_and_render(
    project: Path, engine: FakeEngine, change: Callable[[Path], None]
) -> None:
    fake_build(project)
    change(project)
    assert fake_build(project).executed == EVERYTHING


def test_one_notebook_change_reruns_only_it_and_what_follows(
    project: Path, engine: FakeEngine
) -> None:
    fake_build(project)
    edit_notebook(project, "timeline")
    assert fake_build(project).executed == ["notebook-timeline", *FIGURES, "meta", *RENDERS]


def set_reads(root: Path, name: str, parts: list[str]) -> None:
    """Make the (fake) notebook ``name`` read only ``parts`` of the reading."""
    path = root / "notebooks" / f"{name}.ipynb"
    nb = json.loads(path.read_text(encoding="utf-8"))
    nb["metadata"]["reads"] = parts
    path.write_text(json.dumps(nb), encoding="utf-8")


def edit_first(root: Path, group: str, marker: str = "edited") -> None:
    """Put ``marker`` at the start of the text of the first item of the reading's ``group``."""
    reading = root / "seeds" / SEED / "reading.yaml"
    text = reading.read_text(encoding="utf-8")
    start = text.index(f"\n{group}:\n")
    at = text.index("    text: ", start) + len("    text: ")
    reading.write_text(text[:at] + marker + " " + text[at:], encoding="utf-8")


def executed_notebooks(result: BuildResult) -> list[str]:
    return [s for s in result.executed if s.startswith("notebook-")]


def test_a_reading_edit_reruns_only_the_notebooks_that_read_the_edited_part(
    project: Path, engine: FakeEngine, caplog: pytest.LogCaptureFixture
) -> None:
    set_reads(project, "arguments", ["claims", "thesis"])
    set_reads(project, "timeline", ["events", "anchors"])
    set_reads(project, "actors", [])
    fake_build(project)
    others = [n for n in ALL_NOTEBOOKS if n not in ("notebook-arguments", "notebook-timeline",
                                                    "notebook-actors")]  # fmt: skip
    edit_first(project, "claims")
    with caplog.at_level(logging.DEBUG, logger="briefkit"):
        first = fake_build(project)
    # The others log nothing, so they read the whole reading.
    assert executed_notebooks(first) == sorted(["notebook-arguments", *others])
    assert "notebook-arguments: inputs changed (reading.claims), runs" in caplog.text
    edit_first(project, "events")
    assert executed_notebooks(fake_build(project)) == sorted(["notebook-timeline", *others])


def test_a_comment_in_the_reading_reruns_no_notebook_that_logs_its_reads(
    project: Path, engine: FakeEngine
) -> None:
    for name in ALL_NOTEBOOKS:
        set_reads(project, name.removeprefix("notebook-"), ["claims"])
    fake_build(project)
    append(project / "seeds" / SEED / "reading.yaml")
    again = fake_build(project)
    assert again.executed[0] == "check"
    assert executed_notebooks(again) == []


def test_a_notebook_reading_more_parts_after_a_change_is_keyed_on_them_all(
    project: Path, engine: FakeEngine
) -> None:
    # What a notebook reads can depend on what it read: the parts of its last run count.
    set_reads(project, "arguments", ["claims"])
    fake_build(project)
    set_reads(project, "arguments", ["claims", "events"])  # its code changed: it runs
    assert executed_notebooks(fake_build(project)) == ["notebook-arguments"]
    edit_first(project, "events")
    assert "notebook-arguments" in executed_notebooks(fake_build(project))


def test_notebook_stamps_from_before_reads_were_logged_rerun_once(
    project: Path, engine: FakeEngine
) -> None:
    set_reads(project, "arguments", ["claims"])
    fake_build(project)
    stamp = StepCache(project / "_build" / SEED).stamp_path("notebook-arguments")
    data = json.loads(stamp.read_text(encoding="utf-8"))
    del data["data"]["reads"]
    stamp.write_text(json.dumps(data), encoding="utf-8")
    assert executed_notebooks(fake_build(project)) == ["notebook-arguments"]
    assert executed_notebooks(fake_build(project)) == []


@pytest.mark.parametrize(
    "template", ["briefing/filters/briefkit.lua", "briefing/brief.qmd", "_quarto.yml"]
)
def test_template_or_filter_change_rerenders_without_notebooks(
    project: Path, engine: FakeEngine, template: str
) -> None:
    fake_build(project)
    append(project / template, "\n")
    assert fake_build(project).executed == ["meta", *RENDERS]


def test_engine_version_change_rerenders(project: Path, engine: FakeEngine) -> None:
    fake_build(project)
    engine.tool_version = "fake 2.0"
    assert fake_build(project).executed == ["meta", *RENDERS]


def test_other_engine_rerenders(
    project: Path, engine: FakeEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_build(project)
    monkeypatch.setattr(FakeEngine, "name", "other")
    assert fake_build(project).executed == RENDERS


def test_package_code_change_reruns_everything(
    project: Path, engine: FakeEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_build(project)
    monkeypatch.setattr(fingerprint, "code_digest", lambda: "0" * 64)
    assert fake_build(project).executed == EVERYTHING


@pytest.mark.parametrize(
    ("dist", "expected"),
    [
        # The fake notebooks' artifacts do not depend on pydantic, so nothing is re-rendered.
        ("pydantic", ["check", *ALL_NOTEBOOKS, "export", "meta"]),
        ("papermill", ALL_NOTEBOOKS),
        ("kaleido", FIGURES),
        ("typst", RENDERS),
        ("python", EVERYTHING),
    ],
)
def test_dependency_version_change_reruns_what_uses_it(
    project: Path,
    engine: FakeEngine,
    monkeypatch: pytest.MonkeyPatch,
    dist: str,
    expected: list[str],
) -> None:
    fake_build(project)
    real = fingerprint.dependency_versions

    def bumped(names: Sequence[str]) -> dict[str, str]:
        versions = real(names)
        versions[dist] = versions[dist] + ".post99"
        return versions

    monkeypatch.setattr(fingerprint, "dependency_versions", bumped)
    assert fake_build(project).executed == expected


def test_chromium_upgrade_or_choice_reexports_the_figures(
    project: Path, engine: FakeEngine, browser: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_build(project)
    st = browser.stat()
    os.utime(browser, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))  # a new build of Chromium
    # The fake SVGs come out the same, so nothing after the figures runs again.
    assert fake_build(project).executed == ["figures-static"]
    assert fake_build(project).executed == []
    monkeypatch.setenv("BROWSER_PATH", str(browser))
    assert fake_build(project).executed == ["figures-static"]
    # An HTML-only build draws no SVG, so Chromium does not matter to it.
    fake_build(project, ("html",))
    os.utime(browser, ns=(st.st_atime_ns, st.st_mtime_ns + 2 * 10**9))
    assert fake_build(project, ("html",)).executed == []


def test_html_then_pdf_renders_only_the_new_format(project: Path, engine: FakeEngine) -> None:
    fake_build(project, ("html",))
    # SVGs are needed now: they are drawn, and the HTML is rendered again too, because
    # brief.json records the formats (the HTML links to the PDF when one is built beside it).
    assert fake_build(project).executed == ["figures-static", "meta", *RENDERS]


@pytest.mark.parametrize(
    ("damaged", "expected"),
    [
        ("brief.html", ["render-html"]),
        ("brief.pdf", ["render-pdf"]),
        # A restored output has the same bytes, so the steps after it stay current.
        ("texts/conditions.json", ["notebook-conditions"]),
        ("notebooks/arguments.ipynb", ["notebook-arguments"]),
        ("figures/timeline.svg", ["figures-static"]),
        ("figures/timeline.html", ["figures"]),
        ("brief.json", ["meta"]),
    ],
)
@pytest.mark.parametrize("how", ["deleted", "modified"])
def test_damaged_output_is_rebuilt(
    project: Path, engine: FakeEngine, damaged: str, expected: list[str], how: str
) -> None:
    first = fake_build(project)
    path = project / "_build" / SEED / damaged
    original = path.read_bytes()
    if how == "deleted":
        path.unlink()
    else:
        path.write_bytes(original + b" ")
    assert fake_build(project).executed == expected
    assert path.read_bytes() == original
    assert first.outputs["html"].exists()


def test_rerun_notebook_loses_artifacts_it_no_longer_writes(
    project: Path, engine: FakeEngine
) -> None:
    fake_build(project)
    texts = project / "_build" / SEED / "texts"
    assert (texts / "timeline.json").exists()
    path = project / "notebooks" / "timeline.ipynb"
    nb = json.loads(path.read_text(encoding="utf-8"))
    nb["metadata"]["fake"] = ["events"]
    path.write_text(json.dumps(nb), encoding="utf-8")
    assert "notebook-timeline" in fake_build(project).executed
    assert not (texts / "timeline.json").exists()
    assert not (project / "_build" / SEED / "figures" / "timeline.svg").exists()
    assert (texts / "events.json").exists()
    assert (texts / "arguments.json").exists()  # a skipped notebook's artifacts stay


def recording_export(
    monkeypatch: pytest.MonkeyPatch, fail: Callable[[list[str]], bool] = lambda names: False
) -> list[list[str]]:
    """Record each call to the (fake) figure export by the figure names it got."""
    calls: list[list[str]] = []

    def export(build_dir: Path, *, static: bool = True, specs: Sequence[Path] | None = None):
        names = [p.stem for p in (artifacts.figure_specs(build_dir) if specs is None else specs)]
        calls.append(names)
        if fail(names):
            raise RuntimeError(f"cannot export {names}")
        return fake_export_figures(build_dir, static=static, specs=specs)

    def export_static(build_dir: Path, *, specs: Sequence[Path], kinds: Sequence[str]):
        calls.append([f"{p.stem} ({', '.join(kinds)})" for p in specs])
        return fake_export_static(build_dir, specs=specs, kinds=kinds)

    monkeypatch.setattr(artifacts, "export_figures", export)
    monkeypatch.setattr(artifacts, "export_static_figures", export_static)
    return calls


def test_each_figure_is_exported_once_as_its_notebook_finishes(
    project: Path, engine: FakeEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = recording_export(monkeypatch)
    assert "figures" in fake_build(project).executed
    # One call per notebook's figure, while the notebooks ran; none left for the figures step.
    assert sorted(calls) == [[name] for name in sorted(n.split("-", 1)[1] for n in ALL_NOTEBOOKS)]
    for name in ("timeline", "actors"):
        assert (project / "_build" / SEED / "figures" / f"{name}.svg").is_file()


def test_plotly_js_is_written_again_only_when_it_is_not_as_last_written(
    project: Path, engine: FakeEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    writes: list[Path] = []
    monkeypatch.setattr(
        artifacts,
        "write_plotly_js",
        lambda build: writes.append(fake_plotly_js(build)) or writes[-1],
    )
    fake_build(project, ("html",))
    assert len(writes) == 1
    edit_notebook(project, "timeline")  # its figure changes: the figures step runs
    assert "figures" in fake_build(project, ("html",)).executed
    assert len(writes) == 1
    js = artifacts.plotly_js_path(project / "_build" / SEED)
    js.write_text("damaged")
    assert "figures" in fake_build(project, ("html",)).executed
    assert len(writes) == 2
    assert js.read_text() == "plotly"


def test_a_rerun_notebook_whose_figure_is_unchanged_exports_nothing(
    project: Path, engine: FakeEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_build(project)
    calls = recording_export(monkeypatch)
    StepCache(project / "_build" / SEED).forget("notebook-timeline", remove_outputs=False)
    # The notebook runs again and writes the same figure: no export, no Chromium, no render.
    assert fake_build(project).executed == ["notebook-timeline"]
    assert calls == []


def test_an_interrupt_stops_chromium_before_waiting_for_an_export_under_way(
    project: Path, engine: FakeEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    stopped = threading.Event()
    exporting = threading.Event()
    stopped_while_exporting: list[bool] = []

    def hanging_export(build_dir: Path, **_: object) -> list[Path]:
        exporting.set()
        # Chromium hangs until it is stopped (or, if the build only waits, for 10 s).
        stopped_while_exporting.append(stopped.wait(timeout=10))
        raise RuntimeError("Chromium was stopped")

    def interrupted(
        jobs: Sequence[notebooks.NotebookJob],
        *,
        on_done: Callable[[notebooks.NotebookJob], None] | None = None,
        **kw: Any,
    ) -> list[Path]:
        fake_execute_all(jobs[:1], on_done=on_done, **kw)
        assert exporting.wait(timeout=30)
        raise KeyboardInterrupt

    monkeypatch.setattr(artifacts, "export_figures", hanging_export)
    monkeypatch.setattr(artifacts, "stop_chromium", stopped.set)
    monkeypatch.setattr(notebooks, "execute_all", interrupted)
    with pytest.raises(KeyboardInterrupt):
        fake_build(project)
    assert stopped_while_exporting == [True]


def test_a_failed_early_export_is_retried_and_its_error_reported(
    project: Path, engine: FakeEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = recording_export(monkeypatch, fail=lambda names: "timeline" in names)
    with pytest.raises(RuntimeError, match=r"cannot export \['timeline'\]"):
        fake_build(project)
    # Tried early, then again by the figures step, which reports the error.
    assert calls.count(["timeline"]) == 2
    assert StepCache(project / "_build" / SEED).load("figures") is None


def test_an_early_export_of_a_since_changed_figure_is_redone(
    project: Path, engine: FakeEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_build(project)
    build = project / "_build" / SEED
    stamps = StepCache(build)
    stamps.forget("figures", remove_outputs=False)
    ready = {
        spec: (fingerprint.file_digest(spec), [spec.with_suffix(".html"), spec.with_suffix(".svg")])
        for spec in artifacts.figure_specs(build)
    }
    spec = build / "figures" / "timeline.json"
    ready[spec] = ("0" * 64, ready[spec][1])  # exported from bytes the spec no longer has
    calls = recording_export(monkeypatch)

    def figures_step() -> bool:
        ctx = context.BuildContext(project, SEED, early=ready)
        steps.figures_step(ctx)
        return ctx.executed == ["figures"]

    assert figures_step()
    assert calls == [["timeline"]]
    stamp = stamps.load("figures")
    assert stamp is not None
    assert {"figures/actors.html", "figures/timeline.html"} <= set(stamp.outputs)
    # An early export whose files are gone is redone too.
    stamps.forget("figures", remove_outputs=False)
    (build / "figures" / "actors.svg").unlink()
    calls.clear()
    ctx = context.BuildContext(project, SEED, early=ready)
    steps.figures_step(ctx)
    assert ctx.executed == FIGURES
    # The timeline's SVG, drawn from a spec that has not changed since, is kept.
    assert calls == [["timeline"], ["actors (svg)"]]
    assert (build / "figures" / "actors.svg").is_file()


def test_removed_notebook_loses_its_artifacts(project: Path, engine: FakeEngine) -> None:
    fake_build(project)
    (project / "notebooks" / "timeline.ipynb").unlink()
    assert fake_build(project).executed == [*FIGURES, "meta", *RENDERS]
    build_dir = project / "_build" / SEED
    assert not (build_dir / "texts" / "timeline.json").exists()
    assert not (build_dir / ".cache" / "notebook-timeline.json").exists()
    assert (build_dir / "texts" / "conditions.json").exists()


def test_first_cached_build_clears_artifacts_of_an_older_build(
    project: Path, engine: FakeEngine
) -> None:
    stray = project / "_build" / SEED / "tables" / "left-over.json"
    stray.parent.mkdir(parents=True)
    stray.write_text("{}")
    fake_build(project)
    assert not stray.exists()


def test_failed_notebook_is_not_recorded_but_others_are(
    project: Path, engine: FakeEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail_timeline(
        jobs: Sequence[notebooks.NotebookJob],
        *,
        cwd: Path,
        timeout: float,
        on_done: Callable[[notebooks.NotebookJob], None] | None = None,
    ) -> list[Path]:
        others = [j for j in jobs if j.source.stem != "timeline"]
        fake_execute_all(others, cwd=cwd, timeout=timeout, on_done=on_done)
        raise NotebookFailed(Path("timeline.ipynb"), None, "ValueError", "boom")

    monkeypatch.setattr(notebooks, "execute_all", fail_timeline)
    with pytest.raises(NotebookFailed):
        fake_build(project)
    monkeypatch.setattr(notebooks, "execute_all", fake_execute_all)
    # The failed build stopped before the exports, so they run now too.
    again = fake_build(project).executed
    assert again == ["notebook-timeline", *FIGURES, "export", "meta", *RENDERS]


def test_artifacts_of_a_failed_notebook_are_removed_before_rendering(
    project: Path, engine: FakeEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_build(project)
    build_dir = project / "_build" / SEED

    def write_then_fail(
        jobs: Sequence[notebooks.NotebookJob], *, cwd: Path, **kw: Any
    ) -> list[Path]:
        job = jobs[0]
        old = dict(os.environ)
        os.environ.update(job.env)  # as in the notebook's kernel: its writes are logged
        try:
            import pandas as pd

            out = artifacts.Artifacts(cwd / job.parameters["build_dir"])
            frame = pd.DataFrame({"k": [1]})
            out.table("matrix-left-over", frame, labels={"k": "K"}, caption="Old.")
            out.text("left-over", "from an edited reading")
        finally:
            os.environ.clear()
            os.environ.update(old)
        raise NotebookFailed(job.source, None, "RuntimeError", "at the end")

    edit_notebook(project, "timeline")
    monkeypatch.setattr(notebooks, "execute_all", write_then_fail)
    with pytest.raises(NotebookFailed):
        fake_build(project)
    assert (build_dir / "data" / "matrix-left-over.csv").is_file()
    monkeypatch.setattr(notebooks, "execute_all", fake_execute_all)
    assert "notebook-timeline" in fake_build(project).executed
    left = [p.name for p in build_dir.rglob("*left-over*")]
    assert left == []
    downloads = (build_dir / "downloads.json").read_text(encoding="utf-8")
    assert "left-over" not in downloads


def test_a_seed_edited_while_the_notebooks_run_is_not_served_once_reverted(
    project: Path, engine: FakeEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    reading = project / "seeds" / SEED / "reading.yaml"
    original = reading.read_text(encoding="utf-8")

    def edit_meanwhile(jobs: Sequence[notebooks.NotebookJob], **kw: Any) -> list[Path]:
        reading.write_text(original + "\n# edited while the build runs\n", encoding="utf-8")
        return fake_execute_all(jobs, **kw)

    monkeypatch.setattr(notebooks, "execute_all", edit_meanwhile)
    fake_build(project)
    monkeypatch.setattr(notebooks, "execute_all", fake_execute_all)
    reading.write_text(original, encoding="utf-8")
    fake_build(project)
    texts = project / "_build" / SEED / "texts"
    served = {p.name: p.read_text() for p in sorted(texts.iterdir())}
    shutil.rmtree(project / "_build")
    fake_build(project)
    assert {p.name: p.read_text() for p in sorted(texts.iterdir())} == served


def test_a_build_rendering_only_the_html_draws_no_static_figure(
    project: Path, engine: FakeEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A preview's HTML build waits for no Chromium drawing; its PDF build draws what changed.

    The PDF build after it then draws only the changed figure's SVG, and renders only the PDF:
    the SVGs are no input of the HTML.
    """
    fake_build(project)
    calls = recording_export(monkeypatch)
    edit_notebook(project, "timeline")
    html_only = BuildOptions(
        project, SEED, engine="fake", formats=("html", "pdf"), render=("html",)
    )
    assert run_build(html_only).executed == ["notebook-timeline", "figures", "meta", "render-html"]
    assert calls == [["timeline"]]
    svg = project / "_build" / SEED / "figures" / "timeline.svg"
    assert svg.read_text() != (svg.parent / "timeline.json").read_text()  # not drawn yet
    calls.clear()
    assert fake_build(project).executed == ["figures-static", "render-pdf"]
    assert calls == [["timeline (svg)"]]
    assert svg.read_text() == (svg.parent / "timeline.json").read_text()


def test_a_build_of_fewer_formats_leaves_no_older_output_beside_the_new(
    project: Path, engine: FakeEngine
) -> None:
    fake_build(project)
    build_dir = project / "_build" / SEED
    append(project / "briefing" / "brief.qmd", "\n")
    # The SVGs stay, for the next build that renders the PDF (the HTML does not read them).
    assert fake_build(project, ("html",)).executed == ["meta", "render-html"]
    assert sorted(p.name for p in build_dir.glob("brief.*")) == ["brief.html", "brief.json"]
    assert StepCache(build_dir).load("render-pdf") is None
    assert fake_build(project).executed == ["meta", *RENDERS]


def test_a_build_failing_after_the_check_leaves_no_brief(
    project: Path, engine: FakeEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_build(project)
    build_dir = project / "_build" / SEED

    def fail(jobs: Sequence[notebooks.NotebookJob], **_: object) -> list[Path]:
        raise NotebookFailed(jobs[0].source, None, "RuntimeError", "boom")

    edit_notebook(project, "timeline")
    monkeypatch.setattr(notebooks, "execute_all", fail)
    with pytest.raises(NotebookFailed):
        fake_build(project)
    assert sorted(p.name for p in build_dir.glob("brief.*")) == ["brief.json"]
    monkeypatch.setattr(notebooks, "execute_all", fake_execute_all)
    assert fake_build(project).executed == ["notebook-timeline", *FIGURES, "meta", *RENDERS]


# --- a real build ------------------------------------------------------------------------------


def add_cell(notebook: Path, source: str) -> None:
    """Append a code cell to a stored notebook."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    cell = {"cell_type": "code", "id": "added", "metadata": {}, "outputs": [],
            "execution_count": None, "source": [source]}  # fmt: skip
    nb["cells"].append(cell)
    notebook.write_text(json.dumps(nb, indent=1), encoding="utf-8")


@pytest.mark.build
def test_real_rebuild_executes_nothing_then_only_the_changed_notebook(project: Path) -> None:
    opts = BuildOptions(project, SEED, engine="pandoc", formats=("html",))
    cold = run_build(opts)
    assert cold.executed == [
        "check", *ALL_NOTEBOOKS, "figures", "export", "meta", "render-html"
    ]  # fmt: skip
    html = cold.outputs["html"].read_bytes()

    again = run_build(opts)
    assert again.executed == []
    assert again.outputs["html"].read_bytes() == html

    add_cell(project / "notebooks" / "timeline.ipynb", 'out.text("added", "changed")')
    changed = run_build(opts)
    # The notebook's figure came out the same, so its export is not repeated.
    assert changed.executed == ["notebook-timeline", "meta", "render-html"]
    texts = project / "_build" / SEED / "texts"
    assert (texts / "added.json").exists()
    assert (texts / "thesis.json").exists()  # written by the skipped arguments notebook


def test_file_rewritten_with_same_size_gets_a_new_digest(tmp_path: Path) -> None:
    path = tmp_path / "f.txt"
    path.write_text("result")
    before = fingerprint.file_digest(path)
    path.write_text("edited")
    assert fingerprint.file_digest(path) != before


def test_old_file_rewritten_in_place_gets_a_new_digest(tmp_path: Path) -> None:
    path = tmp_path / "f.txt"
    path.write_text("result")
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    before = fingerprint.file_digest(path)
    path.write_text("edited")
    os.utime(path, ns=(1_000_000_000, 2_000_000_000))
    assert fingerprint.file_digest(path) != before


def test_dependency_versions_agree_with_importlib_metadata() -> None:
    from importlib.metadata import version

    names = ["pytest", "pydantic", "ruamel.yaml", "jupyter-client", "pypandoc-binary"]
    found = fingerprint.dependency_versions(names)
    assert {n: found[n] for n in names} == {n: version(n) for n in names}


#: What a no-change build must not import: it only hashes. urllib.request (through
#: xml.sax.saxutils) and asyncio cost it 30 ms of its 0.2 s.
HEAVY = (
    "pydantic", "papermill", "plotly", "kaleido", "rich", "importlib.metadata", "pypandoc",
    "urllib.request", "asyncio",
)  # fmt: skip


@pytest.mark.build
def test_no_change_cli_build_imports_nothing_heavy(built: Path) -> None:
    root = built.parents[1]
    code = (
        "import sys\n"
        "from briefkit.cli import main\n"
        f"rc = main(['--root', {str(root)!r}, 'build', '--seed', {SEED!r}, '--engine', 'pandoc'])\n"
        f"print(rc, sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root
    )
    assert proc.stdout.split("\n")[-2] == "0 []", proc.stderr
    assert "up to date" in proc.stderr


def test_chromium_starts_early_only_on_a_cold_pdf_build_and_always_stops(
    project: Path, engine: FakeEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    monkeypatch.setattr(artifacts, "start_chromium", lambda: calls.append("start") or True)
    monkeypatch.setattr(artifacts, "stop_chromium", lambda: calls.append("stop"))
    fake_build(project, ("html",))
    assert calls == []

    def fail(jobs: Sequence[notebooks.NotebookJob], **_: object) -> list[Path]:
        raise NotebookFailed(Path("x.ipynb"), None, "ValueError", "boom")

    shutil.rmtree(project / "_build")
    monkeypatch.setattr(notebooks, "execute_all", fail)
    with pytest.raises(NotebookFailed):
        fake_build(project)
    assert calls == ["start", "stop"]

    monkeypatch.setattr(notebooks, "execute_all", fake_execute_all)
    fake_build(project)
    calls.clear()
    fake_build(project)  # figures recorded: no early start
    assert calls == []


# --- determinism: a re-run step that reproduces its outputs does not ripple further -----------


def kaleido_svg(uids: tuple[str, str, str]) -> str:
    trace_a, trace_b, legend = uids
    return (
        f'<svg><g class="trace scatter trace{trace_a}" style="x"></g>'
        f'<g class="trace bars trace{trace_b}"></g><text>traceabcdef stays text</text>'
        f'<clipPath id="legend{legend}"><rect/></clipPath><g clip-path="url(#legend{legend})"/>'
        "<defs id='defs-1a2b3c'/></svg>"
    )


def test_svg_random_uids_are_pinned_consistently() -> None:
    first = artifacts._pin_svg_ids(kaleido_svg(("ea9496", "929e38", "59cd57")), "fig")
    second = artifacts._pin_svg_ids(kaleido_svg(("bdb1e8", "bd3f27", "0a1b2c")), "fig")
    assert first == second
    assert 'id="legend-fig-2"' in first
    assert "url(#legend-fig-2)" in first
    assert "traceabcdef stays text" in first  # text is not an id


def test_papermill_parameters_cell_gets_a_fixed_id() -> None:
    nb = {"cells": [{"id": "e8d6ce28", "metadata": {"tags": ["injected-parameters"]}}]}
    assert notebooks.strip_volatile(nb)["cells"][0]["id"] == "injected-parameters"
