"""The reading as DataFrames: typed columns, ids as index, relations long, dates honest."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from briefkit.frames import STATUS, Frames
from briefkit.reading import load_seed

from .conftest import REPO, SEED
from .second_seed import write_second_seed


@pytest.fixture(scope="module")
def second(tmp_path_factory: pytest.TempPathFactory) -> Frames:
    root = tmp_path_factory.mktemp("frames")
    return Frames(load_seed(root, write_second_seed(root)))


@pytest.fixture(scope="module")
def first() -> Frames:
    return Frames(load_seed(REPO, SEED))


def test_items_are_indexed_by_id_with_typed_columns(second: Frames) -> None:
    m = second.measures
    assert m.index.name == "id"
    assert m.index.tolist() == ["M1", "M2"]
    assert m.status.dtype == STATUS
    assert list(STATUS.categories) == ["stated", "implied", "inferred"]
    assert STATUS.ordered
    assert isinstance(m.track.dtype, pd.CategoricalDtype)
    # The tracks the seed declares, in its order, with their labels.
    assert list(m.track.cat.categories) == ["grid-access", "export-rules"]
    assert m.track_label.tolist() == ["Grid access", "Export rules"]
    assert (str(m.phase.dtype), str(m.reversible.dtype), str(m.text.dtype)) == (
        "Int64",
        "boolean",
        "string",
    )
    assert isinstance(second.objections.kind.dtype, pd.CategoricalDtype)


def test_a_kind_without_items_is_an_empty_frame_with_its_columns_typed(second: Frames) -> None:
    e = second.evidence
    assert e.empty
    assert list(e.columns) == ["text", "kind", "status"]
    assert isinstance(e.kind.dtype, pd.CategoricalDtype)
    assert second.limits.columns.tolist() == ["proposal", "text", "status"]


def test_missing_values_are_nullable(first: Frames, second: Frames) -> None:
    assert second.actors.role.isna().all()
    assert first.measures.reversible.isna().any()
    assert first.objections.answer.isna().sum() < len(first.objections)


def test_relations_are_long_frames_in_reading_order(second: Frames) -> None:
    assert second.links.to_dict(orient="list") == {
        "source": ["C2", "O1"],
        "target": ["O1", "P1"],
        "relation": ["attack", "attack"],
    }
    assert second.requires.values.tolist() == [
        ["M1", "K1", "stated"], ["M2", "K1", "stated"], ["M2", "K2", "stated"],
    ]  # fmt: skip
    assert second.unlocks.values.tolist() == [
        ["K1", "M1"], ["K1", "M2"], ["K2", "M2"], ["K1", "P1"], ["K2", "P1"],
    ]  # fmt: skip
    stances = second.stances[["actor", "on", "stance", "status"]]
    assert stances.values.tolist() == [["A1", "P1", "opposes", "implied"]]
    assert second.held_by.values.tolist() == [["O1", "A1"]]


def test_links_and_phases_carry_their_own_basis(first: Frames) -> None:
    required = first.requires.set_index(["measure", "condition"]).status.astype("string")
    assert required[("M1", "K4")] == "stated"
    assert required[("M1", "K1")] == "inferred"
    assert required[("M3", "K1")] == "implied"
    assert required[("M2", "K1")] == "stated"  # [K1, K2]: known as the measure is
    assert first.measures.phase_status.astype("string").tolist() == ["inferred"] * 3
    assert first.proposals.conditional["P8"] == "unstated"


def test_requirement_matrix_is_a_crosstab_of_the_requires_frame(second: Frames) -> None:
    grid = pd.crosstab(second.requires.measure, second.requires.condition)
    assert grid.to_dict() == {"K1": {"M1": 1, "M2": 1}, "K2": {"M1": 0, "M2": 1}}


def test_event_dates_are_periods_at_their_precision_with_their_interval(second: Frames) -> None:
    ev = second.events
    assert ev.period.tolist() == [pd.Period("2023", "Y"), pd.Period("2026-03", "M")]
    t2 = ev.interval["T2"]
    assert (t2.left, t2.right, t2.closed) == (
        pd.Timestamp("2026-03-01"),
        pd.Timestamp("2026-03-31"),
        "both",
    )
    assert ev.label.tolist() == ["2023", "March 2026"]


def test_an_approximate_date_is_an_interval_without_a_period(first: Frames) -> None:
    ev = first.events
    approximate = ev[ev.precision == "approximate"]
    assert not approximate.empty
    assert approximate.period.isna().all()
    widths = {i.length for i in approximate.interval}
    assert widths == {pd.Timedelta(days=730)}
    day = ev[ev.precision == "day"].iloc[0]
    assert day.period.freqstr == "D"
    assert day.interval.left == day.interval.right == day.period.start_time


def test_quotes_carry_their_place_in_the_article(first: Frames) -> None:
    q = first.quotes
    article = first.seed.article
    row = q.iloc[0]
    assert article[row.start : row.end] == row.quote
    assert row["where"].startswith(f"\u00b6{row.paragraph}, chars ")
    assert set(q.item) <= set(first.items.index) | set(first.actors.index)


def test_items_list_the_thesis_then_every_item_once(first: Frames) -> None:
    items = first.items
    assert items.index[0] == "thesis"
    assert items.index.is_unique
    assert len(items) == 1 + len(list(first.reading.items()))
    assert items.status.value_counts(sort=False).index.tolist() == list(STATUS.categories)


def test_frames_are_built_once(second: Frames) -> None:
    assert second.claims is second.claims


def test_repo_seed_frames_cover_every_item(first: Frames) -> None:
    r = first.reading
    assert first.claims.index.tolist() == [c.id for c in r.claims]
    assert first.measures.index.tolist() == [m.id for m in r.measures]
    assert len(first.links) == sum(
        len(getattr(i, "supports", [])) + len(i.attacks) + len(i.undercuts)
        for i in [*r.claims, *r.evidence, *r.objections]
    )


def test_frames_need_no_build_folder(tmp_path: Path) -> None:
    slug = write_second_seed(tmp_path)
    frames = Frames(load_seed(tmp_path, slug))
    assert len(frames.claims) == 2
    assert not (tmp_path / "_build").exists()
