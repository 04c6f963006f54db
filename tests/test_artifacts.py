"""Artifacts: static figure exports carry no random ids."""

from __future__ import annotations

from types import SimpleNamespace

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
