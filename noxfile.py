"""Nox sessions: build (default), preview, release, tests, notebooks, lint, bench.

Environments are reused between runs, and the project is reinstalled only when pyproject.toml
changes (the install is editable, so code changes need no reinstall). Installs end by compiling
the environment's bytecode: uv does not by default, and every notebook kernel would otherwise
compile IPython, plotly and pydantic from source again (with PYTHONDONTWRITEBYTECODE set, nothing
is ever cached), which cost about 0.7 s of CPU per kernel here.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import nox

ROOT = Path(__file__).parent
PYPROJECT = nox.project.load_toml(ROOT / "pyproject.toml")

nox.needs_version = ">=2025.2.9"
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["build"]


COMPILE = """
import compileall, sys, sysconfig
for folder in (sysconfig.get_paths()["purelib"], *sys.argv[1:]):
    if not compileall.compile_dir(folder, quiet=2, workers=0):
        print(f"some files in {folder} did not compile", file=sys.stderr)
"""


def install(session: nox.Session, *groups: str) -> None:
    """Install the project (editable) and dependency ``groups``, unless already current."""
    requirements = [
        req for group in groups for req in nox.project.dependency_groups(PYPROJECT, group)
    ]
    stamp_text = "\n".join(
        [
            (ROOT / "pyproject.toml").read_text(encoding="utf-8"),
            *requirements,
            "compileall purelib src",
        ]
    )
    digest = hashlib.sha256(stamp_text.encode()).hexdigest()
    venv = getattr(session.virtualenv, "location", None)
    stamp = Path(venv) / ".briefkit-install" if venv else None
    if stamp is not None and stamp.exists() and stamp.read_text() == digest:
        session.log("dependencies unchanged: skipping install")
        # briefkit's own source edited since it was compiled (a pull, a fix): compile it again,
        # or every run and every notebook's kernel compiles the changed modules in memory.
        newest = max((p.stat().st_mtime for p in (ROOT / "src").rglob("*.py")), default=0.0)
        if newest > stamp.stat().st_mtime:
            session.run_install("python", "-m", "compileall", "-q", "src", silent=True)
            stamp.touch()
        return
    session.install("-e", ".", *requirements)
    # Everything installed, whether this install or an earlier one put it there (uv's
    # --compile-bytecode covers only what it installs now), and the editable project itself:
    # Python reads a .pyc while it matches its source, and compiles in memory once it does not.
    session.run_install("python", "-c", COMPILE, "src", silent=True)
    if stamp is not None:
        stamp.write_text(digest)


@nox.session
def build(session: nox.Session) -> None:
    """Build the draft brief(s) into _build/<seed>/ (pass briefkit build options after --)."""
    install(session)
    session.run("briefkit", "build", *session.posargs)


@nox.session
def preview(session: nox.Session) -> None:
    """Build, serve on 127.0.0.1 and rebuild on every save (briefkit preview options after --)."""
    install(session)
    session.run("briefkit", "preview", *session.posargs)


@nox.session
def release(session: nox.Session) -> None:
    """Bump the version (patch, minor or major after --), build, publish to dist/<seed>/."""
    install(session)
    session.run("briefkit", "release", *session.posargs)


@nox.session
def new(session: nox.Session) -> None:
    """Scaffold a seed: ``nox -s new -- SLUG --from ARTICLE`` (the analyst's first step)."""
    install(session)
    session.run("briefkit", "new", *session.posargs)


@nox.session
def check(session: nox.Session) -> None:
    """Check the seeds' readings and show their coverage (``-- --seed SLUG`` for one)."""
    install(session)
    session.run("briefkit", "check", *session.posargs)


@nox.session
def notebooks(session: nox.Session) -> None:
    """Execute every notebook against every seed (an execution check, no rendering)."""
    install(session)
    session.run("briefkit", "notebooks", *session.posargs)


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test suite, including a real build of the brief."""
    install(session, "test")
    session.run("pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """Check style and types: ruff (code and notebooks) and mypy (strict)."""
    install(session, "lint")
    # Notebooks too: ruff reads .ipynb code cells natively.
    paths = ("src", "tests", "notebooks", "noxfile.py")
    session.run("ruff", "check", *paths)
    session.run("ruff", "format", "--check", *paths)
    session.run("mypy")


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmark builds against a naive pipeline, and the preview's edit-to-page loop."""
    # The test group brings Playwright: the preview's page is followed in a real Chromium.
    install(session, "test")
    session.run("python", "-m", "briefkit.bench", *session.posargs)
