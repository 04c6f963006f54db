"""The headless Chromium that draws the PDF's figures: found, or fetched once; one bounded session.

Chromium is looked for in ``BROWSER_PATH``, ``PATH``, the usual places (and a copy kaleido's
``kaleido_get_chrome`` fetched), then in briefkit's own browser folder. When none is found,
Chrome for Testing is fetched once, through kaleido's ``get_chrome_sync``, into that folder (a
per-user cache, ``BRIEFKIT_BROWSER_DIR`` to move it; ``BRIEFKIT_NO_DOWNLOAD=1`` to forbid it).

kaleido's own sync server waits without limit: a browser that exits at once or never answers
left the build hanging. Here kaleido runs on an event loop of our own, and every wait on the
browser (start, each figure, stop) is bounded by ``BRIEFKIT_BROWSER_TIMEOUT`` seconds; a browser
that fails is killed with its whole process group, and the build fails with exit 4.
"""

from __future__ import annotations

import concurrent.futures
import json
import logging
import math
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from briefkit.errors import BriefkitError, BrowserFailed, EnvironmentProblem, ToolNotFound

logger = logging.getLogger("briefkit")

BROWSER_DIR_ENV = "BRIEFKIT_BROWSER_DIR"
NO_DOWNLOAD_ENV = "BRIEFKIT_NO_DOWNLOAD"
TIMEOUT_ENV = "BRIEFKIT_BROWSER_TIMEOUT"
#: Seconds for Chromium to start, to draw one figure, or to stop (a cold start on a busy
#: machine takes a few seconds; a figure well under one).
DEFAULT_TIMEOUT = 60.0
#: Seconds for the download server to answer at all: offline, the build fails this fast.
CONNECT_TIMEOUT = 6.0
#: Seconds a download may go without receiving a byte before it is given up.
STALL_TIMEOUT = 60.0

FIXES = (
    "install Chromium (Debian: apt-get install chromium), set BROWSER_PATH to a Chrome or "
    "Chromium, or build HTML only with --formats html"
)
#: Written into the browser folder once a fetch is complete: the executable, relative to it.
MARKER = "briefkit-browser.json"


def browser_dir() -> Path:
    """The folder a fetched Chrome goes to: BRIEFKIT_BROWSER_DIR, else the user's cache."""
    if os.environ.get(BROWSER_DIR_ENV):
        return Path(os.environ[BROWSER_DIR_ENV]).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("briefkit")) / "chrome"


def download_allowed() -> bool:
    """Whether a missing Chrome may be fetched (not when BRIEFKIT_NO_DOWNLOAD is set)."""
    return os.environ.get(NO_DOWNLOAD_ENV, "").strip().lower() in ("", "0", "false", "no")


def browser_timeout() -> float:
    """Seconds to wait for Chromium at any one point (BRIEFKIT_BROWSER_TIMEOUT, default 60)."""
    from briefkit.errors import InputError

    text = os.environ.get(TIMEOUT_ENV, "").strip()
    if not text:
        return DEFAULT_TIMEOUT
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise InputError(f"{TIMEOUT_ENV}={text!r}: give a number of seconds greater than 0")
    return value


def _executable(path: str | Path | None) -> bool:
    return path is not None and Path(path).is_file() and os.access(path, os.X_OK)


def installed_chromium() -> str | None:
    """Chrome or Chromium on PATH, in the usual places, or fetched by kaleido_get_chrome."""
    try:
        from choreographer.browsers import Chromium

        found = Chromium.find_browser(skip_local=False)
    except Exception as exc:  # its search is best effort; any failure means "none found"
        logger.debug("looking for Chromium failed: %s", exc)
        return None
    return str(found) if _executable(found) else None


def fetched_chromium() -> str | None:
    """The Chrome that an earlier build fetched into :func:`browser_dir`, if complete."""
    folder = browser_dir()
    try:
        exe = folder / json.loads((folder / MARKER).read_text(encoding="utf-8"))["exe"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return str(exe) if _executable(exe) else None


def find_chromium(*, fetch: bool = True) -> str:
    """The Chrome or Chromium to draw with; fetched once if there is none and ``fetch`` allows.

    ``BROWSER_PATH``, when set, is the only choice: it is never fetched around.
    """
    chosen = os.environ.get("BROWSER_PATH")
    if chosen:
        if _executable(chosen):
            return chosen
        raise ToolNotFound(
            f"Chromium (BROWSER_PATH={chosen})", f"PDF figures need Chrome or Chromium: {FIXES}"
        )
    found = installed_chromium() or fetched_chromium()
    if found is not None:
        return found
    if not fetch or not download_allowed():
        raise ToolNotFound(
            "Chromium",
            f"PDF figures need Chrome or Chromium, and fetching one is turned off "
            f"({NO_DOWNLOAD_ENV}): {FIXES}",
        )
    return fetch_chromium()


def fetch_chromium() -> str:
    """Fetch Chrome for Testing into :func:`browser_dir` through kaleido; return its path."""
    from filelock import FileLock

    folder = browser_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise EnvironmentProblem(
            f"Chromium not found, and the browser folder {folder} cannot be made ({exc}): {FIXES}"
        ) from exc
    # Two builds at once fetch once: the second finds the first one's copy.
    with FileLock(folder / ".lock"):
        done = fetched_chromium()
        if done is not None:
            return done
        (folder / MARKER).unlink(missing_ok=True)
        exe, version = _download(folder)
        (folder / MARKER).write_text(
            json.dumps({"exe": Path(exe).relative_to(folder).as_posix(), "version": version}),
            encoding="utf-8",
        )
    logger.info("fetched Chrome for Testing %s into %s", version, folder)
    return exe


def _download(folder: Path) -> tuple[str, str]:
    """Run kaleido's get_chrome_sync in a thread, showing its progress; bound its waits."""
    import kaleido

    result: dict[str, Any] = {}

    def fetch() -> None:
        try:
            result["exe"] = str(kaleido.get_chrome_sync(path=folder))
        except BaseException as exc:  # handed to the waiting thread, which reports it
            result["error"] = exc

    zip_path = folder / "chrome.zip"  # where get_chrome_sync writes the download
    zip_path.unlink(missing_ok=True)
    worker = threading.Thread(target=fetch, name="briefkit-fetch-chrome", daemon=True)
    started = last_change = time.monotonic()
    size = -1
    with _progress() as show:
        worker.start()
        while worker.is_alive():
            worker.join(0.2)
            now = time.monotonic()
            try:
                current = zip_path.stat().st_size
            except OSError:
                current = -1 if size < 0 else size  # not there yet, or unpacked and removed
            if current != size:
                size, last_change = current, now
                show(max(size, 0))
            # The worker cannot be interrupted; a build that gives up leaves it to die with
            # the process (a daemon thread), and the next fetch starts again.
            if size < 0 and now - started > CONNECT_TIMEOUT:
                raise _fetch_failed(f"no answer from the download server in {CONNECT_TIMEOUT:g} s")
            if size >= 0 and now - last_change > STALL_TIMEOUT:
                raise _fetch_failed(f"the download stalled for {STALL_TIMEOUT:g} s")
    if "error" in result:
        raise _fetch_failed(_one_line(result["error"])) from result["error"]
    exe = result["exe"]
    if not _executable(exe):
        raise _fetch_failed(f"{exe} is missing after the download")
    try:
        version = (folder / "version_tag.txt").read_text(encoding="utf-8").split()[0]
    except (OSError, IndexError):
        version = "(unknown version)"
    return exe, version


def _fetch_failed(why: str) -> EnvironmentProblem:
    return EnvironmentProblem(f"Chromium not found, and fetching Chrome failed ({why}): {FIXES}")


@contextmanager
def _progress() -> Iterator[Any]:
    """A progress bar of the bytes fetched so far, on stderr; yields ``show(bytes)``.

    Only on a terminal: piped or captured, a bar would be noise in the log.
    """
    import sys

    if not sys.stderr.isatty():
        yield lambda done: None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TransferSpeedColumn,
    )

    columns = (
        TextColumn("fetching Chrome for Testing"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        # Chrome for Testing's Linux zip is about 170 MB; the bar pulses until bytes arrive.
        task = progress.add_task("chrome", total=None)

        def show(done: int) -> None:
            progress.update(task, completed=done)

        yield show


def _one_line(exc: BaseException) -> str:
    # choreographer's errors carry several sentences as separate arguments: the first says it;
    # urllib's URLError wraps the reason (a socket error) in "<urlopen error …>".
    reason = getattr(exc, "reason", None)
    if reason is not None:
        first = str(reason)
    elif exc.args and isinstance(exc.args[0], str):
        first = exc.args[0]
    else:
        first = str(exc)
    text = " ".join(first.split()) or type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."


# --- one Chromium session, every wait bounded -------------------------------------------------


def _identity(exe: str) -> str:
    try:
        st = Path(exe).resolve().stat()
    except OSError:
        return exe
    return f"{Path(exe).resolve()} {st.st_size} {st.st_mtime_ns}"


#: Browsers that failed in this process (by identity): the next session fails at once instead
#: of waiting for the same failure again.
_BROKEN: dict[str, BrowserFailed] = {}

_BROWSER_ERRORS: tuple[type[BaseException], ...] = ()


def _browser_errors() -> tuple[type[BaseException], ...]:
    """choreographer's errors that mean the browser itself failed (not the figure)."""
    global _BROWSER_ERRORS
    if not _BROWSER_ERRORS:
        from choreographer.errors import (
            BrowserClosedError,
            BrowserFailedError,
            ChannelClosedError,
            ChromeNotFoundError,
        )

        _BROWSER_ERRORS = (
            BrowserClosedError,
            BrowserFailedError,
            ChannelClosedError,
            ChromeNotFoundError,
            TimeoutError,
        )
    return _BROWSER_ERRORS


class Session:
    """One headless Chromium driven by kaleido on its own event-loop thread; waits bounded.

    The browser starts in the background as soon as the session is made; :meth:`image` waits
    for it. :meth:`close` cancels what is under way, stops the browser, and kills what is left.
    """

    def __init__(self, exe: str, timeout: float) -> None:
        import asyncio  # here, not at the top: 8 ms of every build's start (a no-change one's)

        self.exe = exe
        self.timeout = timeout
        self.identity = _identity(exe)
        self._lock = threading.Lock()
        self._closed = False
        self._calls: set[concurrent.futures.Future[Any]] = set()
        self._kaleido: Any = None
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="briefkit-chromium", daemon=True
        )
        self._thread.start()
        self._opening = asyncio.run_coroutine_threadsafe(self._open(), self._loop)

    async def _open(self) -> None:
        import kaleido

        self._kaleido = kaleido.Kaleido(path=self.exe, timeout=self.timeout)
        await self._kaleido.open()

    def _fail(self, what: str, detail: str) -> BrowserFailed:
        error = BrowserFailed(f"Chromium ({self.exe}) did not {what}: {detail}")
        if what == "start":
            _BROKEN[self.identity] = error
        return error

    def _wait(self, future: concurrent.futures.Future[Any], what: str) -> Any:
        """The result of ``future``, waiting at most the timeout; browser failures as exit 4."""
        try:
            return future.result(timeout=self.timeout)
        except BriefkitError:
            raise
        except Exception as exc:
            if self._closed or isinstance(exc, concurrent.futures.CancelledError):
                # Stopped on purpose (an interrupt, a failed build): not the browser's fault.
                raise BrowserFailed(f"Chromium ({self.exe}) was stopped") from None
            if isinstance(exc, TimeoutError) and not future.done():
                if future is not self._opening:
                    # A start is never cancelled (its process could be lost): close() kills it.
                    future.cancel()
                raise self._fail(what, f"no answer in {self.timeout:g} s") from None
            if what == "start" or isinstance(exc, _browser_errors()):
                raise self._fail(what, _one_line(exc)) from exc
            raise

    def ready(self) -> None:
        """Wait (bounded) for the browser to have started."""
        self._wait(self._opening, "start")

    def image(
        self, fig: Any, kind: str, width: int, height: int, scale: int | None = None
    ) -> bytes:
        """Draw the plotly figure ``fig`` (a dict) as a ``kind`` image file (kaleido's format).

        ``scale`` (pixels per CSS pixel) is passed only when given: a vector drawing has none.
        """
        opts: dict[str, Any] = {"format": kind, "width": width, "height": height}
        if scale is not None:
            opts["scale"] = scale
        data = self._draw(fig, opts)
        return data if isinstance(data, bytes) else str(data).encode("utf-8")

    def _draw(self, fig: Any, opts: dict[str, Any]) -> Any:
        """kaleido's drawing of ``fig`` with ``opts``, waited for at most the timeout."""
        import asyncio

        self.ready()
        with self._lock:
            if self._closed:
                raise BrowserFailed(f"Chromium ({self.exe}) was stopped")
            call = asyncio.run_coroutine_threadsafe(
                self._kaleido.calc_fig(fig, opts=opts), self._loop
            )
            self._calls.add(call)
        try:
            return self._wait(call, "draw a figure")
        finally:
            with self._lock:
                self._calls.discard(call)

    def close(self) -> None:
        """Stop the browser: cancel what is under way, close it (bounded), kill what is left."""
        import asyncio

        with self._lock:
            if self._closed:
                return
            self._closed = True
            calls = list(self._calls)
        for call in calls:
            call.cancel()
        try:
            if not self._opening.done():
                # Still starting, or never answering: kill it rather than wait, and let the
                # start fail. (Cancelling the start instead could lose the process it spawns.)
                deadline = time.monotonic() + 5
                while self._process() is None and not self._opening.done():
                    if time.monotonic() > deadline:
                        break
                    time.sleep(0.05)
                self._kill()
                concurrent.futures.wait([self._opening], timeout=self.timeout)
            if self._kaleido is not None:
                closing = asyncio.run_coroutine_threadsafe(self._kaleido.close(), self._loop)
                closing.result(self.timeout)
        except Exception as exc:  # whatever did not stop in time is killed below
            logger.debug("closing Chromium: %s", _one_line(exc))
        finally:
            self._kill()
            try:
                asyncio.run_coroutine_threadsafe(_cancel_the_rest(), self._loop).result(5)
            except Exception as exc:
                logger.debug("stopping Chromium's tasks: %s", _one_line(exc))
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5)
            if not self._thread.is_alive():
                self._loop.close()

    def _process(self) -> subprocess.Popen[Any] | None:
        return getattr(self._kaleido, "subprocess", None)

    def _kill(self) -> None:
        """Kill the browser's process group (Chromium's helpers, a wrapper script's children)."""
        proc = self._process()
        if proc is None:
            return
        try:
            if hasattr(os, "killpg"):
                # Started in a session of its own: its process group is its pid.
                os.killpg(proc.pid, signal.SIGKILL)
            elif proc.poll() is None:
                proc.kill()
        except (ProcessLookupError, PermissionError):
            pass
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            logger.debug("Chromium (pid %d) did not exit after SIGKILL", proc.pid)


async def _cancel_the_rest() -> None:
    """Cancel choreographer's tasks still pending (read loops, a watchdog) and let them end.

    A pending task that is garbage-collected with its loop is logged as an error.
    """
    import asyncio

    tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    for task in tasks:
        task.cancel()
    if tasks:
        await asyncio.wait(tasks, timeout=2)


#: The session start_chromium opened, used by every export until stop_chromium.
_CURRENT: dict[str, Session | None] = {"session": None}


def _new_session(exe: str) -> Session:
    broken = _BROKEN.get(_identity(exe))
    if broken is not None:
        raise broken
    return Session(exe, browser_timeout())


def start_chromium() -> bool:
    """Start the one Chromium session for SVG exports now, in the background; True if started.

    Chromium takes seconds to start; started while the notebooks run, it is ready when the
    figures are. Every export uses it until ``stop_chromium``. A failure here is only logged:
    the export that needs the browser reports it.
    """
    if _CURRENT["session"] is not None:
        # Open already (a preview keeps one for its life): not started here, so whoever asked
        # does not stop it either.
        return False
    try:
        _CURRENT["session"] = _new_session(find_chromium())
    except BriefkitError as exc:
        logger.debug("could not start Chromium early: %s", exc)
        return False
    return True


def chromium_open() -> bool:
    """Whether ``start_chromium`` opened a session that is not stopped yet."""
    return _CURRENT["session"] is not None


def stop_chromium() -> None:
    """Stop the Chromium session if one is running (a no-op otherwise)."""
    session, _CURRENT["session"] = _CURRENT["session"], None
    if session is not None:
        session.close()


@contextmanager
def chromium_session() -> Iterator[Session]:
    """The session ``start_chromium`` opened (left open), or one of the block's own."""
    current = _CURRENT["session"]
    if current is not None:
        yield current
        return
    own = _new_session(find_chromium())
    try:
        yield own
    finally:
        own.close()
