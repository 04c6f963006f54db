"""Artifacts that notebooks hand to the brief: tables, figures, texts, and their static exports.

Notebooks describe *data* (plain strings, numbers, plotly figures); they never write markup.
The brief's Lua filter turns these files into pandoc AST nodes made of plain text, so text from
a seed cannot act as markup in either engine.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from briefkit import escape

# The Chromium functions live in briefkit.browser; steps.py still calls them through here.
from briefkit.browser import chromium_open as chromium_open
from briefkit.browser import chromium_session
from briefkit.browser import find_chromium as find_chromium
from briefkit.browser import start_chromium as start_chromium
from briefkit.browser import stop_chromium as stop_chromium

if TYPE_CHECKING:
    # Only for annotations: the build imports this module, and a no-change build must not pay
    # for pandas. Notebooks, which pass the frames, have it imported already.
    import pandas as pd

logger = logging.getLogger("briefkit")

Cell = str | int | float | bool | None

#: The keys of a list entry that is not a plain string: ``text`` (required), ``lead`` (shown
#: in bold before it, e.g. "High confidence."), ``items`` (a nested list of entries).
ENTRY_KEYS = frozenset({"text", "lead", "items"})


def _entry(name: str, value: object, where: str) -> object:
    """A list entry of text ``name``, checked: a string, or a dict of ENTRY_KEYS with text."""
    if isinstance(value, str):
        return value
    if not isinstance(value, Mapping) or "text" not in value or set(value) - ENTRY_KEYS:
        raise TypeError(
            f"text {name!r}, entry {where}: give a string or a dict with 'text' "
            f"(and optionally 'lead', 'items'), not {value!r}"
        )
    entry: dict[str, object] = {}
    for key in ("lead", "text"):
        if key in value:
            if not isinstance(value[key], str):
                raise TypeError(f"text {name!r}, entry {where}: {key!r} must be a string")
            entry[key] = value[key]
    if "items" in value:
        entry["items"] = [_entry(name, sub, f"{where}.{i}") for i, sub in enumerate(value["items"])]
    return entry


_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


def _check_name(name: str) -> str:
    if not _NAME.match(name):
        raise ValueError(f"artifact name {name!r}: use lower-case letters, digits and '-'")
    return name


def _cell(table: str, value: object) -> Cell:
    """A table cell as plain JSON data: missing values (None, NaN, NA, NaT) become None."""
    import pandas as pd

    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool | int | float | str):
        return None if isinstance(value, float) and value != value else value
    item = getattr(value, "item", None)  # a numpy scalar
    if callable(item):
        return _cell(table, item())
    raise TypeError(f"table {table!r}: cell {value!r} is not text, a number or a boolean")


def _shares(widths: Sequence[float], shown: Sequence[int]) -> list[float]:
    """The ``shown`` columns' widths, scaled to fill the table's width again when some are left
    out (rounded, so that the JSON stays short)."""
    if len(shown) == len(widths):
        return list(widths)
    kept = sum(widths[i] for i in shown)
    if not kept:
        return [widths[i] for i in shown]
    return [round(widths[i] * sum(widths) / kept, 4) for i in shown]


def _records(
    name: str, frame: pd.DataFrame, labels: Mapping[str, str] | None
) -> tuple[list[str], list[str], list[list[Cell]]]:
    """A frame's column keys, their headings and its rows as plain cells (a named index first)."""
    if frame.index.names != [None]:
        frame = frame.reset_index()
    keys = [str(k) for k in frame.columns]
    if len(set(keys)) != len(keys):
        raise ValueError(f"table {name!r}: duplicate columns {keys}")
    labels = dict(labels or {})
    unknown = sorted(set(labels) - set(keys))
    if unknown:
        raise ValueError(f"table {name!r}: labels for no column: {unknown}")
    # Plain Python values, cell by cell: pandas' own conversions would turn a column of
    # whole numbers with a gap into floats.
    rows = [
        [_cell(name, value) for value in row] for row in frame.astype(object).to_numpy().tolist()
    ]
    return keys, [labels.get(k, k) for k in keys], rows


#: Set by briefkit in a notebook's kernel: a file to which every written artifact is appended, so
#: the build's cache knows which notebook owns which artifact (see briefkit.cache).
ARTIFACT_LOG_ENV = "BRIEFKIT_ARTIFACT_LOG"


def _log_written(path: Path) -> Path:
    log = os.environ.get(ARTIFACT_LOG_ENV)
    if log:
        with open(log, "a", encoding="utf-8") as f:
            f.write(f"{path.resolve()}\n")
    return path


def write_json(path: Path, data: Any) -> None:
    """Write ``data`` as stable, sorted, UTF-8 JSON (byte-identical for equal data), atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n")


def write_text_atomic(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` in one rename (a kill leaves the old or the new file)."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


class Artifacts:
    """Writer for one notebook's artifacts under a build folder."""

    def __init__(self, build_dir: str | Path) -> None:
        self.root = Path(build_dir)

    def table(
        self,
        name: str,
        frame: pd.DataFrame,
        *,
        caption: str,
        labels: Mapping[str, str] | None = None,
        widths: Sequence[float] | None = None,
        hidden: Collection[str] = (),
        symbols: Mapping[str, str] | None = None,
        instead: str | None = None,
    ) -> Path:
        """Write a DataFrame as a table: JSON for the brief, CSV for readers.

        Its columns are the table's, in order, after a named index (an unnamed one is left out);
        ``labels`` gives a column its heading (default: its name). Missing values are empty
        cells; every cell must be text, a number or a boolean. ``hidden`` columns are written
        to the CSV only: the brief does not print them, and the other columns share their width.
        ``symbols`` maps cell texts to the symbols the brief shows for them (a matrix's marks):
        a column whose cells are all such texts (or empty) shows the symbols, centred, the text
        staying as their equivalent for screen readers; the CSV keeps the texts. ``instead``
        is a sentence the brief shows in place of the table (e.g. "The article dates no
        events." when it has no rows); the CSV is written all the same.
        """
        _check_name(name)
        keys, headings, rows = _records(name, frame, labels)
        if widths is not None and len(widths) != len(keys):
            raise ValueError(f"table {name!r}: {len(widths)} widths for {len(keys)} columns")
        if symbols is not None and not all(isinstance(v, str) and v for v in symbols.values()):
            raise ValueError(f"table {name!r}: every symbol must be a non-empty string")
        unknown = sorted(set(hidden) - set(keys))
        if unknown:
            raise ValueError(f"table {name!r}: hidden columns that are not there: {unknown}")
        shown = [i for i, k in enumerate(keys) if k not in hidden]
        columns = [{"key": k, "label": h} for k, h in zip(keys, headings, strict=True)]
        spec: dict[str, object] = {
            "caption": caption,
            "columns": [columns[i] for i in shown],
            # The CSV's columns, hidden ones included (their cells are in the rows too).
            "csv_columns": columns,
            "rows": [dict(zip(keys, row, strict=True)) for row in rows],
            "widths": _shares(widths, shown) if widths else None,
            "csv": f"data/{name}.csv",
        }
        if symbols:
            # Only when given: every other table's JSON stays as it was.
            spec["symbols"] = dict(symbols)
        if instead is not None:
            spec["instead"] = instead
        path = _log_written(self.root / "tables" / f"{name}.json")
        write_json(path, spec)
        self._write_csv(name, keys, headings, rows)
        return path

    def csv(
        self, name: str, frame: pd.DataFrame, *, labels: Mapping[str, str] | None = None
    ) -> Path:
        """Write a DataFrame as a CSV for readers only (``data/<name>.csv``, no table in the
        brief), as ``table`` writes its data."""
        _check_name(name)
        return self._write_csv(name, *_records(name, frame, labels))

    def _write_csv(
        self, name: str, keys: list[str], headings: list[str], rows: list[list[Cell]]
    ) -> Path:
        import pandas as pd

        # Cells a spreadsheet would run as formulas get a leading "'" (escape.csv_cell).
        cells = [[escape.csv_cell(value) for value in row] for row in rows]
        text = pd.DataFrame(cells, columns=keys, dtype=object).to_csv(
            index=False, header=headings, lineterminator="\n", na_rep=""
        )
        data = _log_written(self.root / "data" / f"{name}.csv")
        data.parent.mkdir(parents=True, exist_ok=True)
        data.write_text(text, encoding="utf-8")
        return data

    def figure(
        self, name: str, fig: Any, *, caption: str, alt: str, instead: str | None = None
    ) -> Path:
        """Write a plotly figure as JSON; HTML and SVG are made later, all in one pass.

        Its text attributes (``text``, ``hovertext``, ``name``…) are data: plotly's pseudo-HTML
        in them is escaped here (escape.plotly_figure_text), so it shows as written.
        ``instead`` is a sentence the brief shows in place of the figure (one with nothing to
        draw); the figure is still written, so its exports stay what the build expects.
        """
        _check_name(name)
        if not alt.strip():
            raise ValueError(f"figure {name!r} needs alt text")
        figure = escape.plotly_figure_text(json.loads(fig.to_json()))
        spec = {"caption": caption, "alt": alt, "figure": figure}
        if instead is not None:
            spec["instead"] = instead
        path = _log_written(self.root / "figures" / f"{name}.json")
        write_json(path, spec)
        return path

    def text(self, name: str, value: str | Sequence[str | Mapping[str, Any]]) -> Path:
        """Write a text, or a list of entries, that the brief shows verbatim.

        An entry is a string, or ``{"lead": ..., "text": ..., "items": [entries]}``: a bold
        lead-in, its text, and a nested list (``.bk-list`` shows them in every format).
        """
        _check_name(name)
        path = _log_written(self.root / "texts" / f"{name}.json")
        if isinstance(value, str):
            write_json(path, value)
        else:
            write_json(path, [_entry(name, v, str(i)) for i, v in enumerate(value)])
        return path

    def article(self, name: str, value: Mapping[str, Any]) -> Path:
        """Write an annotated article (``briefkit.present.annotated_article``) for the brief's
        ``.bk-article`` element: its paragraphs as pieces of text, and where each item quotes it."""
        _check_name(name)
        if not isinstance(value.get("paragraphs"), list) or not isinstance(value.get("refs"), dict):
            raise TypeError(f"article {name!r}: give {{'paragraphs': [...], 'refs': {{...}}}}")
        path = _log_written(self.root / "texts" / f"{name}.json")
        write_json(path, dict(value))
        return path

    def data(self, name: str, value: Any) -> Path:
        """Write a JSON data file for readers to download."""
        _check_name(name)
        path = _log_written(self.root / "data" / f"{name}.json")
        write_json(path, value)
        return path


def write_downloads(build_dir: Path) -> Path:
    """List the build's data files, with what each holds, for the brief's data appendix."""
    files = []
    for path in sorted((build_dir / "data").glob("*")):
        if not path.is_file():
            continue
        table = build_dir / "tables" / f"{path.stem}.json"
        if path.suffix == ".csv" and table.exists():
            caption = json.loads(table.read_text(encoding="utf-8"))["caption"]
            description = f"the data of the table \u201c{caption.split('. ')[0].rstrip('.')}\u201d"
        else:
            description = f"{path.suffix.lstrip('.').upper()} data"
        files.append({"path": path.relative_to(build_dir).as_posix(), "description": description})
    out = build_dir / "downloads.json"
    write_json(out, files)
    return out


# --- static and interactive exports of figures ---------------------------------------------

_SVG_DEFS_ID = re.compile(r"defs-([0-9a-f]{6})")


#: plotly.js's random per-plot uids, in class values (traces) and ids or references (legend).
_SVG_UIDS = re.compile(r'(class="[^"<>]*\btrace|id="legend|url\(#legend)([0-9a-f]{6})(?=["\s)])')


def _pin_svg_ids(svg: str, name: str) -> str:
    """Replace plotly's random ids in an SVG with ones derived from the figure's name.

    The layout uid names ``defs-``, ``topdefs-``, ``clip…`` and ``legend…`` ids: every occurrence
    goes. Any other random uid left in trace classes or legend ids is numbered by first
    appearance, so every reference to one uid gets the same new id.
    """
    match = _SVG_DEFS_ID.search(svg)
    if match is not None:
        svg = svg.replace(match.group(1), f"-{name}-")
    order: dict[str, int] = {}

    def pin(m: re.Match[str]) -> str:
        n = order.setdefault(m.group(2), len(order))
        return f"{m.group(1)}-{name}-{n}"

    return _SVG_UIDS.sub(pin, svg)


def _pin_trace_uids(fig: Any, name: str) -> None:
    """Give every trace a fixed uid: plotly otherwise draws a random one into the SVG classes."""
    traces = fig.get("data", []) if isinstance(fig, dict) else fig.data
    for index, trace in enumerate(traces):
        if isinstance(trace, dict):
            if trace.get("uid") is None:
                trace["uid"] = f"{name}-{index}"
        elif trace.uid is None:
            trace.uid = f"{name}-{index}"


def figure_specs(build_dir: Path) -> list[Path]:
    """The figure JSON files under ``build_dir``, sorted by name."""
    return sorted((build_dir / "figures").glob("*.json"))


def figure_div(spec: Path) -> Path:
    """Where the figure of ``spec`` is written as a plotly div (for the page)."""
    return spec.with_suffix(".html")


def figure_file(spec: Path, kind: str) -> Path:
    """Where the figure of ``spec`` is drawn as a static file of ``kind`` ("svg", "png")."""
    return spec.with_suffix(f".{kind}")


def export_figures(
    build_dir: Path,
    *,
    static: bool | Sequence[str] = True,
    specs: Sequence[Path] | None = None,
) -> list[Path]:
    """Make each figure's HTML div (pinned id) and its static files (one Chromium).

    ``static`` names the static figure types wanted (``briefkit.render.formats.FIGURE_TYPES``;
    True means those of the default formats, False none). ``specs`` are the figure JSON files
    to export (default: all).
    """
    from briefkit.render.formats import DEFAULT_FORMATS, static_figure_types

    if isinstance(static, bool):
        kinds = static_figure_types(DEFAULT_FORMATS) if static else ()
    else:
        kinds = tuple(static)
    import plotly.io as pio

    specs = figure_specs(build_dir) if specs is None else specs
    figures = []
    written: list[Path] = []
    for spec_path in specs:
        spec = json.loads(spec_path.read_text(encoding="utf-8"))
        # The figure's JSON, as plotly validated it in the notebook: building a Figure object
        # again would cost about a second of validation.
        fig = spec["figure"]
        name = spec_path.stem
        div = pio.to_html(
            fig,
            full_html=False,
            include_plotlyjs=False,
            div_id=f"plot-{name}",  # "fig-<name>" is the <figure> element's id
            config={"displaylogo": False, "responsive": True},
            validate=False,
        )
        html_path = figure_div(spec_path)
        html_path.write_text(div, encoding="utf-8")
        written.append(html_path)
        figures.append((spec_path, fig))
    return written + _export_static(figures, kinds)


def export_static_figures(
    build_dir: Path, *, specs: Sequence[Path], kinds: Sequence[str]
) -> list[Path]:
    """Draw the static files of ``kinds`` ("svg", "png") for the figure ``specs`` (one Chromium)."""
    figures = [(p, json.loads(p.read_text(encoding="utf-8"))["figure"]) for p in specs]
    return _export_static(figures, kinds)


def _export_static(figures: list[tuple[Path, Any]], kinds: Sequence[str]) -> list[Path]:
    """Draw ``kinds`` of files for each (spec, plotly figure) in one Chromium session."""
    if not (kinds and figures):
        return []
    from briefkit.render.formats import figure_type

    types = [figure_type(kind) for kind in kinds]
    paths = []
    # The session start_chromium opened stays open for the next export; else one of our own.
    with chromium_session() as chromium:
        for spec, fig in figures:
            name = spec.stem
            _pin_trace_uids(fig, name)
            layout = fig.get("layout", {})
            width, height = layout.get("width") or 900, layout.get("height") or 450
            for kind in types:
                data = chromium.image(fig, kind.name, width, height, kind.scale)
                path = figure_file(spec, kind.name)
                if kind.text:
                    # A drawing in text holds plotly's random ids: pinned, for the same bytes.
                    text = _pin_svg_ids(data.decode("utf-8"), name)
                    path.write_text(text, encoding="utf-8")
                else:
                    path.write_bytes(data)
                paths.append(path)
    logger.debug("exported %d static figure file(s) (%s)", len(paths), ", ".join(kinds))
    return paths


def plotly_js_path(build_dir: Path) -> Path:
    """Where a build keeps plotly.js, for the HTML to inline."""
    return build_dir / "assets" / "plotly.min.js"


def write_plotly_js(build_dir: Path) -> Path:
    """Write plotly.js once per build, for the HTML to inline."""
    from plotly.offline import get_plotlyjs

    path = plotly_js_path(build_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    js = get_plotlyjs()
    if not path.exists() or path.read_text(encoding="utf-8") != js:
        path.write_text(js, encoding="utf-8")
    return path
