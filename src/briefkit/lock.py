"""One build at a time per seed: an OS file lock that a killed build can never leave held."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from briefkit.errors import BuildLocked, EnvironmentProblem

logger = logging.getLogger("briefkit")

#: The locks each thread holds: holding one again is a no-op (flock would wait for itself).
_HELD: set[tuple[int, Path]] = set()

#: Seconds a build waits for another build of the same seed before giving up.
DEFAULT_WAIT = 5.0


@contextmanager
def hold(path: Path, *, wait: float, busy: str) -> Iterator[Path]:
    """Hold the file lock ``path``; after ``wait`` seconds raise BuildLocked(``busy``).

    The lock is an flock on the file, so the kernel releases it when its holder dies: a killed
    build never blocks the next one (the file itself stays, and does not matter).
    """
    key = (threading.get_ident(), path.resolve())
    if key in _HELD:  # this thread holds it already (a release around its build)
        yield path
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() and not path.is_file():
        raise EnvironmentProblem(f"{path} is not a file: briefkit keeps its lock there; remove it")
    lock = FileLock(path, timeout=wait)
    try:
        lock.acquire()
    except Timeout:
        raise BuildLocked(busy) from None
    logger.debug("locked %s", path)
    _HELD.add(key)
    try:
        yield path
    finally:
        _HELD.discard(key)
        lock.release()


@contextmanager
def build_lock(folder: Path, *, wait: float = DEFAULT_WAIT) -> Iterator[Path]:
    """Hold ``folder/.lock`` (one build per seed) for the duration."""
    path = folder / ".lock"
    busy = (
        f"another build is running in {folder} (waited {wait:g} s for {path}); "
        "wait for it to finish, or stop it"
    )
    with hold(path, wait=wait, busy=busy):
        yield path
