"""Hostile strings: markup, script and typst code that must always show as plain text."""

from __future__ import annotations

HOSTILE = [
    "<script>window.__pwned=1;alert(1)</script>",
    "<img src=x onerror=window.__pwned=1>",
    "[x](javascript:window.__pwned=1)",
    "```{=html}",
    "<b onmouseover=window.__pwned=1>bold</b>",
    "```{=typst}",
    '#read("/etc/passwd")',
    '#eval("1+1")',
    "$x$ @ref // comment \\ | ] * _ #",
    "</script><!--",
    "= heading",
    "- item",
    "1. item",
    "&amp; &lt;b&gt;",
    # Quarto expands shortcodes in raw text, code and attributes (customnodes/shortcodes.lua).
    "{{< env HOME >}}",
    "{{< meta title >}}",
]

#: plotly.js's label markup: a live link, styled text, bold (as actor names, tick labels, titles).
PLOTLY_MARKUP = [
    '<a href="https://evil.example/">official site</a>',
    '<span style="font-size:60px;fill:red">LOUD</span> voice',
    "<b>Bold</b> <i>party</i> <sup>2</sup>",
]
