"""Argument export: AIF and Argdown-style JSON agree with the reading; the build writes them."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from briefkit.export import (
    AIF_NAME,
    ARGDOWN_NAME,
    COVERAGE_NAME,
    edges,
    to_aif,
    to_argdown,
    write_exports,
)
from briefkit.reading.anchors import normalise
from briefkit.reading.seed import Seed, load_seed

from .conftest import REPO, SEED
from .test_reading import write_water_seed


@pytest.fixture(scope="module")
def seed() -> Seed:
    return load_seed(REPO, SEED)


def test_aif_edges_join_existing_nodes_through_s_nodes(seed: Seed) -> None:
    aif = to_aif(seed.reading)
    kinds = {n["nodeID"]: n["type"] for n in aif["nodes"]}
    assert len(kinds) == len(aif["nodes"])  # ids are unique
    for edge in aif["edges"]:
        pair = (kinds[edge["fromID"]], kinds[edge["toID"]])
        # AIF: information nodes connect only through scheme (RA/CA) nodes.
        assert pair != ("I", "I")
        assert "I" in pair or pair[0] == "CA"


def test_aif_support_is_i_ra_i_and_undercut_attacks_the_inference(seed: Seed) -> None:
    aif = to_aif(seed.reading)
    kinds = {n["nodeID"]: n["type"] for n in aif["nodes"]}
    out: dict[str, list[str]] = {}
    for edge in aif["edges"]:
        out.setdefault(edge["fromID"], []).append(edge["toID"])
    # C1 supports the thesis: C1 -> RA -> thesis.
    assert any(kinds[s] == "RA" and out[s] == ["thesis"] for s in out["C1"])
    # C4 undercuts O4: a conflict node from C4 targets the conflict O4 -> CA -> thesis.
    o4_links = [s for s in out["O4"] if out[s] == ["thesis"]]
    assert any(kinds[s] == "CA" and out[s] == o4_links for s in out["C4"])
    # Each objection's answer attacks it.
    assert any(kinds[s] == "CA" and out[s] == ["O1"] for s in out["O1.answer"])


def test_aif_has_one_s_node_per_support_or_attack(seed: Seed) -> None:
    aif = to_aif(seed.reading)
    counted = Counter(n["type"] for n in aif["nodes"])
    relations = Counter(e.relation for e in edges(seed.reading))
    assert counted["RA"] == relations["support"]
    assert counted["CA"] >= relations["attack"] + relations["undercut"]


def test_argdown_json_lists_statements_with_quote_spans_and_typed_relations(seed: Seed) -> None:
    doc = to_argdown(seed)
    assert doc["statements"]["thesis"]["role"] == "thesis"
    assert doc["statements"]["O3"]["role"] == "concession"
    assert doc["statements"]["O2.answer"]["status"] == "implied"
    assert {"from": "C4", "to": "O4", "type": "undercut"} in doc["relations"]
    assert {"from": "O1", "to": "P0", "type": "attack"} in doc["relations"]
    # A proposal's own quotes only: its limits' quotes are not the proposal's.
    p1 = next(p for p in seed.reading.proposals if p.id == "P1")
    assert [q["text"] for q in doc["statements"]["P1"]["quotes"]] == p1.quotes
    for statement in doc["statements"].values():
        for quote in statement["quotes"]:
            found = seed.article[quote["start"] : quote["end"]]
            assert normalise(found)[0] == normalise(quote["text"])[0]
    every = set(doc["statements"])
    assert all(r["from"] in every and r["to"] in every for r in doc["relations"])


def test_write_exports_is_stable_json_for_a_made_up_seed(tmp_path: Path) -> None:
    write_water_seed(tmp_path)
    water = load_seed(tmp_path, "water")
    paths = write_exports(water, tmp_path / "data")
    assert [p.name for p in paths] == [AIF_NAME, ARGDOWN_NAME, COVERAGE_NAME]
    first = [p.read_bytes() for p in paths]
    write_exports(water, tmp_path / "data")
    assert [p.read_bytes() for p in paths] == first
    coverage = json.loads(paths[2].read_text(encoding="utf-8"))
    assert (coverage["covered"], coverage["substantive"]) == (5, 6)
    relations = json.loads(paths[1].read_text(encoding="utf-8"))["relations"]
    assert {"from": "O1.answer", "to": "O1", "type": "attack"} in relations


@pytest.mark.build
def test_build_writes_the_exports_into_its_data_folder(built: Path, seed: Seed) -> None:
    aif = json.loads((built / "data" / AIF_NAME).read_text(encoding="utf-8"))
    assert aif == to_aif(seed.reading)
    coverage = json.loads((built / "data" / COVERAGE_NAME).read_text(encoding="utf-8"))
    assert coverage["share"] >= 0.9
    assert (built / "data" / ARGDOWN_NAME).is_file()
