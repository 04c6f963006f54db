"""The one place for subprocesses: logging, errors carrying argv, exit code and stderr."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from briefkit import command
from briefkit.errors import EXIT_ENVIRONMENT, CommandFailed, ToolNotFound


def test_run_returns_stdout() -> None:
    proc = command.run([sys.executable, "-c", "print('hi')"])
    assert proc.stdout == "hi\n"


def test_nonzero_exit_carries_argv_code_and_stderr() -> None:
    code = "import sys; sys.stderr.write('first\\nboom: it broke\\n'); sys.exit(7)"
    with pytest.raises(CommandFailed) as info:
        command.run([sys.executable, "-c", code])
    err = info.value
    assert err.returncode == 7
    assert err.argv[-1] == code
    assert "boom: it broke" in err.stderr
    assert str(err).endswith("exited with code 7: boom: it broke")


def test_missing_program_is_an_environment_problem(tmp_path: Path) -> None:
    with pytest.raises(ToolNotFound) as info:
        command.run([tmp_path / "no-such-tool"])
    assert info.value.exit_code == EXIT_ENVIRONMENT


def test_which_prefers_env_var(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tool = tmp_path / "mytool"
    tool.write_text("#!/bin/sh\n")
    tool.chmod(0o755)
    monkeypatch.setenv("MYTOOL_PATH", str(tool))
    assert command.which("mytool", env_var="MYTOOL_PATH") == tool


def test_which_env_var_pointing_nowhere_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MYTOOL_PATH", "/nowhere/mytool")
    with pytest.raises(ToolNotFound, match=r"MYTOOL_PATH=/nowhere/mytool is not an executable"):
        command.which("mytool", env_var="MYTOOL_PATH")


def test_which_missing_gives_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "")
    with pytest.raises(ToolNotFound, match="mytool not found: install it like so"):
        command.which("mytool", hint="install it like so")
