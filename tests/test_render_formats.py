"""The format registry: one place that knows each output format."""

from __future__ import annotations

import pytest

from briefkit.render import (
    FORMATS,
    REGISTRY,
    get_format,
    needs_static_figures,
    static_figure_types,
)


def test_formats_keeps_its_meaning_name_to_file() -> None:
    assert FORMATS == {"html": "brief.html", "pdf": "brief.pdf", "docx": "brief.docx"}
    assert list(REGISTRY) == list(FORMATS)


def test_each_format_names_its_writers() -> None:
    assert (get_format("html").pandoc_to, get_format("html").quarto_to) == ("html5", "html")
    assert (get_format("pdf").pandoc_to, get_format("pdf").quarto_to) == ("typst", "typst")
    assert (get_format("docx").pandoc_to, get_format("docx").quarto_to) == ("docx", "docx")


@pytest.mark.parametrize(
    ("formats", "expected"),
    [(["html"], False), (["pdf"], True), (["html", "pdf"], True), ([], False), (["docx"], True)],
)
def test_needs_static_figures(formats: list[str], expected: bool) -> None:
    assert needs_static_figures(formats) is expected


@pytest.mark.parametrize(
    ("formats", "expected"),
    [
        (["html"], ()),
        (["pdf"], ("svg",)),
        (["docx"], ("png",)),
        (["html", "pdf", "docx"], ("png", "svg")),
    ],
)
def test_static_figure_types(formats: list[str], expected: tuple[str, ...]) -> None:
    assert static_figure_types(formats) == expected


def test_unknown_format_is_named() -> None:
    with pytest.raises(ValueError, match="unknown format 'odt': choose from html, pdf, docx"):
        needs_static_figures(["odt"])
