"""Shared fixtures: a private copy of the project, a real build of it, and a browser."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PROJECT_FILES = ("seeds", "notebooks", "briefing", "_quarto.yml")
SEED = "russia-security-framework"
#: 24 November 2025 (the reference builds' date): the shared second seed's build date.
SECOND_EPOCH = 1764000000


def copy_project(dest: Path, seeds: tuple[str, ...] | None = None) -> Path:
    """Copy what a build reads (seeds, notebooks, briefing, _quarto.yml) to ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in PROJECT_FILES:
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, dest / name)
    if seeds is not None:
        for child in (dest / "seeds").iterdir():
            if child.name not in seeds:
                shutil.rmtree(child)
    return dest


def copy_built(build: Path, dest: Path) -> Path:
    """Copy the project of the build folder ``build`` (a shared fixture's, left untouched) to
    ``dest``; returns the copy's root. The build cache records paths relative to the project,
    so the copied build is current where it lands and a build there redoes only what differs."""
    shutil.copytree(build.parents[1], dest, symlinks=True)
    return dest


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A fresh copy of the project in ``tmp_path``."""
    return copy_project(tmp_path / "project")


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first seed built once (pandoc engine, HTML and PDF); returns its build folder."""
    from briefkit.build import BuildOptions, run_build

    root = copy_project(tmp_path_factory.mktemp("built") / "project")
    result = run_build(BuildOptions(root, SEED, engine="pandoc"))
    assert set(result.outputs) == {"html", "pdf"}
    return root / "_build" / SEED


def find_chromium() -> str:
    """Chromium or Chrome from BRIEFKIT_CHROMIUM, else the one a build uses (fetched if none)."""
    if os.environ.get("BRIEFKIT_CHROMIUM"):
        return os.environ["BRIEFKIT_CHROMIUM"]
    from briefkit.browser import find_chromium as briefkit_chromium
    from briefkit.errors import BriefkitError

    try:
        return briefkit_chromium()
    except BriefkitError as exc:
        pytest.fail(f"the HTML tests need Chromium: {exc}")


@pytest.fixture(scope="session")
def second_built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tests' made-up second seed (tests/second_seed.py) built once for the session, alone
    in a project copy (pandoc engine, HTML and PDF) as of SECOND_EPOCH; returns its build folder.

    Read-only for its users: a test that changes a build copies it first.
    """
    from briefkit.build import BuildOptions, run_build

    from .second_seed import SLUG, write_second_seed

    root = copy_project(tmp_path_factory.mktemp("second") / "project", seeds=())
    write_second_seed(root)
    with pytest.MonkeyPatch.context() as mp:
        # A fixed date, before the seed's planned talks (test_brief_actors_timeline relies on it).
        mp.setenv("SOURCE_DATE_EPOCH", str(SECOND_EPOCH))
        run_build(BuildOptions(root, SLUG, engine="pandoc"))
    return root / "_build" / SLUG


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """A headless Chromium driven by Playwright, with background networking off."""
    from playwright.sync_api import sync_playwright

    exe = find_chromium()
    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=exe,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield b
        b.close()
