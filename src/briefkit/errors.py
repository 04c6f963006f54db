"""Typed errors: one root, one line for the user, an exit code per kind of failure."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

#: Exit codes, documented in the README.
EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_INVALID_INPUT = 2
EXIT_STEP_FAILED = 3
EXIT_ENVIRONMENT = 4
EXIT_INTERRUPTED = 130


def strip_ansi(text: str) -> str:
    """Remove terminal colour codes from ``text``."""
    return _ANSI.sub("", text)


class BriefkitError(Exception):
    """Root of every error briefkit raises on purpose."""

    exit_code = EXIT_STEP_FAILED

    def __str__(self) -> str:
        return strip_ansi(super().__str__())


# --- invalid input -------------------------------------------------------------------------


class InputError(BriefkitError):
    """The user's files are wrong; fixing them fixes the build."""

    exit_code = EXIT_INVALID_INPUT


@dataclass(frozen=True)
class Problem:
    """One located problem in an input file."""

    path: Path
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else f"{self.path}"
        field = f" {self.field}:" if self.field else ""
        return f"{where}:{field} {self.message}"


class InvalidInput(InputError):
    """One or more located problems, shown together."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class SeedNotFound(InputError):
    """The named seed does not exist or is not a valid seed name."""


# --- a step failed ---------------------------------------------------------------------------


class StepFailed(BriefkitError):
    """A build step ran and failed."""

    exit_code = EXIT_STEP_FAILED


class CommandFailed(StepFailed):
    """An external command exited non-zero."""

    def __init__(self, argv: Sequence[str], returncode: int, stderr: str) -> None:
        self.argv = list(argv)
        self.returncode = returncode
        self.stderr = strip_ansi(stderr)
        last = self.stderr.strip().splitlines()
        detail = f": {last[-1]}" if last else ""
        super().__init__(f"{Path(self.argv[0]).name} exited with code {returncode}{detail}")


class NotebookFailed(StepFailed):
    """A notebook cell raised, timed out, or its kernel died."""

    def __init__(
        self,
        path: Path,
        cell: str | None,
        ename: str,
        evalue: str,
        traceback: str = "",
        kept: Path | None = None,
    ) -> None:
        self.path = path
        self.cell = cell
        self.ename = ename
        self.evalue = strip_ansi(evalue)
        self.traceback = strip_ansi(traceback)
        self.kept = kept
        where = f"{path.name}, cell {cell}" if cell else path.name
        tail = f" (failed copy kept at {kept})" if kept else ""
        # One line, even when the error's value spans several.
        evalue_line = " ".join(self.evalue.split())
        super().__init__(f"notebook {where}: {ename}: {evalue_line}{tail}")


class RenderFailed(StepFailed):
    """A render engine did not produce a complete output."""


# --- environment problems -----------------------------------------------------------------


class EnvironmentProblem(BriefkitError):
    """The machine lacks something the build needs."""

    exit_code = EXIT_ENVIRONMENT


class ToolNotFound(EnvironmentProblem):
    """An external program is missing."""

    def __init__(self, tool: str, hint: str) -> None:
        self.tool = tool
        self.hint = hint
        super().__init__(f"{tool} not found: {hint}")


class BuildLocked(EnvironmentProblem):
    """Another build holds the lock."""


class BrowserFailed(EnvironmentProblem):
    """Chromium was found but did not start, draw or stop in time."""
