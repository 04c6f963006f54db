"""A notebook is keyed on the parts of the reading it read (briefkit.reading.reads)."""

from __future__ import annotations

import filecmp
from collections.abc import Iterator
from pathlib import Path

import pytest

from briefkit import bench
from briefkit.build import BuildOptions, run_build
from briefkit.reading import load_seed, reads
from briefkit.stamps import StepCache

from .conftest import REPO, SEED, copy_built, copy_project


@pytest.fixture
def log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Reads noted in this process (as in a build's kernel) to a log; stopped afterwards."""
    path = tmp_path / "reads.log"
    monkeypatch.setenv(reads.READ_LOG_ENV, str(path))
    try:
        yield path
    finally:
        reads.stop()


def test_each_part_read_is_logged_once_from_the_start_on(log: Path) -> None:
    seed = load_seed(REPO, SEED)
    _ = seed.reading.events  # before start: not noted
    reads.start()
    for _ in range(2):
        _ = seed.reading.claims[0].text
    _ = seed.anchors
    _ = seed.reading.thesis.text
    _ = seed.article  # another file of the seed: keyed whole, not a part of the reading
    assert log.read_text(encoding="utf-8").splitlines() == [
        reads.HEADER, "claims", "anchors", "thesis",
    ]  # fmt: skip
    assert reads.read_log(log) == {"claims", "anchors", "thesis"}


def test_a_method_of_the_reading_notes_what_it_reads(log: Path) -> None:
    seed = load_seed(REPO, SEED)
    reads.start()
    list(seed.reading.items())
    assert "claims" in reads.read_log(log)
    assert "events" in reads.read_log(log)
    assert "excluded" not in reads.read_log(log)


@pytest.mark.parametrize(
    "read",
    [
        lambda seed: seed.reading.model_dump(),
        lambda seed: seed.reading.model_dump_json(),
        lambda seed: vars(seed.reading),
        lambda seed: (seed.path / "reading.yaml").read_text(encoding="utf-8"),
    ],
    ids=["model_dump", "model_dump_json", "__dict__", "the file itself"],
)
def test_what_cannot_be_followed_counts_as_the_whole_reading(log: Path, read: object) -> None:
    seed = load_seed(REPO, SEED)
    reads.start()
    read(seed)  # type: ignore[operator]
    assert reads.read_log(log) == {reads.ALL}


def test_a_log_missing_or_never_started_is_the_whole_reading(tmp_path: Path) -> None:
    assert reads.read_log(tmp_path / "none.log") == {reads.ALL}
    (tmp_path / "other.log").write_text("claims\n", encoding="utf-8")
    assert reads.read_log(tmp_path / "other.log") == {reads.ALL}
    (tmp_path / "empty.log").write_text(reads.HEADER + "\n", encoding="utf-8")
    assert reads.read_log(tmp_path / "empty.log") == frozenset()


def test_nothing_is_noted_outside_a_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(reads.READ_LOG_ENV, raising=False)
    reads.start()
    assert not reads._LOG


def test_a_claims_text_edit_changes_only_the_claims_digest(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "project", seeds=(SEED,))
    before = reads.digests(load_seed(root, SEED), "before")
    bench.edit_claim(root / "seeds" / SEED / "reading.yaml", "edited")
    after = reads.digests(load_seed(root, SEED), "after")
    assert {k for k in before if before[k] != after[k]} == {"claims", reads.ALL}
    assert set(before) >= {"claims", "events", "thesis", *reads.SEED_PARTS}


def test_select_falls_back_to_the_whole_reading() -> None:
    known = {"claims": "c", "events": "e", reads.ALL: "file"}
    assert reads.select(["events", "claims"], known) == {"claims": "c", "events": "e"}
    assert reads.select([reads.ALL, "claims"], known) == {reads.ALL: "file"}
    # A part this briefkit does not know (a newer or older stamp): the whole reading.
    assert reads.select(["claims", "gone"], known) == {reads.ALL: "file"}


@pytest.mark.build
def test_a_claim_edit_reruns_only_what_read_the_claims_and_builds_what_a_cold_build_does(
    built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real notebooks, in real kernels: what they log decides what runs again, and the
    brief built from the notebooks that did not run is the same as one built from scratch."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764000000")
    root = copy_built(built, tmp_path / "incremental")
    opts = BuildOptions(root, SEED, engine="pandoc", formats=("html",))
    run_build(opts)  # current for this date and format
    cache = StepCache(root / "_build" / SEED)
    read_claims = {
        step for step in cache.steps("notebook-")
        if {"claims", reads.ALL} & set((cache.load(step) or pytest.fail(step)).data["reads"])
    }  # fmt: skip
    bench.edit_claim(root / "seeds" / SEED / "reading.yaml", "edited")
    incremental = run_build(opts)
    ran = {step for step in incremental.executed if step.startswith("notebook-")}
    assert ran == read_claims
    assert ran
    assert ran != set(cache.steps("notebook-")), "some notebook must not read the claims"

    cold_root = copy_project(tmp_path / "cold")
    bench.edit_claim(cold_root / "seeds" / SEED / "reading.yaml", "edited")
    cold = run_build(BuildOptions(cold_root, SEED, engine="pandoc", formats=("html",)))
    assert incremental.outputs["html"].read_bytes() == cold.outputs["html"].read_bytes()
    for folder in ("tables", "texts", "figures", "data"):
        a, b = root / "_build" / SEED / folder, cold_root / "_build" / SEED / folder
        compare = filecmp.dircmp(a, b)
        # The shared build also drew the PDF's static figures, which an HTML build leaves.
        left = [name for name in compare.left_only if not name.endswith((".svg", ".png"))]
        assert compare.diff_files == [], folder
        assert left == [], folder
        assert compare.right_only == [], folder
