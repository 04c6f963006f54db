"""The output formats: one registry of what each format is, writes and needs.

Everything that differs between formats is here (file name, pandoc writer, Quarto format, static
figure types, the tools it runs, how it is finished and how a whole file is recognised), so that
the engines, the build, the figure export and the CLI ask the registry instead of naming a
format. What a format does beyond that lives in its own module (``render/<name>.py``), which
the registry entry points to; ``tests/test_formats_registry.py`` fails on a format's name
anywhere else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from briefkit.errors import RenderFailed
from briefkit.render import docx, html, pdf

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


class Compiler(Protocol):
    """Turns the intermediate file the embedded engine wrote into the output (typst -> PDF)."""

    def __call__(self, source: Path, output: Path, *, root: Path, timestamp: int) -> None:
        """Write ``output`` from ``source``; files are read only under ``root``."""
        ...


#: Completes an output whichever engine wrote it: (file, build folder, timestamp) -> file.
Finisher = Callable[[Path, Path, int], Path]
#: Embeds what an output links, in place: (file, folder its links are relative to) -> done.
Embedder = Callable[[Path, Path], bool]


@dataclass(frozen=True)
class FigureType:
    """A static figure file Chromium draws from a plotly figure (kaleido's image formats)."""

    #: The file suffix, which is also kaleido's ``format``.
    name: str
    #: Pixels per CSS pixel for a raster image; None for a vector drawing (no scale is passed).
    scale: int | None
    #: A text drawing: plotly's random ids in it are pinned, so that it is reproducible.
    text: bool


#: Every static figure type a format can embed.
FIGURE_TYPES: dict[str, FigureType] = {
    "svg": FigureType("svg", scale=None, text=True),
    # 2 pixels per CSS pixel: sharp in print at a page's width.
    "png": FigureType("png", scale=2, text=False),
}


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
    #: The static figure files it embeds (keys of ``FIGURE_TYPES``), exported by Chromium;
    #: none for live plotly figures.
    figure_files: tuple[str, ...]
    #: What is wrong with an output given its first and last bytes, or None when it is whole.
    check: Callable[[bytes, bytes], str | None]
    #: Completes an engine's output before it is checked again and moved into place.
    finish: Finisher | None = None
    #: Makes the embedded engine's output self-contained instead of pandoc's
    #: ``--embed-resources``, when it can: (output, folder pandoc ran in) -> done; False
    #: leaves it to pandoc (see ``PandocEngine``).
    embed: Embedder | None = None
    #: The intermediate file the embedded engine writes, and what compiles it into the output.
    intermediate: str | None = None
    compile: Compiler | None = None
    #: Python distributions its embedded route runs besides pandoc: their versions are part of
    #: the engine's version and of the render steps' keys.
    tools: tuple[str, ...] = ()
    #: Options of its ``format:`` section in ``_quarto.yml`` that only Quarto reads.
    quarto_only: tuple[str, ...] = ()

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
    # A page that loads plotly.js gets it inlined once, after the engine.
    finish=html.finish,
    # Its stylesheets inlined by briefkit, as pandoc would: pandoc's embedding re-reads the page.
    embed=html.embed_stylesheets,
    # Quarto's page without Bootstrap (src/format/html/format-html.ts: theme "none"); pandoc's
    # own HTML template has none to begin with.
    quarto_only=("minimal",),
)
PDF = Format(
    name="pdf",
    output="brief.pdf",
    pandoc_to="typst",
    quarto_to="typst",
    figure_files=("svg",),
    check=_check_pdf,
    intermediate="brief.typ",
    compile=pdf.compile_typst,
    tools=("typst",),
)

# Word: pandoc's docx writer, real Word tables, figures as PNG (Word reads PNG everywhere; an
# SVG needs a PNG fallback beside it that pandoc makes only with rsvg-convert, and EMF has no
# exporter here), the brief's styles from the reference document named in _quarto.yml. Its zip
# dates and core properties are set from the build, whichever engine wrote it.
DOCX = Format(
    name="docx",
    output="brief.docx",
    pandoc_to="docx",
    quarto_to="docx",
    figure_files=("png",),
    check=_check_zip,
    finish=docx.make_reproducible,
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
    """Whether any of ``formats`` embeds static figures, so Chromium must export them."""
    return any(get_format(name).static_figures for name in formats)


def static_figure_types(formats: Iterable[str]) -> tuple[str, ...]:
    """The static figure files ``formats`` embed ("png", "svg"), sorted; empty for none."""
    return tuple(sorted({kind for name in formats for kind in get_format(name).figure_files}))


def figure_type(name: str) -> FigureType:
    """The static figure type called ``name`` ("svg", "png")."""
    return FIGURE_TYPES[name]


def render_tools() -> tuple[str, ...]:
    """The Python distributions the formats' embedded routes run besides pandoc, once each."""
    return tuple(dict.fromkeys(tool for f in REGISTRY.values() for tool in f.tools))


def quarto_only_options() -> tuple[str, ...]:
    """The ``_quarto.yml`` options that only Quarto reads, in any format's section."""
    return tuple(dict.fromkeys(key for f in REGISTRY.values() for key in f.quarto_only))


def output_suffixes() -> tuple[str, ...]:
    """Every file suffix the formats write, outputs and intermediates (".html", ".typ"), sorted."""
    names = [f.output for f in REGISTRY.values()]
    names += [f.intermediate for f in REGISTRY.values() if f.intermediate]
    return tuple(sorted({Path(name).suffix for name in names}))


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
