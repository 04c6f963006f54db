"""``briefkit preview``: build, serve the brief on loopback, rebuild on save, update the page.

The preview runs the normal build (``build.run_build``, so the content-hash cache decides what
runs), HTML first: the page is updated as soon as the HTML is built, and the PDF follows in the
same loop without holding the page. What is expensive stays warm for the life of the preview:
a pool of started kernels with the notebooks' imports done (``briefkit.kernels``), one Chromium
session for the SVGs, and the packages loaded in this process.

The server answers only on 127.0.0.1 unless told otherwise, serves only files inside the seed's
build folder, and injects a small script into the HTML it serves (never into the file on disk):
it listens to server-sent events, swaps a good build's brief into the page in place (or
reloads it) and shows a failed build's message over the last good brief. plotly.js is served
as a file of its own the browser caches, so neither a swap nor a reload loads it again.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.server
import json
import logging
import mimetypes
import os
import secrets
import signal
import socket
import sys
import threading
import time
import urllib.parse
import webbrowser
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from briefkit import build as buildmod
from briefkit import notebooks
from briefkit.errors import BriefkitError, EnvironmentProblem, InputError
from briefkit.escape import terminal_text
from briefkit.render import DEFAULT_FORMATS, FORMATS, needs_static_figures
from briefkit.seeds import build_dir

if TYPE_CHECKING:
    from briefkit.reading import Seed

logger = logging.getLogger("briefkit")

#: The first port tried when none is given; the next free one of the following 19 is taken.
DEFAULT_PORT = 8000
PORT_TRIES = 20
#: Where the server's own endpoints live (a build never writes a folder by this name).
API = "/__briefkit"
#: Seconds between keep-alive comments on an idle event stream.
KEEPALIVE = 15.0
#: Milliseconds watchfiles waits for more changes before yielding a batch (an editor's save
#: burst: write a backup, write the file, rename, within a millisecond or two) and the most it
#: groups changes over. Every edit waits STEP_MS before its build starts.
STEP_MS = 25
DEBOUNCE_MS = 1600
LOOPBACK = ("127.0.0.1", "::1", "localhost")
#: Seconds the kernel pool waits after the page's build before it refills: the browser fetches,
#: swaps in and paints the new brief meanwhile (0.1-0.2 s), without kernels starting beside it.
PAGE_SETTLE = 0.4


@dataclass(frozen=True)
class PreviewOptions:
    """What to preview, and where to serve it."""

    root: Path
    seed: str
    host: str = "127.0.0.1"
    #: None: the first free port from DEFAULT_PORT on.
    port: int | None = None
    engine: str = "auto"
    formats: tuple[str, ...] = DEFAULT_FORMATS
    timeout: float = notebooks.DEFAULT_TIMEOUT
    open_browser: bool = False
    #: Pre-started kernels (0: none; None: one per notebook).
    kernels: int | None = None
    #: Called once the server listens, with its URL (tests and the bench use it).
    on_ready: Callable[[str], None] | None = None


# --- the state the page follows ---------------------------------------------------------------


@dataclass
class PreviewState:
    """What the served page shows: the last good HTML, a failed build's message, the PDF's state."""

    generation: str = ""
    html: bytes | None = None
    error: list[str] | None = None
    building: bool = False
    pdf: str = "off"
    closing: bool = False
    #: How many kernels the pool keeps, and how many are ready (the bench waits for them).
    kernels: int = 0
    kernels_ready: Callable[[], int] = field(default=lambda: 0)
    #: Bumped on every change; event streams send the state again when it moves.
    version: int = 0
    cond: threading.Condition = field(default_factory=threading.Condition)

    def update(self, **changes: Any) -> None:
        """Change fields and wake the event streams."""
        with self.cond:
            for key, value in changes.items():
                setattr(self, key, value)
            self.version += 1
            self.cond.notify_all()

    def publish(self, html: bytes) -> None:
        """A good build: serve ``html`` from now on, under a new generation, with no error."""
        self.update(html=html, error=None, generation=secrets.token_hex(8))

    def snapshot(self) -> dict[str, Any]:
        """The state as the page's script gets it."""
        with self.cond:
            return {
                "generation": self.generation,
                "error": self.error,
                "building": self.building,
                "pdf": self.pdf,
                "kernels": self.kernels,
                "kernels_ready": self.kernels_ready(),
            }


# --- the injected script --------------------------------------------------------------------

_SCRIPT = """<script id="briefkit-preview">
(() => {
  let generation = %(generation)s;
  const head = %(head)s;
  const key = "briefkit-preview-scroll";
  const saved = sessionStorage.getItem(key);
  if (saved !== null) {
    sessionStorage.removeItem(key);
    addEventListener("load", () => scrollTo(0, +saved));
  }
  let overlay = null;
  const show = (lines) => {
    if (!lines) { if (overlay) { overlay.remove(); overlay = null; } return; }
    if (!overlay) {
      overlay = document.createElement("div");
      overlay.id = "briefkit-overlay";
      overlay.setAttribute("role", "alert");
      overlay.style.cssText = "position:fixed;left:0;right:0;top:0;z-index:2147483647;" +
        "max-height:60vh;overflow:auto;margin:0;padding:1em 1.5em;background:#fff4f4;" +
        "color:#6b0000;border-bottom:3px solid #b23a48;font:14px/1.5 monospace;" +
        "white-space:pre-wrap;box-shadow:0 2px 12px rgba(0,0,0,.25)";
      document.body.appendChild(overlay);
    }
    overlay.textContent = "briefkit: the build failed; this is the last good brief.\\n\\n" +
      lines.join("\\n");
  };
  const events = new EventSource("%(api)s/events");
  const reload = () => {
    sessionStorage.setItem(key, String(scrollY));
    events.close();
    location.reload();
    return false;
  };
  // A swap runs only the figures' scripts again (plotly.js stays loaded): any other script
  // must be the same, and the page before the body (the server's digest of it) too.
  const figure = (s) => !s.src && s.id !== "briefkit-preview" && s.text.includes("Plotly.newPlot(");
  const fixed = (root) => [...root.querySelectorAll("script:not(#briefkit-preview)")]
    .filter((s) => !figure(s)).map((s) => s.outerHTML).join("\\n");
  // Only what changed is replaced: the blocks of the body, and of its main part and header,
  // that differ from the new page's (the browser then lays out only those; a layout of the
  // whole brief was most of a swap). Where the blocks do not pair up, all are replaced. The
  // white space between blocks, this script and plotly's measuring element are not paired.
  const containers = new Set(["MAIN", "HEADER"]);
  const paired = (n) => n.id !== "briefkit-preview" && n.id !== "js-plotly-tester" &&
    !(n.nodeType === Node.TEXT_NODE && !n.data.trim());
  const patch = (from, to) => {
    const a = [...from.childNodes].filter(paired), b = [...to.childNodes].filter(paired);
    if (a.length !== b.length) {
      from.replaceChildren(...to.childNodes);
      return;
    }
    a.forEach((node, i) => {
      if (node.isEqualNode(b[i])) return;
      const shell = node.nodeType === Node.ELEMENT_NODE && containers.has(node.tagName) &&
        node.cloneNode(false).isEqualNode(b[i].cloneNode(false));
      if (shell) patch(node, b[i]);
      else node.replaceWith(b[i]);
    });
  };
  const swap = async () => {
    const response = await fetch(location.pathname, {cache: "no-store"});
    const got = response.headers.get("X-Briefkit-Generation");
    if (!response.ok || !got || response.headers.get("X-Briefkit-Head") !== head) return reload();
    const doc = new DOMParser().parseFromString(await response.text(), "text/html");
    doc.getElementById("briefkit-preview")?.remove();
    const plots = [...doc.body.querySelectorAll("script")].filter(figure).length;
    if ((plots && typeof Plotly === "undefined") || fixed(doc.body) !== fixed(document.body)) {
      return reload();
    }
    const x = scrollX, y = scrollY;
    // A figure whose script did not change keeps its drawn plot (drawing is most of a swap).
    const drawn = new Map(), byId = new Map();
    for (const s of [...document.body.querySelectorAll("script")].filter(figure)) {
      const plot = s.previousElementSibling;
      if (plot?.classList.contains("js-plotly-plot")) {
        drawn.set(s.text, plot);
        if (plot.id) byId.set(plot.id, plot);
      }
    }
    overlay?.remove();
    overlay = null;
    patch(document.body, doc.body);
    // Parsed scripts never run: each changed figure's runs as a new element, in document order.
    const later = [];
    for (const old of [...document.body.querySelectorAll("script")].filter(figure)) {
      const plot = drawn.get(old.text), div = old.previousElementSibling;
      if (plot && plot === div) {  // in a part of the page the swap kept
        drawn.delete(old.text);
        continue;
      }
      const same = (name) => plot.getAttribute(name) === div.getAttribute(name);
      if (plot && div && same("id") && same("style")) {
        div.replaceWith(plot);
        drawn.delete(old.text);
        continue;
      }
      const script = document.createElement("script");
      script.text = old.text;
      // Drawing a figure again takes a fifth of a second: its old plot stands in for it until
      // the new text is on screen, and it is drawn then.
      const before = div?.id ? byId.get(div.id) : undefined;
      if (before && !before.isConnected) {
        div.replaceWith(before);
        later.push(() => { before.replaceWith(div); old.replaceWith(script); });
      } else {
        old.replaceWith(script);
      }
    }
    scrollTo(x, y);
    generation = got;
    if (later.length) {
      await new Promise((painted) => requestAnimationFrame(() => setTimeout(painted, 0)));
      later.forEach((draw) => draw());
    }
    // A plot no longer shown holds its data and listeners (window resize) until purged.
    if (typeof Plotly !== "undefined") {
      drawn.forEach((plot) => { if (!plot.isConnected) Plotly.purge(plot); });
    }
    return true;
  };
  let state = {generation, error: null};
  let busy = false;
  const follow = async () => {
    busy = true;
    try {
      while (state.generation && state.generation !== generation) {
        const asked = state.generation;
        if (!(await swap())) return;
        if (state.generation === asked) break;  // what was fetched is at least as new
      }
    } catch (err) {
      console.error("briefkit: the page could not be swapped; reloading", err);
      reload();
      return;
    }
    busy = false;
    show(state.error);
  };
  events.onmessage = (e) => {
    state = JSON.parse(e.data);
    if (busy) return;
    if (state.generation && state.generation !== generation) follow();
    else show(state.error);
  };
})();
</script>
"""


def head_digest(html: bytes) -> str:
    """A digest of ``html`` up to its body's content: a swap applies only under the same."""
    at = html.lower().find(b"<body")
    at = html.find(b">", at) + 1 if at >= 0 else len(html)
    return hashlib.sha256(html[:at]).hexdigest()[:16]


def inject(html: bytes, generation: str) -> bytes:
    """``html`` with the preview's script before its last ``</body>`` (or at its end)."""
    values = {"generation": generation, "head": head_digest(html)}
    script = (_SCRIPT % ({k: json.dumps(v) for k, v in values.items()} | {"api": API})).encode()
    at = html.lower().rfind(b"</body>")
    if at < 0:
        return html + script
    return html[:at] + script + html[at:]


#: What the page shows until the first build is done.
_WAITING = b"<!DOCTYPE html><title>briefkit</title><p>The first build is under way: this page \
shows the brief by itself.</p>"

#: An inline script at least this long (plotly.js) is served as a file of its own.
BIG_SCRIPT = 256 * 1024


@dataclass(frozen=True)
class Page:
    """What the server sends for one generation of the brief."""

    generation: str
    body: bytes
    head: str
    #: The big scripts taken out of the page, by the name it loads them by.
    scripts: dict[str, bytes]


def serve_page(html: bytes, generation: str, known: Mapping[str, bytes] | None = None) -> Page:
    """The page as the preview serves it: big inline scripts as cacheable files, the script in.

    The browser caches such a file (and its compiled code) under a name that is its content's
    hash, so a reload neither loads nor compiles plotly.js again, and a swap fetches ~5 % of
    the page. The file on disk keeps its inline script: only what is served changes. A script
    equal to one of ``known`` (the last page's) keeps its name without being hashed again.
    """
    parts: list[bytes] = []
    scripts: dict[str, bytes] = {}
    at = 0
    while (start := html.find(b"<script>", at)) >= 0:
        end = html.find(b"</script>", start)
        if end < 0:
            break
        code = html[start + len(b"<script>") : end]
        parts.append(html[at:start])
        if len(code) >= BIG_SCRIPT:
            same = (name for name, old in (known or {}).items() if old == code)
            name = next(same, None) or f"script-{hashlib.sha256(code).hexdigest()[:16]}.js"
            scripts[name] = code
            parts.append(f'<script src="{API}/{name}"></script>'.encode())
        else:
            parts.append(html[start:end])
            parts.append(b"</script>")
        at = end + len(b"</script>")
    parts.append(html[at:])
    page = b"".join(parts)
    return Page(generation, inject(page, generation), head_digest(page), scripts)


# --- the server -------------------------------------------------------------------------------


def resolve_request(build: Path, url_path: str) -> Path | None:
    """The file under ``build`` that ``url_path`` names, or None if it points outside or hidden.

    The path is percent-decoded once; ``..``, hidden names (``.cache``, ``.lock``), backslashes
    and NUL are refused before the file system is asked, and the resolved path (symlinks
    followed) must still lie inside the build folder.
    """
    raw = urllib.parse.unquote(url_path.split("?", 1)[0].split("#", 1)[0], errors="strict")
    if "\\" in raw or "\0" in raw:
        return None
    parts = [p for p in raw.split("/") if p]
    if any(p.startswith(".") for p in parts):
        return None
    base = build.resolve()
    target = base.joinpath(*parts).resolve()
    if not target.is_relative_to(base):
        return None
    return target


class _Handler(http.server.BaseHTTPRequestHandler):
    server: PreviewServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("preview: %s %s", self.address_string(), format % args)

    def _host_allowed(self) -> bool:
        # A page elsewhere could make the browser ask "its" host name, resolved to 127.0.0.1, for
        # this server (DNS rebinding): on loopback, only loopback names are answered.
        if not self.server.loopback:
            return True
        host = (self.headers.get("Host") or "").strip().lower()
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        return name.strip("[]") in LOOPBACK

    def _send(
        self,
        code: int,
        body: bytes,
        ctype: str = "text/plain; charset=utf-8",
        headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        for name, value in {"Cache-Control": "no-store", **(headers or {})}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        if not self._host_allowed():
            self._send(403, b"forbidden host\n")
            return
        path = self.path.split("?", 1)[0]
        if path == f"{API}/events":
            self._events()
            return
        if path == f"{API}/state":
            self._send(200, json.dumps(self.server.state.snapshot()).encode(), "application/json")
            return
        if path.startswith(f"{API}/script-"):
            code = self.server.script(path.removeprefix(f"{API}/"))
            if code is None:
                self._send(404, b"not found\n")
                return
            # Named by its content's hash: never changes, so never asked for again.
            cache = {"Cache-Control": "public, max-age=31536000, immutable"}
            self._send(200, code, "text/javascript; charset=utf-8", cache)
            return
        if path in ("", "/"):
            self.send_response(302)
            self.send_header("Location", "/brief.html")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        try:
            target = resolve_request(self.server.build, path)
        except UnicodeDecodeError:
            target = None
        if target is None:
            self._send(403, b"forbidden\n")
            return
        if target == self.server.build.resolve() / "brief.html":
            page = self.server.page()
            if page is None:
                # With the script, which loads the brief once the first build publishes it.
                self._send(503, inject(_WAITING, ""), "text/html; charset=utf-8")
                return
            # What the page's script needs to swap this page in for the one it shows.
            headers = {"X-Briefkit-Generation": page.generation, "X-Briefkit-Head": page.head}
            self._send(200, page.body, "text/html; charset=utf-8", headers)
            return
        if not target.is_file():
            self._send(404, b"not found\n")
            return
        ctype = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if ctype.startswith("text/") or ctype in ("application/json", "image/svg+xml"):
            ctype += "; charset=utf-8"
        try:
            body = target.read_bytes()
        except OSError:
            self._send(404, b"not found\n")
            return
        self._send(200, body, ctype)

    def _events(self) -> None:
        state = self.server.state
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.close_connection = True
        seen = -1
        try:
            while True:
                with state.cond:
                    state.cond.wait_for(partial(_moved, state, seen), timeout=KEEPALIVE)
                    if state.closing:
                        return
                    changed = state.version != seen
                    seen = state.version
                if changed:
                    data = json.dumps(state.snapshot())
                    self.wfile.write(f"retry: 500\ndata: {data}\n\n".encode())
                else:
                    self.wfile.write(b": keep-alive\n\n")
                self.wfile.flush()
        except OSError:  # the page went away
            return


def _moved(state: PreviewState, seen: int) -> bool:
    return state.closing or state.version != seen


class PreviewServer(http.server.ThreadingHTTPServer):
    """Serves one build folder, the page's state and its event stream."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], build: Path, state: PreviewState) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        super().__init__(address, _Handler)
        self.build = build
        self.state = state
        self.loopback = address[0] in LOOPBACK
        self._page: Page | None = None
        self._scripts: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def page(self) -> Page | None:
        """The page of the brief the state holds (made once per generation), None before one."""
        with self.state.cond:
            html, generation = self.state.html, self.state.generation
        if html is None:
            return None
        with self._lock:
            if self._page is None or self._page.generation != generation:
                # The last page's too: a page loaded just before may still ask for them.
                last = self._page.scripts if self._page is not None else {}
                self._page = serve_page(html, generation, last)
                self._scripts = {**last, **self._page.scripts}
            return self._page

    def script(self, name: str) -> bytes | None:
        """A big script taken out of a served page, by its name."""
        with self._lock:
            return self._scripts.get(name)

    @property
    def url(self) -> str:
        """The URL of the brief."""
        host, port = str(self.server_address[0]), int(self.server_address[1])
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}/brief.html"


def start_server(host: str, port: int | None, build: Path, state: PreviewState) -> PreviewServer:
    """Listen on ``host``:``port`` (or the first free port from DEFAULT_PORT) in a thread."""
    ports = [port] if port is not None else range(DEFAULT_PORT, DEFAULT_PORT + PORT_TRIES)
    last: OSError | None = None
    for candidate in ports:
        try:
            server = PreviewServer((host, candidate), build, state)
            break
        except OSError as exc:
            last = exc
    else:
        tried = str(port) if port is not None else f"{DEFAULT_PORT}-{DEFAULT_PORT + PORT_TRIES - 1}"
        raise EnvironmentProblem(f"cannot listen on {host}:{tried}: {last}; choose --port")
    thread = threading.Thread(target=server.serve_forever, name="briefkit-server", daemon=True)
    thread.start()
    return server


# --- watching -------------------------------------------------------------------------------


def watched_paths(root: Path, seed: str) -> list[Path]:
    """What a preview watches: the seed, notebooks, briefing, _quarto.yml and briefkit's code."""
    paths = [root / "seeds" / seed, root / "notebooks", root / "briefing", root / "_quarto.yml"]
    return [*(p for p in paths if p.exists()), code_folder()]


def code_folder() -> Path:
    """briefkit's own package folder."""
    return Path(__file__).resolve().parent


class Watcher:
    """Watches the inputs in a thread; sets ``dirty`` after each save burst."""

    def __init__(self, root: Path, seed: str) -> None:
        self.paths = watched_paths(root, seed)
        self.dirty = threading.Event()
        self.code_changed = False
        self.stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="briefkit-watch", daemon=True)

    def start(self) -> Watcher:
        """Start watching."""
        self._thread.start()
        return self

    def _run(self) -> None:
        import watchfiles

        code = code_folder()
        for changes in watchfiles.watch(
            *self.paths, step=STEP_MS, debounce=DEBOUNCE_MS, stop_event=self.stop,
            rust_timeout=500, yield_on_timeout=False, raise_interrupt=False,
        ):  # fmt: skip
            paths = sorted({Path(p) for _, p in changes})
            logger.debug("changed: %s", ", ".join(str(p) for p in paths))
            if any(p.is_relative_to(code) and p.suffix == ".py" for p in paths):
                self.code_changed = True
            self.dirty.set()

    def close(self) -> None:
        """Stop watching."""
        self.stop.set()
        self._thread.join(timeout=5)


# --- the loop -------------------------------------------------------------------------------


class Restart(Exception):
    """briefkit's own code changed: the preview starts again in a new process."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _say_error(exc: BaseException) -> list[str]:
    if isinstance(exc, BriefkitError):
        lines = str(exc).splitlines() or [type(exc).__name__]
    else:
        detail = " ".join(str(exc).split())
        lines = [f"internal error: {type(exc).__name__}: {detail}"]
    for line in lines:
        print(f"briefkit: error: {terminal_text(line)}", file=sys.stderr, flush=True)
    return lines


class Preview:
    """One seed's preview: the server, the watcher, the warm kernels and the build loop."""

    def __init__(self, opts: PreviewOptions) -> None:
        self.opts = opts
        self.root = opts.root.resolve()
        unknown = [f for f in opts.formats if f not in FORMATS]
        if unknown:
            raise InputError(f"unknown format(s) {unknown}: choose from {', '.join(FORMATS)}")
        #: Built after the HTML, when no change is pending: the page never waits for them.
        self.others = tuple(f for f in opts.formats if f != "html")
        self.static = needs_static_figures(self.others)
        self.build = build_dir(self.root, opts.seed)
        self.state = PreviewState(pdf="stale" if self.others else "off")
        self.pdf_stale = bool(self.others)
        self.builds = 0
        #: The inputs of the HTML the page shows ({path: sha256}): the PDF is built from them.
        self.html_inputs: dict[str, str] = {}
        #: The validated seed, for the kernels (briefkit.kernels.shared_seed).
        self.shared_seed = self.build / ".cache" / "seed.pickle"

    def run(self) -> None:
        """Serve and rebuild until interrupted (Ctrl-C, SIGTERM); raises Restart on a code edit."""
        from briefkit import artifacts, kernels
        from briefkit.seeds import seed_dir

        seed_dir(self.root, self.opts.seed)  # a valid seed, before anything starts
        limit_malloc_arenas()  # before the threads that would spread over more
        self.build.mkdir(parents=True, exist_ok=True)
        server = start_server(self.opts.host, self.opts.port, self.build, self.state)
        watcher = Watcher(self.root, self.opts.seed)
        pool: kernels.KernelPool | None = None
        try:
            with _sigterm_as_interrupt():
                print(f"briefkit: previewing {self.opts.seed} at {server.url}", flush=True)
                if not server.loopback:
                    logger.warning("serving on %s: reachable from other machines", self.opts.host)
                watcher.start()
                found = notebooks.find_notebooks(self.root)
                size = len(found) if self.opts.kernels is None else self.opts.kernels
                if size > 0:
                    warm = kernels.warmup_code(
                        kernels.notebook_imports(found), kernels.plotly_calls(found)
                    )
                    pool = kernels.KernelPool(
                        self.root, size=size, warmup=warm, log_dir=self.build / ".cache",
                        env={kernels.SHARED_SEED_ENV: str(self.shared_seed)},
                    ).start()  # fmt: skip
                    taker = pool
                    self.state.update(kernels=size, kernels_ready=pool.ready)
                    notebooks.set_kernel_source(lambda job, log: taker.take(job.env, log))
                if self.static:
                    artifacts.start_chromium()
                if self.opts.on_ready is not None:
                    self.opts.on_ready(server.url)
                watcher.dirty.set()  # the first build
                opened = False
                trimmed = 0
                while True:
                    if watcher.dirty.wait(timeout=0.5):
                        watcher.dirty.clear()
                        if watcher.code_changed:
                            raise Restart
                        # The page waits for this build: the pool refills after it, once
                        # the page has had time to swap it in.
                        hold = pool.held(linger=PAGE_SETTLE) if pool is not None else None
                        with hold or contextlib.nullcontext():
                            self.rebuild_html()
                        if self.opts.open_browser and not opened and self.state.html:
                            opened = True
                            webbrowser.open(server.url)
                    elif self.pdf_stale and self.state.error is None and self.builds:
                        if not self.rebuild_pdf():
                            watcher.dirty.set()  # an edit came: the page's build goes first
                    elif self.builds != trimmed:
                        trimmed = self.builds
                        release_freed_memory()
        finally:
            self.state.update(closing=True)
            watcher.close()
            notebooks.set_kernel_source(None)
            if pool is not None:
                pool.close()
            notebooks.kill_kernels()
            artifacts.stop_chromium()
            server.shutdown()
            server.server_close()

    def _options(
        self, render: tuple[str, ...] | None = None, inputs: dict[str, str] | None = None
    ) -> buildmod.BuildOptions:
        # Every format is prepared by every build (figures, brief.json), ``render`` rendered:
        # the HTML build leaves the PDF build nothing to redo but the PDF, and the PDF build
        # leaves the next HTML build nothing but the HTML.
        return buildmod.BuildOptions(
            self.root, self.opts.seed, self.opts.engine, ("html", *self.others),
            self.opts.timeout, on_seed=self._share_seed, render=render, inputs=inputs,
        )  # fmt: skip

    def _share_seed(self, seed: Seed) -> None:
        from briefkit import kernels

        kernels.share_seed(seed, self.shared_seed)

    def rebuild_html(self) -> bool:
        """Build the HTML (through the cache); publish it, or show the failure. True if good."""
        from briefkit import artifacts

        t = time.perf_counter()
        self.state.update(building=True)
        try:
            result = buildmod.run_build(self._options(("html",)))
            html = (self.build / "brief.html").read_bytes()
        except KeyboardInterrupt:
            raise
        except Exception as exc:
            self.state.update(error=_say_error(exc), building=False)
            return False
        finally:
            if self.static and not artifacts.chromium_open():
                artifacts.start_chromium()  # an interrupted figure export stops it
        self.builds += 1
        self.html_inputs = result.inputs
        if self.show(html):
            if self.others:
                self.pdf_stale = True
                self.state.pdf = "stale"
            logger.info(
                "rebuilt %s in %.2f s (%s)", self.opts.seed, time.perf_counter() - t, _ran(result)
            )
        self.state.update(building=False)
        return True

    def show(self, html: bytes) -> bool:
        """Serve ``html`` unless the page already shows it (and no error); True if it changed.

        Decided by the HTML itself, not by which steps ran: the PDF build may have rendered an
        edit saved as it started, and the next HTML build then finds everything current.
        """
        if html == self.state.html and self.state.error is None:
            return False
        self.state.publish(html)
        return True

    def rebuild_pdf(self) -> bool:
        """Build the PDF (the other formats) of the HTML the page shows; the page does not wait.

        False when the inputs changed since that HTML was built: the PDF is then left stale,
        and the page's build of the edit goes first.
        """
        t = time.perf_counter()
        self.state.update(pdf="building")
        try:
            # Every format at once: a build leaves exactly the formats it renders (never a PDF
            # older than the HTML beside it), so the HTML build removed the last PDF.
            result = buildmod.run_build(self._options(inputs=self.html_inputs))
        except KeyboardInterrupt:
            raise
        except buildmod.InputsChanged as exc:
            logger.debug("changed since the page's build: %s; the PDF waits", exc)
            self.state.update(pdf="stale")
            return False
        except Exception as exc:
            self.pdf_stale = False
            self.state.update(pdf="failed", error=_say_error(exc))
            return True
        self.pdf_stale = False
        self.state.update(pdf="ready")
        # Every format of one build: an HTML it rendered too goes with the PDF beside it.
        self.show((self.build / "brief.html").read_bytes())
        logger.info(
            "%s rebuilt in %.2f s (%s)", ", ".join(self.others), time.perf_counter() - t,
            _ran(result),
        )  # fmt: skip
        return True


def _ran(result: buildmod.BuildResult) -> str:
    """What a build ran, and how long its parts took (for the log)."""
    ran = ", ".join(result.executed) or "nothing to do"
    parts = ", ".join(
        f"{name} {seconds:.2f}" for name, seconds in result.timings.items()
        if name != "total" and seconds >= 0.01
    )  # fmt: skip
    return f"{ran}; {parts} s" if parts else ran


#: glibc's mallopt parameter for the most heaps ("arenas") threads may spread over.
_M_ARENA_MAX = -8


def limit_malloc_arenas(count: int = 2) -> bool:
    """Let this process's threads share at most ``count`` heaps (glibc); False elsewhere.

    glibc gives threads up to eight heaps per core, and what is freed in one stays there
    (trimming returns only whole free pages): over a preview's many edits, each build's new
    threads spread the same short-lived data over more heaps. Two heaps halved the growth of
    the preview's own memory over ten reading edits (+93 MiB to +47 MiB); the builds' threads
    mostly wait for kernels, pandoc and Chromium, so they hardly contend for a heap.
    """
    import ctypes

    mallopt = _glibc("mallopt", ctypes.c_int, ctypes.c_int)
    return mallopt is not None and bool(mallopt(_M_ARENA_MAX, count))


def release_freed_memory() -> bool:
    """Hand the heap's free pages back to the system (glibc's ``malloc_trim``); False elsewhere.

    Each edit's builds run on new threads, and glibc gives threads heaps of their own (up to
    eight per core) that keep what was freed in them: a preview grew by about 200 MiB over its
    first ten edits, holding memory no object used. Trimmed when idle after a build.
    """
    import ctypes

    trim = _glibc("malloc_trim", ctypes.c_size_t)
    if trim is None:
        return False
    trim(0)
    return True


def _glibc(name: str, *argtypes: Any) -> Any:
    """glibc's function ``name`` taking ``argtypes`` (ctypes), or None (not glibc)."""
    import ctypes

    try:
        function = getattr(ctypes.CDLL(None), name)
    except (OSError, AttributeError):
        return None
    function.argtypes = list(argtypes)
    return function


def run_preview(opts: PreviewOptions) -> None:
    """Run a preview until Ctrl-C or SIGTERM (raises KeyboardInterrupt) or a code change."""
    Preview(opts).run()


def restart_argv() -> list[str]:
    """The command line that started this process, to start it again after a code change."""
    return list(getattr(sys, "orig_argv", [sys.executable, *sys.argv]))


def exec_again() -> None:
    """Replace this process by a new one with the same command line (new code loaded)."""
    argv = restart_argv()
    print("briefkit: briefkit's code changed: restarting the preview", file=sys.stderr, flush=True)
    os.execv(sys.executable, [sys.executable, *argv[1:]])
