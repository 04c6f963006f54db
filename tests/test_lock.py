"""One build at a time per seed: a second waits briefly, then fails; a killed one blocks nothing."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from briefkit import build
from briefkit.build import BuildOptions, run_build
from briefkit.errors import EXIT_ENVIRONMENT, BuildLocked
from briefkit.lock import build_lock, hold

from .conftest import SEED

HOLDER = """
import sys, time
from filelock import FileLock
lock = FileLock(sys.argv[1])
lock.acquire()
print("held", flush=True)
time.sleep(120)
"""


def hold_lock(path: Path) -> subprocess.Popen[str]:
    """Another process that takes the lock at ``path`` and keeps it until killed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "held"
    return proc


def kill(proc: subprocess.Popen[str]) -> None:
    """SIGKILL ``proc`` (no chance to clean up), reap it, close its pipe."""
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.stdout is not None
    proc.stdout.close()


def test_second_build_waits_then_says_another_build_is_running(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = project / "_build" / SEED
    holder = hold_lock(folder / ".lock")
    monkeypatch.setattr(build, "LOCK_WAIT", 0.5)
    try:
        start = time.monotonic()
        with pytest.raises(BuildLocked) as info:
            run_build(BuildOptions(project, SEED, engine="pandoc"))
        waited = time.monotonic() - start
    finally:
        kill(holder)
    assert str(info.value) == (
        f"another build is running in {folder.resolve()} (waited 0.5 s for "
        f"{folder.resolve() / '.lock'}); wait for it to finish, or stop it"
    )
    assert info.value.exit_code == EXIT_ENVIRONMENT
    assert 0.4 < waited < 5
    assert not (folder / "notebooks").exists()  # nothing ran


def test_killed_build_never_blocks_the_next(tmp_path: Path) -> None:
    holder = hold_lock(tmp_path / ".lock")
    kill(holder)
    assert (tmp_path / ".lock").exists()  # the file stays; the lock went with the process
    with build_lock(tmp_path, wait=0.5) as path:
        assert path == tmp_path / ".lock"


def test_lock_is_released_after_a_failure(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), build_lock(tmp_path, wait=0.5):
        raise RuntimeError("step failed")
    with build_lock(tmp_path, wait=0.5):
        pass


def test_notebooks_command_takes_the_same_lock(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from briefkit import cli

    folder = (project / "_build" / SEED).resolve()
    holder = hold_lock(folder / ".lock")
    monkeypatch.setattr(build, "LOCK_WAIT", 0.3)
    try:
        code = cli.main(["--root", str(project), "notebooks", "--seed", SEED])
    finally:
        kill(holder)
    assert code == EXIT_ENVIRONMENT
    assert capsys.readouterr().err.startswith(
        f"briefkit: error: another build is running in {folder} (waited 0.3 s"
    )


def test_build_lock_is_reentrant_in_its_thread_only(tmp_path: Path) -> None:
    outcome: list[str] = []

    def other_thread() -> None:
        try:
            with build_lock(tmp_path, wait=0.1):
                outcome.append("entered")
        except BuildLocked:
            outcome.append("locked")

    with build_lock(tmp_path, wait=0.1), build_lock(tmp_path, wait=0.1):
        thread = threading.Thread(target=other_thread)
        thread.start()
        thread.join()
    assert outcome == ["locked"]
    # Other locks (the Quarto render's) are not re-entrant.
    lock = tmp_path / "x.lock"
    with (
        pytest.raises(BuildLocked),
        hold(lock, wait=0.1, busy="busy"),
        hold(lock, wait=0.1, busy="busy"),
    ):
        pass
