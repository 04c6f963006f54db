"""The output formats: one registry of what each format is, writes and needs.

Everything that differs between formats is here (file name, pandoc writer, Quarto format, static
figures, how a finished file is recognised), so that the engines, the build and the CLI ask the
registry instead of testing format names.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from briefkit.errors import RenderFailed

#: How many bytes of an output's start and end ``verify`` looks at.
_PROBE = 1024


def _check_html(head: bytes, tail: bytes) -> str | None:
    if b"<html" not in head.lower():
        return "an HTML output with no <html> element"
    if b"</html>" not in tail.lower():
        return "an incomplete HTML output, with no </html>"
    return None


def _check_pdf(head: bytes, tail: bytes) -> str | None:
    if not head.startswith(b"%PDF-") or b"%%EOF" not in tail:
        return "an incomplete PDF"
    return None


def _check_zip(head: bytes, tail: bytes) -> str | None:
    # A zip package starts with a local file header and ends with the end of central directory.
    if not head.startswith(b"PK\x03\x04") or b"PK\x05\x06" not in tail:
        return "an incomplete zip package"
    return None


@dataclass(frozen=True)
class Format:
    """One output format of the brief."""

    #: The name users pass to ``--formats``.
    name: str
    #: The file it produces in ``_build/<seed>/``.
    output: str
    #: pandoc's ``--to`` writer (for PDF: the typst source, compiled afterwards).
    pandoc_to: str
    #: Quarto's ``--to`` format, which is also its key under ``format:`` in ``_quarto.yml``.
    quarto_to: str
    #: The static figure files it embeds, exported by Chromium ("svg", "png"); none for live
    #: plotly figures.
    figure_files: tuple[str, ...]
    #: What is wrong with an output given its first and last bytes, or None when it is whole.
    check: Callable[[bytes, bytes], str | None]
    #: A page that loads plotly.js gets it inlined once after the engine (``base.complete_page``).
    inline_plotly: bool = False
    #: An Office Open XML package: its zip dates and core properties are set from the build
    #: (see ``briefkit.render.docx``), whichever engine wrote it.
    ooxml: bool = False
    #: The intermediate file the embedded engine writes and compiles (typst), if any.
    intermediate: str | None = None

    @property
    def static_figures(self) -> bool:
        """Whether its figures are static files exported by Chromium."""
        return bool(self.figure_files)


HTML = Format(
    name="html",
    output="brief.html",
    pandoc_to="html5",
    quarto_to="html",
    figure_files=(),
    check=_check_html,
    inline_plotly=True,
)
PDF = Format(
    name="pdf",
    output="brief.pdf",
    pandoc_to="typst",
    quarto_to="typst",
    figure_files=("svg",),
    check=_check_pdf,
    intermediate="brief.typ",
)

# Word: pandoc's docx writer, real Word tables, figures as PNG (Word reads PNG everywhere; an
# SVG needs a PNG fallback beside it that pandoc makes only with rsvg-convert, and EMF has no
# exporter here), the brief's styles from the reference document named in _quarto.yml.
DOCX = Format(
    name="docx",
    output="brief.docx",
    pandoc_to="docx",
    quarto_to="docx",
    figure_files=("png",),
    check=_check_zip,
    ooxml=True,
)

#: Every format, by name, in the order they are rendered and listed.
REGISTRY: dict[str, Format] = {f.name: f for f in (HTML, PDF, DOCX)}
#: What a build renders when no format is asked for.
DEFAULT_FORMATS: tuple[str, ...] = ("html", "pdf")
#: {format: output file name}: what the build and the CLI used before the registry existed.
FORMATS: dict[str, str] = {name: f.output for name, f in REGISTRY.items()}


def get_format(name: str) -> Format:
    """The registered format called ``name``; ValueError for any other name."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown format {name!r}: choose from {', '.join(REGISTRY)}") from None


def needs_static_figures(formats: Iterable[str]) -> bool:
    """Whether any of ``formats`` embeds static (SVG) figures, so Chromium must export them."""
    return any(get_format(name).static_figures for name in formats)


def static_figure_types(formats: Iterable[str]) -> tuple[str, ...]:
    """The static figure files ``formats`` embed ("png", "svg"), sorted; empty for none."""
    return tuple(sorted({kind for name in formats for kind in get_format(name).figure_files}))


def verify(path: Path, fmt: str, engine: str) -> Path:
    """Check that ``engine`` really wrote a whole ``fmt`` file at ``path``; raise RenderFailed."""
    if not path.is_file():
        raise RenderFailed(f"{engine} reported success but wrote no {fmt} output ({path})")
    size = path.stat().st_size
    if size == 0:
        raise RenderFailed(f"{engine} wrote an empty {fmt} output ({path})")
    with path.open("rb") as f:
        head = f.read(_PROBE)
        f.seek(max(0, size - _PROBE))
        tail = f.read()
    problem = get_format(fmt).check(head, tail)
    if problem is not None:
        raise RenderFailed(f"{engine} wrote {problem} ({path})")
    return path
