"""The house style is read from _quarto.yml, for the embedded engine too."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from briefkit.errors import InvalidInput
from briefkit.render.formats import DOCX, HTML, PDF
from briefkit.render.project import load_project, pandoc_defaults

REPO = Path(__file__).resolve().parents[1]


def test_the_projects_house_style_as_pandoc_defaults() -> None:
    project = load_project(REPO)
    assert pandoc_defaults(project, HTML) == {
        "filters": ["briefing/filters/briefkit.lua", "briefing/filters/table-captions.lua"],
        "embed-resources": True,
        "css": ["briefing/brief.css"],
        # The HTML's table of contents is the filter's (a sidebar, folded on a phone).
        "table-of-contents": False,
        "shift-heading-level-by": 1,
        "metadata": {"lang": "en-GB"},
    }
    assert pandoc_defaults(project, PDF) == {
        "filters": ["briefing/filters/briefkit.lua", "briefing/filters/table-captions.lua"],
        "table-of-contents": False,
        "include-in-header": ["briefing/brief-typst.typ"],
        "variables": {
            "papersize": "a4",
            "page-numbering": "1 / 1",
            "margin": {"x": "2cm", "y": "2cm"},
            "fontsize": "10pt",
        },
        "metadata": {"lang": "en-GB"},
    }


def test_an_option_the_embedded_engine_does_not_know_is_named_with_its_line(
    tmp_path: Path,
) -> None:
    shutil.copy2(REPO / "_quarto.yml", tmp_path / "_quarto.yml")
    text = (tmp_path / "_quarto.yml").read_text(encoding="utf-8")
    (tmp_path / "_quarto.yml").write_text(
        text.replace("    fontsize: 10pt\n", "    fontsize: 10pt\n    columns: 2\n"),
        encoding="utf-8",
    )
    line = text.splitlines().index("    fontsize: 10pt") + 2
    with pytest.raises(InvalidInput) as info:
        pandoc_defaults(load_project(tmp_path), PDF)
    assert str(info.value).startswith(
        f"_quarto.yml:{line}: format.typst.columns: the embedded engine does not know this option"
    )
    assert info.value.exit_code == 2


def test_a_broken_project_file_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "_quarto.yml").write_text("format:\n  html: [\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match=r"^_quarto\.yml:3: "):
        load_project(tmp_path)


def test_word_takes_the_reference_document_and_no_pandoc_outline() -> None:
    assert pandoc_defaults(load_project(REPO), DOCX) == {
        "filters": ["briefing/filters/briefkit.lua", "briefing/filters/table-captions.lua"],
        "reference-doc": "briefing/brief-reference.docx",
        "table-of-contents": False,
        "metadata": {"lang": "en-GB"},
    }
