"""HTML outputs: plotly.js and the downloads' data are put into the page after the engine ran.

The embedded engine also inlines the page's stylesheets itself (``embed_stylesheets``), as
pandoc's ``--embed-resources`` would, and leaves any other resource to pandoc.
"""

from __future__ import annotations

import re
import urllib.parse
from pathlib import Path

from briefkit.errors import RenderFailed

#: What the Lua filter writes where plotly.js belongs; replaced after the engine ran.
PLOTLY_PLACEHOLDER = "<!-- briefkit:plotly.js -->"
PLOTLY_ASSET = "assets/plotly.min.js"
#: Where the filter left a download's data: URL: a link to ``briefkit-data:<path in hex>``.
#: Seed text cannot forge it: the writers escape every ``<`` of text and attributes.
_DATA_PLACEHOLDER = re.compile(r'<a href="briefkit-data:([^"]*)"')


# pandoc's --embed-resources (Text.Pandoc.SelfContained.makeSelfContained) parses the page with
# TagSoup, inlines what it links and writes it out again with TagSoup (Text.Pandoc.Shared.
# renderTags'). ``embed_stylesheets`` does the same for the pages briefkit's pandoc writes: it
# reads the page with a strict subset of TagSoup's parser (tags with double-quoted attributes,
# the XML entities, comments, raw script bodies) and writes it as TagSoup does, so that the page
# is byte for byte pandoc's. Anything outside that subset, or any resource but a stylesheet
# (an image, a script file, a stylesheet with url()), is left to pandoc.
_TOKEN = re.compile(
    r"""(?P<text>[^<&]+)
    |(?P<entity>&(?:amp|lt|gt|quot|\#39);)
    |<(?P<open>[a-z][a-z0-9]*)
        (?P<attrs>(?:[ \t\n\f]+[a-z_:][a-z0-9_:.-]*(?:="[^"<]*")?)*)[ \t\n\f]*(?P<self>/?)>
    |</(?P<close>[a-z][a-z0-9]*)>
    |<!--(?P<comment>.*?)-->
    |(?P<doctype><!DOCTYPE\ html>)
    """,
    re.VERBOSE | re.DOTALL,
)
_ATTR = re.compile(r'([a-z_:][a-z0-9_:.-]*)(?:="([^"]*)")?')
_XML_ENTITIES = {"&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&#39;": "'"}
_ENTITY = re.compile("&(?:amp|lt|gt|quot|#39);")
_SCRIPT_END = re.compile(r"</script(?=[ \t\n\f/>])", re.IGNORECASE)
#: Elements TagSoup writes as ``<x />`` when they are empty (renderTags' optMinimize).
_MINIMIZED = frozenset({"hr", "br", "img", "meta", "link", "col", "use", "path", "rect"})
#: Attributes whose resource pandoc embeds (SelfContained.isSourceAttribute; href of a link).
_SOURCES = frozenset({"src", "data-src", "poster", "data-background-image"})
#: A stylesheet pandoc's embedding inlines: a plain relative path to a .css file.
_CSS_PATH = re.compile(r"(?!/)[A-Za-z0-9_./-]+\.css")
#: What pandoc's CSS rewriting (SelfContained.cssURLs) would fetch: left to pandoc.
_CSS_FETCH = re.compile(r"url\(|@import", re.IGNORECASE)
#: pandoc's CSS tokens (SelfContained.parseCSSUrls, for CSS with no url() or @import): a
#: whitespace run is kept as its first character, a comment dropped, anything else kept.
_CSS_TOKEN = re.compile(r"([ \t\n\r\f\v])[ \t\n\r\f\v]*|/\*.*?\*/|[^u/ \n\r\t]+|.", re.DOTALL)


class _LeftToPandoc(Exception):
    """The page needs an embedding that only pandoc does exactly."""


def _escape(text: str) -> str:
    """TagSoup's escapeXML, on text whose ``&`` and ``<`` are already escaped."""
    return text.replace(">", "&gt;").replace('"', "&quot;").replace("'", "&#39;")


def _css_token(token: re.Match[str]) -> str:
    if token[1] is not None:
        return token[1]  # a run of white space: its first character
    return "" if token[0].startswith("/*") else token[0]


def _pandoc_css(css: str) -> str:
    """``css`` as pandoc's embedding writes it into the page: comments out, spaces collapsed.

    Only for ASCII CSS with no ``url(``, ``@import``, ``</``, ``&`` or carriage return (pandoc
    reads bytes as Latin-1 characters, fetches URLs, drops CRs, and TagSoup decodes entities of
    a style element); anything else is pandoc's.
    """
    if not css.isascii() or any(c in css for c in ("\r", "</", "&")) or _CSS_FETCH.search(css):
        raise _LeftToPandoc
    return _CSS_TOKEN.sub(_css_token, css)


def _attributes(attrs: str) -> dict[str, str]:
    """A start tag's attributes, decoded as TagSoup decodes them (in order)."""
    values: dict[str, str] = {}
    for name, raw in _ATTR.findall(attrs):
        if name in values or "&" in _ENTITY.sub("", raw):
            raise _LeftToPandoc  # a repeated name, or an entity TagSoup decodes otherwise
        values[name] = _ENTITY.sub(lambda found: _XML_ENTITIES[found[0]], raw)
    return values


def _start_tag(name: str, attrs: dict[str, str]) -> str:
    """A start tag as TagSoup writes it, without its ``>``: one space apart, values escaped."""
    out = [f"<{name}"]
    for attr, value in attrs.items():
        escaped = _escape(value.replace("&", "&amp;").replace("<", "&lt;"))
        # TagSoup writes an empty value as the bare name.
        out.append(f' {attr}="{escaped}"' if value else f" {attr}")
    return "".join(out)


def _inline_stylesheet(name: str, attrs: dict[str, str], root: Path) -> str:
    """What pandoc's embedding puts for a tag with a resource: a linked stylesheet, inlined."""
    if name != "link" or list(attrs) != ["rel", "href"] or attrs["rel"] != "stylesheet":
        raise _LeftToPandoc
    if not _CSS_PATH.fullmatch(attrs["href"]):
        raise _LeftToPandoc
    try:
        css = (root / attrs["href"]).read_bytes().decode("ascii")
    except (OSError, UnicodeDecodeError):
        raise _LeftToPandoc from None  # pandoc reports a missing stylesheet its own way
    # pandoc 3 inlines it as a style element (type="text/css": pandoc issue #5725).
    return f'<style type="text/css">{_pandoc_css(css)}</style>'


def _as_pandoc_embeds(html: str, root: Path) -> str:
    """``html`` as pandoc's ``--embed-resources`` writes it; _LeftToPandoc outside the subset."""
    if "\r" in html:
        raise _LeftToPandoc
    out: list[str] = []
    pos, end = 0, len(html)
    # Where the last start tag is in ``out`` while nothing followed it: TagSoup writes an empty
    # element of _MINIMIZED as "<x />".
    last_open: tuple[str, int] | None = None
    while pos < end:
        found = _TOKEN.match(html, pos)
        if found is None:
            raise _LeftToPandoc
        pos = found.end()
        opened = None
        if found["text"] is not None:
            out.append(_escape(found[0]))
        elif found["open"] is not None:
            name, attrs = found["open"], _attributes(found["attrs"])
            if _SOURCES.intersection(attrs) or (name == "link" and "href" in attrs):
                out.append(_inline_stylesheet(name, attrs, root))
                while html.startswith("</link>", pos):  # pandoc drops the link's end tags
                    pos += len("</link>")
            elif found["self"]:
                if name not in _MINIMIZED:
                    raise _LeftToPandoc
                out.append(_start_tag(name, attrs) + " />")
            elif name == "script":
                # A script's body is raw text to TagSoup, up to the first "</script".
                body = _SCRIPT_END.search(html, pos)
                if body is None or not html.startswith("</script>", body.start()):
                    raise _LeftToPandoc
                out.append(f"{_start_tag(name, attrs)}>{html[pos : body.start()]}</script>")
                pos = body.start() + len("</script>")
            elif name == "style":
                # A style element's text: pandoc rewrites it as CSS; TagSoup writes it raw.
                text = _TOKEN.match(html, pos)
                css = ""
                if text is not None and text["text"] is not None:
                    css, pos = text[0], text.end()
                if not html.startswith("</style>", pos):
                    raise _LeftToPandoc
                out.append(f"{_start_tag(name, attrs)}>{_pandoc_css(css)}</style>")
                pos += len("</style>")
            else:
                out.append(_start_tag(name, attrs) + ">")
                opened = (name, len(out) - 1)
        elif found["close"] is not None:
            name = found["close"]
            if last_open == (name, len(out) - 1) and name in _MINIMIZED:
                out[-1] = out[-1][:-1] + " />"
            else:
                out.append(f"</{name}>")
        elif found["comment"] is not None:
            comment = found["comment"]
            if "--" in comment or comment.startswith((">", "->")) or comment.endswith("-"):
                raise _LeftToPandoc  # comments TagSoup reads otherwise
            out.append(found[0])
        else:  # an entity TagSoup writes back as it is, or the doctype
            out.append(found[0])
        last_open = opened
    return "".join(out)


def embed_stylesheets(html_path: Path, root: Path) -> bool:
    """Inline the stylesheets the page links, as pandoc's ``--embed-resources`` does; True if done.

    The page is pandoc's, written without ``--embed-resources``; ``root`` is the folder pandoc
    ran in, which the links are relative to. pandoc's embedding cost a third of the page's
    render; this writes the same bytes. Returns False, the page untouched, when the page
    refers to anything else pandoc would embed (an image, a script file, a stylesheet with
    ``url()``) or is written in a way this does not read exactly as TagSoup: then pandoc must.
    """
    try:
        # As bytes: a text read would turn a "\r" into a newline, which TagSoup keeps.
        done = _as_pandoc_embeds(html_path.read_bytes().decode("utf-8"), root)
    except (_LeftToPandoc, UnicodeDecodeError):
        return False
    html_path.write_bytes(done.encode("utf-8"))
    return True


def data_url(path: Path) -> str:
    """``path``'s bytes as a percent-encoded ``data:`` URL (JSON, else CSV), as the page links it.

    Every byte but letters, digits and ``-._~`` is encoded, so no byte of the data is markup.
    """
    mime = "application/json" if path.name.endswith(".json") else "text/csv"
    return f"data:{mime};charset=utf-8,{urllib.parse.quote(path.read_bytes(), safe='')}"


def _download(found: re.Match[str], build_dir: Path) -> str:
    try:
        rel = bytes.fromhex(found[1]).decode("utf-8")
    except ValueError:
        rel = ""
    base = build_dir.resolve()
    path = base.joinpath(rel).resolve() if rel else base
    if path == base or not path.is_relative_to(base) or not path.is_file():
        raise RenderFailed(f"the page links a download that is not a file of the build: {rel!r}")
    return f'<a href="{data_url(path)}"'


def complete_page(html_path: Path, build_dir: Path) -> Path:
    """Put plotly.js (once) and the downloads' data: URLs where the filter left placeholders.

    Done after the engine, because ``--embed-resources`` re-reads all that it is handed: it
    spent seconds scanning 4.8 MB of inline script, and a third of the render on the encoded
    downloads. Seed text cannot forge a placeholder: the writers escape its ``<``.
    """
    html = html_path.read_text(encoding="utf-8")
    count = html.count(PLOTLY_PLACEHOLDER)
    if count > 1:
        raise RenderFailed(f"{html_path} holds {count} plotly.js placeholders; expected one")
    done = _DATA_PLACEHOLDER.sub(lambda found: _download(found, build_dir), html)
    if count == 1:
        # As bytes: decoding the 4.8 MB library and encoding it again took twice the time of
        # the rest of this step.
        js = (build_dir / PLOTLY_ASSET).read_bytes()
        # A "</script" inside the library would end the element early.
        js = js.replace(b"</script", b"<\\/script")
        before, after = done.split(PLOTLY_PLACEHOLDER)
        with html_path.open("wb") as page:
            for part in (before.encode(), b"<script>", js, b"</script>", after.encode()):
                page.write(part)
    elif done != html:
        html_path.write_text(done, encoding="utf-8")
    return html_path


def finish(path: Path, build_dir: Path, timestamp: int) -> Path:
    """The HTML format's finishing step (see ``Format.finish``): the page completed."""
    return complete_page(path, build_dir)
