"""What the notebooks share: their setup, the brief's colours, and views of the reading's frames.

The notebooks import these instead of repeating them, so that a colour or a rule is changed in
one place. Data only (frames, strings, numbers): markup is never made here, and plotly is not
imported (a notebook imports it where it draws).
"""

from __future__ import annotations

import datetime as dt
import gc
import os
import re
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd

from briefkit import present
from briefkit.artifacts import ARTIFACT_LOG_ENV, Artifacts
from briefkit.frames import Frames
from briefkit.reading import reads
from briefkit.reading.model import Event, Proposal, Reading
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
    # From here on, what the notebook reads of the reading decides when it runs again.
    reads.start()
    if os.environ.get(ARTIFACT_LOG_ENV):
        # A build's kernel runs this one notebook and is killed: what is loaded by now lives as
        # long as it. Out of the garbage collector's sight (gc.freeze), a full collection walks
        # only what the notebook makes; one over all of it cost a notebook 0.1 s. Not in an
        # analyst's own session, where cells run again and their garbage must be collected.
        gc.freeze()
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


# --- page 1 and the signposts: the reading in words, without bare ids ---------------------------

#: A list entry of a text (briefkit.artifacts.ENTRY_KEYS): a string or {lead, text, items}.
Entry = str | dict[str, Any]

#: How firmly something is known, weakest last: a chain of links is as firm as its weakest.
STATUS_ORDER = ("stated", "implied", "inferred")
#: A basis in running text: "(implied)", "(the analyst's inference)".
BASIS_WORDS = {"stated": "stated", "implied": "implied", "inferred": "the analyst's inference"}
#: Page 1's words when a reading has no assessment (it is optional).
NO_ASSESSMENT = (
    "Not recorded: the reading has no assessment of its own, so this brief sets out the "
    "author's argument without judging it."
)
#: The assessment box's words then.
NO_ASSESSMENT_BOX = (
    "The reading records no judgements, gaps, implications or options of the analyst's."
)


def weakest(statuses: Iterable[str]) -> str:
    """The weakest of some bases: stated < implied < inferred."""
    return max(statuses, key=STATUS_ORDER.index, default="stated")


def reading_ids(reading: Reading) -> set[str]:
    """Every id the reading's texts may refer to: items, actors, the thesis, the assessment's."""
    ids = {reading.thesis.id, *(item.id for item in reading.items())}
    ids |= {actor.id for actor in reading.actors}
    if reading.assessment is not None:
        ids |= {entry.id for _, _, entry in reading.assessment.entries()}
    return ids


def without_ids(text: str, ids: Iterable[str]) -> str:
    """``text`` without its references to items by id, for a reader who cannot follow them.

    A parenthesis of nothing but ids (and perhaps their basis) goes ("the conditions (K1, K2)
    are" -> "the conditions are"); ids opening a parenthesis go ("(C13, on alignment)" ->
    "(on alignment)"). An id that is a word of the sentence ("treating E1 as ...") stays.
    """
    known = sorted(set(ids), key=len, reverse=True)
    if not known:
        return text
    one = "(?:" + "|".join(re.escape(i) for i in known) + ")"
    refs = rf"(?<![\w-]){one}(?:(?:\s*,\s*|\s+and\s+|\s*[-\u2013]\s*){one})*(?![\w-])"
    text = re.sub(rf"\s*\(\s*{refs}(?:\s+(?:stated|implied|inferred))?\s*\)", "", text)
    return re.sub(rf"\(\s*{refs}\s*,?\s+", "(", text)


def first_clause(text: str, limit: int = 100) -> str:
    """A long item text cut to its first clause (before ": ", "; " or a dash); no final stop."""
    text = text.strip()
    if len(text) > limit:
        cuts = [text.find(mark) for mark in (": ", "; ", " \u2014 ")]
        cut = min((c for c in cuts if c > 20), default=-1)
        if cut > 0:
            text = text[:cut]
    return text.rstrip(".")


def _sentence_with(text: str, mark: str | None) -> str:
    """``text`` as a sentence, with ``(mark)`` before its final stop when given."""
    text = text.rstrip().rstrip(".")
    if mark and text.endswith(")"):
        # "norms (strict compliance)" -> "norms (strict compliance; implied)", not "...) (implied)".
        return f"{text[:-1]}; {mark})."
    return f"{text} ({mark})." if mark else f"{text}."


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _condition_mark(bases: list[str], total: int) -> str | None:
    """How a package's proposals know one condition: None when all state it."""
    counts = {b: bases.count(b) for b in STATUS_ORDER if b in bases}
    if len(counts) == 1 and len(bases) == total:
        only = next(iter(counts))
        return None if only == "stated" else BASIS_WORDS[only]
    parts = [f"{BASIS_WORDS[b]} for {n}" for b, n in counts.items()]
    return ", ".join(parts) + f" of {_plural(total, 'proposal')}"


def domain_labels(reading: Reading) -> dict[str, str]:
    """The domains of the reading's proposals, id -> label, declared ones first, in order."""
    labels = {d: label for d, label in reading.domains.items()}
    for p in reading.proposals:
        labels.setdefault(p.domain, p.domain)
    used = {p.domain for p in reading.proposals}
    return {d: label for d, label in labels.items() if d in used}


def proposal_packages(reading: Reading) -> list[Entry]:
    """The author's proposals grouped by domain, for page 1: each package's conditions written
    out in words (marked where the article does not state them), its proposals as items."""
    conditions = {c.id: c for c in reading.conditions}
    packages: list[Entry] = []
    for domain, label in domain_labels(reading).items():
        proposals = [p for p in reading.proposals if p.domain == domain]
        bases: dict[str, list[str]] = {}
        for p in proposals:
            for link in p.conditions:
                own = conditions[link.id].status if link.id in conditions else "stated"
                bases.setdefault(link.id, []).append(weakest([link.basis(p.status), own]))
        known = {k: _condition_mark(b, len(proposals)) for k, b in bases.items() if k in conditions}
        marks = set(known.values())
        # One mark shared by every condition is said once, before them.
        shared = marks.pop() if len(known) > 1 and len(marks) == 1 else None
        said = [_sentence_with(conditions[k].text, None if shared else m) for k, m in known.items()]
        if said:
            word = "Condition" if len(said) == 1 else "Conditions"
            text = f"{word}{f' ({shared})' if shared else ''}: " + " ".join(said)
        elif all(p.conditional is False for p in proposals):
            text = "Without conditions."
        else:
            text = "The article attaches no condition."
        items: list[Entry] = []
        for p in proposals:
            note = ""
            if p.conditional is False:
                note = " (without conditions)"
            elif p.conditional == "unstated":
                note = " (no condition stated for it)"
            items.append(first_clause(p.text) + note)
        packages.append(
            {"lead": f"{label}:", "text": f"{_plural(len(proposals), 'proposal')}. {text}",
             "items": items}
        )  # fmt: skip
    return packages


def bottom_line(reading: Reading) -> list[Entry]:
    """What the author argues and what the analyst makes of it (or that it is not recorded)."""
    ids = reading_ids(reading)
    a = reading.assessment
    return [
        {"lead": "What the author argues:", "text": without_ids(reading.thesis.text, ids)},
        {
            "lead": "What the analyst makes of it:",
            "text": without_ids(a.bottom_line, ids) if a is not None else NO_ASSESSMENT,
        },
    ]


def rating(probability: str | None, confidence: str | None) -> str | None:
    """A judgement's probability and confidence in words: "Unlikely, moderate confidence."."""
    parts = [p for p in (probability, f"{confidence} confidence" if confidence else None) if p]
    if not parts:
        return None
    said = ", ".join(parts)
    return said[0].upper() + said[1:] + "."


def assessment_entries(reading: Reading) -> list[Entry]:
    """The analyst's assessment for page 1's box: judgements rated on the declared yardstick,
    gaps, implications (with their audience) and options; parts the reading leaves out are left
    out, and a reading without an assessment says so."""
    a = reading.assessment
    if a is None:
        return [NO_ASSESSMENT_BOX]
    ids = reading_ids(reading)

    def entry(lead: str | None, text: str) -> Entry:
        return {"lead": lead, "text": without_ids(text, ids)} if lead else without_ids(text, ids)

    parts: list[Entry] = [
        {
            "lead": "Judgements",
            "text": f"on the analyst's declared scale, {a.yardstick.name}:",
            "items": [entry(rating(j.probability, j.confidence), j.text) for j in a.judgements],
        }
    ]
    if a.gaps:
        parts.append(
            {"lead": "Gaps", "text": "the article leaves open:",
             "items": [entry(None, g.text) for g in a.gaps]}
        )  # fmt: skip
    if a.implications:
        parts.append(
            {"lead": "Implications,", "text": "by audience:",
             "items": [entry(f"For {i.audience}:", i.text) for i in a.implications]}
        )  # fmt: skip
    if a.options:
        parts.append(
            {"lead": "Options", "text": "for the reader:",
             "items": [entry(None, o.text) for o in a.options]}
        )  # fmt: skip
    return parts


@dataclass(frozen=True)
class Signpost:
    """Something a reader can observe that tests the article: a condition being met, or a
    planned or predicted event, with where it stands at the brief's date."""

    #: Its kind and state in a word or two, the entry's lead: "Due now:", "Condition:".
    tag: str
    #: What to observe, in words.
    what: str
    #: When it is due or what it would open, in a few words (page 1).
    short: str
    #: The same in a sentence or two, and its details (the body's list).
    tests: str
    detail: tuple[str, ...] = ()
    #: "condition", "planned" or "predicted"; for a dated one, its state at the brief's date
    #: ("due", "overdue", "passed").
    kind: str = "condition"
    state: str | None = None
    #: How much it would open (conditions): page 1 shows those that open most.
    weight: int = 0

    def entry(self, full: bool = False) -> Entry:
        """The signpost as a list entry: short for page 1, with its details for the body."""
        what = _sentence_with(self.what, None)
        if not full:
            return {"lead": self.tag, "text": f"{what} {self.short}".strip()}
        entry: dict[str, Any] = {"lead": self.tag, "text": f"{what} {self.tests}"}
        if self.detail:
            entry["items"] = list(self.detail)
        return entry


def due_state(span: present.DateSpan, when: str, brief_date: str) -> str:
    """Where a planned or predicted event stands at the brief's date: "due" while its date can
    still come, then "overdue" (a plan) or "passed" (a prediction)."""
    if dt.date.fromisoformat(brief_date) <= span.end:
        return "due"
    return "overdue" if when == "planned" else "passed"


def _labels(words: Iterable[str]) -> str:
    """Labels in running text: "A", "A and B", "A, B and C"."""
    seen = list(dict.fromkeys(words))
    return seen[0] if len(seen) == 1 else ", ".join(seen[:-1]) + " and " + seen[-1]


def _opens(reading: Reading, condition: str) -> list[str]:
    """What meeting ``condition`` would open, one sentence each, marked by basis unless stated."""
    opens = []
    for p in reading.proposals:
        for link in p.conditions:
            if link.id == condition:
                basis = link.basis(p.status)
                mark = None if basis == "stated" else BASIS_WORDS[basis]
                opens.append(_sentence_with(first_clause(p.text), mark))
    for m in reading.measures:
        for link in m.requires:
            if link.id == condition:
                basis = link.basis(m.status)
                track = reading.tracks.get(m.track, m.track)
                text = f"{track}, phase {m.phase.value}: {first_clause(m.text)}"
                mark = None if basis == "stated" else BASIS_WORDS[basis]
                opens.append(_sentence_with(text, mark))
    return opens


def _event_signpost(seed: Seed, event: Event, brief_date: str, judged: list[str]) -> Signpost:
    """A planned or predicted event as a signpost: when, and whether due at the brief's date."""
    reading = seed.reading
    span = present.date_span(event.date, event.precision)
    state = due_state(span, event.when, brief_date)
    planned = event.when == "planned"
    opened = dt.date.fromisoformat(brief_date) >= span.start
    tag = {"due": "Due now:" if opened else "Due:", "overdue": "Overdue:", "passed": "Passed:"}
    when = f"{'Planned' if planned else 'Predicted'} for {span.label}"
    full = when
    if state == "due" and opened:
        full += f", at the latest by {span.end:%B %Y}"
    elif state != "due":
        full += "; did it take place?" if planned else "; did it come true?"
    tests = "whether the plan is carried out" if planned else "the author's forecast"
    # The claims made in the same sentences as the event are what it bears on.
    claims = {c.id: c for c in reading.claims}
    near = [i for s in seed.coverage().sentences if event.id in s.items for i in s.items]
    detail = [
        f"The claim it bears on: {_sentence_with(first_clause(claims[c].text), None)}"
        for c in dict.fromkeys(near)
        if c in claims
    ]
    detail += [f"The analyst's judgement: {t}" for t in judged]
    return Signpost(
        tag=tag[state],
        what=without_ids(event.text, reading_ids(reading)),
        short=f"{when}.",
        tests=f"{full}. Tests {tests}.",
        detail=tuple(detail),
        kind=event.when,
        state=state,
    )


def signposts(seed: Seed, brief_date: str) -> list[Signpost]:
    """What to watch: every planned or predicted event (what it tests, and whether it is due,
    overdue or passed at the brief's date, YYYY-MM-DD), then every condition (what meeting it
    would open), those that open most first."""
    reading = seed.reading
    ids = reading_ids(reading)
    labels = domain_labels(reading)
    judged: dict[str, list[str]] = {}
    for j in reading.assessment.judgements if reading.assessment is not None else []:
        for item in j.rests_on:
            judged.setdefault(item, []).append(without_ids(j.text, ids))
    dated = [
        _event_signpost(seed, e, brief_date, judged.get(e.id, []))
        for e in reading.events
        if e.when != "past"
    ]
    conditions: list[Signpost] = []
    for k in reading.conditions:
        tied = [p for p in reading.proposals if k.id in p.condition_ids]
        domains = [labels[p.domain] for p in tied]
        tracks = [reading.tracks.get(m.track, m.track) for m in reading.measures
                  if k.id in m.required_ids]  # fmt: skip
        steps = [t for t in dict.fromkeys(tracks) if t not in domains]
        parts = [f"the {_labels(domains)} proposal{'s' if len(tied) > 1 else ''}"] if tied else []
        if steps:
            parts.append(f"the {_labels(steps)} steps")
        opens = _opens(reading, k.id)
        tag = "Condition:" if k.status == "stated" else f"Condition ({BASIS_WORDS[k.status]}):"
        conditions.append(
            Signpost(
                tag=tag,
                what=without_ids(k.text, ids),
                short=f"Would open {', and '.join(parts)}." if parts else "",
                tests=(f"A condition of {' and '.join(parts)}; meeting it would open:" if parts
                       else "The article ties nothing to it."),
                detail=tuple(opens),
                weight=len(opens),
            )
        )  # fmt: skip
    # sorted() is stable: conditions that open as much keep the reading's order.
    return dated + sorted(conditions, key=lambda s: -s.weight)


def watch_summary(found: Sequence[Signpost], limit: int = 5, dated: int = 3) -> list[Signpost]:
    """Page 1's few signposts: at most ``dated`` dated ones (what is overdue or passed first,
    then what is due, in the order found), then the conditions that open most, ``limit`` in all."""
    first = {"overdue": 0, "passed": 0, "due": 1}
    events = sorted((s for s in found if s.state is not None), key=lambda s: first[s.state or ""])
    chosen = events[:dated]
    chosen += [s for s in found if s.state is None][: limit - len(chosen)]
    chosen += events[dated:][: limit - len(chosen)]
    return chosen


def condition_ids(proposal: Proposal) -> list[str]:
    """The ids of a proposal's conditions, each marked with its basis unless stated."""
    marked = []
    for link in proposal.conditions:
        known = link.basis(proposal.status)
        marked.append(link.id if known == "stated" else f"{link.id} ({known})")
    return marked


def conditions_cell(proposal: Proposal) -> str:
    """A proposal's conditions for a table cell: ids, each with a note in brackets unless the
    article states it ("K1, K2 (inferred)"; the brief links each id), or words."""
    if proposal.conditional is False:
        return "Unconditional"
    if proposal.conditional is True:
        return ", ".join(condition_ids(proposal))
    if not proposal.conditions:
        return "None stated"
    # The article attaches none: the analyst's analogy, said with each id.
    return ", ".join(f"{link.id} (none stated; by analogy)" for link in proposal.conditions)


#: How a condition matrix marks a requirement, by how the article knows it. All three are in the
#: PDF's font (Libertinus Serif, which typst bundles) and in the usual system fonts.
STATUS_SYMBOLS = {"stated": "\u25cf", "implied": "\u25d0", "inferred": "\u25cb"}
#: The sequencing view's gates, by how the article knows the requirement: each stands out from the
#: lanes' shading and the page (contrast >= 3:1, WCAG 1.4.11), amber and grey darkened for it.
GATE_COLOURS = {"stated": NAVY, "implied": "#a86f0c", "inferred": "#66737f"}


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


def short_label(text: str, width: int = 48) -> str:
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
    """A short label of ``text`` (short_label) on at most ``lines`` lines of about ``width``
    characters, joined by newlines (a figure draws each as a line); the first line leaves room
    for ``lead`` and a space (drawn before it, e.g. an id in bold)."""
    indent = " " * (len(lead) + 1) if lead else ""
    budget = width * lines - 2 - len(indent)
    while True:
        wrapped = textwrap.wrap(short_label(text, budget), width, initial_indent=indent)
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
    text = short_label(str(frames.items.text[item]), width)
    lead = "The thesis" if frames.items.group[item] == "thesis" else item
    return f"{lead}: {text}"


def actor_stances(frames: Frames) -> pd.DataFrame:
    """Actors in reading order, one row per stance (an actor with none: one row): name, role,
    stance, what it is on (in words, with what the article says of it), its basis, and the
    objections the actor holds (views.table leaves out the columns no actor fills)."""
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
    return table[order].astype("string")


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
    instead: str | None = None,
) -> None:
    """Write ``frame`` as the table ``name`` (Artifacts.table) and show it in the notebook.

    A column with nothing in any row (empty or an em dash) is not printed: its width goes to
    the others. The CSV (and the notebook's display) keep it, so that a table's data has the
    same columns for every seed.
    """
    hidden = empty_columns(frame)
    out.table(
        name, frame, caption=caption, labels=labels, widths=widths, hidden=hidden,
        symbols=symbols, instead=instead,
    )  # fmt: skip
    show(frame, labels)
