"""The brief's argument section: claims with what they support, tables without empty columns,
the argument map (thesis, every link, no edge through a node) and the PDF's outline."""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections import Counter
from itertools import pairwise
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from briefkit import layered, views
from briefkit.artifacts import Artifacts
from briefkit.errors import RenderFailed
from briefkit.frames import Frames
from briefkit.reading.seed import load_seed
from briefkit.render.pandoc import PandocEngine
from briefkit.render.quarto import QuartoEngine

from .pdf import pdf_text
from .test_render_quarto import fake_quarto, make_job

__all__ = ["fake_quarto"]  # a fixture, used by name

Point = tuple[float, float]


@pytest.fixture(scope="module")
def second(second_built: Path) -> Path:
    """The made-up second seed, built once for the session (conftest.second_built)."""
    return second_built


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


# --- the argument map -----------------------------------------------------------------------


def map_spec(build: Path) -> dict[str, Any]:
    return json.loads((build / "figures" / "argument-map.json").read_text(encoding="utf-8"))


def to_pixels(layout: dict[str, Any]) -> Any:
    """A function from data coordinates to pixels on the drawn figure."""
    margin = layout["margin"]
    width = layout["width"] - margin["l"] - margin["r"]
    height = layout["height"] - margin["t"] - margin["b"]
    (x0, x1), (y0, y1) = layout["xaxis"]["range"], layout["yaxis"]["range"]

    def convert(x: float, y: float) -> tuple[float, float]:
        return (x - x0) / (x1 - x0) * width, (y - y0) / (y1 - y0) * height

    return convert


def drawn_map(build: Path) -> tuple[dict[str, tuple[float, float, float]], list[Any]]:
    """The map's nodes (id -> pixel x, y, marker radius) and its edges as (relation, polyline
    of pixel points) read from the figure."""
    fig = map_spec(build)["figure"]
    px = to_pixels(fig["layout"])
    nodes: dict[str, tuple[float, float, float]] = {}
    edges = []
    for trace in fig["data"]:
        if trace.get("mode") == "markers+text":
            for node, x, y in zip(trace["ids"], trace["x"], trace["y"], strict=True):
                nodes[node] = (*px(x, y), trace["marker"]["size"] / 2)
        elif trace.get("mode") == "lines":
            relation = trace["name"].removesuffix("s")
            line: list[tuple[float, float]] = []
            for x, y in zip(trace["x"], trace["y"], strict=True):
                if x is None:
                    edges.append((relation, line))
                    line = []
                else:
                    line.append(px(x, y))
            assert not line, "every edge ends with a gap"
    return nodes, edges


def nearest(nodes: dict[str, tuple[float, float, float]], point: tuple[float, float]) -> str:
    return min(nodes, key=lambda n: math.dist(nodes[n][:2], point))


def edge_links(build: Path) -> Counter[tuple[str, str, str]]:
    """The (source, target, relation) each drawn edge joins: it starts at its source's centre
    and ends at the edge of its target's marker (where its arrow is)."""
    nodes, edges = drawn_map(build)
    found: Counter[tuple[str, str, str]] = Counter()
    for relation, line in edges:
        source, target = nearest(nodes, line[0]), nearest(nodes, line[-1])
        assert math.dist(nodes[source][:2], line[0]) < 0.5
        # The end is just outside the target's marker, where the arrow is drawn.
        assert math.dist(nodes[target][:2], line[-1]) < 3 * nodes[target][2]
        found[(source, target, relation)] += 1
    return found


@pytest.mark.build
@pytest.mark.parametrize("which", ["first", "second"])
def test_argument_map_draws_the_thesis_and_exactly_the_readings_links(
    which: str, built: Path, second: Path
) -> None:
    build = built if which == "first" else second
    frames = frames_of(build)
    nodes, _ = drawn_map(build)
    assert frames.reading.thesis.id in nodes
    links = frames.links
    expected = Counter(zip(links.source, links.target, links.relation.astype(str), strict=True))
    assert edge_links(build) == expected
    # Every claim, evidence item and objection is drawn, and every proposal a link touches.
    for group in ("claims", "evidence", "objections"):
        assert set(getattr(frames, group).index) <= set(nodes)
    assert set(links.target) | set(links.source) <= set(nodes)


@pytest.mark.build
@pytest.mark.parametrize("which", ["first", "second"])
def test_argument_map_alt_text_counts_what_is_drawn(which: str, built: Path, second: Path) -> None:
    build = built if which == "first" else second
    alt = map_spec(build)["alt"]
    nodes, edges = drawn_map(build)
    assert f"Argument map of {len(nodes)} item" in alt
    assert f"; {len(edges)} link" in alt
    count = Counter(relation for relation, _ in edges)
    for relation in ("support", "attack", "undercut"):
        assert re.search(rf"\b{count[relation]} {relation}s?\b", alt), (relation, alt)


@pytest.mark.build
@pytest.mark.parametrize("which", ["first", "second"])
def test_no_edge_of_the_argument_map_runs_through_a_node(
    which: str, built: Path, second: Path
) -> None:
    build = built if which == "first" else second
    nodes, edges = drawn_map(build)
    for relation, line in edges:
        ends = {nearest(nodes, line[0]), nearest(nodes, line[-1])}
        for a, b in pairwise(line):
            for node, (x, y, radius) in nodes.items():
                if node not in ends:
                    gap = segment_distance((x, y), a, b)
                    assert gap > radius, f"{relation} edge {ends} passes {node} ({gap:.1f} px)"
    # Nor do two nodes overlap.
    for a, (xa, ya, ra) in nodes.items():
        for b, (xb, yb, rb) in nodes.items():
            assert a == b or math.dist((xa, ya), (xb, yb)) > ra + rb


def segment_distance(p: Point, a: Point, b: Point) -> float:
    """The distance from ``p`` to the segment from ``a`` to ``b``."""
    (px, py), (ax, ay), (bx, by) = p, a, b
    dx, dy = bx - ax, by - ay
    length = dx * dx + dy * dy
    t = 0.0 if length == 0 else max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / length))
    return math.dist(p, (ax + t * dx, ay + t * dy))


def test_segment_distance() -> None:
    assert segment_distance((0, 1), (-1, 0), (1, 0)) == 1
    assert segment_distance((3, 0), (-1, 0), (1, 0)) == 2
    assert segment_distance((0, 0), (0, 0), (0, 0)) == 0


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


def test_label_lines_are_a_few_words_on_two_lines_after_a_lead() -> None:
    text = "The longer the West delays a dialogue, the higher the chance of another conflict."
    short = views.label_lines(text, 20, 2, lead="C1")
    lines = short.split("\n")
    assert len(lines) == 2
    assert len("C1 " + lines[0]) <= 20
    assert len(lines[1]) <= 20
    assert short.endswith("\u2026")
    assert views.label_lines("Short.", 20, 2) == "Short"
    # Long words that leave lines half empty still make no third line.
    words = "Incomprehensibilities notwithstanding, counterrevolutionaries internationalised"
    assert len(views.label_lines(words, 20, 2).split("\n")) <= 2


# --- the PDF's outline, and what each format shows ----------------------------------------------


@pytest.mark.build
def test_pdf_shows_the_argument_as_an_outline_and_html_the_map(built: Path) -> None:
    frames = frames_of(built)
    text = re.sub(r"\s+", " ", pdf_text(built / "brief.pdf"))
    assert "The argument as an outline" in text
    thesis = " ".join(frames.reading.thesis.text.split())
    assert f"Thesis. {thesis}" in text
    for source in frames.links.source[frames.links.target == frames.reading.thesis.id]:
        assert re.search(rf"\b{source} (\([^)]*\) )?(supports|attacks|undercuts) it\.", text)
    # Every objection's answer is in the outline.
    for answer in frames.objections.answer.dropna():
        assert " ".join(answer.split())[:60] in text
    # The map is the HTML's: its caption is not in the PDF.
    caption = map_spec(built)["caption"]
    assert caption[:40] not in text
    page = (built / "brief.html").read_text(encoding="utf-8")
    assert 'id="fig-argument-map"' in page
    # In HTML the outline is folded under the map, without the PDF's heading and introduction.
    assert '<details class="bk-outline">' in page
    assert "The thesis and each proposal, and under each item" not in page
    assert "The thesis and each proposal, and under each item" in text


CONDITIONAL = """\
# Brief

::: {.content-visible when-format="typst"}
Only in print.
:::

::: {.content-hidden when-format="typst"}
Not in print.
:::

::: {.content-visible when-format="html"}
Only on screen.
:::

::: {.content-visible unless-format="html"}
Not on screen.
:::
"""


@pytest.mark.parametrize("engine", ["pandoc", "quarto"])
def test_conditional_blocks_show_in_their_formats_under_both_engines(
    engine: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if engine == "quarto":
        request.getfixturevalue("fake_quarto")
    job = make_job(tmp_path, qmd=CONDITIONAL)
    outputs = (QuartoEngine() if engine == "quarto" else PandocEngine()).render(job)
    page = outputs["html"].read_text(encoding="utf-8")
    text = pdf_text(outputs["pdf"])
    shown = {
        "html": ("Only on screen.", "Not in print."),
        "pdf": ("Only in print.", "Not on screen."),
    }
    for fmt, content in (("html", page), ("pdf", text)):
        for fmt_shown, says in shown.items():
            for line in says:
                assert (line in content) == (fmt == fmt_shown), (engine, fmt, line)


def test_a_condition_the_embedded_engine_cannot_judge_is_an_error(tmp_path: Path) -> None:
    qmd = '# Brief\n\n::: {.content-visible when-profile="print"}\nText.\n:::\n'
    with pytest.raises(RenderFailed, match="when-profile is not supported"):
        PandocEngine().render(make_job(tmp_path, ("html",), qmd=qmd))
