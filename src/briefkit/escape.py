"""Escaping at the point where data becomes markup: the one module that knows how.

Text from a seed or a reading is data. Wherever Python puts such text into a language that
interprets it (pandoc markdown, typst, plotly's pseudo-HTML labels, a spreadsheet's formulas, a
terminal), it goes through one of these functions, so the reader sees the text and nothing runs.
The Lua filter (``briefing/filters/briefkit.lua``) does the same for the documents by building
pandoc text nodes, and its typst running header with the same string-literal rule as
:func:`typst_string`.
"""

from __future__ import annotations

import re
import string
from typing import Any

_ASCII_PUNCT = frozenset(string.punctuation)
_MD_WHITESPACE = re.compile(r"\s+")
#: Control characters have no visible text, and some are terminal commands: those that break
#: lines become spaces, tab and newline stay, every other one is dropped.
_PRINTABLE = {
    i: (" " if chr(i).isspace() else None)
    for i in (*range(0x20), *range(0x7F, 0xA0))
    if chr(i) not in "\t\n"
}


def printable(text: str) -> str:
    """``text`` without control characters; line-breaking ones (CR, VT, FF, NEL…) as spaces."""
    return text.translate(_PRINTABLE)


def markdown_text(text: str) -> str:
    """Pandoc-markdown inline text showing ``text`` literally: ASCII punctuation backslashed.

    Every ASCII punctuation character may be backslash-escaped in pandoc markdown, and then
    stands for itself, so no emphasis, link, raw HTML, raw attribute, maths, citation, smart
    quote or entity can start. Line breaks and runs of whitespace become one space, so no block
    syntax (headings, lists, code blocks, fences, tables) can start either.
    """
    flat = _MD_WHITESPACE.sub(" ", printable(text))
    return "".join("\\" + ch if ch in _ASCII_PUNCT else ch for ch in flat)


def markdown_readable(text: str) -> str:
    """Markdown for a plain-text file (CHANGES.md): only what would act as markup is escaped.

    Lighter than ``markdown_text`` so that the file still reads well as text; whitespace runs
    become one space, so no block syntax can start; control characters show as with
    :func:`terminal_text`.
    """
    flat = " ".join(text.split())
    return terminal_text("".join("\\" + c if c in "\\`*_[]<>#|~!&" else c for c in flat))


def typst_string(text: str) -> str:
    """A typst string literal (quotes included) whose value is ``text``; never typst code."""
    body = (
        printable(text)
        .replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\n", "\\n")
        .replace("\t", "\\t")
    )
    return f'"{body}"'


_NEWLINE = re.compile(r"\r\n?|\n")


def plotly_text(text: str) -> str:
    """Text for a plotly label or hover text: its pseudo-HTML tags and entities shown as text.

    plotly.js reads ``<b>``, ``<br>``, ``<a href=…>``, ``<span style=…>`` and ``&…;`` entities
    in text attributes; escaping ``&``, ``<`` and ``>`` as entities makes it draw the characters
    themselves. A line break (which plotly.js would draw as a space) becomes ``<br>``: the one
    tag escaped text can hold, so a notebook breaks a long label with ``"\n"``.
    """
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _NEWLINE.sub("<br>", escaped)


def plotly_figure_text(node: Any, *, _key: str = "") -> Any:
    """Escape, with :func:`plotly_text`, every string of a figure's JSON but its templates.

    plotly.js draws as pseudo-HTML not only text attributes (``text``, ``name``, titles,
    annotations) but also category values shown as tick labels and hover values (``x``, ``y``,
    ``customdata``…), so every string is escaped: the others (colours, modes, fonts, dates) hold
    no ``&``, ``<`` or ``>`` and come out unchanged, and equal strings stay equal, so categories
    still match. Left alone are ``hovertemplate``, ``texttemplate`` and ``layout.template``: the
    notebook's code (its formatting, ``<extra>``), which refers to the data only through ``%{…}``.
    """
    if "template" in _key:
        return node
    if isinstance(node, dict):
        return {k: plotly_figure_text(v, _key=k) for k, v in node.items()}
    if isinstance(node, list):
        return [plotly_figure_text(v, _key=_key) for v in node]
    if isinstance(node, str):
        return plotly_text(node)
    return node


#: First characters that make a spreadsheet read a CSV cell as a formula (OWASP CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def csv_cell(value: object) -> object:
    """A CSV cell that a spreadsheet shows as text: a formula-like string gets a leading ``'``.

    Numbers, signed numbers and a lone ``-`` (a placeholder) are kept as they are.
    """
    if not isinstance(value, str) or value == "-" or _NUMBER.match(value):
        return value
    if value.startswith(_FORMULA_START):
        return "'" + value
    return value


#: What a terminal would act on rather than show: control characters but tab and newline (C0,
#: DEL, C1: escape sequences start with ESC or CSI), and the invisible bidirectional controls
#: that reorder the text around them.
_UNSHOWN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _code(match: re.Match[str]) -> str:
    point = ord(match.group())
    return f"\\x{point:02x}" if point < 0x100 else f"\\u{point:04x}"


def terminal_text(text: str) -> str:
    """Text for a terminal or a text file people read: control characters shown as ``\\xNN``.

    Escape sequences (a window title, a screen clear, ``ESC c``'s reset) then show instead of
    acting, and bidirectional controls as ``\\uNNNN``; tab and newline stay.
    """
    return _UNSHOWN.sub(_code, text)


def visible(text: str) -> str:
    """The visible text of ``text``: :func:`printable`, with whitespace runs as one space."""
    return " ".join(printable(text).split())
