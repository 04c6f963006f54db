"""Coverage: which sentences of the article the reading anchors, excludes, or leaves out."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from briefkit.reading.anchors import QuoteAnchor, clip

_ABBREVIATIONS = ("U.S.", "U.K.", "U.N.", "E.U.", "Mr.", "Mrs.", "Ms.", "Dr.", "St.", "e.g.",
                  "i.e.", "etc.", "vs.", "No.", "Gen.", "Sen.", "Rep.", "Jr.", "Sr.")  # fmt: skip
_SENTENCE_END = re.compile(r"[.!?][\"'\u201d\u2019)\]]*(?=\s+|$)")
#: Line breaks as ``str.splitlines`` sees them (LF, CRLF, a lone CR, U+2028, ...): an article
#: saved with old Mac or Windows line endings is split into the same lines as with LF.
LINE_BREAK = re.compile(r"\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")
_LINE = re.compile(r"[^\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]+")


@dataclass(frozen=True)
class Sentence:
    """A sentence of the article: its span, its text, and what the reading does with it."""

    index: int
    start: int
    end: int
    text: str
    state: Literal["covered", "excluded", "uncovered"]
    items: tuple[str, ...]


def sentences(text: str) -> list[tuple[int, int]]:
    """Split ``text`` into sentence spans: at . ! ? before whitespace, and at line breaks."""
    spans: list[tuple[int, int]] = []
    for para in _LINE.finditer(text):
        start = para.start()
        for end_mark in _SENTENCE_END.finditer(para.group()):
            end = para.start() + end_mark.end()
            before = text[start:end]
            if any(before.endswith(a) for a in _ABBREVIATIONS):
                continue
            spans.append((start, end))
            start = end
        spans.append((start, para.end()))
    cleaned: list[tuple[int, int]] = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if s < e:
            cleaned.append((s, e))
    return cleaned


def paragraph(text: str, offset: int) -> int:
    """The paragraph (non-empty line, from 1) of ``text`` that holds ``offset``."""
    before = LINE_BREAK.split(text[:offset])
    return sum(1 for line in before[:-1] if line.strip()) + 1


def paragraph_spans(text: str) -> list[tuple[int, int]]:
    """The (start, end) of each paragraph of ``text`` (its non-empty lines), numbered as
    ``paragraph`` numbers them."""
    return [(m.start(), m.end()) for m in _LINE.finditer(text) if m.group().strip()]


@dataclass(frozen=True)
class Coverage:
    """Which sentences of the article the reading anchors, excludes, or leaves uncovered."""

    sentences: tuple[Sentence, ...]

    @property
    def substantive(self) -> int:
        """Sentences not deliberately excluded."""
        return sum(1 for s in self.sentences if s.state != "excluded")

    @property
    def covered(self) -> int:
        """Sentences at least one item's quote anchors."""
        return sum(1 for s in self.sentences if s.state == "covered")

    @property
    def share(self) -> float:
        """Covered share of the substantive sentences (1.0 when there are none)."""
        return self.covered / self.substantive if self.substantive else 1.0

    def of(self, state: str) -> list[Sentence]:
        """The sentences in ``state`` (covered, excluded, uncovered)."""
        return [s for s in self.sentences if s.state == state]


def coverage(article: str, anchors: Sequence[QuoteAnchor]) -> Coverage:
    """Mark each sentence covered (an item anchors it), excluded, or uncovered."""
    result: list[Sentence] = []
    for index, (start, end) in enumerate(sentences(article)):
        hits = [a for a in anchors if a.anchor.start < end and a.anchor.end > start]
        items = tuple(sorted({a.item for a in hits if a.item}))
        excluded = any(not a.item for a in hits)
        state: Literal["covered", "excluded", "uncovered"] = (
            "covered" if items else "excluded" if excluded else "uncovered"
        )
        text = " ".join(article[start:end].split())
        result.append(Sentence(index + 1, start, end, text, state, items))
    return Coverage(tuple(result))


def coverage_report(slug: str, cov: Coverage, notes: Sequence[str] = ()) -> list[str]:
    """The lines ``briefkit check`` prints for a valid seed: its coverage, notes, then the gaps."""
    lines = [
        f"{slug}: valid; coverage {cov.share:.1%} ({cov.covered} of {cov.substantive} "
        f"substantive sentences anchored, {len(cov.of('excluded'))} excluded on purpose)"
    ]
    lines += [f"  note: reading.yaml: {note}" for note in notes]
    for state in ("uncovered", "excluded"):
        lines += [f"  {state} sentence {s.index}: {clip(s.text, 90)}" for s in cov.of(state)]
    return lines
