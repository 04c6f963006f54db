"""Notebooks: stored clean, parameterized, executed with failures named by notebook and cell."""

from __future__ import annotations

import html
import json
from pathlib import Path

import nbformat
import pytest

from briefkit.errors import NotebookFailed
from briefkit.notebooks import (
    NotebookJob,
    ended_early,
    execute,
    execute_all,
    find_notebooks,
    strip_volatile,
)

from .conftest import copy_project
from .hostile import HOSTILE
from .test_hostile import write_hostile_seed

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = find_notebooks(REPO)


def make_notebook(path: Path, cells: list[str]) -> Path:
    """Write a notebook with a parameters cell followed by ``cells``."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    params = nbformat.v4.new_code_cell("x = 1")
    params.metadata["tags"] = ["parameters"]
    params.id = "params"
    nb.cells = [params]
    for i, src in enumerate(cells):
        cell = nbformat.v4.new_code_cell(src)
        cell.id = f"step-{i}"
        nb.cells.append(cell)
    nbformat.write(nb, path)
    return path


def test_project_has_the_three_notebooks() -> None:
    assert [p.stem for p in NOTEBOOKS] == [
        "actors",
        "arguments",
        "conditions",
        "fidelity",
        "summary",
        "timeline",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_stored_without_outputs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name} cell {cell.id} has outputs"
            assert cell.execution_count is None, f"{path.name} cell {cell.id} has a count"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_has_seed_parameters(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    for name in ("seed", "root", "build_dir"):
        assert f"{name} = " in tagged[0].source


def test_executed_copy_has_no_timestamps(tmp_path: Path) -> None:
    src = make_notebook(tmp_path / "ok.ipynb", ["y = x + 1", "print(y)"])
    out = execute(NotebookJob(src, tmp_path / "out" / "ok.ipynb", {"x": 41}), cwd=tmp_path)
    text = out.read_text()
    assert "42" in text
    for key in ("start_time", "end_time", "duration", "iopub.execute_input", str(tmp_path)):
        assert key not in text


def test_failing_cell_names_notebook_cell_and_error_and_keeps_copy(tmp_path: Path) -> None:
    src = make_notebook(
        tmp_path / "bad.ipynb", ["y = 1", "raise ValueError('no claims in reading')"]
    )
    job = NotebookJob(src, tmp_path / "out" / "bad.ipynb", {})
    with pytest.raises(NotebookFailed) as info:
        execute(job, cwd=tmp_path)
    err = info.value
    assert err.cell == "step-1"
    assert (err.ename, err.evalue) == ("ValueError", "no claims in reading")
    assert err.kept == job.failed_copy
    assert job.failed_copy.exists()
    assert str(err) == (
        f"notebook bad.ipynb, cell step-1: ValueError: no claims in reading "
        f"(failed copy kept at {job.failed_copy})"
    )
    assert not job.output.exists()


def test_execute_all_runs_every_job_and_reports_first_failure(tmp_path: Path) -> None:
    good = make_notebook(tmp_path / "a.ipynb", ["open('a.txt', 'w').write('a')"])
    bad = make_notebook(tmp_path / "b.ipynb", ["1/0"])
    jobs = [
        NotebookJob(bad, tmp_path / "out" / "b.ipynb", {}),
        NotebookJob(good, tmp_path / "out" / "a.ipynb", {}),
    ]
    with pytest.raises(NotebookFailed, match=r"b\.ipynb, cell step-0: ZeroDivisionError"):
        execute_all(jobs, cwd=tmp_path)
    assert (tmp_path / "a.txt").read_text() == "a"


def test_strip_volatile_removes_papermill_and_execution_times() -> None:
    nb = {
        "metadata": {"papermill": {"start_time": "t", "duration": 1.0, "parameters": {"a": 1}}},
        "cells": [
            {"metadata": {"execution": {"iopub.status.busy": "t"}, "papermill": {"end_time": "t"}}}
        ],
    }
    assert strip_volatile(nb) == {
        "metadata": {"papermill": {"parameters": {"a": 1}}},
        "cells": [{"metadata": {"papermill": {}}}],
    }


def test_strip_volatile_pins_papermills_injected_cell_id() -> None:
    nb = {"cells": [{"id": "3fa2b1c0", "metadata": {"tags": ["injected-parameters"]}}]}
    assert strip_volatile(nb)["cells"][0]["id"] == "injected-parameters"


def run_failing(
    tmp_path: Path, cells: list[str], timeout: float = 60
) -> tuple[NotebookFailed, NotebookJob]:
    """Execute a notebook of ``cells`` that must fail; return the error and the job."""
    src = make_notebook(tmp_path / "nb.ipynb", cells)
    job = NotebookJob(src, tmp_path / "out" / "nb.ipynb", {})
    with pytest.raises(NotebookFailed) as info:
        execute(job, cwd=tmp_path, timeout=timeout)
    assert job.failed_copy.exists()
    assert not job.output.exists()
    return info.value, job


def test_cell_past_its_timeout_is_named_and_its_copy_kept(tmp_path: Path) -> None:
    err, job = run_failing(tmp_path, ["y = 1", "import time; time.sleep(60)"], timeout=2)
    assert str(err) == (
        "notebook nb.ipynb, cell step-1: CellTimeoutError: cell ran longer than 2 s "
        f"(failed copy kept at {job.failed_copy})"
    )


@pytest.mark.parametrize(
    "code", ["import os; os._exit(1)", "import os; os.kill(os.getpid(), 9)"], ids=["exit", "kill"]
)
def test_dead_kernel_names_the_running_cell(tmp_path: Path, code: str) -> None:
    err, job = run_failing(tmp_path, ["y = 1", code])
    assert str(err) == (
        "notebook nb.ipynb, cell step-1: DeadKernelError: the kernel died while the cell ran "
        f"(failed copy kept at {job.failed_copy})"
    )


def test_sys_exit_in_a_cell_is_a_failure(tmp_path: Path) -> None:
    err, job = run_failing(tmp_path, ["import sys; sys.exit(3)"])
    assert str(err) == (
        f"notebook nb.ipynb, cell step-0: SystemExit: 3 (failed copy kept at {job.failed_copy})"
    )


@pytest.mark.parametrize(
    ("code", "value"),
    [("import sys; sys.exit(0)", "0"), ("import sys; sys.exit()", "None"),
     ("raise SystemExit(0)", "0")],
)  # fmt: skip
def test_clean_sys_exit_before_the_last_cell_is_a_failure(
    tmp_path: Path, code: str, value: str
) -> None:
    # papermill takes these for a clean end and leaves the cells after them unrun.
    err, job = run_failing(tmp_path, ["y = 1", code, "y = 2", "y = 3"])
    assert str(err) == (
        f"notebook nb.ipynb, cell step-1: SystemExit: exit code {value}: a notebook must run to "
        f"its end; cell step-2 and the ones after it never ran (failed copy kept at "
        f"{job.failed_copy})"
    )


def test_sys_exit_0_in_the_last_cell_is_a_failure(tmp_path: Path) -> None:
    err, _ = run_failing(tmp_path, ["y = 1", "import sys; sys.exit(0)"])
    assert (err.cell, err.ename) == ("step-1", "SystemExit")
    assert err.evalue == "exit code 0: a notebook must run to its end"


@pytest.mark.parametrize("code", ["exit()", "quit()"])
def test_exit_or_quit_in_a_cell_is_a_failure_naming_it(tmp_path: Path, code: str) -> None:
    # The kernel stops after the cell: before or after the next one starts.
    err, _ = run_failing(tmp_path, ["y = 1", code, "y = 2"])
    assert (err.cell, err.ename) == ("step-1", "SystemExit")
    assert err.evalue == "exit() or quit() stops the kernel: a notebook must run to its end"


def _cell(cell_id: str, source: str, count: int | None) -> dict[str, object]:
    return {"cell_type": "code", "id": cell_id, "source": source, "execution_count": count,
            "outputs": []}  # fmt: skip


def test_ended_early_finds_cells_that_never_ran() -> None:
    done = {"cells": [_cell("a", "x = 1", 1), _cell("b", "", None), _cell("c", "y", 2)]}
    assert ended_early(done) is None  # an empty cell is never run
    stopped = {"cells": [_cell("a", "x = 1", 1), _cell("b", "y = 2", None), _cell("c", "z", None)]}
    assert ended_early(stopped) == (
        "a", "NotebookStopped", "the kernel stopped; cell b and the ones after it never ran"
    )  # fmt: skip


def test_notebook_failure_is_one_line_without_colour_codes() -> None:
    err = NotebookFailed(Path("nb.ipynb"), "c1", "KeyError", "\x1b[31m'a\nb'\x1b[0m")
    assert str(err) == "notebook nb.ipynb, cell c1: KeyError: 'a b'"


def test_execute_runs_the_kernel_in_cwd_without_changing_ours(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    # Notebooks run in threads that share the process's cwd: it must never move.
    ours = os.getcwd()
    real_chdir = os.chdir
    moves: list[str] = []

    def chdir(path: str) -> None:
        moves.append(os.fspath(path))
        real_chdir(path)

    work = tmp_path / "work"
    work.mkdir()
    code = "import os; open('here.txt', 'w').write(os.getcwd())"
    src = make_notebook(tmp_path / "cwd.ipynb", [code])
    monkeypatch.setattr(os, "chdir", chdir)
    execute(NotebookJob(src, tmp_path / "out" / "cwd.ipynb", {}), cwd=work)
    assert (work / "here.txt").read_text() == str(work)
    assert set(moves) <= {ours}


def displayed_tables(notebook: Path) -> list[str]:
    """The HTML of every DataFrame an executed notebook shows."""
    nb = nbformat.read(notebook, as_version=4)
    return [
        "".join(out["data"]["text/html"])
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.outputs
        if "text/html" in out.get("data", {}) and 'class="dataframe"' in out["data"]["text/html"]
    ]


@pytest.mark.build
def test_executed_notebooks_show_every_table_they_write(built: Path) -> None:
    shown = [
        t for nb in sorted((built / "notebooks").glob("*.ipynb")) for t in displayed_tables(nb)
    ]
    tables = sorted((built / "tables").glob("*.json"))
    assert len(shown) == len(tables)
    for path in tables:
        spec = json.loads(path.read_text(encoding="utf-8"))
        heads = [f"<th>{html.escape(c['label'], quote=False)}</th>" for c in spec["columns"]]
        assert any(all(h in t for h in heads) for t in shown), f"{path.stem} is not shown"


def test_a_notebook_shows_seed_text_escaped(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "project", seeds=())
    write_hostile_seed(root)
    params = {"seed": "hostile", "root": ".", "build_dir": "_build/hostile"}
    job = NotebookJob(root / "notebooks" / "arguments.ipynb", tmp_path / "out.ipynb", params)
    shown = "".join(displayed_tables(execute(job, cwd=root)))
    assert "Supported by" in shown
    for text in HOSTILE:
        assert html.escape(text, quote=False) in shown
        if text != html.escape(text, quote=False):
            assert text not in shown
