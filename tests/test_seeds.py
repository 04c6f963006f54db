"""Seed folders: a seed stays inside the project, and a skipped folder is never skipped silently."""

from __future__ import annotations

import hashlib
import logging
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from briefkit.errors import EXIT_INVALID_INPUT, InvalidInput
from briefkit.reading.seed import load_seed
from briefkit.seeds import list_seeds, seed_dir

from .conftest import SEED, copy_project
from .test_cli import briefkit, messages
from .test_reading import WATER_ARTICLE, write_water_seed

SECRET = "TOP-SECRET-LINE: the contents of a file outside the project.\n"


def outside_article(tmp_path: Path) -> tuple[Path, str]:
    """A file outside the project that would pass as the water seed's article; its sha256."""
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = outside / "secret.txt"
    text = WATER_ARTICLE + SECRET
    secret.write_text(text, encoding="utf-8")
    return secret, hashlib.sha256(text.encode()).hexdigest()


def link_article_outside(root: Path, tmp_path: Path) -> tuple[Path, str]:
    """Make ``root``'s water seed read its article through a link to a file outside ``root``."""
    seed = write_water_seed(root)
    secret, digest = outside_article(tmp_path)
    source = seed / "source.yaml"
    old = hashlib.sha256(WATER_ARTICLE.encode()).hexdigest()
    source.write_text(source.read_text().replace(old, digest))
    (seed / "article.txt").unlink()
    (seed / "article.txt").symlink_to(secret)
    return seed, digest


def test_a_seed_file_linked_outside_the_seed_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "project"
    seed, _ = link_article_outside(root, tmp_path)
    with pytest.raises(InvalidInput) as info:
        load_seed(root, "water")
    assert str(info.value) == (
        f"{seed / 'article.txt'}: resolves to {(tmp_path / 'outside' / 'secret.txt').resolve()}, "
        "outside the seed folder: a seed's files must be in it (no links out)"
    )


@pytest.mark.parametrize("name", ["reading.yaml", "notes"])
def test_any_file_or_folder_linked_out_of_the_seed_is_refused(tmp_path: Path, name: str) -> None:
    root = tmp_path / "project"
    seed = write_water_seed(root)
    other = write_water_seed(tmp_path / "other")
    target = seed / name
    if target.exists():
        target.unlink()
    target.symlink_to(other / name if name != "notes" else other)
    with pytest.raises(InvalidInput, match=rf"^{seed / name}: resolves to .*outside the seed"):
        seed_dir(root, "water")


def test_links_inside_the_seed_are_followed(tmp_path: Path) -> None:
    seed = write_water_seed(tmp_path)
    (seed / "article.txt").rename(seed / "original.txt")
    (seed / "article.txt").symlink_to("original.txt")
    assert load_seed(tmp_path, "water").article == WATER_ARTICLE


def test_a_seed_folder_linked_out_of_the_project_is_refused(tmp_path: Path) -> None:
    elsewhere = write_water_seed(tmp_path / "elsewhere")
    root = tmp_path / "project"
    (root / "seeds").mkdir(parents=True)
    (root / "seeds" / "water").symlink_to(elsewhere)
    with pytest.raises(InvalidInput, match=r"seeds/water: resolves to .*outside the project"):
        load_seed(root, "water")


def test_check_and_build_refuse_an_article_linked_outside_and_print_none_of_it(
    tmp_path: Path,
) -> None:
    root = copy_project(tmp_path / "project", seeds=(SEED,))
    _, digest = link_article_outside(root, tmp_path)
    for command in (["check"], ["build", "--seed", "water", "--formats", "html"]):
        proc = briefkit(root, *command)
        shown = proc.stdout + proc.stderr
        assert proc.returncode == EXIT_INVALID_INPUT, shown
        assert f"seeds/water/article.txt: resolves to {tmp_path.resolve()}/outside" in shown
        assert "TOP-SECRET" not in shown
        assert digest not in shown
        assert "Traceback" not in shown
    assert not (root / "_build" / "water" / "brief.html").exists()
    leaked = [p for p in (root / "_build").rglob("*") if p.is_file() and "TOP-SECRET" in
              p.read_text(errors="replace")]  # fmt: skip
    assert leaked == []


def test_folders_with_invalid_seed_names_are_named_not_skipped_silently(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write_water_seed(tmp_path)
    shutil.copytree(tmp_path / "seeds" / "water", tmp_path / "seeds" / "Water Copy")
    (tmp_path / "seeds" / ".hidden").mkdir()
    with caplog.at_level(logging.WARNING, logger="briefkit"):
        assert list_seeds(tmp_path) == ["water"]
    assert [r.getMessage() for r in caplog.records] == [
        "skipped seeds/'Water Copy': not a seed name (use lower-case letters, digits and '-')"
    ]


def test_a_plain_check_or_build_warns_about_a_skipped_seed_folder(tmp_path: Path) -> None:
    root = tmp_path / "project"
    write_water_seed(root)
    (root / "seeds" / "water").rename(root / "seeds" / "Water")
    write_water_seed(root)
    proc = briefkit(root, "check")
    assert proc.returncode == 0, proc.stderr
    assert "skipped seeds/'Water': not a seed name" in proc.stderr
    assert messages(proc.stderr) == []


def test_briefkit_finds_the_project_from_a_subfolder_and_says_where_to_run_it(
    tmp_path: Path,
) -> None:
    root = tmp_path / "project"
    seed = write_water_seed(root)
    inside = subprocess.run(
        [sys.executable, "-m", "briefkit", "check"], cwd=seed, capture_output=True, text=True,
        check=False,
    )  # fmt: skip
    assert inside.returncode == 0, inside.stderr
    assert inside.stdout.startswith("water: valid")
    outside = subprocess.run(
        [sys.executable, "-m", "briefkit", "check"], cwd=tmp_path, capture_output=True,
        text=True, check=False,
    )  # fmt: skip
    assert outside.returncode == EXIT_INVALID_INPUT
    assert messages(outside.stderr) == [
        f"briefkit: error: no seeds/ folder in {tmp_path.resolve()} or above it: run briefkit in "
        "the project folder (or below it), or pass --root PROJECT"
    ]
