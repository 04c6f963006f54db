"""What the notebooks share: their setup, the brief's colours, and views of the reading's frames.

The notebooks import these instead of repeating them, so that a colour or a rule is changed in
one place. Data only (frames, strings, numbers): markup is never made here, and plotly is not
imported (a notebook imports it where it draws).
"""

from __future__ import annotations

import re
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


#: How a condition matrix marks a requirement, by how the article knows it. All three are in the
#: PDF's font (Libertinus Serif, which typst bundles) and in the usual system fonts.
STATUS_SYMBOLS = {"stated": "\u25cf", "implied": "\u25d0", "inferred": "\u25cb"}


def basis_symbols() -> dict[str, str]:
    """A matrix cell's text (a requirement's basis, as the brief labels it) -> its symbol."""
    return {present.STATUS_LABELS[s]: symbol for s, symbol in STATUS_SYMBOLS.items()}


def symbol_legend() -> str:
    """The matrices' legend in words: "● stated, ◐ implied, ○ analyst's inference"."""
    return ", ".join(f"{symbol} {label.lower()}" for label, symbol in basis_symbols().items())


def lanes(frames: Frames) -> list[str]:
    """The tracks that have measures, in the order the reading declares them."""
    used = set(frames.measures.track.astype("string"))
    return [track for track in frames.measures.track.cat.categories if track in used]


def condition_matrix(frames: Frames, track: str) -> pd.DataFrame:
    """The measures of ``track`` (rows, by phase) by the conditions they require (columns, in
    reading order): each cell the requirement's basis as the brief labels it, missing where the
    measure does not require the condition. A ``reversible`` column only when the article says
    of at least one of these measures whether it can be reversed."""
    m = frames.measures
    rows = m[m.track == track].sort_values(["phase", "id"])
    required = frames.requires[frames.requires.measure.isin(rows.index)]
    cells = required.assign(cell=basis(required.status).astype("string"))
    matrix = cells.pivot_table(index="measure", columns="condition", values="cell", aggfunc="first")
    used = [k for k in frames.conditions.index if k in matrix.columns]
    table = pd.concat(
        [rows.text, phases(rows).rename("phase"), matrix.reindex(index=rows.index, columns=used)],
        axis=1,
    )
    if rows.reversible.notna().any():
        table["reversible"] = reversible(rows.reversible)
    return table.rename_axis("id")


def sequence_layout(frames: Frames) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Where the sequencing view draws each measure and each gate (one per requirement).

    Measures (index: id): ``lane`` (the track's row, 0 at the top), ``x`` (its phase), ``y``
    (measures of one track and phase side by side in its lane). Gates, one row per measure and
    condition it requires: ``measure``, ``condition``, ``status``, ``x`` (just before the
    measure, in the measure's order of conditions), ``y`` (the measure's).
    """
    m = frames.measures
    order = {track: n for n, track in enumerate(lanes(frames))}
    lane = m.track.astype("string").map(order).astype(int)
    y = pd.Series(0.0, index=m.index)
    for _, group in m.assign(lane=lane).groupby(["lane", "phase"]):
        # Several measures in one track and phase: spread them across the lane's height.
        k = len(group)
        spread = min(0.6, 0.3 * (k - 1))
        for j, measure in enumerate(group.sort_values("id").index):
            y[measure] = group.lane.iloc[0] + (j * spread / (k - 1) - spread / 2 if k > 1 else 0)
    measures = pd.DataFrame({"lane": lane, "x": m.phase.astype(float), "y": y}, index=m.index)
    gates = frames.requires.copy()
    count = gates.groupby("measure", sort=False).condition.transform("size")
    nth = gates.groupby("measure", sort=False).cumcount()
    # Gates a little apart on a wide axis (many phases), all within half a phase of the measure.
    spaced = 0.12 * max(1.0, (m.phase.nunique() + 1) / 3)
    gap = min(spaced, 0.5 / max(int(count.max()) if len(count) else 1, 1))
    at = measures.loc[gates.measure]
    gates = gates.assign(
        x=at.x.to_numpy() - 0.15 - (count - nth).to_numpy() * gap,
        # Raised a little, so that the measure's label beneath it stays clear of the gates.
        y=at.y.to_numpy() - 0.12,
    )
    return measures, gates


def sequence_gaps(frames: Frames, reading: Reading) -> list[str | dict[str, str]]:
    """What the sequence leaves open, said once: measures whose reversibility the article does
    not state, and the assessment's gaps about these measures or their conditions."""
    m = frames.measures
    gaps: list[str | dict[str, str]] = []
    unknown = m.index[m.reversible.isna()].tolist()
    if unknown:
        which = (
            f"any of the {len(m)} measures"
            if len(unknown) == len(m) and len(m) > 1
            else present.join_ids(unknown)
        )
        text = f"The article does not say whether {which} can be reversed."
        gaps.append({"lead": "Reversibility.", "text": text})
    shown = set(m.index) | set(frames.requires.condition)
    notes = reading.assessment.gaps if reading.assessment else []
    for note in notes:
        if shown & set(note.about):
            gaps.append({"lead": f"The analyst's gap {note.id}.", "text": note.text})
    if not gaps and len(m):
        gaps.append(
            "None that the reading records: the article says of every measure whether it "
            "can be reversed."
        )
    return gaps


def stance_targets(frames: Frames) -> list[str]:
    """The ids any actor takes a stance on, in reading order (others, such as the thesis, last,
    by id)."""
    items = frames.items.index[frames.items.group != "thesis"]
    order = {item: n for n, item in enumerate(items)}
    found = set(frames.stances.on)
    return sorted(found, key=lambda t: (order.get(t, len(order)), t))


def short_text(text: str, width: int = 48) -> str:
    """A label of about ``width`` characters: ``text`` without its asides in parentheses and its
    final full stop, cut at a word with an ellipsis when longer."""
    bare = " ".join(re.sub(r"\s*\([^()]*\)", "", text).split()) or " ".join(text.split())
    bare = bare.rstrip(".") or bare
    if len(bare) <= width:
        return bare
    cut = bare[: width - 1]
    cut = cut[: cut.rfind(" ")] if " " in cut else cut
    return cut.rstrip(" ,;:\u2013\u2014-") + "\u2026"


def label_lines(text: str, width: int = 32, lines: int = 2, lead: str = "") -> str:
    """A short label of ``text`` (short_text) on at most ``lines`` lines of about ``width``
    characters, joined by newlines (a figure draws each as a line); the first line leaves room
    for ``lead`` and a space (drawn before it, e.g. an id in bold)."""
    indent = " " * (len(lead) + 1) if lead else ""
    budget = width * lines - 2 - len(indent)
    while True:
        wrapped = textwrap.wrap(short_text(text, budget), width, initial_indent=indent)
        # Words that do not fill their lines can need one more: cut shorter until they fit.
        if len(wrapped) <= lines or budget <= width // 2:
            break
        budget -= 4
    if wrapped and indent:
        wrapped[0] = wrapped[0][len(indent) :]
    return "\n".join(wrapped[:lines] or [""])


def item_words(frames: Frames, item: str, width: int = 56) -> str:
    """An item named in words for a table cell: ``P0: Involve …``, ``The thesis: …``."""
    if item not in frames.items.index:
        return item
    text = short_text(str(frames.items.text[item]), width)
    lead = "The thesis" if frames.items.group[item] == "thesis" else item
    return f"{lead}: {text}"


def drop_empty(frame: pd.DataFrame, keep: Sequence[str] = ()) -> pd.DataFrame:
    """``frame`` without the columns (other than ``keep``) and rows that are entirely empty
    (missing or blank text)."""
    text = frame.astype("string").fillna("")
    blank = text.apply(lambda column: column.str.strip().eq(""))
    columns = [c for c in frame.columns if c in keep or not blank[c].all()]
    kept: pd.DataFrame = frame.loc[~blank[columns].all(axis=1), columns]
    return kept


def fitted(
    frame: pd.DataFrame, labels: Mapping[str, str], shares: Mapping[str, float]
) -> tuple[dict[str, str], list[float]]:
    """The labels and widths (summing to 1) of ``frame``'s columns, from the ``labels`` and
    relative ``shares`` of every column it may have (drop_empty may have left some out)."""
    widths = [shares[c] for c in frame.columns]
    named = {c: labels[c] for c in frame.columns if c in labels}
    return named, [w / sum(widths) for w in widths]


def actor_stances(frames: Frames) -> pd.DataFrame:
    """Actors in reading order, one row per stance (an actor with none: one row): name, role,
    stance, what it is on (in words, with what the article says of it), its basis, and the
    objections the actor holds. Columns that no actor fills are left out."""
    actors = frames.actors
    held = joined(frames.held_by, "actor", "objection", actors.index, ", ".join)
    st = frames.stances
    on = pd.Series([item_words(frames, i) for i in st.on], index=st.index, dtype="string")
    on = on.where(st.text.isna(), on + " \u2014 " + st.text)
    said = pd.DataFrame(
        {
            "id": st.actor,
            "stance": st.stance.astype("string").str.capitalize(),
            "on": on,
            "basis": basis(st.status).astype("string"),
        }
    )
    rows = pd.DataFrame(
        {"id": actors.index, "actor": actors.name, "role": actors.role, "objections": held}
    ).reset_index(drop=True)
    table = rows.merge(said, on="id", how="left", sort=False)
    order = ["id", "actor", "role", "stance", "on", "basis", "objections"]
    return drop_empty(table[order].astype("string"), keep=["id", "actor"])


#: A past event is a precedent, outside the period the article argues about, when the article
#: cites it as a precedent (the reading's evidence of kind ``precedent`` quotes it) or when it
#: ended more than this many years before the article's date.
PRECEDENT_YEARS = 20


def date_of(text: str | None) -> present.DateSpan | None:
    """A date written YYYY, YYYY-MM or YYYY-MM-DD as its span; None for anything else."""
    if text is None or not re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", text.strip()):
        return None
    digits = text.strip().count("-")
    try:
        return present.date_span(text.strip(), ("year", "month", "day")[digits])
    except ValueError:
        return None


def precedents(frames: Frames, article: present.DateSpan | None) -> pd.DataFrame:
    """For each event (the index of ``frames.events``): whether it is a precedent and the ids
    of the precedent evidence that quotes it (``cited_by``, missing if none)."""
    events = frames.events
    quotes = frames.quotes
    kinds = frames.evidence.kind
    cited = quotes[quotes.item.isin(kinds.index[kinds == "precedent"])]
    cited_by: dict[str, list[str]] = {}
    for q in quotes[quotes.item.isin(events.index)].itertuples():
        # Its quote lies within a quote of the precedent: the article cites it as one.
        inside = cited[(cited.start <= q.start) & (cited.end >= q.end)].item
        for evidence in inside:
            found = cited_by.setdefault(str(q.item), [])
            if evidence not in found:
                found.append(str(evidence))
    reference: Any = pd.NaT
    if article is not None:
        reference = pd.Timestamp(article.start)
    else:
        ahead = events.interval.array.left[events.when.to_numpy() != "past"]
        starts = events.interval.array.right if len(ahead) == 0 else ahead
        if len(starts):
            reference = starts.max()
    old = events.interval.array.right < reference - pd.DateOffset(years=PRECEDENT_YEARS)
    past = (events.when == "past").to_numpy()
    by = pd.Series([", ".join(cited_by.get(i, [])) or None for i in events.index],
                   index=events.index, dtype="string")  # fmt: skip
    flag = past & (by.notna().to_numpy() | old)
    return pd.DataFrame({"precedent": flag, "cited_by": by}, index=events.index)


def event_kinds(events: pd.DataFrame, brief_date: str) -> pd.Series:
    """Events' kinds as the brief labels them (``Past``, ``Planned``, ``Predicted``), with a
    planned or predicted event whose every possible day is before ``brief_date`` (YYYY-MM-DD)
    marked ``date passed``."""
    kind = capitalised(events.when).astype("string")
    passed = (events.when != "past").to_numpy() & (
        events.interval.array.right < pd.Timestamp(brief_date)
    )
    return kind.where(~passed, kind + ", date passed")


def long_date(day: str) -> str:
    """A YYYY-MM-DD date as the brief writes it: ``24 November 2025``."""
    return present.date_span(day, "day").label


def joined(
    relation: pd.DataFrame, key: str, value: str, index: pd.Index, join: Any = present.join_ids
) -> pd.Series:
    """The ``value``s of a long ``relation`` frame joined into one text per ``key``, for each
    entry of ``index`` in its order (``join([])`` where it has none)."""
    texts = relation.groupby(key, sort=False)[value].agg(lambda values: join(list(values)))
    empty = join([])
    return pd.Series([texts.get(k, empty) for k in index], index=index, dtype="string", name=value)


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
    symbols: Mapping[str, str] | None = None,
) -> None:
    """Write ``frame`` as the table ``name`` (Artifacts.table) and show it in the notebook.

    A column with nothing in any row (empty or an em dash) is not printed: its width goes to
    the others. The CSV (and the notebook's display) keep it, so that a table's data has the
    same columns for every seed.
    """
    hidden = empty_columns(frame)
    out.table(
        name, frame, caption=caption, labels=labels, widths=widths, hidden=hidden, symbols=symbols
    )
    show(frame, labels)
