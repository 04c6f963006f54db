"""Briefs of seeds on other topics carry none of the first seed's wording, and their own.

The second seed of the repository and the two made-up seeds of the tests are built, each once,
with no change to code, notebooks or templates. None of the first seed's topic words (its
actors' names, track and domain labels, author, and a fixed list of its subject's words) may
appear in their HTML or PDF unless the seed itself contains it; each brief shows its own
title, thesis and labels. What the brief's layout is (which page, which table) is not tested
here: only what must stay true of any layout.
"""

from __future__ import annotations

import functools
import html
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest

from briefkit.build import BuildOptions, run_build
from briefkit.reading.seed import Seed, load_seed

from . import second_seed, third_seed
from .conftest import REPO, SEED, copy_project
from .pdf import pdf_text
from .second_seed import write_second_seed
from .test_generic import topic_words
from .third_seed import write_third_seed

#: The repository's second seed, on a topic unrelated to the first (a fictional example).
REPO_SEED = "school-phones-corvale"

#: Words of the first seed's subject that no other brief may print unless its seed does
#: ("sanction" stands for "sanctions" too: see found()).
SUBJECT = ("russia", "sanction", "snap-back", "energy", "nato", "ukrain", "kremlin", "moscow")


def derived_terms() -> set[str]:
    """The first seed's own topic words: its actors' names and its tracks' labels (as
    tests/test_generic.py derives them), its domains' labels and its author's name."""
    seed = load_seed(REPO, SEED)
    words = set(topic_words(REPO, SEED))
    words |= {label.lower() for label in seed.reading.domains.values()}
    return words | {w.lower() for w in re.findall(r"[A-Za-z]{4,}", seed.source.author)}


@functools.cache
def first_seed_terms() -> tuple[str, ...]:
    """Every term a brief of another seed may not print."""
    return tuple(sorted(derived_terms() | set(SUBJECT)))


def squeeze(text: str) -> str:
    """``text`` without whitespace and hyphens, in lower case: the PDF's table cells run into
    each other ("provisionK6") and typst hyphenates words ("pro-vision")."""
    return re.sub(r"[\s\-\u00ad\u2010\u2011]+", "", normalise(text)).lower()


def found(term: str, text: str) -> bool:
    """Whether ``text`` holds ``term``: anywhere, even inside a word ("sanctions", cells run
    together), once squeezed; a short term ("nato") only as a word, not squeezed, where it
    would match across words ("gun at old")."""
    if len(term) < 5:
        return re.search(rf"\b{re.escape(term)}\b", normalise(text), re.I) is not None
    return squeeze(term) in squeeze(text)


def seed_text(seed: Path) -> str:
    """Everything a seed's own files say (any of its words may reach its brief)."""
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(seed.iterdir()) if p.is_file())


#: JSON's escapes of characters in a figure's script (plotly writes "<" as \\u003c).
UNICODE_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")


class _Visible(HTMLParser):
    """What an HTML page says: text outside scripts and styles, the attributes a reader is
    shown (alt, title, aria-label) and the figures' data, which plotly draws as labels."""

    SHOWN = frozenset({"alt", "title", "aria-label", "placeholder"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.parts += [value for name, value in attrs if name in self.SHOWN and value]
        if tag in ("script", "style"):
            self._skip = tag

    def handle_endtag(self, tag: str) -> None:
        if tag == self._skip:
            self._skip = None

    def handle_data(self, data: str) -> None:
        if self._skip is None:
            self.parts.append(data)
        elif self._skip == "script" and "Plotly.newPlot(" in data[:2000]:
            # A figure's own script (its data and layout), not plotly.js itself, whose code
            # holds country names of its maps.
            self.parts.append(UNICODE_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), data))


def html_text(path: Path) -> str:
    """The text of an HTML brief a reader can see (or hover), whitespace collapsed."""
    parser = _Visible()
    parser.feed(path.read_text(encoding="utf-8"))
    return normalise(html.unescape(" ".join(parser.parts)))


def normalise(text: str) -> str:
    """One space for any run of whitespace; typographic apostrophes as straight ones."""
    return " ".join(text.replace("\u2019", "'").replace("\u00ad", "").split())


SLUGS = [REPO_SEED, second_seed.SLUG, third_seed.SLUG]


@dataclass(frozen=True)
class Built:
    """A seed and the text of its two briefs."""

    seed: Seed
    files: str
    html: str
    pdf: str


@pytest.fixture(scope="module")
def briefs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Built]:
    """The repository's second seed and the tests' two made-up seeds, each built once."""
    root = copy_project(tmp_path_factory.mktemp("generic") / "project", seeds=(REPO_SEED,))
    slugs = [REPO_SEED, write_second_seed(root), write_third_seed(root)]
    assert slugs == SLUGS
    found = {}
    with pytest.MonkeyPatch.context() as env:
        # The brief's date: 2027-01-15, when some of the seeds' planned events have passed.
        env.setenv("SOURCE_DATE_EPOCH", "1800000000")
        for slug in slugs:
            result = run_build(BuildOptions(root, slug, engine="pandoc"))
            assert set(result.outputs) == {"html", "pdf"}
            out = root / "_build" / slug
            found[slug] = Built(
                load_seed(root, slug),
                seed_text(root / "seeds" / slug),
                html_text(out / "brief.html"),
                normalise(pdf_text(out / "brief.pdf")),
            )
    return found


def test_the_repository_seeds_are_on_other_topics() -> None:
    # Guards the test below: the derived terms are the first seed's, and the second seed
    # shares none of them (else no brief of it could fail for them).
    terms = first_seed_terms()
    assert {"russia", "nato", "sanctions", "energy", "clackson", "territorial"} <= set(terms)
    first = seed_text(REPO / "seeds" / SEED)
    assert [t for t in derived_terms() if not found(t, first)] == []
    repo_seed = seed_text(REPO / "seeds" / REPO_SEED)
    assert [t for t in terms if found(t, repo_seed)] == []


@pytest.mark.build
@pytest.mark.parametrize("slug", SLUGS)
@pytest.mark.parametrize("fmt", ["html", "pdf"])
def test_no_wording_of_the_first_seed_in_another_seeds_brief(
    briefs: dict[str, Built], slug: str, fmt: str
) -> None:
    built = briefs[slug]
    text = built.html if fmt == "html" else built.pdf
    foreign = [
        term for term in first_seed_terms() if found(term, text) and not found(term, built.files)
    ]
    where = {
        term: re.findall(rf".{{0,60}}{re.escape(term[:4])}.{{0,60}}", text, re.I)[:3]
        for term in foreign
    }
    assert foreign == [], where


@pytest.mark.build
@pytest.mark.parametrize("slug", SLUGS)
@pytest.mark.parametrize("fmt", ["html", "pdf"])
def test_each_brief_shows_its_own_title_thesis_and_labels(
    briefs: dict[str, Built], slug: str, fmt: str
) -> None:
    built = briefs[slug]
    text = built.html if fmt == "html" else built.pdf
    reading = built.seed.reading
    title = built.seed.source.title.value
    assert title is not None
    own = [
        title,
        reading.thesis.text,
        *reading.tracks.values(),
        *reading.domains.values(),
        *(actor.name for actor in reading.actors),
    ]
    missing = [s for s in own if squeeze(s) not in squeeze(text)]
    assert missing == []


def test_a_seed_without_measures_or_events_says_so_instead_of_empty_figures(
    briefs: dict[str, Built],
) -> None:
    third = briefs[third_seed.SLUG]
    for text in (third.html, third.pdf):
        assert "The article sets out no measures to sequence." in text
        assert "The article dates no events of the period it argues about." in text
        # Neither the empty charts' captions nor an empty timeline table's headings.
        assert "Sequencing: a lane per track" not in text
        assert "The period the article argues about, one event per row" not in text
        assert "Date from" not in text
    # A seed with measures and events keeps its figures.
    second = briefs[second_seed.SLUG]
    assert "Sequencing: a lane per track" in second.html
    assert "The article dates no events" not in second.html
