"""The brief's argument section: claims with what they support, tables without empty columns,
the argument map (thesis, every link, no edge through a node) and the PDF's outline."""

from __future__ import annotations

import csv
import io
import json
import re
from itertools import pairwise
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from briefkit import layered, views
from briefkit.artifacts import Artifacts
from briefkit.build import BuildOptions, run_build
from briefkit.frames import Frames
from briefkit.reading.seed import load_seed

from .conftest import copy_project
from .second_seed import SLUG as SECOND
from .second_seed import write_second_seed


@pytest.fixture(scope="module")
def second(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The made-up second seed (one claim on each side of one objection), built."""
    root = copy_project(tmp_path_factory.mktemp("second") / "project", seeds=())
    write_second_seed(root)
    run_build(BuildOptions(root, SECOND, engine="pandoc"))
    return root / "_build" / SECOND


def frames_of(build: Path) -> Frames:
    """The frames of the seed a build folder was built from (its snapshot of the seed)."""
    return Frames(load_seed(build / ".snapshot", build.name))


def table_spec(build: Path, name: str) -> dict[str, Any]:
    return json.loads((build / "tables" / f"{name}.json").read_text(encoding="utf-8"))


# --- tables: what a claim supports, and no column with nothing in it ---------------------------


def test_table_leaves_out_columns_with_nothing_in_them_and_keeps_them_in_the_csv(
    tmp_path: Path,
) -> None:
    frame = pd.DataFrame(
        {
            "id": ["C1", "C2"],
            "text": ["One", "Two"],
            "dashes": ["\u2014", "\u2014"],
            "gaps": pd.array([None, None], dtype="string"),
            "blank": ["", " "],
            "some": ["\u2014", "C1"],
            "zero": [0, 0],
        }
    ).set_index("id")
    out = Artifacts(tmp_path)
    views.table(
        out,
        "t",
        frame,
        caption="c",
        labels={"dashes": "Dashes", "some": "Some"},
        widths=[0.1, 0.3, 0.1, 0.1, 0.1, 0.2, 0.1],
    )
    spec = json.loads((tmp_path / "tables" / "t.json").read_text(encoding="utf-8"))
    assert [c["key"] for c in spec["columns"]] == ["id", "text", "some", "zero"]
    # The left-out columns' width goes to the others, in proportion.
    assert spec["widths"] == pytest.approx([1 / 7, 3 / 7, 2 / 7, 1 / 7], abs=1e-4)
    rows = list(csv.reader(io.StringIO((tmp_path / "data" / "t.csv").read_text("utf-8"))))
    assert rows[0] == ["id", "text", "Dashes", "gaps", "blank", "Some", "zero"]
    assert rows[2] == ["C2", "Two", "\u2014", "", " ", "C1", "0"]


def test_a_table_with_no_rows_keeps_its_columns(tmp_path: Path) -> None:
    frame = pd.DataFrame({"id": pd.array([], dtype="string"), "text": pd.array([], "string")})
    views.table(Artifacts(tmp_path), "t", frame.set_index("id"), caption="c")
    spec = json.loads((tmp_path / "tables" / "t.json").read_text(encoding="utf-8"))
    assert [c["key"] for c in spec["columns"]] == ["id", "text"]


def supports_of(frames: Frames, item: str) -> list[str]:
    links = frames.links
    found = links.target[(links.source == item) & (links.relation == "support")].tolist()
    return ["Thesis" if t == frames.reading.thesis.id else t for t in found]


@pytest.mark.build
def test_claims_table_says_what_each_claim_supports(built: Path) -> None:
    spec = table_spec(built, "claims")
    labels = {c["key"]: c["label"] for c in spec["columns"]}
    assert labels["supports"] == "Supports"
    assert {"supported_by", "supports"} <= set(labels)
    frames = frames_of(built)
    for row in spec["rows"]:
        expected = supports_of(frames, row["id"])
        assert row["supports"] == (", ".join(expected) or "\u2014"), row["id"]
    # The first seed's claims support the thesis, which the table names in words.
    assert any("Thesis" in row["supports"].split(", ") for row in spec["rows"])
    assert not any(frames.reading.thesis.id in row["supports"].split(", ") for row in spec["rows"])


@pytest.mark.build
def test_no_printed_column_of_the_argument_tables_is_empty(built: Path, second: Path) -> None:
    for build in (built, second):
        for name in ("claims", "evidence", "objections"):
            spec = table_spec(build, name)
            if not spec["rows"]:
                continue
            for col in spec["columns"]:
                cells = {str(row[col["key"]] or "").strip() for row in spec["rows"]}
                assert cells - {"", "\u2014"}, f"{build.name}: {name}.{col['key']} is empty"


@pytest.mark.build
def test_html_links_the_ids_in_a_cell_that_also_names_the_thesis_or_a_note(built: Path) -> None:
    page = (built / "brief.html").read_text(encoding="utf-8")
    # C4 undercuts O4: the note stays text beside the link.
    assert re.search(r'<a href="#item-O4" class="bk-id">O4</a>\s+\(undercuts\)', page)
    assert re.search(r'<td style="text-align: left;">Thesis</td>', page)


# --- the layered layout ------------------------------------------------------------------------


def test_layout_puts_every_edge_towards_a_lower_layer_and_long_ones_through_own_slots() -> None:
    nodes = ["T", "A", "B", "C", "D"]
    edges = [("A", "T"), ("B", "A"), ("C", "B"), ("C", "T"), ("D", "T")]
    plan = layered.layout(nodes, edges, {"A": 1, "B": 1, "C": 1, "D": 1})
    layer = {n: plan.pos[n][0] for n in nodes}
    assert layer == {"T": 0, "A": 1, "B": 2, "C": 3, "D": 1}
    long = plan.routes[3]  # C -> T passes layers 2 and 1 in slots of its own
    assert [x for x, _ in long] == [3, 2, 1, 0]
    taken = {plan.pos[n] for n in nodes}
    assert not set(long[1:-1]) & taken
    # In each layer, slots are at least 1 apart.
    ys: dict[float, list[float]] = {}
    for x, y in {p for route in plan.routes for p in route} | taken:
        ys.setdefault(x, []).append(y)
    for column in ys.values():
        column.sort()
        assert all(b - a >= 1 - 1e-9 for a, b in pairwise(column))


def test_layout_breaks_a_circle_and_draws_both_of_its_edges() -> None:
    plan = layered.layout(["T", "A", "B"], [("A", "B"), ("B", "A"), ("A", "T")])
    assert len(plan.reversed) == 1
    (first, *_), (second, *_) = plan.routes[0], plan.routes[1]
    # Each is drawn from its own source to its own target.
    assert (first, plan.routes[0][-1]) == (plan.pos["A"], plan.pos["B"])
    assert (second, plan.routes[1][-1]) == (plan.pos["B"], plan.pos["A"])


def test_layout_orders_layers_to_avoid_crossings() -> None:
    # Read in this order, the two chains cross; the layout untangles them.
    nodes = ["X", "Y", "a", "b"]
    plan = layered.layout(nodes, [("a", "Y"), ("b", "X")])
    assert (plan.pos["a"][1] < plan.pos["b"][1]) == (plan.pos["Y"][1] < plan.pos["X"][1])


def test_layout_refuses_unknown_nodes_and_loops() -> None:
    with pytest.raises(ValueError, match="unknown node"):
        layered.layout(["A"], [("A", "B")])
    with pytest.raises(ValueError, match="loop"):
        layered.layout(["A"], [("A", "A")])


def test_gist_is_a_few_words_on_two_lines() -> None:
    text = "The longer the West delays a dialogue, the higher the chance of another conflict."
    short = views.gist(text, 20, 2, lead="C1")
    lines = short.split("\n")
    assert len(lines) == 2
    assert len("C1 " + lines[0]) <= 20
    assert len(lines[1]) <= 20
    assert short.endswith("\u2026")
    assert views.gist("Short.", 20, 2) == "Short."
