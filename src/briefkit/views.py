"""What the notebooks share: their setup, the brief's colours, and views of the reading.

The notebooks import these instead of repeating them, so that a colour or a rule is changed in
one place. Values only (strings, ids, numbers): markup is never made here, and plotly is not
imported (a notebook imports it where it draws).
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from briefkit.artifacts import Artifacts
from briefkit.export import Edge, edges
from briefkit.reading.model import Actor, Reading, Stance
from briefkit.reading.seed import Seed, load_seed

#: The brief's colours. briefing/brief.css and briefing/brief-typst.typ cannot import them:
#: tests/test_views.py checks that the colours they repeat are these.
PALETTE = {
    "navy": "#1f3b57",
    "green": "#2a7f62",
    "red": "#b23a48",
    "amber": "#c98a1b",
    "grey": "#8a96a3",
    # Table heads in the HTML; the empty cells of a matrix.
    "pale": "#eef2f5",
}
NAVY = PALETTE["navy"]
GREEN = PALETTE["green"]
RED = PALETTE["red"]
AMBER = PALETTE["amber"]
GREY = PALETTE["grey"]
PALE = PALETTE["pale"]

#: A stance as a number for heatmaps: support high, opposition low.
STANCE_SCORE = {"supports": 2, "mixed": 0.5, "neutral": 0, "wary": -1, "opposes": -2}
#: Heatmap colours over STANCE_SCORE (-2 .. 2): red through a neutral grey to green.
STANCE_SCALE = [[0, RED], [0.25, "#e8b4bc"], [0.5, "#f4f4f4"], [0.75, "#a8d5c2"], [1, GREEN]]
#: Heatmap colours of a requirement: none (0), implied or inferred (1), stated (2). The two
#: with a white label are dark enough for it (contrast >= 4.5:1, WCAG AA).
REQUIREMENT_SCALE = [[0, PALE], [0.5, "#4a6a8c"], [1, NAVY]]


class Setup(NamedTuple):
    """What every notebook starts from: the seed, its reading, and its artifacts' writer."""

    seed: Seed
    reading: Reading
    out: Artifacts


def setup(root: str | Path, seed: str, build_dir: str | Path) -> Setup:
    """Load and check ``seed`` under ``root``; artifacts go to ``build_dir``."""
    loaded = load_seed(Path(root), seed)
    return Setup(loaded, loaded.reading, Artifacts(build_dir))


def unlocks(reading: Reading, condition: str) -> list[str]:
    """What a condition unlocks: the measures that require it, then the proposals it conditions."""
    return [m.id for m in reading.measures if condition in m.requires] + [
        p.id for p in reading.proposals if condition in p.conditions
    ]


def links(reading: Reading) -> list[Edge]:
    """Supports, attacks and undercuts between the reading's items, in reading order.

    The author's answers to objections (``<id>.answer``) are statements of the exported argument,
    not items: they are left out here.
    """
    return [e for e in edges(reading) if not e.source.endswith(".answer")]


def stance_on(actor: Actor, target: str) -> Stance | None:
    """The actor's (first) stance on the item ``target``, or None if the article gives none."""
    return next((st for st in actor.stances if st.on == target), None)


def stance_targets(reading: Reading) -> list[str]:
    """The ids any actor takes a stance on, in reading order (unknown ids last, by id)."""
    order = {item.id: n for n, item in enumerate(reading.items())}
    found = {st.on for actor in reading.actors for st in actor.stances}
    return sorted(found, key=lambda t: (order.get(t, len(order)), t))
