"""What the notebooks share: their setup, the brief's colours, and views of the reading's frames.

The notebooks import these instead of repeating them, so that a colour or a rule is changed in
one place. Data only (frames, strings, numbers): markup is never made here, and plotly is not
imported (a notebook imports it where it draws).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd

from briefkit import present
from briefkit.artifacts import Artifacts
from briefkit.frames import Frames
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


def short_text(text: str, limit: int = 100) -> str:
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
        said = [
            _sentence_with(conditions[k].text, _condition_mark(b, len(proposals)))
            for k, b in bases.items()
            if k in conditions
        ]
        if said:
            text = "Conditions: " + " ".join(said)
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
            items.append(short_text(p.text) + note)
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
                opens.append(_sentence_with(short_text(p.text), mark))
    for m in reading.measures:
        for link in m.requires:
            if link.id == condition:
                basis = link.basis(m.status)
                track = reading.tracks.get(m.track, m.track)
                text = f"{track}, phase {m.phase.value}: {short_text(m.text)}"
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
        f"The claim it bears on: {_sentence_with(short_text(claims[c].text), None)}"
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
    """Write ``frame`` as the table ``name`` (Artifacts.table) and show it in the notebook."""
    out.table(name, frame, caption=caption, labels=labels, widths=widths)
    show(frame, labels)
