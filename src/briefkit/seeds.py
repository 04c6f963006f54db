"""Seed names and folders: kept apart from briefkit.reading so that finding a seed is cheap."""

from __future__ import annotations

import logging
import re
from pathlib import Path

from briefkit.errors import InputError, InvalidInput, Problem, SeedNotFound

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")

logger = logging.getLogger("briefkit")


def seed_dir(root: Path, slug: str, *, exists: bool = True) -> Path:
    """Return ``root/seeds/slug`` after checking that ``slug`` is a plain seed name.

    An existing seed is also checked to stay where it is (``confine``).
    """
    if not SLUG.match(slug):
        raise SeedNotFound(
            f"seed name {slug!r} is not valid: use lower-case letters, digits and '-' only"
        )
    path = root / "seeds" / slug
    if exists and not path.is_dir():
        raise SeedNotFound(f"no seed {slug!r}: {path} does not exist")
    if exists:
        confine(root, path)
    return path


def confine(root: Path, folder: Path) -> None:
    """Refuse a seed folder that resolves outside the project, or a link out of the folder.

    A seed's files are read, hashed and quoted into the brief, so a link to a file elsewhere
    (``article.txt -> ~/notes``) would publish it: nothing is read until this check passes.
    """
    base = folder.resolve()
    if not base.is_relative_to(root.resolve()):
        message = f"resolves to {base}, outside the project: a seed must live in it (no links out)"
        raise InvalidInput([Problem(folder, None, "", message)])
    problems = []
    # rglob lists a link to a folder without descending into it, so every link is seen here.
    for path in sorted(folder.rglob("*")):
        if path.is_symlink() and not path.resolve().is_relative_to(base):
            message = (
                f"resolves to {path.resolve()}, outside the seed folder: a seed's files must be "
                "in it (no links out)"
            )
            problems.append(Problem(path, None, "", message))
    if problems:
        raise InvalidInput(problems)


def find_root(start: Path) -> Path:
    """The project folder: ``start`` or the nearest folder above it that has ``seeds/``.

    So briefkit also works from a subfolder such as ``seeds/<slug>/``; ``.`` when none has.
    """
    for folder in (start, *start.parents):
        if (folder / "seeds").is_dir():
            return Path(".") if folder == start else folder
    return Path(".")


def list_seeds(root: Path) -> list[str]:
    """The seeds under ``root/seeds``, sorted; a folder with an invalid name is warned about."""
    base = root / "seeds"
    if not base.is_dir():
        raise InputError(
            f"no seeds/ folder in {root.resolve()}: run briefkit in the project folder (or "
            "below it), or pass --root PROJECT"
        )
    found = []
    for path in sorted(base.iterdir()):
        if not path.is_dir() or path.name.startswith("."):
            continue
        if SLUG.match(path.name):
            found.append(path.name)
        else:
            logger.warning(
                "skipped seeds/%r: not a seed name (use lower-case letters, digits and '-')",
                path.name,
            )
    return found


def build_dir(root: Path, slug: str) -> Path:
    """Where a seed's draft build lives: ``root/_build/slug``."""
    return root / "_build" / slug
