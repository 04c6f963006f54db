"""Faults end to end: what a failed, killed or raced build left is never served as current."""

from __future__ import annotations

import json
import shutil
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
    reading.write_text(text.replace("    track: energy\n", "    track: economic\n", 1))
    add_cell(notebook, 'raise RuntimeError("at the very end")')
    assert build(project, "--formats", "html") == EXIT_STEP_FAILED
    out = project / "_build" / SEED
    assert (out / "data" / "matrix-economic.csv").is_file()  # written before the raise

    for path in (reading, notebook):
        shutil.copy2(saved / path.name, path)
    assert build(project, "--formats", "html") == EXIT_OK
    html = (out / "brief.html").read_text(encoding="utf-8")
    assert "Condition matrix for economic" not in html
    assert "matrix-economic" not in html
    assert "matrix-energy.csv" in html
    assert not list(out.rglob("*economic*"))
    downloads = json.loads((out / "downloads.json").read_text(encoding="utf-8"))
    assert [d for d in downloads if "economic" in d["path"]] == []
