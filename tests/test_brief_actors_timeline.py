"""The brief's actors and timeline: no empty rows, columns or charts; a timeline focused on the
period the article argues about, precedents apart, the brief's date marked, passed dates said."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from briefkit import present, views
from briefkit.build import BuildOptions, run_build
from briefkit.frames import Frames
from briefkit.reading.seed import load_seed

from .conftest import REPO, SECOND_EPOCH, SEED, copy_project
from .pdf import pdf_text

#: 1 January 2031, 00:00 UTC: after every planned and predicted date of the first seed.
LATE = 1924992000
#: 24 November 2025 (the reference builds' date): before the second seed's planned talks.
NOW = 1764000000
#: What a table or chart shows where it has nothing to say.
BLANK = {"", "\u2014", "-", "None"}


def build(root: Path, slug: str, epoch: int) -> Path:
    """Build ``slug`` under ``root`` (pandoc engine, HTML and PDF) as of ``epoch``."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOURCE_DATE_EPOCH", str(epoch))
        run_build(BuildOptions(root, slug, engine="pandoc"))
    return root / "_build" / slug


@pytest.fixture(scope="module")
def late(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first seed built at a date after all its predictions; returns its build folder."""
    root = copy_project(tmp_path_factory.mktemp("late") / "project")
    return build(root, SEED, LATE)


@pytest.fixture(scope="module")
def second(second_built: Path) -> Path:
    """The made-up second seed (one actor without a role, two events), built on 24 Nov 2025
    (once for the session: conftest.second_built)."""
    assert NOW == SECOND_EPOCH
    return second_built


class _Section(HTMLParser):
    """The ids of the tables and figures under each <h2> heading of the brief's HTML."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: dict[str, list[str]] = {}
        self.heading: str | None = None
        self.in_h2 = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs).get("id") or ""
        if tag == "h2":
            self.in_h2, self.heading = True, ""
        elif self.heading is not None and re.match(r"(tbl|fig)-", found):
            self.parts.setdefault(self.heading, []).append(found)

    def handle_endtag(self, tag: str) -> None:
        if tag == "h2":
            self.in_h2 = False
            self.parts.setdefault(self.heading or "", [])

    def handle_data(self, data: str) -> None:
        if self.in_h2 and self.heading is not None:
            self.heading += data


def section(build: Path, heading: str) -> tuple[list[str], list[str]]:
    """The names of the tables and of the figures the HTML brief shows under ``heading``."""
    parser = _Section()
    parser.feed((build / "brief.html").read_text(encoding="utf-8"))
    ids = parser.parts[heading]
    return [i[4:] for i in ids if i.startswith("tbl-")], [i[4:] for i in ids if i[:4] == "fig-"]


def table(build: Path, name: str) -> pd.DataFrame:
    """A table of the brief as the notebook wrote it: one column per key, text cells."""
    spec = json.loads((build / "tables" / f"{name}.json").read_text(encoding="utf-8"))
    keys = [c["key"] for c in spec["columns"]]
    frame = pd.DataFrame([[row[k] for k in keys] for row in spec["rows"]], columns=keys)
    return frame.fillna("").astype(str).map(str.strip)


def figure(build: Path, name: str) -> dict[str, Any]:
    """The plotly figure (data and layout) of a figure of the brief."""
    spec = json.loads((build / "figures" / f"{name}.json").read_text(encoding="utf-8"))
    figure: dict[str, Any] = spec["figure"]
    return figure


def blank_share(trace: dict[str, Any]) -> float:
    """The share of a heatmap's cells that say nothing (its text, else its values)."""
    if trace.get("type") != "heatmap":
        return 0.0
    cells = [c for row in trace.get("text") or trace.get("z") or [] for c in row]
    said = [c for c in cells if c is not None and str(c).strip() not in BLANK]
    return 1 - len(said) / len(cells) if cells else 0.0


# --- actors -----------------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["first", "second"])
def test_actors_section_has_no_empty_row_column_or_chart(
    which: str, late: Path, second: Path
) -> None:
    build = late if which == "first" else second
    tables, figures = section(build, "Actors and stances")
    assert tables
    for name in tables:
        cells = table(build, name)
        filled = ~cells.isin(BLANK)
        empty_columns = [c for c in cells.columns if not filled[c].any()]
        assert empty_columns == [], name
        # A row says something besides who it is about (its first two cells: id and name).
        assert filled.iloc[:, 2:].any(axis=1).all(), name
    for name in figures:
        for trace in figure(build, name)["data"]:
            assert blank_share(trace) <= 0.5, f"figure {name} is mostly blank"


def test_actors_table_gives_role_stance_in_words_and_basis(late: Path) -> None:
    cells = table(late, "actors").set_index("id")
    assert {"role", "stance", "on", "basis"} <= set(cells.columns)
    reading = load_seed(REPO, SEED).reading
    assert list(cells.index.unique()) == [a.id for a in reading.actors]
    stances = {(a.id, st.on): st for a in reading.actors for st in a.stances}
    for (actor, on), st in stances.items():
        row = cells.loc[[actor]]
        row = row[row.on.str.startswith(("The thesis" if on == "thesis" else on) + ": ")]
        assert len(row) == 1, (actor, on)
        # The item in words: its id (or "The thesis") and the start of its text.
        assert len(row.on.iloc[0]) > len(on) + 12
        assert row.stance.iloc[0] == st.stance.capitalize()
        assert row.basis.iloc[0] == present.status_label(st.status)
    spec = json.loads((late / "tables" / "actors.json").read_text(encoding="utf-8"))
    assert "thesis: thesis" not in spec["caption"]


def test_second_seeds_actors_table_leaves_out_the_roles_it_lacks(second: Path) -> None:
    cells = table(second, "actors")
    assert "role" not in cells.columns  # its one actor has none
    assert cells.to_dict("records") == [
        {
            "id": "A1",
            "actor": "Estmark",
            "stance": "Opposes",
            "on": "P1: Stepwise reconnection to the regional power grid",
            "basis": "Implied",
            "objections": "O1",
        }
    ]


# --- timeline ---------------------------------------------------------------------------------


def event_frame(root: Path, slug: str) -> pd.DataFrame:
    """The reading's events, with the first and last day each could fall on."""
    events = Frames(load_seed(root, slug)).events
    return events.assign(first=events.interval.array.left, last=events.interval.array.right)


def axis(build: Path) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The x-range of the timeline figure."""
    lo, hi = figure(build, "timeline")["layout"]["xaxis"]["range"]
    return pd.Timestamp(lo), pd.Timestamp(hi)


def test_timeline_axis_covers_the_articles_period_and_leaves_the_precedents_out(
    late: Path,
) -> None:
    events = event_frame(REPO, SEED)
    shown = table(late, "timeline").id.tolist()
    apart = table(late, "precedents").id.tolist()
    # The Cold War treaties the article's precedent (E2) cites; the rest is the period.
    assert apart == ["T6", "T7", "T8"]
    assert shown == ["T1", "T2", "T3", "T4", "T5"]
    lo, hi = axis(late)
    assert lo <= events.loc[shown, "first"].min()
    assert hi >= events.loc[shown, "last"].max()
    assert (events.loc[apart, "last"] < lo).all()
    # The figure draws the period's events only.
    drawn = {y for t in figure(late, "timeline")["data"] if t.get("mode") == "markers"
             for y in t["y"]}  # fmt: skip
    assert len(drawn) == len(shown)


def test_precedents_have_their_own_table_in_the_timeline_section(late: Path) -> None:
    tables, figures = section(late, "Timeline")
    assert tables[:2] == ["timeline", "precedents"]
    assert figures == ["timeline"]
    precedents = table(late, "precedents")
    assert set(precedents.cited_by) == {"E2"}
    text = pdf_text(late / "brief.pdf")
    assert "Precedents, outside the period the article argues about" in " ".join(text.split())


def test_long_citations_are_notes_not_a_wide_column(late: Path) -> None:
    spec = json.loads((late / "tables" / "timeline.json").read_text(encoding="utf-8"))
    for name in ("timeline", "precedents"):
        cells = table(late, name)
        assert cells.source.str.len().max() <= 30, name
    assert max(spec["widths"]) <= 0.45
    notes = table(late, "date-sources")
    reading = load_seed(REPO, SEED).reading
    cited = [e.citation for e in reading.events if e.citation]
    assert sorted(notes.source) == sorted(" ".join(c.split()) for c in cited)
    assert set(table(late, "precedents").source) == {f"External (note {n})" for n in notes.note}


def test_brief_and_article_dates_are_marked(late: Path) -> None:
    layout = figure(late, "timeline")["layout"]
    texts = [a["text"] for a in layout["annotations"]]
    assert "This brief: 1 January 2031" in texts
    assert "Article: February 2025 (inferred)" in texts
    lines = {pd.Timestamp(s["x0"]).normalize() for s in layout["shapes"] if s["type"] == "line"}
    assert pd.Timestamp("2031-01-01") in lines
    lo, hi = axis(late)
    assert lo < pd.Timestamp("2031-01-01") < hi
    svg = (late / "figures" / "timeline.svg").read_text(encoding="utf-8")
    assert "This brief: 1 January 2031" in svg


def test_predictions_whose_date_has_passed_are_marked(late: Path, second: Path) -> None:
    kinds = table(late, "timeline").set_index("id").kind
    assert kinds["T5"] == "Predicted, date passed"  # the war's end, around 2026
    assert kinds["T4"] == "Planned, date passed"
    assert kinds["T1"] == "Past"
    traces = {t.get("name"): t for t in figure(late, "timeline")["data"]}
    passed = traces["Predicted, date passed"]
    assert all("-x" in symbol for symbol in passed["marker"]["symbol"])
    text = " ".join(pdf_text(late / "brief.pdf").split())
    assert "Predicted, date passed" in text
    # Talks planned for March 2026 have not passed on 24 November 2025.
    assert table(second, "timeline").set_index("id").kind.to_dict() == {
        "T1": "Past",
        "T2": "Planned",
    }


def test_second_seeds_timeline_reads_sensibly(second: Path) -> None:
    tables, figures = section(second, "Timeline")
    # Two events of the period, no precedent and no date from outside the article.
    assert tables == ["timeline"]
    assert figures == ["timeline"]
    assert not (second / "tables" / "precedents.json").exists()
    lo, hi = axis(second)
    assert lo <= pd.Timestamp("2023-01-01")
    assert hi >= pd.Timestamp("2026-03-31")
    assert hi - lo < pd.Timedelta(days=6 * 366)
    layout = figure(second, "timeline")["layout"]
    assert [a["text"] for a in layout["annotations"]] == ["This brief: 24 November 2025"]
    svg = (second / "figures" / "timeline.svg").read_text(encoding="utf-8")
    assert "This brief: 24 November 2025" in svg
    ticks = layout["yaxis"]["ticktext"]
    assert [t.replace("\n", " ") for t in ticks] == [
        "The interconnector is cut",
        "Talks on reconnection",
    ]


# --- views --------------------------------------------------------------------------------------


def test_short_label_drops_asides_and_cuts_at_a_word() -> None:
    assert views.short_label("Talks (in March) are planned.") == "Talks are planned"
    long = "The war will likely end within the next year, or so the author says."
    assert views.short_label(long, 30) == "The war will likely end\u2026"
    assert views.short_label(long, 80) == long.rstrip(".")
    assert views.label_lines(long, 20) == "The war will likely\nend within the\u2026"


def test_old_past_events_are_precedents_even_when_not_cited() -> None:
    f = Frames(load_seed(REPO, SEED))
    # Read as if written in 2050: every past event ended more than 20 years before.
    found = views.precedents(f, present.date_span("2050", "year"))
    assert found.index[found.precedent].tolist() == ["T1", "T2", "T3", "T6", "T7", "T8"]
    assert found.cited_by.dropna().to_dict() == {"T6": "E2", "T7": "E2", "T8": "E2"}
    # Without the article's date, the events it looks ahead to are the reference.
    undated = views.precedents(f, None)
    assert undated.index[undated.precedent].tolist() == ["T6", "T7", "T8"]
