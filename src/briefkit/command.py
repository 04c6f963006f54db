"""The one place where briefkit starts other programs."""

from __future__ import annotations

import logging
import os
import shlex
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from briefkit.errors import CommandFailed, StepFailed, ToolNotFound

logger = logging.getLogger("briefkit")


def which(name: str, *, env_var: str | None = None, hint: str = "") -> Path:
    """Find a program: ``env_var`` first, then ``PATH``; raise ToolNotFound with ``hint``."""
    if env_var and (given := os.environ.get(env_var)):
        path = Path(given)
        if path.is_file() and os.access(path, os.X_OK):
            return path
        raise ToolNotFound(name, f"{env_var}={given} is not an executable file. {hint}".strip())
    found = shutil.which(name)
    if found is None:
        raise ToolNotFound(name, hint or f"install {name} and put it on PATH")
    return Path(found)


def run(
    argv: Sequence[str | os.PathLike[str]],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``argv``, log it, and raise CommandFailed on a non-zero exit (stderr attached)."""
    args = [os.fspath(a) for a in argv]
    logger.debug("$ %s", shlex.join(args))
    full_env = {**os.environ, **env} if env is not None else None
    try:
        proc = subprocess.run(
            args,
            cwd=cwd,
            env=full_env,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError as exc:
        raise ToolNotFound(args[0], "the program could not be started") from exc
    except subprocess.TimeoutExpired as exc:
        raise StepFailed(f"{Path(args[0]).name} timed out after {timeout} s") from exc
    if proc.stderr.strip():
        logger.debug("%s stderr:\n%s", Path(args[0]).name, proc.stderr.rstrip())
    if proc.returncode != 0:
        raise CommandFailed(args, proc.returncode, proc.stderr)
    return proc
