"""Views the notebooks share: one setup, one palette (which the CSS and typst repeat), one rule."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from briefkit import views
from briefkit.notebooks import find_notebooks

from .conftest import REPO, SEED
from .second_seed import write_second_seed

NOTEBOOKS = find_notebooks(REPO)


@pytest.fixture(scope="module")
def second(tmp_path_factory: pytest.TempPathFactory) -> views.Setup:
    root = tmp_path_factory.mktemp("views")
    slug = write_second_seed(root)
    return views.setup(root, slug, root / "_build" / slug)


def code_of(path: Path) -> str:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")


def test_css_and_typst_repeat_the_palettes_colours() -> None:
    css = (REPO / "briefing" / "brief.css").read_text(encoding="utf-8")
    typst = (REPO / "briefing" / "brief-typst.typ").read_text(encoding="utf-8")
    accent = re.search(r"--accent:\s*(#[0-9a-f]{6})", css)
    head = re.search(r"thead th\s*\{\s*background:\s*(#[0-9a-f]{6})", css)
    navy = re.search(r'#let navy = rgb\("(#[0-9a-f]{6})"\)', typst)
    assert accent is not None
    assert head is not None
    assert navy is not None
    assert (accent.group(1), head.group(1), navy.group(1)) == (views.NAVY, views.PALE, views.NAVY)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_take_setup_and_colours_from_the_package(path: Path) -> None:
    code = code_of(path)
    assert "views.setup(root, seed, build_dir)" in code
    assert "load_seed" not in code
    assert "Artifacts(" not in code
    assert re.findall(r"#[0-9a-fA-F]{6}\b", code) == [], "colours belong in briefkit.views"


def test_setup_loads_the_seed_its_frames_and_writes_into_the_build_folder(
    second: views.Setup,
) -> None:
    seed, reading, frames, out = second
    assert reading is seed.reading
    assert frames.seed is seed
    assert out.root.name == seed.slug
    assert out.root.parent.name == "_build"


def test_joined_gives_every_index_entry_its_relations_in_order(second: views.Setup) -> None:
    f = second.frames
    unlocks = views.joined(f.unlocks, "condition", "item", pd.Index(["K2", "K9", "K1"]))
    assert unlocks.to_dict() == {"K2": "M2, P1", "K9": "\u2014", "K1": "M1, M2, P1"}
    whose = views.joined(f.held_by, "objection", "actor", f.objections.index, " & ".join)
    assert whose.tolist() == ["A1"]


def test_labels_of_statuses_kinds_and_reversibility(second: views.Setup) -> None:
    f = second.frames
    assert views.basis(f.stances.status).tolist() == ["Implied"]
    assert views.capitalised(f.events.when).tolist() == ["Past", "Planned"]
    reversible = pd.Series([True, False, None], dtype="boolean")
    assert views.reversible(reversible).tolist() == ["Yes", "No", "Not stated"]


def test_stance_targets_in_reading_order(second: views.Setup) -> None:
    assert views.stance_targets(second.frames) == ["P1"]


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two #rrggbb colours."""

    def luminance(colour: str) -> float:
        rgb = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    high, low = sorted([luminance(a), luminance(b)], reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_sequencing_gates_stand_out() -> None:
    """The sequencing view's gates (conditions.ipynb) on its lanes and on the page: WCAG 1.4.11,
    3:1 for graphical objects."""
    for colour in views.GATE_COLOURS.values():
        assert contrast(views.PALE, colour) >= 3, colour
        assert contrast("#ffffff", colour) >= 3, colour


@pytest.mark.parametrize("in_build", [True, False], ids=["a build's kernel", "an analyst's"])
def test_setup_freezes_what_is_loaded_only_in_a_builds_kernel(
    tmp_path: Path, in_build: bool
) -> None:
    """A full garbage collection over all a kernel has loaded cost a notebook 0.1 s; in an
    analyst's own session, where cells run again, nothing is frozen."""
    import os
    import subprocess
    import sys

    from briefkit.artifacts import ARTIFACT_LOG_ENV

    env = {k: v for k, v in os.environ.items() if k != ARTIFACT_LOG_ENV}
    if in_build:
        env[ARTIFACT_LOG_ENV] = str(tmp_path / "written.log")
    code = (
        "import gc\nfrom briefkit import views\n"
        f"views.setup({str(REPO)!r}, {SEED!r}, {str(tmp_path / 'build')!r})\n"
        "print(gc.get_freeze_count())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert (int(out.stdout) > 1000) is in_build
