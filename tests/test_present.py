"""Presentation helpers: honest date spans, quote locations, labels."""

from __future__ import annotations

from datetime import date

import pytest

from briefkit.present import (
    date_span,
    join_ids,
    locate,
    quote_role,
    reversible_label,
    status_label,
)


@pytest.mark.parametrize(
    ("text", "precision", "start", "end", "label"),
    [
        ("1987-12-08", "day", date(1987, 12, 8), date(1987, 12, 8), "8 December 1987"),
        ("2022-02", "month", date(2022, 2, 1), date(2022, 2, 28), "February 2022"),
        ("2024-02", "month", date(2024, 2, 1), date(2024, 2, 29), "February 2024"),
        ("2014", "year", date(2014, 1, 1), date(2014, 12, 31), "2014"),
        ("2026", "approximate", date(2025, 7, 1), date(2027, 7, 1), "around 2026"),
    ],
)
def test_date_span_shows_precision_honestly(
    text: str, precision: str, start: date, end: date, label: str
) -> None:
    span = date_span(text, precision)
    assert (span.start, span.end, span.label) == (start, end, label)


def test_locate_gives_paragraph_and_span() -> None:
    article = "First paragraph.\nSecond one \u2014 with a dash.\n\nThird, after a blank line.\n"
    loc = locate(article, "one - with a dash")
    assert loc is not None
    assert (loc.paragraph, article[loc.start : loc.end]) == (2, "one \u2014 with a dash")
    third = locate(article, "after a blank line")
    assert third is not None
    assert third.paragraph == 3
    assert str(third) == f"\u00b63, chars {third.start}\u2013{third.end}"
    assert locate(article, "not there") is None


@pytest.mark.parametrize("newline", ["\r", "\r\n", "\u2028"])
def test_paragraphs_are_counted_the_same_whatever_the_line_endings(newline: str) -> None:
    article = "First paragraph.\nSecond one.\n\nThird, after a blank line.\n".replace("\n", newline)
    found = [locate(article, q) for q in ("First paragraph", "Second one", "Third, after")]
    assert [loc.paragraph if loc else None for loc in found] == [1, 2, 3]


@pytest.mark.parametrize(
    ("field", "role"),
    [
        ("claims.0.quotes.0", "the item"),
        ("objections.1.answer.quotes.0", "the author's answer"),
        ("proposals.2.limits.0.quotes.1", "a limit"),
        ("actors.3.stances.0.quotes.0", "a stance"),
    ],
)
def test_quote_role_names_what_a_quote_anchors(field: str, role: str) -> None:
    assert quote_role(field) == role


def test_labels() -> None:
    assert status_label("inferred") == "Analyst's inference"
    assert reversible_label(None) == "Not stated"
    assert reversible_label(True) == "Yes"
    assert join_ids([]) == "\u2014"
    assert join_ids(["K1", "K2"]) == "K1, K2"
