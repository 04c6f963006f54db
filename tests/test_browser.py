"""The browser: fetched once when none is installed; a failing one fails the build, bounded.

The fetch is exercised for real (kaleido's get_chrome_sync downloads and unpacks a zip) with the
network stood in: a ``sitecustomize`` on the build's PYTHONPATH serves Chrome for Testing's URL
from a local zip whose ``chrome`` starts this machine's browser, and says no browser is
installed. Builds run as subprocesses with a timeout, so a hang fails the test instead of
stalling the suite.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from briefkit import browser
from briefkit.errors import EXIT_ENVIRONMENT, EXIT_INVALID_INPUT, EXIT_OK, InputError, ToolNotFound

from .conftest import SEED, find_chromium
from .test_cli import messages, outputs
from .test_notebooks import make_notebook

SITECUSTOMIZE = '''
"""Test stand-in: no browser installed on this machine; Chrome for Testing served locally."""
import os
import urllib.error
import urllib.request
from pathlib import Path

import briefkit.browser

briefkit.browser.installed_chromium = lambda: None
_real_urlopen = urllib.request.urlopen


def urlopen(url, *args, **kwargs):
    full = str(getattr(url, "full_url", url))
    if "chrome-for-testing" in full:
        served = os.environ.get("BK_TEST_CHROME_ZIP")
        if not served:
            raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")
        return _real_urlopen(Path(served).as_uri())
    return _real_urlopen(url, *args, **kwargs)


urllib.request.urlopen = urlopen
'''

FIXES = (
    "install Chromium (Debian: apt-get install chromium), set BROWSER_PATH to a Chrome or "
    "Chromium, or build HTML only with --formats html"
)

linux_x64 = pytest.mark.skipif(
    sys.platform != "linux" or os.uname().machine not in ("x86_64", "AMD64"),
    reason="the stand-in download is Chrome for Testing's linux64 zip",
)


def chrome_zip(path: Path) -> Path:
    """A zip laid out like Chrome for Testing's, whose ``chrome`` starts this machine's browser."""
    script = f'#!/bin/sh\nexec "{find_chromium()}" "$@"\n'
    info = zipfile.ZipInfo("chrome-linux64/chrome")
    info.external_attr = 0o755 << 16
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(info, script)
    return path


def no_browser_env(tmp_path: Path, *, download: Path | None) -> dict[str, str]:
    """The environment of a machine with no browser, and ``download`` served as Chrome's zip."""
    standin = tmp_path / "standin"
    standin.mkdir(exist_ok=True)
    (standin / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("BROWSER_PATH", "BK_TEST_CHROME_ZIP")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(standin), env.get("PYTHONPATH")]))
    env[browser.BROWSER_DIR_ENV] = str(tmp_path / "cache" / "chrome")
    env.pop(browser.NO_DOWNLOAD_ENV, None)
    if download is not None:
        env["BK_TEST_CHROME_ZIP"] = str(download)
    return env


def run(
    project: Path, *args: str, env: dict[str, str], timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """``python -m briefkit --root project ARGS``; a build still running at ``timeout`` is killed
    with every process it started, and the test fails."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "briefkit", "--root", str(project), *args],
        cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail(f"briefkit {' '.join(args)} still running after {timeout} s:\n{err[-2000:]}")
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


@linux_x64
@pytest.mark.build
def test_a_machine_without_a_browser_fetches_chrome_once_and_builds_the_pdf(
    project: Path, tmp_path: Path
) -> None:
    env = no_browser_env(tmp_path, download=chrome_zip(tmp_path / "chrome-linux64.zip"))
    cache = tmp_path / "cache" / "chrome"
    proc = run(project, "build", "--seed", SEED, "--engine", "pandoc", env=env)
    assert proc.returncode == EXIT_OK, proc.stderr
    assert {"brief.html", "brief.pdf"} <= set(outputs(project))
    fetched = [line for line in proc.stderr.splitlines() if "fetched Chrome" in line]
    assert len(fetched) == 1
    assert fetched[0].endswith(f"into {cache}")
    exe = cache / "chrome-linux64" / "chrome"
    assert json.loads((cache / browser.MARKER).read_text())["exe"] == "chrome-linux64/chrome"
    # The SVGs were drawn by the fetched browser, and it is part of the figures' key.
    stamp = json.loads((project / "_build" / SEED / ".cache" / "figures-static.json").read_text())
    assert str(exe) in json.dumps(stamp)

    # Found again, never fetched again: not even when the download is gone or forbidden.
    (project / "_build" / SEED / "brief.pdf").unlink()
    env.pop("BK_TEST_CHROME_ZIP")
    env[browser.NO_DOWNLOAD_ENV] = "1"
    proc = run(project, "build", "--seed", SEED, "--engine", "pandoc", env=env)
    assert proc.returncode == EXIT_OK, proc.stderr
    assert "fetched Chrome" not in proc.stderr
    assert {"brief.html", "brief.pdf"} <= set(outputs(project))


@pytest.mark.parametrize(
    ("how", "why"),
    [
        ("env", f"fetching one is turned off ({browser.NO_DOWNLOAD_ENV})"),
        ("flag", f"fetching one is turned off ({browser.NO_DOWNLOAD_ENV})"),
        ("offline", "Temporary failure in name resolution"),
    ],
)
def test_no_browser_and_no_download_fails_at_once_naming_the_three_fixes(
    project: Path, tmp_path: Path, how: str, why: str
) -> None:
    env = no_browser_env(tmp_path, download=None)
    args = ["build", "--seed", SEED]
    if how == "env":
        env[browser.NO_DOWNLOAD_ENV] = "1"
    elif how == "flag":
        args.append("--no-download")
    proc = run(project, *args, env=env, timeout=120)
    assert proc.returncode == EXIT_ENVIRONMENT
    [line] = messages(proc.stderr)
    assert line.startswith("briefkit: error: Chromium not found")
    assert why in line
    assert line.endswith(FIXES)
    # Before any notebook ran, and nothing half-fetched is taken for a browser next time.
    assert not (project / "_build" / SEED / "notebooks").exists()
    assert not (tmp_path / "cache" / "chrome" / browser.MARKER).exists()


def test_browser_path_is_never_fetched_around(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BROWSER_PATH", "/nonexistent/chromium")
    monkeypatch.setattr(browser, "fetch_chromium", lambda: pytest.fail("fetched"))
    with pytest.raises(ToolNotFound, match=r"BROWSER_PATH=/nonexistent/chromium\) not found"):
        browser.find_chromium()


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "soon"])
def test_a_bad_browser_timeout_is_an_input_error(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv(browser.TIMEOUT_ENV, value)
    with pytest.raises(InputError, match=browser.TIMEOUT_ENV) as caught:
        browser.browser_timeout()
    assert caught.value.exit_code == EXIT_INVALID_INPUT


# --- a failing browser: bounded, exit 4, one line, nothing left behind ------------------------

FIGURE_CELLS = [
    "import plotly.graph_objects as go\nfrom briefkit.artifacts import Artifacts",
    "Artifacts(build_dir).figure('bars', go.Figure(go.Bar(x=[1], y=[2])), caption='c', alt='a')",
]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.parametrize("kind", ["exits", "hangs"])
def test_a_failing_browser_fails_the_build_promptly_with_exit_4(
    project: Path, tmp_path: Path, kind: str
) -> None:
    pids = tmp_path / "browser.pids"
    script = tmp_path / "chromium"
    body = "exit 1" if kind == "exits" else "sleep 600"
    script.write_text(f'#!/bin/sh\necho $$ >> "{pids}"\n{body}\n', encoding="utf-8")
    script.chmod(0o755)
    for notebook in (project / "notebooks").glob("*.ipynb"):
        notebook.unlink()
    make_notebook(project / "notebooks" / "figure.ipynb", FIGURE_CELLS)
    env = {**os.environ, "BROWSER_PATH": str(script), browser.TIMEOUT_ENV: "5"}
    # Before the fix the build never returned: the timeout ends the test instead.
    proc = run(project, "build", "--seed", SEED, "--engine", "pandoc", env=env, timeout=150)
    assert proc.returncode == EXIT_ENVIRONMENT, proc.stderr
    [line] = messages(proc.stderr)
    what = "The browser seemed to close immediately" if kind == "exits" else "no answer in 5 s"
    assert line.startswith(f"briefkit: error: Chromium ({script}) did not start: {what}")
    assert "Traceback" not in proc.stderr
    assert outputs(project) == []
    # Every browser process is gone (the hanging one was killed with its process group).
    started = [int(pid) for pid in pids.read_text().split()]
    assert started
    deadline = time.monotonic() + 5
    while any(alive(pid) for pid in started) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [pid for pid in started if alive(pid)] == []
