"""Quote anchoring: find each quote in the article up to typography, and say where it sits."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from briefkit.errors import Problem
from briefkit.reading.yamlfile import YamlFile, field_name

if TYPE_CHECKING:
    from briefkit.reading.model import Reading

_TYPO = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
        "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2012": "-", "\u2212": "-", "\u2010": "-",
        "\u2011": "-",
        "\u00a0": " ", "\u2009": " ", "\u202f": " ", "\u2007": " ", "\u2002": " ", "\u2003": " ",
        "\u200a": " ",
        "\u200b": None, "\u200c": None, "\u200d": None, "\u2060": None, "\ufeff": None,
        "\u00ad": None, "\u2026": "...",
    }
)  # fmt: skip


def _clusters(text: str) -> Iterator[tuple[int, str]]:
    """Yield (offset, cluster): a base character with the combining marks that follow it."""
    start = 0
    for i in range(1, len(text) + 1):
        if i == len(text) or not unicodedata.combining(text[i]):
            yield start, text[start:i]
            start = i


def normalise(text: str) -> tuple[str, list[int]]:
    """Fold typographic differences; return the folded text and each char's source offset.

    Folded: NFC/NFD, curly quotes, dashes (and the spaces around them: a spaced em dash
    matches a hyphen), the ellipsis character, runs of whitespace and line breaks,
    non-breaking and zero-width spaces, soft hyphens.
    """
    out: list[str] = []
    offsets: list[int] = []
    for i, cluster in _clusters(text):
        for c in unicodedata.normalize("NFC", cluster).translate(_TYPO):
            if c.isspace():
                if not out or out[-1] in " -":
                    continue
                c = " "
            elif c == "-":
                if out and out[-1] == " ":
                    out.pop()
                    offsets.pop()
                if out and out[-1] == "-":
                    continue
            out.append(c)
            offsets.append(i)
    while out and out[-1] == " ":
        out.pop()
        offsets.pop()
    return "".join(out), offsets


@dataclass(frozen=True)
class Anchor:
    """Where a quote sits in the article (character span of the original text)."""

    quote: str
    start: int
    end: int


class Article:
    """An article's text, folded once for anchoring many quotes."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.folded, self.offsets = normalise(text)

    def anchor(self, quote: str) -> Anchor | None:
        """Find ``quote`` up to typography; return its span in the original text or None."""
        needle, _ = normalise(quote)
        pos = self.folded.find(needle) if needle else -1
        if pos < 0:
            return None
        end = self.offsets[pos + len(needle) - 1] + 1
        # Take in combining marks that belong to the last character, and characters folded into
        # it (the second "-" of "--"), but never whitespace or invisible characters after it.
        while end < len(self.text) and (
            unicodedata.combining(self.text[end])
            or (
                normalise(self.text[end])[0] not in ("", " ")
                and normalise(self.text[self.offsets[pos] : end + 1])[0] == needle
            )
        ):
            end += 1
        return Anchor(quote, self.offsets[pos], end)

    def closest(self, quote: str) -> str:
        """The passage of the article most like ``quote`` (same number of words).

        Windows are ranked by shared character trigrams first; difflib scores the best few.
        """
        needle, _ = normalise(quote)
        words = list(re.finditer(r"\S+", self.folded))
        if not words:
            return ""
        size = min(len(words), max(1, len(needle.split())))
        grams = _trigrams(needle)
        spans = [
            (words[i].start(), words[i + size - 1].end()) for i in range(len(words) - size + 1)
        ]
        ranked = sorted(
            spans, key=lambda span: -len(grams & _trigrams(self.folded[span[0] : span[1]]))
        )
        matcher = difflib.SequenceMatcher(autojunk=False)
        matcher.set_seq2(needle)
        best, best_score = spans[0], -1.0
        for start, end in ranked[:12]:
            matcher.set_seq1(self.folded[start:end])
            score = matcher.ratio()
            if score > best_score:
                best, best_score = (start, end), score
        original = self.text[self.offsets[best[0]] : self.offsets[best[1] - 1] + 1]
        return " ".join(original.split())


def _trigrams(text: str) -> set[str]:
    return {text[i : i + 3] for i in range(max(1, len(text) - 2))}


def anchor(article: str, quote: str) -> Anchor | None:
    """Find ``quote`` in ``article`` up to typography; return its span or None."""
    return Article(article).anchor(quote)


@dataclass(frozen=True)
class QuoteAnchor:
    """A quote of the reading, where it is written (field, item id) and where it sits."""

    field: str
    #: The id of the item the quote anchors; empty for an ``excluded`` sentence.
    item: str
    anchor: Anchor


def anchor_quotes(
    reading: Reading, file: YamlFile, article: str
) -> tuple[list[QuoteAnchor], list[Problem]]:
    """Anchor every quote; an unmatched one names its item and the article's closest passage."""
    text = Article(article)
    anchors: list[QuoteAnchor] = []
    problems: list[Problem] = []
    for loc, item, quote in reading.quotes():
        found = text.anchor(quote)
        if found is None:
            owner = f" (item {item})" if item else ""
            message = (
                f"quote not found in the article: {clip(quote)!r}{owner}; "
                f"closest passage: {clip(text.closest(quote), 120)!r}"
            )
            problems.append(Problem(file.path, file.line(loc), field_name(loc), message))
        else:
            anchors.append(QuoteAnchor(field_name(loc), item, found))
    return anchors, problems


def clip(text: str, size: int = 80) -> str:
    """``text`` cut to ``size`` characters, with an ellipsis when cut."""
    return text if len(text) <= size else text[: size - 1] + "\u2026"
