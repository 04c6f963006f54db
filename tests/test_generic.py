"""The brief's code, notebooks and templates are generic: topic words come from a seed's data."""

from __future__ import annotations

import re
from pathlib import Path

from briefkit.reading.seed import load_seed

from .conftest import REPO as ROOT
from .conftest import SEED

#: Where no topic word of any seed may be written (docstring examples excepted: none are needed).
GENERIC = ("src/briefkit", "notebooks", "briefing", "_quarto.yml")


def topic_words(root: Path, slug: str) -> set[str]:
    """Proper names of a seed: its actors' names and its tracks' labels, as lower-case words."""
    reading = load_seed(root, slug).reading
    names = [actor.name for actor in reading.actors] + list(reading.tracks.values())
    words = {w.lower() for name in names for w in re.findall(r"[A-Za-z][A-Za-z-]{3,}", name)}
    # Plain English words inside those names, which any brief may print, whatever its topic.
    common = {"west", "energy", "easing", "economic", "security", "states", "united", "eastern"}
    return words - common - {"european", "president"}


def generic_files() -> list[Path]:
    """Every text file of the generic parts of the project (binary ones, like Word's reference
    document, are made by code that this test reads)."""
    found: list[Path] = []
    for name in GENERIC:
        path = ROOT / name
        found += [path] if path.is_file() else sorted(path.rglob("*"))
    return [
        p
        for p in found
        if p.is_file() and "__pycache__" not in p.parts and b"\0" not in p.read_bytes()
    ]


def test_no_topic_word_of_the_first_seed_in_code_notebooks_or_templates() -> None:
    words = topic_words(ROOT, SEED)
    assert {"russia", "nato", "sanctions"} <= words
    pattern = re.compile(r"\b(" + "|".join(sorted(map(re.escape, words))) + r")\b", re.I)
    hits = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()[:80]}"
        for path in generic_files()
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        # A notebook's default parameter may name the first seed's folder, not its topic.
        if pattern.search(line.replace(SEED, ""))
    ]
    assert hits == []
