"""Artifacts: static figure exports carry no random ids and share one Chromium session."""

from __future__ import annotations

import csv
import io
import json
import tempfile
from pathlib import Path
from types import SimpleNamespace
from typing import Any, ClassVar

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from briefkit import artifacts, browser, escape
from briefkit.artifacts import _pin_svg_ids, _pin_trace_uids


def test_pin_svg_ids_replaces_every_use_of_plotlys_layout_uid() -> None:
    svg = (
        '<defs id="defs-a1b2c3"/><g id="topdefs-a1b2c3"/><clipPath id="clipa1b2c3xyplot"/>'
        '<clipPath id="legenda1b2c3"/><g clip-path="url(#legenda1b2c3)"/>'
    )
    pinned = _pin_svg_ids(svg, "timeline")
    assert "a1b2c3" not in pinned
    assert 'id="legend-timeline-"' in pinned
    assert pinned == _pin_svg_ids(svg.replace("a1b2c3", "9f8e7d"), "timeline")


def test_pin_trace_uids_names_unnamed_traces_only() -> None:
    traces = [SimpleNamespace(uid=None), SimpleNamespace(uid="mine")]
    _pin_trace_uids(SimpleNamespace(data=traces), "map")
    assert [t.uid for t in traces] == ["map-0", "mine"]


class FakeSession:
    """Stands in for briefkit.browser.Session: records starts, figures and stops."""

    calls: ClassVar[list[str]] = []

    def __init__(self, exe: str, timeout: float) -> None:
        self.calls.append("start")

    def image(
        self, fig: dict[str, object], kind: str, width: int, height: int, scale: int | None
    ) -> bytes:
        self.calls.append(kind)
        return b"<svg/>"

    def close(self) -> None:
        self.calls.append("stop")


def write_spec(build: Path, name: str) -> Path:
    spec = build / "figures" / f"{name}.json"
    spec.parent.mkdir(parents=True, exist_ok=True)
    spec.write_text(json.dumps({"figure": {"data": [], "layout": {}}}), encoding="utf-8")
    return spec


def test_an_early_chromium_session_serves_every_export_until_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeSession
    fake.calls = []
    monkeypatch.setattr(browser, "Session", fake)
    monkeypatch.setattr(browser, "find_chromium", lambda: "/usr/bin/chromium")
    a, b = write_spec(tmp_path, "a"), write_spec(tmp_path, "b")
    artifacts.start_chromium()
    try:
        artifacts.export_figures(tmp_path, specs=[a])
        artifacts.export_figures(tmp_path, specs=[b])
    finally:
        artifacts.stop_chromium()
    assert fake.calls == ["start", "svg", "svg", "stop"]
    assert (tmp_path / "figures" / "b.svg").read_text(encoding="utf-8") == "<svg/>"

    # Without an early session, an export opens and closes its own.
    fake.calls.clear()
    artifacts.export_figures(tmp_path)
    assert fake.calls == ["start", "svg", "svg", "stop"]


# --- tables: DataFrames in, the same CSV bytes and JSON as the csv-module writer before -------


def csv_before(headings: list[str], rows: list[list[Any]]) -> str:
    """The CSV that Artifacts.table wrote with the csv module before it took DataFrames."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(headings)
    writer.writerows([["" if v is None else escape.csv_cell(v) for v in row] for row in rows])
    return buf.getvalue()


CELLS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(),
    st.sampled_from(["=1+1", "-", "+44", "@x", '"quoted", and, commas', "two\nlines", "a\rb"]),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(CELLS, min_size=3, max_size=3), max_size=8))
def test_table_csv_and_json_are_those_of_the_writer_before(rows: list[list[Any]]) -> None:
    frame = pd.DataFrame(rows, columns=["a", "b", "c"], dtype=object)
    labels = {"a": "A, first", "b": '"B"'}
    with tempfile.TemporaryDirectory() as tmp:
        artifacts.Artifacts(tmp).table("t", frame, caption="c", labels=labels)
        written = (Path(tmp) / "data" / "t.csv").read_bytes()
        spec = json.loads((Path(tmp) / "tables" / "t.json").read_text(encoding="utf-8"))
    assert written == csv_before(["A, first", '"B"', "c"], rows).encode("utf-8")
    assert spec["rows"] == [dict(zip("abc", row, strict=True)) for row in rows]
    assert spec["columns"] == [
        {"key": "a", "label": "A, first"}, {"key": "b", "label": '"B"'}, {"key": "c", "label": "c"},
    ]  # fmt: skip


def test_table_takes_typed_columns_and_a_named_index(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "phase": pd.array([1, None], dtype="Int64"),
            "reversible": pd.array([True, None], dtype="boolean"),
            "track": pd.Categorical(["energy", "=sanctions"]),
            "text": pd.array(["x", None], dtype="string"),
        },
        index=pd.Index(["M1", "M2"], name="id"),
    )
    artifacts.Artifacts(tmp_path).table("m", frame, caption="c", widths=[0.2] * 5)
    spec = json.loads((tmp_path / "tables" / "m.json").read_text(encoding="utf-8"))
    assert [c["key"] for c in spec["columns"]] == ["id", "phase", "reversible", "track", "text"]
    assert spec["rows"] == [
        {"id": "M1", "phase": 1, "reversible": True, "track": "energy", "text": "x"},
        {"id": "M2", "phase": None, "reversible": None, "track": "=sanctions", "text": None},
    ]
    assert (tmp_path / "data" / "m.csv").read_text(encoding="utf-8") == (
        "id,phase,reversible,track,text\nM1,1,True,energy,x\nM2,,,'=sanctions,\n"
    )


def test_table_leaves_out_an_unnamed_index(tmp_path: Path) -> None:
    frame = pd.DataFrame({"v": ["a", "b"]}, index=[7, 9])
    artifacts.Artifacts(tmp_path).table("t", frame, caption="c")
    assert (tmp_path / "data" / "t.csv").read_text(encoding="utf-8") == "v\na\nb\n"


@pytest.mark.parametrize(
    ("frame", "kwargs", "message"),
    [
        (pd.DataFrame({"v": [1]}), {"labels": {"w": "W"}}, r"labels for no column: \['w'\]"),
        (pd.DataFrame({"v": [1]}), {"widths": [0.5, 0.5]}, "2 widths for 1 columns"),
        (pd.DataFrame([[1, 2]], columns=["v", "v"]), {}, "duplicate columns"),
    ],
)
def test_table_rejects_what_the_brief_could_not_show(
    tmp_path: Path, frame: pd.DataFrame, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        artifacts.Artifacts(tmp_path).table("t", frame, caption="c", **kwargs)


def test_table_cells_are_plain_values(tmp_path: Path) -> None:
    frame = pd.DataFrame({"when": [pd.Period("2024-02", "M")]})
    with pytest.raises(TypeError, match=r"table 't': cell Period\('2024-02', 'M'\) is not text"):
        artifacts.Artifacts(tmp_path).table("t", frame, caption="c")


@pytest.mark.build
def test_built_tables_csv_are_what_the_writer_before_made_of_their_data(built: Path) -> None:
    tables = sorted((built / "tables").glob("*.json"))
    assert len(tables) >= 10
    for path in tables:
        spec = json.loads(path.read_text(encoding="utf-8"))
        # The CSV keeps the columns the brief does not print (views.table: empty ones).
        keys = [c["key"] for c in spec["csv_columns"]]
        rows = [[row[k] for k in keys] for row in spec["rows"]]
        expected = csv_before([c["label"] for c in spec["csv_columns"]], rows)
        assert (built / spec["csv"]).read_text(encoding="utf-8") == expected, path.name
