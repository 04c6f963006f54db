"""The preview's page in a real Chromium: a new brief is swapped in place, or the page reloads.

A ``PreviewServer`` serves the built brief (nothing is rebuilt): each test publishes edited
copies of its HTML, as the preview does after a build, and watches the page follow.
"""

from __future__ import annotations

import http.client
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from briefkit.preview import API, BIG_SCRIPT, PreviewServer, PreviewState, start_server

from .test_preview import serving

#: Where the page's scroll is left before each change: well down the brief.
SCROLL = 2000
ERROR = "seeds/x/reading.yaml:41: claims.3.quotes.0: quote not found"


@pytest.fixture
def served(built: Path) -> Iterator[tuple[PreviewServer, bytes]]:
    """A preview server over the built brief, showing it; yields it and the brief's HTML."""
    html = (built / "brief.html").read_bytes()
    with serving(built, html) as server:
        yield server, html
    assert (built / "brief.html").read_bytes() == html, "the file on disk changed"


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh page of the session's Chromium."""
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    try:
        yield page
    finally:
        page.close()


def with_marker(html: bytes, marker: str) -> bytes:
    """``html`` with a paragraph ``marker`` at the start of the brief's main part."""
    main = b'<main id="brief">'
    assert html.count(main) == 1
    return html.replace(main, main + f"<p>{marker}</p>".encode())


def figure_ids(html: bytes) -> list[str]:
    """The ids of the plotly figures the page draws, in order."""
    return re.findall(r'Plotly\.newPlot\(\s*"([^"]+)"', html.decode())


def with_figure_title(html: bytes, figure: str, title: str) -> bytes:
    """``html`` with a title added to one figure's layout (its script changes, no other)."""
    text = html.decode()
    call = re.search(rf'Plotly\.newPlot\(\s*"{re.escape(figure)}",\s*', text)
    assert call
    decoder = json.JSONDecoder()
    _, data_end = decoder.raw_decode(text, call.end())
    layout_at = text.index("{", data_end)
    layout, layout_end = decoder.raw_decode(text, layout_at)
    layout["title"] = {"text": title}
    return (text[:layout_at] + json.dumps(layout) + text[layout_end:]).encode()


def open_brief(page: Any, server: PreviewServer, html: bytes) -> None:
    """Open the brief, wait for its figures, scroll down and mark the page and its plots."""
    page.goto(server.url)
    wait_drawn(page, len(figure_ids(html)))
    page.evaluate(f"scrollTo(0, {SCROLL})")
    page.wait_for_function(f"scrollY === {SCROLL}")
    # Gone if the page is loaded again; kept (with the plots marked) if it is swapped.
    page.evaluate(
        "window.briefkitTestPage = true; Plotly.briefkitTestLibrary = true;"
        "document.querySelectorAll('.js-plotly-plot').forEach((d) => { d.briefkitTestOld = true; })"
    )


def wait_drawn(page: Any, count: int) -> None:
    """Wait until ``count`` figures are drawn."""
    assert count > 0
    page.wait_for_function(
        "n => [...document.querySelectorAll('.plotly-graph-div')]"
        ".filter((d) => d.querySelector('.main-svg')).length === n",
        arg=count,
        timeout=60_000,
    )


def shows(page: Any, marker: str) -> None:
    """Wait until the page's text holds ``marker``."""
    page.wait_for_function("m => document.body.innerText.includes(m)", arg=marker, timeout=60_000)


def swapped(page: Any) -> bool:
    """True if the page is the one opened (swapped in place), False if it was loaded again."""
    return bool(page.evaluate("window.briefkitTestPage === true"))


def get(server: PreviewServer, path: str) -> http.client.HTTPResponse:
    """A response (read) for ``path``."""
    conn = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=30)
    conn.request("GET", path)
    response = conn.getresponse()
    response.read()
    conn.close()
    return response


# --- what is served ---------------------------------------------------------------------------


@pytest.mark.build
def test_plotly_js_is_served_as_a_cached_file_and_the_file_on_disk_keeps_it_inline(
    served: tuple[PreviewServer, bytes],
) -> None:
    server, html = served
    inline = re.findall(rb"<script>(.*?)</script>", html, re.S)
    big = [code for code in inline if len(code) >= BIG_SCRIPT]
    assert len(big) == 1  # plotly.js, put into the page by the build
    conn = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=30)
    conn.request("GET", "/brief.html")
    response = conn.getresponse()
    page = response.read()
    assert response.getheader("X-Briefkit-Generation") == server.state.generation
    assert response.getheader("Cache-Control") == "no-store"
    assert big[0] not in page
    names = re.findall(rf'<script src="{API}/(script-[0-9a-f]+\.js)"></script>'.encode(), page)
    assert len(names) == 1
    conn.request("GET", f"{API}/{names[0].decode()}")
    response = conn.getresponse()
    assert response.status == 200
    assert response.read() == big[0]
    assert response.getheader("Content-Type") == "text/javascript; charset=utf-8"
    assert "immutable" in (response.getheader("Cache-Control") or "")
    conn.close()
    # The figures' own scripts stay in the page, and the preview's script is added.
    brief, script = page.split(b'<script id="briefkit-preview">')
    assert figure_ids(brief) == figure_ids(html) != []
    assert brief.count(b"<script") == html.count(b"<script")
    assert script.count(b"</script>") == 1
    for path in (f"{API}/script-0123456789abcdef.js", f"{API}/script-../brief.html"):
        assert get(server, path).status == 404


# --- the page in Chromium ---------------------------------------------------------------------


@pytest.mark.build
def test_a_new_brief_is_swapped_in_with_its_scroll_and_unchanged_figures_kept(
    served: tuple[PreviewServer, bytes], page: Any
) -> None:
    server, html = served
    figures = figure_ids(html)
    open_brief(page, server, html)
    server.state.publish(with_marker(html, "Marker-5521"))
    shows(page, "Marker-5521")
    assert swapped(page)
    assert page.evaluate("scrollY") == SCROLL
    wait_drawn(page, len(figures))
    # plotly.js was not run again, and no figure was drawn again.
    assert page.evaluate("Plotly.briefkitTestLibrary === true")
    kept = "[...document.querySelectorAll('.plotly-graph-div')].map((d) => !!d.briefkitTestOld)"
    assert page.evaluate(kept) == [True] * len(figures)
    page.evaluate("id => { window.briefkitTestPlot = document.getElementById(id); }", figures[0])
    # One figure changed: it alone is drawn again, with its new title.
    for n in range(3):
        edited = with_figure_title(with_marker(html, f"Marker-{n}"), figures[0], f"Retitled-{n}")
        server.state.publish(edited)
        shows(page, f"Marker-{n}")
        page.wait_for_function(
            "([id, t]) => document.getElementById(id).querySelector('.gtitle')?.textContent === t",
            arg=[figures[0], f"Retitled-{n}"],
        )
        wait_drawn(page, len(figures))
        assert page.evaluate(kept) == [False] + [True] * (len(figures) - 1)
    assert swapped(page)
    assert page.evaluate("scrollY") == SCROLL
    # A figure drawn again lets its old plot go: purged, it holds no data and no listener.
    assert page.evaluate("window.briefkitTestPlot.isConnected") is False
    assert page.evaluate("window.briefkitTestPlot.data") is None
    assert page.evaluate("document.querySelectorAll('#briefkit-preview').length") <= 1


@pytest.mark.build
def test_a_changed_figure_is_drawn_once_the_new_text_shows_its_old_plot_until_then(
    served: tuple[PreviewServer, bytes], page: Any
) -> None:
    """Drawing a figure again blocks the page for a fifth of a second: the new text is put on
    screen first, with the figure's old plot in its place, and the figure is drawn a frame later."""
    server, html = served
    figure = figure_ids(html)[0]
    open_brief(page, server, html)
    page.evaluate(
        """([id, marker]) => {
          window.briefkitFrames = 0;
          const tick = () => { window.briefkitFrames++; requestAnimationFrame(tick); };
          requestAnimationFrame(tick);
          new MutationObserver(() => {
            if (window.briefkitText === undefined && document.body.innerText.includes(marker)) {
              const plot = document.getElementById(id);
              window.briefkitText = {frame: window.briefkitFrames, old: !!plot.briefkitTestOld};
            }
          }).observe(document.body, {childList: true, subtree: true});
          const draw = Plotly.newPlot;
          Plotly.newPlot = function (...args) {
            window.briefkitDrawnAt = window.briefkitFrames;
            return draw.apply(this, args);
          };
        }""",
        [figure, "Marker-6610"],
    )
    server.state.publish(with_figure_title(with_marker(html, "Marker-6610"), figure, "Retitled"))
    page.wait_for_function(
        "([id, t]) => document.getElementById(id).querySelector('.gtitle')?.textContent === t",
        arg=[figure, "Retitled"],
        timeout=60_000,
    )
    text = page.evaluate("window.briefkitText")
    assert text["old"] is True, "the new text showed without the figure's old plot"
    assert page.evaluate("window.briefkitDrawnAt") > text["frame"]
    assert swapped(page)


@pytest.mark.build
def test_a_swap_replaces_only_the_parts_of_the_brief_that_changed(
    served: tuple[PreviewServer, bytes], page: Any
) -> None:
    """Laying out the whole brief again was most of a swap: what did not change stays."""
    server, html = served
    open_brief(page, server, html)
    page.evaluate(
        "document.querySelectorAll('main > *').forEach((e) => { e.briefkitKept = true; })"
    )
    sentence = b"The claims the article makes"
    assert html.count(sentence) == 1
    server.state.publish(html.replace(sentence, sentence + b" (Marker-4410)"))
    shows(page, "Marker-4410")
    assert swapped(page)
    # [kept, holds the marker, holds a plot] for each block of the brief's main part.
    blocks = page.evaluate(
        "[...document.querySelectorAll('main > *')].map((e) => [!!e.briefkitKept,"
        " e.textContent.includes('Marker-4410'), !!e.querySelector('.js-plotly-plot')])"
    )
    assert [kept for kept, marked, _ in blocks if marked] == [False]
    # A drawn plot is never equal to the new page's empty one: its block is replaced, the plot
    # moved into it.
    assert all(kept for kept, marked, plot in blocks if not marked and not plot)
    assert sum(kept for kept, _, _ in blocks) > 10
    assert page.evaluate("scrollY") == SCROLL


@pytest.mark.build
def test_the_overlay_shows_over_the_last_brief_and_clears_with_the_next(
    served: tuple[PreviewServer, bytes], page: Any
) -> None:
    server, html = served
    open_brief(page, server, html)
    server.state.update(error=[ERROR])
    overlay = page.wait_for_selector("#briefkit-overlay", timeout=60_000)
    assert ERROR in (overlay.text_content() or "")
    server.state.publish(with_marker(html, "Marker-7741"))
    shows(page, "Marker-7741")
    assert page.query_selector("#briefkit-overlay") is None
    assert swapped(page)
    # A failure again, then the same brief built again (a new generation): the overlay clears.
    server.state.update(error=[ERROR])
    page.wait_for_selector("#briefkit-overlay", timeout=60_000)
    server.state.publish(with_marker(html, "Marker-7741"))
    page.wait_for_selector("#briefkit-overlay", state="detached", timeout=60_000)
    assert swapped(page)
    assert page.evaluate("scrollY") == SCROLL


@pytest.mark.build
def test_briefs_published_in_quick_succession_end_at_the_last(
    served: tuple[PreviewServer, bytes], page: Any
) -> None:
    server, html = served
    open_brief(page, server, html)
    for n in range(4):
        server.state.publish(with_marker(html, f"Marker-88{n}"))
    shows(page, "Marker-883")
    assert "Marker-882" not in page.evaluate("document.body.innerText")
    assert swapped(page)
    assert page.evaluate("document.querySelectorAll('main#brief').length") == 1
    wait_drawn(page, len(figure_ids(html)))


@pytest.mark.build
@pytest.mark.parametrize("change", ["head", "plotly.js"])
def test_a_brief_that_cannot_be_swapped_is_loaded_again_where_it_was(
    served: tuple[PreviewServer, bytes], page: Any, change: str
) -> None:
    server, html = served
    open_brief(page, server, html)
    edited = with_marker(html, "Marker-3307")
    if change == "head":  # another style sheet: only a reload applies it right
        edited = edited.replace(b"</style>", b"p.bk-test { color: red; }</style>", 1)
    else:  # another plotly.js: it must be run, and only a reload does
        code = max(re.findall(rb"<script>(.*?)</script>", edited, re.S), key=len)
        edited = edited.replace(code, code + b"\n/* another build */", 1)
    server.state.publish(edited)
    shows(page, "Marker-3307")
    page.wait_for_function(f"scrollY === {SCROLL}", timeout=60_000)
    assert not swapped(page)
    wait_drawn(page, len(figure_ids(html)))


def test_a_page_opened_before_the_first_build_shows_the_brief_once_built(
    tmp_path: Path, page: Any
) -> None:
    state = PreviewState()
    server = start_server("127.0.0.1", 0, tmp_path, state)
    try:
        response = page.goto(server.url)
        assert response is not None
        assert response.status == 503
        assert "first build is under way" in page.evaluate("document.body.innerText")
        state.publish(b"<!DOCTYPE html><html><head><title>t</title></head><body><p>Built-4410</p>")
        shows(page, "Built-4410")
    finally:
        state.update(closing=True)
        server.shutdown()
        server.server_close()
