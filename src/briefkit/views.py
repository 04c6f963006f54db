"""What the notebooks share: their setup, the brief's colours, and views of the reading's frames.

The notebooks import these instead of repeating them, so that a colour or a rule is changed in
one place. Data only (frames, strings, numbers): markup is never made here, and plotly is not
imported (a notebook imports it where it draws).
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd

from briefkit import present
from briefkit.artifacts import Artifacts
from briefkit.frames import Frames
from briefkit.reading.model import Proposal, Reading
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
    """What every notebook starts from: the seed, its reading, its frames, its artifacts' writer."""

    seed: Seed
    reading: Reading
    frames: Frames
    out: Artifacts


def setup(root: str | Path, seed: str, build_dir: str | Path) -> Setup:
    """Load and check ``seed`` under ``root``; artifacts go to ``build_dir``.

    In a preview's kernel, the seed the preview has just validated is taken instead, when its
    files are unchanged (briefkit.kernels.shared_seed).
    """
    from briefkit.kernels import shared_seed

    loaded = shared_seed(Path(root), seed) or load_seed(Path(root), seed)
    return Setup(loaded, loaded.reading, Frames(loaded), Artifacts(build_dir))


def basis(status: pd.Series) -> pd.Series:
    """Statuses (stated, implied, inferred) as the brief labels them."""
    return status.cat.rename_categories(present.STATUS_LABELS)


def capitalised(values: pd.Series) -> pd.Series:
    """A categorical column with its categories capitalised (``past`` -> ``Past``)."""
    return values.cat.rename_categories(str.capitalize)


def reversible(values: pd.Series) -> pd.Series:
    """Reversibility (True, False, missing) as the brief labels it."""
    labels = [present.reversible_label(None if pd.isna(v) else bool(v)) for v in values]
    return pd.Series(labels, index=values.index, dtype="string", name=values.name)


def phases(measures: pd.DataFrame) -> pd.Series:
    """Measures' phases as text, marked with their basis when the order is not stated."""
    text = measures.phase.astype("string")
    basis = measures.phase_status.astype("string")
    return text.where(basis == "stated", text + " (" + basis + ")")


def marked(links: pd.DataFrame) -> pd.DataFrame:
    """Links (with ``condition`` and ``status``) whose condition id is marked with its basis
    unless stated: ``K1``, ``K2 (inferred)``."""
    basis = links.status.astype("string")
    condition = links.condition.where(basis == "stated", links.condition + " (" + basis + ")")
    return links.assign(condition=condition)


def condition_ids(proposal: Proposal) -> list[str]:
    """The ids of a proposal's conditions, each marked with its basis unless stated."""
    marked = []
    for link in proposal.conditions:
        known = link.basis(proposal.status)
        marked.append(link.id if known == "stated" else f"{link.id} ({known})")
    return marked


def condition_phrase(proposal: Proposal) -> str:
    """What a proposal is conditional on, in a few words: "if K1, K2", "unconditional", ..."""
    ids = ", ".join(condition_ids(proposal))
    if proposal.conditional is True:
        return f"if {ids}"
    if proposal.conditional is False:
        return "unconditional"
    return "no condition stated" + (f"; by the analyst's analogy, {ids}" if ids else "")


def conditions_cell(proposal: Proposal) -> str:
    """A proposal's conditions for a table cell."""
    ids = ", ".join(condition_ids(proposal))
    if proposal.conditional is True:
        return ids
    if proposal.conditional is False:
        return "Unconditional"
    return "None stated" + (f" (by analogy: {ids})" if ids else "")


def stance_targets(frames: Frames) -> list[str]:
    """The ids any actor takes a stance on, in reading order (others, such as the thesis, last,
    by id)."""
    items = frames.items.index[frames.items.group != "thesis"]
    order = {item: n for n, item in enumerate(items)}
    found = set(frames.stances.on)
    return sorted(found, key=lambda t: (order.get(t, len(order)), t))


def joined(
    relation: pd.DataFrame, key: str, value: str, index: pd.Index, join: Any = present.join_ids
) -> pd.Series:
    """The ``value``s of a long ``relation`` frame joined into one text per ``key``, for each
    entry of ``index`` in its order (``join([])`` where it has none)."""
    texts = relation.groupby(key, sort=False)[value].agg(lambda values: join(list(values)))
    empty = join([])
    return pd.Series([texts.get(k, empty) for k in index], index=index, dtype="string", name=value)


def gist(text: str, width: int = 20, lines: int = 2, lead: str = "") -> str:
    """The first words of ``text`` on at most ``lines`` lines of ``width`` characters (newlines
    between them), with an ellipsis when cut; the first line leaves room for ``lead``."""
    indent = " " * (len(lead) + 1) if lead else ""
    wrapped = textwrap.wrap(" ".join(text.split()), width, initial_indent=indent)
    if wrapped and indent:
        wrapped[0] = wrapped[0][len(indent) :]
    if len(wrapped) <= lines:
        return "\n".join(wrapped)
    kept = wrapped[:lines]
    last = kept[-1].rstrip(" ,;:.")
    while len(last) + 1 > width and " " in last:
        last = last.rsplit(" ", 1)[0].rstrip(" ,;:.")
    kept[-1] = last + "\u2026"
    return "\n".join(kept)


def in_words(parts: Sequence[str]) -> str:
    """Parts as a phrase: "a", "a and b", "a, b and c"."""
    if len(parts) < 2:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


#: What a cell holds when it has nothing to say: missing, blank, or the em dash of an empty list.
EMPTY_CELLS = frozenset({"", present.join_ids([])})


def empty_columns(frame: pd.DataFrame) -> list[str]:
    """The columns of ``frame`` (not its index) that have nothing in any row, in order; none when
    it has no rows (an empty table keeps its headings)."""
    if frame.empty:
        return []
    empty = []
    for key in frame.columns:
        values = frame[key]
        blank = values.isna() | values.astype("string").str.strip().isin(EMPTY_CELLS)
        if bool(blank.all()):
            empty.append(str(key))
    return empty


#: How much of a cell a notebook shows (the written table keeps it whole).
SHOW_WIDTH = 70


def show(frame: pd.DataFrame, labels: Mapping[str, str] | None = None) -> None:
    """Display ``frame`` in the notebook, compactly: headed by ``labels``, long text cut short.

    pandas' HTML display escapes cell text, so text from a seed shows as written.
    """
    from IPython.display import display

    options = ("display.max_colwidth", SHOW_WIDTH, "display.max_rows", 500,
               "display.max_columns", 50, "display.html.border", 0)  # fmt: skip
    labels = dict(labels or {})
    view = frame.rename(columns=labels)
    name = frame.index.name
    if isinstance(name, str) and name in labels:
        view = view.rename_axis(index=labels[name])
    with pd.option_context(*options):
        display(view)  # type: ignore[no-untyped-call]


def table(
    out: Artifacts,
    name: str,
    frame: pd.DataFrame,
    *,
    caption: str,
    labels: Mapping[str, str] | None = None,
    widths: Sequence[float] | None = None,
) -> None:
    """Write ``frame`` as the table ``name`` (Artifacts.table) and show it in the notebook.

    A column with nothing in any row (empty or an em dash) is not printed: its width goes to
    the others. The CSV (and the notebook's display) keep it, so that a table's data has the
    same columns for every seed.
    """
    hidden = empty_columns(frame)
    out.table(name, frame, caption=caption, labels=labels, widths=widths, hidden=hidden)
    show(frame, labels)
