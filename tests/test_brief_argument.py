"""The brief's argument section: claims with what they support, tables without empty columns,
the argument map (thesis, every link, no edge through a node) and the PDF's outline."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pandas as pd
import pytest

from briefkit import views
from briefkit.artifacts import Artifacts

# --- tables: what a claim supports, and no column with nothing in it ---------------------------


def test_table_leaves_out_columns_with_nothing_in_them_and_keeps_them_in_the_csv(
    tmp_path: Path,
) -> None:
    frame = pd.DataFrame(
        {
            "id": ["C1", "C2"],
            "text": ["One", "Two"],
            "dashes": ["\u2014", "\u2014"],
            "gaps": pd.array([None, None], dtype="string"),
            "blank": ["", " "],
            "some": ["\u2014", "C1"],
            "zero": [0, 0],
        }
    ).set_index("id")
    out = Artifacts(tmp_path)
    views.table(
        out,
        "t",
        frame,
        caption="c",
        labels={"dashes": "Dashes", "some": "Some"},
        widths=[0.1, 0.3, 0.1, 0.1, 0.1, 0.2, 0.1],
    )
    spec = json.loads((tmp_path / "tables" / "t.json").read_text(encoding="utf-8"))
    assert [c["key"] for c in spec["columns"]] == ["id", "text", "some", "zero"]
    # The left-out columns' width goes to the others, in proportion.
    assert spec["widths"] == pytest.approx([1 / 7, 3 / 7, 2 / 7, 1 / 7], abs=1e-4)
    rows = list(csv.reader(io.StringIO((tmp_path / "data" / "t.csv").read_text("utf-8"))))
    assert rows[0] == ["id", "text", "Dashes", "gaps", "blank", "Some", "zero"]
    assert rows[2] == ["C2", "Two", "\u2014", "", " ", "C1", "0"]


def test_a_table_with_no_rows_keeps_its_columns(tmp_path: Path) -> None:
    frame = pd.DataFrame({"id": pd.array([], dtype="string"), "text": pd.array([], "string")})
    views.table(Artifacts(tmp_path), "t", frame.set_index("id"), caption="c")
    spec = json.loads((tmp_path / "tables" / "t.json").read_text(encoding="utf-8"))
    assert [c["key"] for c in spec["columns"]] == ["id", "text"]
