"""Artifacts: static figure exports carry no random ids and share one Chromium session."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import ClassVar

import pytest

from briefkit import artifacts, browser
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

    def svg(self, fig: dict[str, object], width: int, height: int) -> str:
        self.calls.append("svg")
        return "<svg/>"

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
