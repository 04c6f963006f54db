"""Page 1 of the brief: a bottom line up front that a reader acts on, in words, on one page."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from briefkit import present, views
from briefkit.build import BuildOptions, run_build
from briefkit.reading.seed import load_seed
from briefkit.steps import source_line

from .conftest import REPO, SEED, copy_project
from .pdf import pdf_text
from .second_seed import SLUG as SECOND
from .second_seed import write_second_seed

#: The brief's date the test builds' notebooks get is the build's day; these unit tests choose.
BRIEF_DATE = "2025-11-24"
#: Page 1's parts, its headings under the summary's (as typst sets them: typographic quotes).
SUMMARY_PARTS = [
    "Bottom line",
    "The author\u2019s proposals, by domain, with their conditions",
    "The analyst\u2019s assessment",
    "What to watch",
]


def flat(text: str) -> str:
    """Text with its whitespace runs as single spaces, typographic apostrophes as typed."""
    return " ".join(text.replace("\u2019", "'").split())


def page(pdf: Path, number: int) -> str:
    return flat(pdf_text(pdf, number))


@pytest.fixture(scope="module")
def second(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The made-up second seed, built (PDF and HTML) with no assessment in its reading."""
    root = copy_project(tmp_path_factory.mktemp("page1-second") / "project", seeds=())
    write_second_seed(root)
    reading = root / "seeds" / SECOND / "reading.yaml"
    # The assessment is optional: page 1 must read sensibly without one, even if the made-up
    # seed gets one some day.
    text = re.sub(r"^assessment:\n(?:(?:[ #-].*)?\n)*", "", reading.read_text(), flags=re.M)
    reading.write_text(text, encoding="utf-8")
    assert load_seed(root, SECOND).reading.assessment is None
    run_build(BuildOptions(root, SECOND, engine="pandoc"))
    return root / "_build" / SECOND


# --- the first seed's page 1, read from the PDF ----------------------------------------------


@pytest.mark.build
def test_page_one_opens_with_the_source_and_the_bottom_line(built: Path) -> None:
    seed = load_seed(REPO, SEED)
    first = page(built / "brief.pdf", 1)
    line = source_line(seed.source)
    assert flat(line) in first
    # The date, and how it is known, in words; the outlet said to be missing.
    assert "Dated February 2025 (inferred by the analyst, not stated)" in line
    assert "Outlet not stated." in line
    assert seed.source.author in line
    assert str(seed.source.affiliation) in line
    assert "Bottom line" in first
    assert f"What the author argues: {flat(seed.reading.thesis.text)}" in first
    assessment = seed.reading.assessment
    assert assessment is not None
    assert f"What the analyst makes of it: {flat(assessment.bottom_line)}" in first


@pytest.mark.build
def test_page_one_gives_the_authors_proposals_in_words_without_ids(built: Path) -> None:
    reading = load_seed(REPO, SEED).reading
    first = page(built / "brief.pdf", 1)
    assert "The author's proposals, by domain, with their conditions" in first
    assert "Recommendations" not in first
    for domain in {p.domain for p in reading.proposals}:
        assert f"{reading.domains[domain]}:" in first
    for proposal in reading.proposals:
        assert flat(views.first_clause(proposal.text)) in first
    for condition in reading.conditions:
        assert flat(condition.text.rstrip(".")) in first
    # Marked where the article does not state the condition, in words.
    assert "(stated for 2, the analyst's inference for 1 of 3 proposals)" in first
    assert not re.search(r"\(if K", first)
    ids = {c.id for c in reading.conditions} | {p.id for p in reading.proposals}
    bare = [w for w in re.findall(r"\b[A-Z]\d+\b", first) if w in ids]
    assert bare == [], f"bare ids on page 1: {bare}"


@pytest.mark.build
def test_page_one_has_the_analysts_assessment_on_its_yardstick(built: Path) -> None:
    assessment = load_seed(REPO, SEED).reading.assessment
    assert assessment is not None
    first = page(built / "brief.pdf", 1)
    assert "The analyst's assessment" in first
    assert flat(assessment.yardstick.name) in first
    for j in assessment.judgements:
        assert views.rating(j.probability, j.confidence) in first
    assert "Unlikely, moderate confidence." in first
    assert "Very unlikely, moderate confidence." in first
    for part in ("Gaps the article leaves open:", "Implications, by audience:", "Options for"):
        assert part in first
    ids = views.reading_ids(load_seed(REPO, SEED).reading)
    for gap in assessment.gaps:
        assert flat(views.without_ids(gap.text, ids)) in first
    for implication in assessment.implications:
        assert f"For {implication.audience}:" in first


@pytest.mark.build
def test_page_one_ends_with_what_to_watch_and_fits_on_its_page(built: Path) -> None:
    pdf = built / "brief.pdf"
    first = page(pdf, 1)
    watch = json.loads((built / "texts" / "watch-summary.json").read_text(encoding="utf-8"))
    assert 1 <= len(watch) <= 5
    assert "What to watch" in first
    # Down to its last signpost, the summary is on page 1; the outline starts page 2.
    for entry in watch:
        assert flat(f"{entry['lead']} {entry['text']}") in first
    # Dated signposts first: where each stands at the brief's date (the build's day).
    assert {e["lead"] for e in watch[:2]} <= {"Due now:", "Due:", "Overdue:", "Passed:"}
    assert re.search(r"^\s*Contents\s*$", pdf_text(pdf, 2), re.M)


@pytest.mark.build
def test_page_one_and_the_running_header_carry_no_build_metadata(built: Path) -> None:
    meta = json.loads((built / "brief.json").read_text(encoding="utf-8"))
    pdf = built / "brief.pdf"
    first = page(pdf, 1)
    content = meta["content_hash"]
    assert content
    assert content[:8] not in first
    assert "sha256" not in first
    assert "pandoc" not in first
    assert "typst" not in first
    # Version and status stay: in the title block, and in the header from page 2.
    assert "Version 0.1.0-dev · DRAFT" in first
    header = next(line for line in pdf_text(pdf, 2).splitlines() if line.strip())
    assert "DRAFT v0.1.0-dev · " in header
    assert content[:8] not in header
    assert "pandoc" not in header
    assert "typst" not in header
    # They moved to the method section.
    text = flat(pdf_text(pdf))
    method = text[text.rindex("Method and source fidelity") :]
    assert f"This build: {meta['build_line']} · content sha256 {content[:12]}" in method
    assert re.search(r"DRAFT v0\.1\.0-dev\+[0-9a-f]{8} · \d{4}-\d\d-\d\d · pandoc", method)


@pytest.mark.build
def test_html_sets_the_assessment_apart_in_a_box(built: Path, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page_ = context.new_page()
    page_.goto((built / "brief.html").as_uri())
    box = page_.evaluate(
        """() => {
          const box = document.querySelector('.bk-box');
          const style = getComputedStyle(box);
          return {heading: box.querySelector('h3').textContent,
                  background: style.backgroundColor, border: style.borderLeftWidth,
                  body: getComputedStyle(document.body).backgroundColor,
                  status: document.querySelector('.bk-status').textContent};
        }"""
    )
    context.close()
    assert box["heading"].replace("\u2019", "'") == "The analyst's assessment"
    assert box["background"] != box["body"]
    assert box["border"] != "0px"
    assert "sha256" not in box["status"]
    assert "pandoc" not in box["status"]


# --- a reading without an assessment, on another topic -------------------------------------


@pytest.mark.build
def test_second_seed_has_a_page_one_in_its_own_words(second: Path) -> None:
    reading = load_seed(second.parents[1], SECOND).reading
    first = page(second / "brief.pdf", 1)
    assert "Article by A. Tester. Outlet not stated. Date not stated." in first
    assert f"What the author argues: {flat(reading.thesis.text)}" in first
    assert "Power grid: 1 proposal." in first
    for condition in reading.conditions:
        assert flat(condition.text) in first
    assert "Due: Talks on reconnection. Planned for March 2026." in first
    for word in ("Russia", "NATO", "sanction", "Energy", "Kremlin", "ICD 203"):
        assert word not in first
    assert not re.search(r"\b[KPM]\d\b", first)


@pytest.mark.build
def test_a_reading_without_assessment_says_so_on_page_one(second: Path) -> None:
    first = page(second / "brief.pdf", 1)
    assert f"What the analyst makes of it: {views.NO_ASSESSMENT}" in first
    assert "The analyst's assessment" in first
    assert views.NO_ASSESSMENT_BOX in first
    assert "Judgements" not in first
    # Still one page: what to watch ends it.
    assert "What to watch" in first
    assert re.search(r"^\s*Contents\s*$", pdf_text(second / "brief.pdf", 2), re.M)


# --- the views behind it ---------------------------------------------------------------------


def test_without_ids_drops_references_a_reader_cannot_follow() -> None:
    ids = {"K1", "K2", "C13", "E1", "E2", "A-UA", "T6", "T8"}
    assert views.without_ids("the energy step's (K1, K2) and (K3) are", ids) == (
        "the energy step's and (K3) are"
    )
    assert views.without_ids("only one (C13, on alignment) rests on a fact (E1).", ids) == (
        "only one (on alignment) rests on a fact."
    )
    assert views.without_ids("its most specified step (K1, K2 stated), so", ids) == (
        "its most specified step, so"
    )
    assert views.without_ids("in events (T6-T8) and by (A-UA).", ids) == "in events and by."
    # An id that is a word of the sentence stays: removing it would break the sentence.
    assert views.without_ids("before treating E1 and E2 as precedents", ids) == (
        "before treating E1 and E2 as precedents"
    )
    assert views.without_ids("text (UA) and (K12)", ids) == "text (UA) and (K12)"


def test_signposts_are_due_overdue_or_passed_at_the_briefs_date(tmp_path: Path) -> None:
    write_second_seed(tmp_path)
    seed = load_seed(tmp_path, SECOND)

    def talks(date: str) -> views.Signpost:
        return next(s for s in views.signposts(seed, date) if s.kind == "planned")

    assert talks("2026-01-10").entry() == {
        "lead": "Due:",
        "text": "Talks on reconnection. Planned for March 2026.",
    }
    assert talks("2026-03-02").tag == "Due now:"
    late = talks("2026-04-01")
    assert (late.state, late.tag) == ("overdue", "Overdue:")
    assert "did it take place?" in str(late.entry(full=True)["text"])  # type: ignore[index]
    span = present.date_span("2026-03", "month")
    assert views.due_state(span, "predicted", "2026-04-01") == "passed"
    assert views.due_state(span, "predicted", "2026-03-31") == "due"


def test_signposts_say_what_each_condition_would_open(tmp_path: Path) -> None:
    write_second_seed(tmp_path)
    found = views.signposts(load_seed(tmp_path, SECOND), BRIEF_DATE)
    assert [s.kind for s in found] == ["planned", "condition", "condition"]
    publish = found[1].entry(full=True)
    assert publish == {
        "lead": "Condition:",
        "text": "Norland publishes its grid subsidies. A condition of the Power grid proposal "
        "and the Grid access and Export rules steps; meeting it would open:",
        "items": [
            "Stepwise reconnection to the regional power grid.",
            "Grid access, phase 1: Restore a limited import quota.",
            "Export rules, phase 2: Lift the export ban.",
        ],
    }
    assert found[1].short == (
        "Would open the Power grid proposal, and the Grid access and Export rules steps."
    )


def test_first_seeds_signposts_lead_with_dated_events_then_what_opens_most() -> None:
    seed = load_seed(REPO, SEED)
    found = views.signposts(seed, BRIEF_DATE)
    kinds = [s.kind for s in found]
    assert kinds[:2] == ["planned", "predicted"]
    assert set(kinds[2:]) == {"condition"}
    weights = [s.weight for s in found[2:]]
    assert weights == sorted(weights, reverse=True)
    for s in found:
        entry = s.entry(full=True)
        assert isinstance(entry, dict)
        assert not re.search(r"\b[KPMT]\d+\b", f"{s.what} {s.short}")
    prediction = found[1].entry(full=True)
    assert isinstance(prediction, dict)
    assert any(item.startswith("The analyst's judgement: ") for item in prediction["items"])


def test_packages_group_by_domain_and_mark_unstated_conditions() -> None:
    reading = load_seed(REPO, SEED).reading
    packages = views.proposal_packages(reading)
    leads = [p["lead"] for p in packages if isinstance(p, dict)]
    used = [d for d in reading.domains if any(p.domain == d for p in reading.proposals)]
    assert leads == [f"{reading.domains[d]}:" for d in used]
    energy = next(p for p in packages if isinstance(p, dict) and p["lead"] == "Energy:")
    assert "(stated for 1, implied for 1 of 2 proposals)" in energy["text"]
    economic = next(p for p in packages if isinstance(p, dict) and p["lead"] == "Economic:")
    assert "Russia ends its aggressive policies (the analyst's inference)." in economic["text"]


def test_a_reading_without_assessment_gets_words_not_an_empty_box(tmp_path: Path) -> None:
    write_second_seed(tmp_path)
    reading = load_seed(tmp_path, SECOND).reading
    assert reading.assessment is None
    assert views.assessment_entries(reading) == [views.NO_ASSESSMENT_BOX]
    assert views.bottom_line(reading)[1] == {
        "lead": "What the analyst makes of it:",
        "text": views.NO_ASSESSMENT,
    }


def test_page_one_watches_a_few_dated_signposts_and_the_conditions_that_open_most() -> None:
    seed = load_seed(REPO, "school-phones-corvale")
    found = views.signposts(seed, BRIEF_DATE)
    dated = [s for s in found if s.state is not None]
    assert len(dated) > 3
    short = views.watch_summary(found, 5, 3)
    assert len(short) == 5
    assert [s.kind == "condition" for s in short] == [False] * 3 + [True] * 2
    # Late in the day, what is overdue or passed comes first: a reader checks it.
    late = views.watch_summary(views.signposts(seed, "2030-01-01"), 5, 3)
    assert all(s.state in ("overdue", "passed") for s in late[:3])
