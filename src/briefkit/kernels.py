"""A small pool of pre-started notebook kernels with the notebooks' imports already done.

Starting a kernel and importing briefkit, pydantic and plotly in it costs a notebook about a
second of its run. A preview re-runs the notebooks on every reading edit, so it keeps a few
kernels started and warmed up in the background, and a notebook takes one instead of starting
its own (``notebooks.set_kernel_source``).

A kernel still runs one notebook only, and is killed when that notebook is done: no state
passes from one run to the next. The warm-up only imports modules (what the notebooks import,
found in their code), silently and without history, so it binds no name in the kernel's
namespace and leaves the execution counter at 0: the executed notebook is the same, byte for
byte, as with a kernel started for it.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import json
import logging
import os
import queue
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from briefkit.reading import Seed

logger = logging.getLogger("briefkit")

#: Seconds a pooled kernel may take to start and import the notebooks' modules.
START_TIMEOUT = 120.0
#: Set in a preview's kernels: the file holding the seed the preview validated (see share_seed).
SHARED_SEED_ENV = "BRIEFKIT_SHARED_SEED"


def _seed_key(root: Path, slug: str) -> str:
    """What a shared seed must match: the seed's files and briefkit's code."""
    from briefkit import fingerprint
    from briefkit.seeds import seed_dir

    path = seed_dir(root, slug)
    files = fingerprint.tree_digests(root.resolve(), fingerprint.files_under(path.resolve()))
    return fingerprint.make_key({"slug": slug, "files": files, "code": fingerprint.code_digest()})


def share_seed(seed: Seed, target: Path) -> None:
    """Write ``seed`` (validated) to ``target`` for the preview's kernels, with its key.

    Every notebook validates the seed again in its own kernel (a quarter of a second each);
    a kernel of the preview takes this copy instead while the seed's files and briefkit's code
    are the same (shared_seed), so a reading edit validates the seed once, not once per notebook.
    """
    import pickle

    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    # The key is over the files the seed was read from (a build reads a snapshot of them).
    payload = {"key": _seed_key(seed.path.parents[1], seed.slug), "seed": seed}
    try:
        tmp.write_bytes(pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL))
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)


def shared_seed(root: Path, slug: str) -> Seed | None:
    """The seed a preview validated (share_seed), if this kernel has one and it is current."""
    shared = os.environ.get(SHARED_SEED_ENV)
    if not shared:
        return None
    import pickle

    try:
        # Written by this project's own preview, into its own build folder (never fetched).
        payload = pickle.loads(Path(shared).read_bytes())
        if payload.get("key") != _seed_key(root, slug):
            return None
        seed = payload["seed"]
    except Exception as exc:  # no copy, or a stale one: validate as usual
        logger.debug("no shared seed: %s", exc)
        return None
    if getattr(seed, "slug", None) != slug:
        return None
    import dataclasses

    from briefkit.seeds import seed_dir

    # The seed's folder as this kernel names it (the preview's root is absolute).
    shared_copy: Seed = dataclasses.replace(seed, path=seed_dir(root, slug))
    return shared_copy


def _cells(paths: Sequence[Path]) -> Iterator[ast.Module]:
    """The parsed code cells of the notebooks at ``paths`` (magics dropped; unparsable skipped)."""
    for path in paths:
        try:
            cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
        except (OSError, ValueError):
            continue
        for cell in cells:
            if cell.get("cell_type") != "code":
                continue
            source = cell.get("source", "")
            text = "".join(source) if isinstance(source, list) else str(source)
            lines = [ln for ln in text.splitlines() if not ln.lstrip().startswith(("%", "!"))]
            try:
                yield ast.parse("\n".join(lines))
            except SyntaxError:
                continue


def notebook_imports(paths: Sequence[Path]) -> list[str]:
    """The modules that the notebooks at ``paths`` import (top-level import statements), sorted.

    This only guides a warm-up: what it misses, the notebook imports itself.
    """
    found: set[str] = set()
    for tree in _cells(paths):
        for node in tree.body:
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.add(node.module)
    return sorted(found)


#: Figure methods whose first call validates (and so imports) plotly's property validators.
_FIGURE_METHODS = ("update_layout", "update_xaxes", "update_yaxes", "update_traces")


def _literal(node: ast.expr) -> str | None:
    """``node`` as Python source if it is built of literals; dicts keep their literal items."""
    if isinstance(node, ast.Constant) and isinstance(node.value, (str, int, float, bool)):
        return repr(node.value)
    if isinstance(node, ast.Dict):
        items = []
        for key, value in zip(node.keys, node.values, strict=True):
            text = _literal(value)
            if isinstance(key, ast.Constant) and isinstance(key.value, str) and text is not None:
                items.append(f"{key.value!r}: {text}")
        return "{" + ", ".join(items) + "}"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict":
        items = [f"{kw.arg!r}: {t}" for kw in node.keywords
                 if kw.arg and (t := _literal(kw.value)) is not None]  # fmt: skip
        return "{" + ", ".join(items) + "}"
    return None


def plotly_calls(paths: Sequence[Path]) -> list[str]:
    """The notebooks' plotly calls, as code with only their literal arguments, sorted.

    plotly imports its validators and loads a template the first time a kind of trace, a layout
    property or a template is used: about a second of a notebook's run. Replaying these calls
    in a kernel's warm-up (on throwaway figures) moves that cost out of the notebook's run. Only
    literals are kept: nothing of a notebook's data or names is run.
    """
    calls: set[str] = set()
    for tree in _cells(paths):
        aliases = {
            alias.asname or alias.name
            for node in ast.walk(tree) if isinstance(node, ast.Import)
            for alias in node.names if alias.name == "plotly.graph_objects"
        }  # fmt: skip
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
                continue
            func = node.func
            if isinstance(func.value, ast.Name) and func.value.id in aliases:
                target = f"go.{func.attr}"
            elif func.attr in _FIGURE_METHODS:
                target = f"go.Figure().{func.attr}"
            else:
                continue
            kwargs = [f"{kw.arg}={t}" for kw in node.keywords
                      if kw.arg and (t := _literal(kw.value)) is not None]  # fmt: skip
            calls.add(f"{target}({', '.join(kwargs)})")
    return sorted(calls)


def warmup_code(modules: Sequence[str], calls: Sequence[str] = ()) -> str:
    """Code that imports ``modules`` and runs ``calls`` in a kernel, binding no name there.

    It runs in a namespace of its own. A module that fails to import or a call that fails is
    skipped: the notebook meets it again itself and reports it where it belongs.
    """
    lines = ["import importlib", "_ok = (ImportError, Exception)"]
    lines += [f"try:\n    importlib.import_module({m!r})\nexcept _ok:\n    pass" for m in modules]
    if calls:
        lines.append("import plotly.graph_objects as go")
        lines += [f"try:\n    {call}.to_json()\nexcept _ok:\n    pass" for call in calls]
    # What the warm-up loaded lives as long as the kernel: out of the garbage collector's sight
    # (gc.freeze), a full collection during the notebook walks only what the notebook made.
    # One over everything loaded took 0.1 s of a figure cell's 0.2 s.
    lines += ["import gc", "gc.collect()", "gc.freeze()"]
    source = "\n".join(lines)
    return f"exec(compile({source!r}, '<briefkit warm-up>', 'exec'), {{}})"


def _env_code(env: Mapping[str, str]) -> str:
    return f"__import__('os').environ.update({dict(env)!r})"


def _reply(km: Any, kc: Any, msg_id: str, end: float) -> dict[str, Any]:
    """The shell reply to ``msg_id``; waited for in slices, so that a dead kernel is noticed.

    A kernel killed meanwhile (the pool closing) never answers; jupyter's own wait asks an
    async manager whether it lives, gets a coroutine, and so waits out its whole timeout.
    """
    while True:
        try:
            reply: dict[str, Any] = kc.get_shell_msg(timeout=0.5)
        except queue.Empty:
            process = getattr(km.provisioner, "process", None)
            if process is None or process.poll() is not None or time.monotonic() > end:
                raise RuntimeError("the kernel died or did not answer") from None
            continue
        if reply.get("parent_header", {}).get("msg_id") == msg_id:
            return reply


def _run_silently(km: Any, code: str, timeout: float) -> None:
    """Run ``code`` in ``km``'s kernel: silent, no history (the execution counter stays)."""
    from jupyter_client.blocking.client import BlockingKernelClient

    # Whether the kernel lives is asked of its process (_reply), not of the heartbeat, which a
    # busy machine can miss for a second.
    kc = BlockingKernelClient(parent=km)
    kc.load_connection_info(km.get_connection_info())
    kc.start_channels()
    try:
        end = time.monotonic() + timeout
        # Ready when it answers (ZeroMQ holds the request until the kernel's socket is there).
        _reply(km, kc, kc.kernel_info(), end)
        msg_id = kc.execute(code, silent=True, store_history=False, allow_stdin=False)
        reply = _reply(km, kc, msg_id, end)
        if reply["content"].get("status") != "ok":
            content = reply["content"]
            raise RuntimeError(f"{content.get('ename')}: {content.get('evalue')}")
    finally:
        kc.stop_channels()


class KernelPool:
    """Keeps up to ``size`` python3 kernels started in ``cwd``, warmed up by ``warmup``.

    ``take`` hands one out, waiting for one being started if none is ready (None when the pool
    cannot start any: the notebook then starts its own). Background threads refill the pool,
    at most ``fillers`` kernels at a time. ``close`` kills every kernel still in the pool and
    stops the refilling; kernels handed out are their taker's to kill.
    """

    def __init__(
        self, cwd: Path, *, size: int, warmup: str, log_dir: Path,
        env: Mapping[str, str] | None = None, fillers: int | None = None,
    ) -> None:  # fmt: skip
        self.cwd = cwd
        self.env = dict(env or {})
        self.size = max(0, size)
        self.warmup = warmup
        self.log_dir = log_dir
        self._ready: list[tuple[Any, Path]] = []
        self._lock = threading.Condition()
        self._closed = False
        #: While above 0, no kernel is started (see ``held``) unless a taker waits for one.
        self._holds = 0
        #: Nor before this time (time.monotonic) after a hold (``held(linger=...)``).
        self._quiet_until = 0.0
        #: Takers waiting for a kernel.
        self._waiting = 0
        #: Kernels being started and warmed up: how many, and their managers (``close`` kills
        #: them).
        self._pending = 0
        self._starting: list[Any] = []
        #: Whether the last start failed (then a taker does not wait for the next one).
        self._failing = False
        self._counter = 0
        # Starting a kernel is CPU-bound (its imports): one per core at most.
        count = fillers if fillers is not None else min(2, os.cpu_count() or 1)
        self._threads = [
            threading.Thread(target=self._fill, name=f"briefkit-kernels-{i}", daemon=True)
            for i in range(max(1, count))
        ]

    def start(self) -> KernelPool:
        """Start filling the pool in the background."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        for thread in self._threads:
            thread.start()
        return self

    def ready(self) -> int:
        """How many warmed-up kernels wait in the pool."""
        with self._lock:
            return len(self._ready)

    def wait_ready(self, count: int | None = None, timeout: float = START_TIMEOUT) -> bool:
        """Wait until ``count`` (default: all) kernels are ready; False on timeout or close."""
        want = self.size if count is None else min(count, self.size)
        with self._lock:
            return (
                self._lock.wait_for(
                    lambda: self._closed or len(self._ready) >= want, timeout=timeout
                )
                and not self._closed
            )

    @contextlib.contextmanager
    def held(self, linger: float = 0.0) -> Iterator[None]:
        """Start no kernel meanwhile (a build runs), nor for ``linger`` seconds after, unless a
        notebook waits for one.

        Starting and warming up a kernel costs about a second of CPU. A build takes its kernels
        at once, so a refill during it only slows its notebooks down, and right after it the
        browser down (it swaps the new brief in); but when the pool ran dry (edits back to
        back), a kernel for a waiting notebook is started at once.
        """
        with self._lock:
            self._holds += 1
        try:
            yield
        finally:
            with self._lock:
                self._holds -= 1
                self._quiet_until = max(self._quiet_until, time.monotonic() + linger)
                self._lock.notify_all()

    def take(self, env: Mapping[str, str], log: Path, *, wait: float = START_TIMEOUT) -> Any | None:
        """A started kernel's manager with ``env`` set in it, its chatter going to ``log``.

        With none ready, waits up to ``wait`` seconds for one the pool starts: a kernel it is
        already warming up is ready sooner than a new one, and the pool starts no more at once
        than the machine has cores (a notebook starting its own kernel would add one more).
        None when the pool is closed, its last start failed, or the wait ran out.
        """
        end = time.monotonic() + wait
        while True:
            with self._lock:
                self._waiting += 1
                self._lock.notify_all()
                try:
                    self._lock.wait_for(self._takeable, timeout=max(0.0, end - time.monotonic()))
                finally:
                    self._waiting -= 1
                if self._closed or not self._ready:
                    return None
                km, pool_log = self._ready.pop(0)
                self._lock.notify_all()
            try:
                process = getattr(km.provisioner, "process", None)
                if process is None or process.poll() is not None:
                    raise RuntimeError("kernel died in the pool")
                if env:
                    _run_silently(km, _env_code(env), timeout=30)
            except Exception as exc:  # a broken pooled kernel: drop it, try the next
                logger.debug("pooled kernel unusable: %s", exc)
                _kill(km)
                pool_log.unlink(missing_ok=True)
                continue
            # The kernel keeps writing to the same file under its new name (POSIX rename).
            log.parent.mkdir(parents=True, exist_ok=True)
            os.replace(pool_log, log)
            km.client_factory = _ready_client_class()
            return km

    def close(self) -> None:
        """Stop refilling and kill the kernels left in the pool, and the one starting."""
        with self._lock:
            self._closed = True
            left, self._ready = self._ready, []
            starting = list(self._starting)
            self._lock.notify_all()
        for km in starting:
            # Its warm-up then fails at once instead of being waited for.
            process = getattr(km.provisioner, "process", None)
            if process is not None and process.poll() is None:
                process.kill()
        for km, log in left:
            _kill(km)
            log.unlink(missing_ok=True)
        for thread in self._threads:
            if thread.is_alive():
                thread.join(timeout=START_TIMEOUT)
        if left:
            _close_loop()  # the one jupyter's run_sync left on this thread to kill them

    def _fill(self) -> None:
        try:
            self._fill_until_closed()
        finally:
            _close_loop()

    def _takeable(self) -> bool:
        """Whether a taker stops waiting (called with the lock held)."""
        return self._closed or bool(self._ready) or (self._failing and not self._pending)

    def _wanted(self) -> bool:
        """Whether a filler should start a kernel now (called with the lock held)."""
        short = len(self._ready) + self._pending < self.size
        # Held (a build runs, or just ran): only for a notebook that waits, one start per
        # waiting taker.
        quiet = self._holds or time.monotonic() < self._quiet_until
        return short and (not quiet or self._waiting > self._pending)

    def _fill_until_closed(self) -> None:
        while True:
            with self._lock:
                while not (self._closed or self._wanted()):
                    # Woken by a change, or when the quiet time after a hold is over.
                    left = self._quiet_until - time.monotonic()
                    self._lock.wait(timeout=left if left > 0 else None)
                if self._closed:
                    return
                self._counter += 1
                self._pending += 1
                log = self.log_dir / f"pool-{os.getpid()}-{self._counter}.kernel.log"
            km = None
            try:
                km = self._start(log)
            except Exception as exc:
                logger.debug("could not start a pooled kernel: %s", exc)
                if km is not None:
                    _kill(km)
                log.unlink(missing_ok=True)
                with self._lock:  # do not spin: wait a little before the next attempt
                    self._pending -= 1
                    self._failing = True
                    self._lock.notify_all()
                    self._lock.wait_for(lambda: self._closed, timeout=5)
                continue
            with self._lock:
                self._pending -= 1
                self._failing = False
                if self._closed:
                    _kill(km)
                    log.unlink(missing_ok=True)
                    return
                self._ready.append((km, log))
                self._lock.notify_all()

    def _start(self, log: Path) -> Any:
        from jupyter_core.utils import run_sync

        from briefkit import notebooks

        km = notebooks.kernel_manager_class()(kernel_name="python3", **notebooks.ipc_transport())
        with self._lock:
            self._starting.append(km)
        with log.open("ab") as out:
            # The child keeps its own descriptor of the log.
            env = {**os.environ, **self.env}
            run_sync(km.start_kernel)(cwd=str(self.cwd), stdout=out, stderr=out, env=env)
        process = getattr(km.provisioner, "process", None)
        if process is not None:
            notebooks.track_kernel(process)
        try:
            if self._closed:  # closed while it started: close() could not kill it yet
                raise RuntimeError("the pool was closed")
            _run_silently(km, self.warmup, timeout=START_TIMEOUT)
        except BaseException:
            _kill(km)
            raise
        finally:
            with self._lock:
                self._starting.remove(km)
        return km


@functools.cache
def _ready_client_class() -> type[Any]:
    """The client nbclient connects to a pooled kernel with: ready without a wait for silence.

    jupyter_client's ``wait_for_ready`` ends by reading the kernel's IOPub channel until it is
    silent for 0.2 s: every notebook of a preview's edit waited that long, idle, before its
    first cell. A pooled kernel answered moments ago (``take``); its client is ready once the
    kernel answers ``kernel_info`` and IOPub delivers (so no output can be missed). What is
    left on IOPub then is the status of that request, which nbclient ignores: it reads only
    the messages whose parent is the cell it runs.
    """
    from jupyter_client.asynchronous.client import AsyncKernelClient

    class ReadyClient(AsyncKernelClient):
        # jupyter binds ``wait_for_ready`` to the base class's function: overridden by name.
        async def wait_for_ready(self, timeout: float | None = None) -> None:
            end = time.monotonic() + (START_TIMEOUT if timeout is None else timeout)
            while True:
                self.kernel_info()
                try:
                    msg = await self.shell_channel.get_msg(timeout=1)
                except queue.Empty:
                    msg = None
                if msg is not None and msg["msg_type"] == "kernel_info_reply":
                    try:  # IOPub is connected once it delivers (ZeroMQ subscribes late)
                        await self.iopub_channel.get_msg(timeout=0.2)
                    except queue.Empty:
                        pass
                    else:
                        self._handle_kernel_info_reply(msg)
                        return
                if not await self._async_is_alive():
                    raise RuntimeError("Kernel died before replying to kernel_info")
                if time.monotonic() > end:
                    raise RuntimeError(f"Kernel didn't respond in {timeout} seconds")

    return ReadyClient


def _kill(km: Any) -> None:
    """Kill a kernel now (no graceful shutdown: nothing in it is worth waiting for)."""
    from jupyter_core.utils import run_sync

    try:
        run_sync(km.shutdown_kernel)(now=True)
    except Exception as exc:
        logger.debug("killing a pooled kernel: %s", exc)
        process = getattr(getattr(km, "provisioner", None), "process", None)
        if process is not None and process.poll() is None:
            process.kill()


def _close_loop() -> None:
    from briefkit import notebooks

    notebooks.close_thread_loop()
