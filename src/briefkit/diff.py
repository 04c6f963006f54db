"""What changed between two versions of a brief: a semantic diff of readings and matrices.

The diff is generic over the reading's shape: a list of records with an ``id`` is compared by
id, any other list as a set of values, a mapping field by field. New reading fields therefore
show up without changes here. Matrices are the published ``data/*matrix*.csv`` tables, compared
cell by cell (rows keyed by their first column).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

#: Published tables whose cells are diffed (the condition matrix and any later matrix).
MATRIX_GLOB = "*matrix*.csv"

Kind = Literal["added", "removed", "changed"]
Table = list[list[str]]


@dataclass(frozen=True)
class Change:
    """One difference: what kind, in which group (reading list or table), of what, and how."""

    kind: Kind
    group: str
    key: str
    detail: str

    def __str__(self) -> str:
        key = f" {self.key}" if self.key else ""
        detail = f": {self.detail}" if self.detail else ""
        return f"{self.group}: {self.kind}{key}{detail}"


def _short(value: Any, limit: int = 160) -> str:
    if isinstance(value, str):
        text = " ".join(value.split())
    else:
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _label(item: Mapping[str, Any]) -> str:
    for field in ("text", "name", "quote"):
        if isinstance(item.get(field), str):
            return _short(item[field])
    return ""


def _canon(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _is_records(values: Sequence[Any]) -> bool:
    return all(isinstance(v, Mapping) and isinstance(v.get("id"), str) for v in values)


def _field_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> str:
    fields = [k for k in dict.fromkeys([*old, *new]) if _canon(old.get(k)) != _canon(new.get(k))]
    if fields == ["text"]:
        return f"text “{_short(old.get('text'))}” → “{_short(new.get('text'))}”"
    return ", ".join(fields)


def _diff_records(group: str, old: Sequence[Any], new: Sequence[Any]) -> list[Change]:
    before = {item["id"]: item for item in old}
    after = {item["id"]: item for item in new}
    changes = [Change("added", group, i, _label(after[i])) for i in after if i not in before]
    changes += [Change("removed", group, i, _label(before[i])) for i in before if i not in after]
    for i in after:
        if i in before and _canon(before[i]) != _canon(after[i]):
            changes.append(Change("changed", group, i, _field_changes(before[i], after[i])))
    return changes


def _diff_values(group: str, old: Sequence[Any], new: Sequence[Any]) -> list[Change]:
    before = {_canon(v): v for v in old}
    after = {_canon(v): v for v in new}
    changes = [
        Change("added", group, "", _label(v) if isinstance(v, Mapping) else _short(v))
        for k, v in after.items()
        if k not in before
    ]
    changes += [
        Change("removed", group, "", _label(v) if isinstance(v, Mapping) else _short(v))
        for k, v in before.items()
        if k not in after
    ]
    return changes


def diff_readings(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Change]:
    """Compare two readings (as JSON data): items by id, other lists as sets, mappings by field."""
    changes: list[Change] = []
    for group in dict.fromkeys([*new, *old]):
        a, b = old.get(group), new.get(group)
        if _canon(a) == _canon(b):
            continue
        if isinstance(a, list) and isinstance(b, list):
            if _is_records(a) and _is_records(b):
                changes += _diff_records(group, a, b)
            else:
                changes += _diff_values(group, a, b)
        elif isinstance(a, Mapping) and isinstance(b, Mapping):
            changes.append(Change("changed", group, "", _field_changes(a, b)))
        elif a is None:
            changes.append(Change("added", group, "", _short(b)))
        elif b is None:
            changes.append(Change("removed", group, "", _short(a)))
        else:
            changes.append(Change("changed", group, "", f"{_short(a)} → {_short(b)}"))
    return changes


def parse_csv(text: str) -> Table:
    """Parse a published CSV table into rows of strings (the first row is the header)."""
    return [row for row in csv.reader(io.StringIO(text)) if row]


def read_matrices(data_dir: Path) -> dict[str, Table]:
    """The matrix tables (``*matrix*.csv``) of a build's or a release's ``data/`` folder."""
    return {
        p.stem: parse_csv(p.read_text(encoding="utf-8"))
        for p in sorted(data_dir.glob(MATRIX_GLOB))
        if p.is_file()
    }


def _row_key(row: Sequence[str]) -> str:
    # Matrix rows are labelled "M1: text"; the id before the colon survives a wording change.
    return row[0].split(":", 1)[0].strip() if row else ""


def _cell_text(value: str) -> str:
    """A cell's text as a change shows it: quoted, or "(empty)" (a matrix's blank cell)."""
    return repr(value) if value else "(empty)"


def diff_table(name: str, old: Table, new: Table) -> list[Change]:
    """Compare two tables cell by cell; rows keyed by their first column, columns by header."""
    if not old or not new:
        return [] if old == new else [Change("added" if new else "removed", name, "", "table")]
    old_cols, new_cols = old[0], new[0]
    before = {_row_key(r): dict(zip(old_cols, r, strict=False)) for r in old[1:]}
    after = {_row_key(r): dict(zip(new_cols, r, strict=False)) for r in new[1:]}
    changes = [Change("added", name, f"row {k}", "") for k in after if k not in before]
    changes += [Change("removed", name, f"row {k}", "") for k in before if k not in after]
    changes += [Change("added", name, f"column {c}", "") for c in new_cols if c not in old_cols]
    changes += [Change("removed", name, f"column {c}", "") for c in old_cols if c not in new_cols]
    for key, row in after.items():
        if key not in before:
            continue
        for col in new_cols[1:]:
            if col in old_cols and before[key].get(col, "") != row.get(col, ""):
                was, now = before[key].get(col, ""), row.get(col, "")
                shown = f"{_cell_text(was)} → {_cell_text(now)}"
                changes.append(Change("changed", name, f"cell {key}, {col}", shown))
    return changes


def diff_matrices(old: Mapping[str, Table], new: Mapping[str, Table]) -> list[Change]:
    """Compare every matrix table of two versions."""
    changes: list[Change] = []
    for name in sorted(set(old) | set(new)):
        changes += diff_table(name, old.get(name, []), new.get(name, []))
    return changes
