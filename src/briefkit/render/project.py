"""The house style, read from ``_quarto.yml``: one source of truth for both engines.

Quarto reads the project file itself. The embedded engine turns the same options into a pandoc
defaults file (https://pandoc.org/MANUAL.html#defaults-files), so that paper, margins, font size,
table of contents and heading shift are written once. An option the embedded engine does not
know is an input error, not silently ignored: the two engines would drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from briefkit.errors import InvalidInput, Problem
from briefkit.render.formats import Format, quarto_only_options

PROJECT_FILE = "_quarto.yml"

#: Top-level keys that are Quarto's project definition, not rendering options.
_PROJECT_KEYS = ("project", "format")
#: Quarto option -> pandoc defaults-file key, for options both tools spell the same way or alike.
_DEFAULTS_KEYS = {
    "embed-resources": "embed-resources",
    "css": "css",
    "toc": "table-of-contents",
    "toc-depth": "toc-depth",
    "shift-heading-level-by": "shift-heading-level-by",
    "include-in-header": "include-in-header",
    "filters": "filters",
    "reference-doc": "reference-doc",
}
#: Options that pandoc's defaults file takes as lists (Quarto also accepts a single value).
_LISTS = ("css", "include-in-header", "filters")
#: Quarto options that are template variables of pandoc's own templates (typst: papersize,
#: margin as a map of sides, fontsize, page-numbering).
_VARIABLES = ("papersize", "margin", "fontsize", "page-numbering")
#: Quarto options that are document metadata.
_METADATA = ("lang",)
# Options with nothing to do for pandoc are the registry's (``Format.quarto_only``).


def load_project(root: Path) -> Mapping[str, Any]:
    """``_quarto.yml`` of the project at ``root``, parsed (YAML 1.2, line numbers kept)."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError

    path = root / PROJECT_FILE
    try:
        data = YAML(typ="rt", pure=True).load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidInput([Problem(Path(PROJECT_FILE), None, "", "file not found")]) from None
    except MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise InvalidInput([Problem(Path(PROJECT_FILE), line, "", str(exc.problem))]) from None
    if not isinstance(data, Mapping):
        raise InvalidInput([Problem(Path(PROJECT_FILE), 1, "", "expected a mapping of options")])
    return data


def _line(mapping: Mapping[str, Any], key: str) -> int | None:
    """1-based line of ``key`` in a ruamel mapping, when it knows it."""
    lc = getattr(mapping, "lc", None)
    try:
        return int(lc.key(key)[0]) + 1 if lc is not None else None
    except (KeyError, TypeError):
        return None


def _plain(value: Any) -> Any:
    """A ruamel value as plain JSON-able data (maps keep their order)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


#: An option's value, where it is set ("format.typst.margin") and its line in _quarto.yml.
Option = tuple[Any, str, int | None]


def format_options(project: Mapping[str, Any], fmt: Format) -> dict[str, Option]:
    """The options that apply to ``fmt``: top level, then ``format.<quarto format>`` over them.

    Each is (value, where it is set, its line), so that an error can point at it.
    """
    options: dict[str, Option] = {}
    for key, value in project.items():
        if key not in _PROJECT_KEYS:
            options[str(key)] = (value, str(key), _line(project, key))
    formats = project.get("format") or {}
    own = formats.get(fmt.quarto_to) if isinstance(formats, Mapping) else None
    if isinstance(own, Mapping):
        for key, value in own.items():
            where = f"format.{fmt.quarto_to}.{key}"
            options[str(key)] = (value, where, _line(own, key))
    return options


def _filter_paths(filters: Any) -> list[Any]:
    """Filter paths in Quarto's order; an entry may be ``{path, type, at}``.

    ``at`` (a Quarto entry point such as ``post-render``) only orders filters around Quarto's
    own, which pandoc does not run; the order among briefkit's filters is the same.
    """
    entries = filters if isinstance(filters, list) else [filters]
    return [e.get("path") if isinstance(e, dict) else e for e in entries]


def pandoc_defaults(project: Mapping[str, Any], fmt: Format) -> dict[str, Any]:
    """The pandoc defaults (as a mapping) that give ``fmt`` the house style of ``project``."""
    defaults: dict[str, Any] = {}
    variables: dict[str, Any] = {}
    metadata: dict[str, Any] = {}
    problems: list[Problem] = []
    for key, (value, where, line) in format_options(project, fmt).items():
        plain = _plain(value)
        if key == "filters":
            plain = _filter_paths(plain)
        if key in fmt.quarto_only:
            continue
        if key in _DEFAULTS_KEYS:
            if key in _LISTS and not isinstance(plain, list):
                plain = [plain]
            defaults[_DEFAULTS_KEYS[key]] = plain
        elif key in _VARIABLES:
            variables[key] = plain
        elif key in _METADATA:
            metadata[key] = plain
        else:
            quarto_only = quarto_only_options()
            known = ", ".join(sorted([*_DEFAULTS_KEYS, *_VARIABLES, *_METADATA, *quarto_only]))
            problems.append(
                Problem(
                    Path(PROJECT_FILE),
                    line,
                    where,
                    f"the embedded engine does not know this option (it knows {known}); "
                    "teach briefkit.render.project, or render with --engine quarto",
                )
            )
    if problems:
        raise InvalidInput(problems)
    if variables:
        defaults["variables"] = variables
    if metadata:
        defaults["metadata"] = metadata
    return defaults
