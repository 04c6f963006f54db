"""Faults end to end: what a failed, killed or raced build left is never served as current."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from briefkit.cli import main
from briefkit.errors import EXIT_OK, EXIT_STEP_FAILED

from .conftest import SEED
from .test_cache import add_cell

pytestmark = pytest.mark.build


def build(root: Path, *args: str) -> int:
    return main(["--root", str(root), "build", "--seed", SEED, "--engine", "pandoc", *args])


def test_a_failed_notebooks_tables_are_not_rendered_after_the_inputs_are_restored(
    project: Path, tmp_path: Path
) -> None:
    reading = project / "seeds" / SEED / "reading.yaml"
    notebook = project / "notebooks" / "conditions.ipynb"
    saved = tmp_path / "saved"
    saved.mkdir()
    for path in (reading, notebook):
        shutil.copy2(path, saved / path.name)
    text = reading.read_text(encoding="utf-8")
    assert "    track: energy\n" in text
    # A track of its own (declared, so the reading stays valid) for the first energy measure.
    text = text.replace(
        "  energy: Energy\ndomains:", "  energy: Energy\n  economic: Economic\ndomains:"
    )
    reading.write_text(text.replace("    track: energy\n", "    track: economic\n", 1))
    add_cell(notebook, 'raise RuntimeError("at the very end")')
    assert build(project, "--formats", "html") == EXIT_STEP_FAILED
    out = project / "_build" / SEED
    assert (out / "data" / "matrix-economic.csv").is_file()  # written before the raise

    for path in (reading, notebook):
        shutil.copy2(saved / path.name, path)
    assert build(project, "--formats", "html") == EXIT_OK
    html = (out / "brief.html").read_text(encoding="utf-8")
    assert "Condition matrix for Economic" not in html
    assert "matrix-economic" not in html
    assert "matrix-energy.csv" in html
    assert not list(out.rglob("*economic*"))
    downloads = json.loads((out / "downloads.json").read_text(encoding="utf-8"))
    assert [d for d in downloads if "economic" in d["path"]] == []


def test_a_reading_edited_during_a_build_is_not_served_once_reverted(project: Path) -> None:
    reading = project / "seeds" / SEED / "reading.yaml"
    original = reading.read_text(encoding="utf-8")
    claim = "text: The longer the West delays a dialogue with Russia,"
    assert claim in original
    out = project / "_build" / SEED
    proc = subprocess.Popen(
        [sys.executable, "-m", "briefkit", "--root", str(project), "build", "--seed", SEED,
         "--engine", "pandoc", "--formats", "html"],
        cwd=project, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 240
        while not list((out / "notebooks").glob("*.running.ipynb")):
            assert proc.poll() is None, "the build ended before a notebook ran"
            assert time.monotonic() < deadline
            time.sleep(0.05)
        reading.write_text(original.replace(claim, "text: EDITED MID-BUILD,"), encoding="utf-8")
        assert proc.wait(timeout=600) == EXIT_OK
    finally:
        proc.kill()
        proc.wait()
    reading.write_text(original, encoding="utf-8")
    assert build(project, "--formats", "html") == EXIT_OK
    html = (out / "brief.html").read_text(encoding="utf-8")
    assert "EDITED MID-BUILD" not in html
    assert "The longer the West delays a dialogue with Russia" in html
