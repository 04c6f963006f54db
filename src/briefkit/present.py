"""Presentation helpers the notebooks share: labels, date spans, quote locations.

They turn the reading into plain values (strings, numbers, dates); markup is never made here.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from briefkit.reading.anchors import Anchor, anchor
from briefkit.reading.coverage import paragraph, paragraph_spans

STATUS_LABELS = {"stated": "Stated", "implied": "Implied", "inferred": "Analyst's inference"}
STATUS_MEANING = {
    "stated": "The article says this in so many words.",
    "implied": "The article does not say this outright, but its words commit it to this.",
    "inferred": "The analyst's reading: plausible, but not in the article's words.",
}
REVERSIBLE_LABELS = {True: "Yes", False: "No", None: "Not stated"}


def status_label(status: str) -> str:
    """A reader's label for stated / implied / inferred."""
    return STATUS_LABELS[status]


def reversible_label(value: bool | None) -> str:
    """A reader's label for a measure's reversibility."""
    return REVERSIBLE_LABELS[value]


def join_ids(ids: Iterable[str]) -> str:
    """Ids as a comma-separated list, or an em dash when there are none."""
    items = list(ids)
    return ", ".join(items) if items else "\u2014"


@dataclass(frozen=True)
class DateSpan:
    """The interval a dated event could fall in, given its precision."""

    start: date
    end: date
    label: str


def date_span(text: str, precision: str) -> DateSpan:
    """The honest interval of ``text`` (YYYY, YYYY-MM or YYYY-MM-DD) at ``precision``."""
    parts = [int(p) for p in text.split("-")]
    year = parts[0]
    month = parts[1] if len(parts) > 1 else None
    day = parts[2] if len(parts) > 2 else None
    if precision == "day" and day is not None and month is not None:
        d = date(year, month, day)
        return DateSpan(d, d, d.strftime("%-d %B %Y"))
    if precision in ("day", "month") and month is not None:
        last = calendar.monthrange(year, month)[1]
        return DateSpan(
            date(year, month, 1), date(year, month, last), date(year, month, 1).strftime("%B %Y")
        )
    if precision == "approximate":
        centre = date(year, month or 7, day or 1)
        return DateSpan(
            centre - timedelta(days=365), centre + timedelta(days=365), f"around {text}"
        )
    return DateSpan(date(year, 1, 1), date(year, 12, 31), str(year))


@dataclass(frozen=True)
class QuoteLocation:
    """Where a quote sits in the article: its paragraph and character span."""

    paragraph: int
    start: int
    end: int

    def __str__(self) -> str:
        return f"\u00b6{self.paragraph}, chars {self.start}\u2013{self.end}"


def quote_role(field: str) -> str:
    """What a quote anchors, from its field in the reading (``objections.1.answer.quotes.0``)."""
    parts = field.split(".")
    roles = {"answer": "the author's answer", "limits": "a limit", "stances": "a stance"}
    return next((role for key, role in roles.items() if key in parts), "the item")


def location(article: str, span: Anchor) -> QuoteLocation:
    """The paragraph (the article's non-empty lines, from 1) and span of an anchored quote."""
    return QuoteLocation(paragraph(article, span.start), span.start, span.end)


def locate(article: str, quote: str) -> QuoteLocation | None:
    """Locate ``quote`` in ``article``, or None if it is not there."""
    found = anchor(article, quote)
    return None if found is None else location(article, found)


def annotated_article(article: str, quotes: Iterable[tuple[str, str, int, int]]) -> dict[str, Any]:
    """The article as the brief's appendix annotates it: its paragraphs, each quoted span marked.

    ``quotes`` are (item, role, start, end) in reading order; the k-th span of an item (from 1)
    is named ``q-<item>-<k>``. Each paragraph is a list of pieces, in order: ``{"text": s,
    "depth": d}`` (text that d quoted spans cover), ``{"anchors": [name, ...]}`` (spans that
    start here) and ``{"ids": [{"id", "role", "quote", "spans"}, ...]}`` (spans that end here:
    each item that quotes them, with the names of its spans). Spans may overlap or cross
    paragraphs. ``refs`` maps each item to the paragraphs it quotes, each with the item's first
    span there.
    """
    owners: dict[tuple[int, int], list[dict[str, str]]] = {}
    count: dict[str, int] = {}
    for item, role, start, end in quotes:
        span = (int(start), int(end))
        if any(o["id"] == item for o in owners.get(span, [])):
            continue  # the same passage quoted twice by one item is marked once
        count[item] = count.get(item, 0) + 1
        quote = " ".join(article[span[0] : span[1]].split())
        name = f"q-{item}-{count[item]}"
        owners.setdefault(span, []).append(
            {"id": item, "role": role, "quote": quote, "anchor": name}
        )
    starts: dict[int, list[dict[str, str]]] = {}
    ends: dict[int, list[dict[str, str]]] = {}
    for (start, end), who in owners.items():
        starts.setdefault(start, []).extend(who)
        ends.setdefault(end, []).extend(who)
    paragraphs: list[list[dict[str, Any]]] = []
    refs: dict[str, list[dict[str, Any]]] = {}
    for n, (first, last) in enumerate(paragraph_spans(article), 1):
        cuts = sorted(
            {first, last}
            | {x for x in starts if first <= x < last}
            | {x for x in ends if first < x <= last}
        )
        pieces: list[dict[str, Any]] = []
        for x, following in zip(cuts, [*cuts[1:], last], strict=True):
            if x in ends and x > first:
                # An item whose two spans end here is named once, with the longer quote (the
                # other is its end) and both spans.
                named: dict[str, dict[str, Any]] = {}
                for o in ends[x]:
                    entry = named.setdefault(o["id"], {"id": o["id"], "spans": []})
                    entry["spans"].append(o["anchor"])
                    if len(o["quote"]) > len(entry.get("quote", "")):
                        entry.update(role=o["role"], quote=o["quote"])
                pieces.append({"ids": list(named.values())})
            if x in starts and x < last:
                pieces.append({"anchors": [o["anchor"] for o in starts[x]]})
                for o in starts[x]:
                    seen = refs.setdefault(o["id"], [])
                    if not any(r["paragraph"] == n for r in seen):
                        seen.append({"paragraph": n, "anchor": o["anchor"]})
            if x < following:
                depth = sum(1 for s, e in owners if s <= x < e)
                pieces.append({"text": article[x:following], "depth": depth})
        paragraphs.append(pieces)
    return {"paragraphs": paragraphs, "refs": refs}
