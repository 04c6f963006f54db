"""The README's "Adding a seed" steps, run as written on a temporary project."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

from .conftest import REPO, copy_project
from .test_reading import WATER_ARTICLE

DOCS = REPO / "docs" / "reading.md"


def steps() -> list[str]:
    """The `briefkit ...` commands of the README's "Adding a seed" section, in order."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Adding a seed", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"`(briefkit [^`]+)`", section)


def run(project: Path, command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run a README command (``briefkit`` as ``python -m briefkit``) in ``cwd``."""
    argv = [sys.executable, "-m", "briefkit", *shlex.split(command)[1:]]
    return subprocess.run(
        argv, cwd=cwd, env={**os.environ}, capture_output=True, text=True, check=False,
        timeout=300,
    )  # fmt: skip


def test_adding_a_seed_as_the_readme_says(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project", seeds=())
    (project / "article.txt").write_text(WATER_ARTICLE, encoding="utf-8")
    new, check = (s.replace("<slug>", "water") for s in steps())
    assert (new, check) == ("briefkit new water --from article.txt", "briefkit check --seed water")

    made = run(project, new, project)
    assert made.returncode == 0, made.stderr
    seed = project / "seeds" / "water"
    assert (seed / "article.txt").read_text(encoding="utf-8") == WATER_ARTICLE
    # The skeleton does not pass until the analyst fills it in ...
    assert run(project, check, project).returncode == 2
    # ... for instance with the reading of docs/reading.md, from a folder inside the project.
    example = re.search(r"```yaml\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.S)
    assert example is not None
    (seed / "reading.yaml").write_text(example.group(1), encoding="utf-8")
    source = (seed / "source.yaml").read_text(encoding="utf-8")
    filled = source.replace('basis: ""', "basis: Not given in the text.").replace(
        'author: ""', "author: Jo Smith"
    )
    (seed / "source.yaml").write_text(filled, encoding="utf-8")
    checked = run(project, check, seed)
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.startswith("water: valid; coverage 83.3%")
