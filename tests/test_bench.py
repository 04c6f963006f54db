"""The benchmark's naive baseline still builds the real brief (so `nox -s bench` cannot rot)."""

from __future__ import annotations

from pathlib import Path

import pytest

from briefkit.bench import naive_build

from .conftest import SEED

pytestmark = pytest.mark.build


def test_naive_baseline_builds_the_brief(project: Path) -> None:
    parts = naive_build(project, SEED, "pandoc", "html")
    html = project / "_build" / SEED / "brief.html"
    assert html.is_file()
    assert "</html>" in html.read_text(encoding="utf-8")[-200:]
    assert set(parts) == {"notebooks", "figures", "render", "total"}
    assert parts["total"] == pytest.approx(parts["notebooks"] + parts["figures"] + parts["render"])
