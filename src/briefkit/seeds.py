"""Seed names and folders: kept apart from briefkit.reading so that finding a seed is cheap."""

from __future__ import annotations

import re
from pathlib import Path

from briefkit.errors import SeedNotFound

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


def seed_dir(root: Path, slug: str, *, exists: bool = True) -> Path:
    """Return ``root/seeds/slug`` after checking that ``slug`` is a plain seed name."""
    if not SLUG.match(slug):
        raise SeedNotFound(
            f"seed name {slug!r} is not valid: use lower-case letters, digits and '-' only"
        )
    path = root / "seeds" / slug
    if exists and not path.is_dir():
        raise SeedNotFound(f"no seed {slug!r}: {path} does not exist")
    return path


def list_seeds(root: Path) -> list[str]:
    """The seeds under ``root/seeds``, sorted."""
    base = root / "seeds"
    return sorted(p.name for p in base.iterdir() if p.is_dir() and SLUG.match(p.name))


def build_dir(root: Path, slug: str) -> Path:
    """Where a seed's draft build lives: ``root/_build/slug``."""
    return root / "_build" / slug
