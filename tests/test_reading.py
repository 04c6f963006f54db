"""Seeds and readings: the first seed loads, and bad input is named by file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from briefkit.errors import InvalidInput, SeedNotFound
from briefkit.reading import anchor, load_seed

from .conftest import SEED


def test_first_seed_loads_and_matches_its_sha256() -> None:
    seed = load_seed(Path(__file__).resolve().parents[1], SEED)
    assert seed.source.author == "Alexander Clackson"
    assert seed.source.sha256 == "b0baf0d18a65257071dcb55c080c99ffccd3cf5867fd6a42a98ec50136d96e7c"
    assert seed.reading.claims


def test_anchor_tolerates_typography_only() -> None:
    article = "Russia\u2019s actions \u2014 especially its\n invasion"
    found = anchor(article, "Russia's actions - especially its invasion")
    assert found is not None
    assert article[found.start : found.end] == article
    assert anchor(article, "Russia's deeds") is None


def test_unmatched_quote_names_file_line_and_field(project: Path) -> None:
    reading = project / "seeds" / SEED / "reading.yaml"
    text = reading.read_text()
    reading.write_text(
        text.replace('"If Russia ends its aggressive policies"', '"If Russia apologises"')
    )
    with pytest.raises(InvalidInput) as info:
        load_seed(project, SEED)
    lines = reading.read_text().splitlines()
    line = next(i for i, text in enumerate(lines, 1) if "apologises" in text)
    assert f"{reading}:{line}: conditions.0.quotes.0: quote not found in the article" in str(
        info.value
    )


def test_duplicate_key_names_line(project: Path) -> None:
    reading = project / "seeds" / SEED / "reading.yaml"
    reading.write_text(
        reading.read_text().replace("schema_version: 1\n", "schema_version: 1\nschema_version: 1\n")
    )
    with pytest.raises(InvalidInput, match=r"reading\.yaml:\d+: .*duplicate key"):
        load_seed(project, SEED)


def test_seed_name_cannot_leave_seeds(project: Path) -> None:
    with pytest.raises(SeedNotFound, match="not valid"):
        load_seed(project, "../etc")
