"""The live preview: its server's refusals, and a real preview followed in Chromium."""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import pytest

from briefkit.preview import PreviewServer, PreviewState, inject, start_server

from .conftest import SEED, copy_project
from .second_seed import SLUG as SECOND
from .second_seed import TITLE as SECOND_TITLE
from .second_seed import write_second_seed

SECRET = "the secret beside the build folder"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Any, Path]]:
    """A preview server over a small build folder, with a secret file and a symlink out."""
    build = tmp_path / "_build" / "seed"
    (build / "data").mkdir(parents=True)
    (build / ".cache").mkdir()
    (build / "brief.html").write_text("<html><body><p>brief</p></body></html>\n")
    (build / "data" / "table.csv").write_text("a,b\n1,2\n")
    (build / ".cache" / "check.json").write_text("{}")
    (tmp_path / "secret.txt").write_text(SECRET)
    (tmp_path / "_build" / "secret.txt").write_text(SECRET)
    (build / "data" / "out").symlink_to(tmp_path / "secret.txt")
    (build / "data" / "up").symlink_to(tmp_path)
    with serving(build, (build / "brief.html").read_bytes()) as server:
        yield server, build


@contextmanager
def serving(build: Path, html: bytes) -> Iterator[PreviewServer]:
    """A preview server on loopback over ``build``, showing ``html``; stopped afterwards."""
    state = PreviewState()
    state.publish(html)
    server = start_server("127.0.0.1", 0, build, state)
    try:
        yield server
    finally:
        state.update(closing=True)
        server.shutdown()
        server.server_close()


def get(server: Any, path: str, host: str | None = None) -> tuple[int, bytes]:
    """GET ``path`` exactly as written (no client-side normalising)."""
    port = server.server_address[1]
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.putrequest("GET", path, skip_host=host is not None)
        if host is not None:
            conn.putheader("Host", host)
        conn.endheaders()
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


@pytest.mark.parametrize(
    "path",
    [
        "/../secret.txt",
        "/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E/%2E%2E/secret.txt",
        "/%2e%2e%2fsecret.txt",
        "/data/..%2f..%2fsecret.txt",
        "/data/%2e%2e/%2e%2e/secret.txt",
        "/..%5csecret.txt",
        "/data/out",
        "/data/up/secret.txt",
        "/.cache/check.json",
        "/%2ecache/check.json",
        "/brief.html%00.csv",
    ],
)
def test_server_refuses_paths_outside_the_build_folder(served: tuple[Any, Path], path: str) -> None:
    server, _ = served
    status, body = get(server, path)
    assert status == 403, (path, status)
    assert SECRET.encode() not in body


def test_server_serves_the_build_folder_and_nothing_odd(served: tuple[Any, Path]) -> None:
    server, _ = served
    assert get(server, "/data/table.csv") == (200, b"a,b\n1,2\n")
    assert get(server, "/data/missing.csv")[0] == 404
    # Encoded twice: decoded once, it names a file "%2e%2e" that does not exist.
    status, body = get(server, "/%252e%252e/secret.txt")
    assert status == 404
    assert SECRET.encode() not in body
    state = json.loads(get(server, "/__briefkit/state")[1])
    assert state["error"] is None
    assert state["generation"]


def test_served_html_gets_the_script_the_file_on_disk_never_does(
    served: tuple[Any, Path],
) -> None:
    server, build = served
    status, body = get(server, "/brief.html")
    assert status == 200
    assert b'<script id="briefkit-preview">' in body
    assert body.index(b"briefkit-preview") < body.index(b"</body>")
    assert b"briefkit-preview" not in (build / "brief.html").read_bytes()
    assert inject(b"<p>no body end</p>", "g").startswith(b"<p>no body end</p><script")


def test_server_answers_loopback_names_only(served: tuple[Any, Path]) -> None:
    server, _ = served
    assert server.server_address[0] == "127.0.0.1"
    port = server.server_address[1]
    assert get(server, "/data/table.csv", host=f"localhost:{port}")[0] == 200
    # A page of another site whose name resolves to 127.0.0.1 (DNS rebinding) gets nothing.
    assert get(server, "/data/table.csv", host=f"evil.example:{port}")[0] == 403
    for addresses in psutil.net_if_addrs().values():
        for address in addresses:
            if address.family == socket.AF_INET and not address.address.startswith("127."):
                with (
                    pytest.raises(ConnectionRefusedError),
                    socket.create_connection((address.address, port), timeout=2),
                ):
                    pass


def test_event_stream_sends_the_state_then_each_change(served: tuple[Any, Path]) -> None:
    server, _ = served
    conn = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=10)
    try:
        conn.request("GET", "/__briefkit/events")
        response = conn.getresponse()
        assert response.getheader("Content-Type") == "text/event-stream"

        def next_event() -> dict[str, Any]:
            while True:
                line = response.fp.readline().decode()
                if line.startswith("data: "):
                    data: dict[str, Any] = json.loads(line[6:])
                    return data

        first = next_event()
        assert first["error"] is None
        server.state.update(error=["reading.yaml:3: claims.0: something"])
        assert next_event()["error"] == ["reading.yaml:3: claims.0: something"]
        server.state.publish(b"<html><body>new</body></html>")
        second = next_event()
        assert second["error"] is None
        assert second["generation"] != first["generation"]
    finally:
        conn.close()


# --- real previews ----------------------------------------------------------------------------


@dataclass
class Running:
    """A ``briefkit preview`` process and where it serves."""

    process: subprocess.Popen[str]
    url: str
    log: Path

    @property
    def base(self) -> str:
        return self.url.rsplit("/", 1)[0]

    def state(self) -> dict[str, Any]:
        import urllib.request

        with urllib.request.urlopen(f"{self.base}/__briefkit/state", timeout=10) as r:
            data: dict[str, Any] = json.loads(r.read())
            return data

    def wait(self, test: Any, timeout: float = 900) -> dict[str, Any]:
        """Wait until ``test(state)`` holds (long: two cold builds at once on a busy machine)."""
        end = time.monotonic() + timeout
        while True:
            state = self.state()
            if test(state):
                return state
            assert self.process.poll() is None, self.log.read_text()
            assert time.monotonic() < end, (state, self.log.read_text())
            time.sleep(0.1)


@contextmanager
def preview(root: Path, *args: str, stop: int = signal.SIGTERM) -> Iterator[Running]:
    """Start ``briefkit preview`` on a free port; stop it with ``stop`` and check it exited clean.

    After it stops, none of the processes it started (kernels, Chromium, pandoc) may be left.
    """
    log = root / f"preview-{len(list(root.glob('preview-*.log')))}.log"
    argv = [sys.executable, "-m", "briefkit", "--root", str(root), "preview", "--port", "0"]
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1764000000"}
    with log.open("w") as err:
        process = subprocess.Popen(
            [*argv, "--engine", "pandoc", *args], stdout=subprocess.PIPE, stderr=err, text=True,
            env=env,
        )  # fmt: skip
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = re.search(r"at (http://\S+)", line)
        assert match, (line, log.read_text())
        yield Running(process, match.group(1), log)
        children = psutil.Process(process.pid).children(recursive=True)
        process.send_signal(stop)
        assert process.wait(timeout=120) == 0, log.read_text()
        assert "preview stopped" in log.read_text()
        _, alive = psutil.wait_procs(children, timeout=10)
        assert not alive, [p.cmdline() for p in alive]
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


def first_claim(reading: Path) -> tuple[int, int]:
    """Line numbers (0-based) of the first claim's text and of its first quote."""
    lines = reading.read_text(encoding="utf-8").splitlines()
    start = lines.index("claims:")
    text = next(i for i in range(start, len(lines)) if lines[i].startswith("    text: "))
    quote = next(i for i in range(text, len(lines)) if lines[i].startswith('      - "'))
    return text, quote


def edit_line(path: Path, index: int, old: str, new: str) -> None:
    """Replace ``old`` by ``new`` in one line of ``path``, the way an editor saves."""
    lines = path.read_text(encoding="utf-8").split("\n")
    assert old in lines[index]
    lines[index] = lines[index].replace(old, new, 1)
    path.write_text("\n".join(lines), encoding="utf-8")


@pytest.mark.build
def test_preview_follows_edits_in_the_browser(tmp_path: Path, browser: Any) -> None:
    root = copy_project(tmp_path / "project")
    reading = root / "seeds" / SEED / "reading.yaml"
    text_line, quote_line = first_claim(reading)
    with preview(root, "--seed", SEED, stop=signal.SIGINT) as running:
        running.wait(lambda s: s["generation"] and not s["building"])
        page = browser.new_page()
        try:
            page.goto(running.url)
            assert page.evaluate("document.getElementById('briefkit-overlay')") is None
            # An edit to the reading: the page shows it without being reloaded by hand.
            edit_line(reading, text_line, "    text: ", "    text: Marker-7319 ")
            page.wait_for_function(
                "document.body.innerText.includes('Marker-7319')", timeout=300_000
            )
            # A broken quote: the located message over the last good brief.
            quote = reading.read_text(encoding="utf-8").split("\n")[quote_line]
            word = re.search(r"[A-Za-z]{4,}", quote)
            assert word
            edit_line(reading, quote_line, word.group(0), "Zqxv" + word.group(0))
            overlay = page.wait_for_selector("#briefkit-overlay", timeout=300_000)
            assert overlay is not None
            message = overlay.text_content() or ""
            expected = rf"reading\.yaml:{quote_line + 1}: claims\.0\.quotes\.0: quote not found"
            assert re.search(expected, message), message
            assert "Marker-7319" in page.evaluate("document.body.innerText")
            assert re.search(expected, running.log.read_text())
            # Fixed: the overlay clears.
            edit_line(reading, quote_line, "Zqxv" + word.group(0), word.group(0))
            page.wait_for_selector("#briefkit-overlay", state="detached", timeout=300_000)
            assert "Marker-7319" in page.evaluate("document.body.innerText")
        finally:
            page.close()
        # The PDF follows in the background, and is served too.
        running.wait(lambda s: s["pdf"] == "ready")
        import urllib.request

        with urllib.request.urlopen(f"{running.base}/brief.pdf", timeout=30) as r:
            assert r.read(5) == b"%PDF-"
    built = root / "_build" / SEED
    assert b"briefkit-preview" not in (built / "brief.html").read_bytes()
    assert b"Marker-7319" in (built / "brief.html").read_bytes()
    assert not list(built.rglob("*.tmp"))
    assert not list(built.rglob("*.running.ipynb"))
    assert not list((built / ".cache").glob("pool-*"))


@pytest.mark.build
def test_two_previews_of_different_seeds_at_once(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "project")
    write_second_seed(root)
    import urllib.request

    opts = ("--formats", "html", "--kernels", "0")
    with (
        preview(root, "--seed", SEED, *opts) as first,
        preview(root, "--seed", SECOND, *opts) as second,
    ):
        assert first.url != second.url
        for running in (first, second):
            running.wait(lambda s: s["generation"] and not s["building"])
        with urllib.request.urlopen(second.url, timeout=30) as r:
            assert SECOND_TITLE in r.read().decode()
        with urllib.request.urlopen(first.url, timeout=30) as r:
            assert SECOND_TITLE not in r.read().decode()


def test_preview_refuses_a_port_in_use(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "project")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "briefkit", "--root", str(root), "preview", "--seed", SEED,
             "--port", str(port)],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    assert result.returncode == 4
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr


def test_watcher_turns_a_save_burst_into_one_rebuild(tmp_path: Path) -> None:
    from briefkit.preview import Watcher

    root = copy_project(tmp_path / "project")
    watcher = Watcher(root, SEED).start()
    try:
        time.sleep(1.0)  # the watcher is set up
        reading = root / "seeds" / SEED / "reading.yaml"
        text = reading.read_text(encoding="utf-8")
        events = 0
        done = threading.Event()

        def count() -> None:
            nonlocal events
            while not done.is_set():
                if watcher.dirty.wait(timeout=0.1):
                    watcher.dirty.clear()
                    events += 1

        counter = threading.Thread(target=count)
        counter.start()
        # An editor's save: a backup, the file written twice, the backup removed.
        backup = reading.with_name("reading.yaml~")
        backup.write_text(text, encoding="utf-8")
        reading.write_text(text + "\n", encoding="utf-8")
        reading.write_text(text + "\n# saved\n", encoding="utf-8")
        backup.unlink()
        time.sleep(2.5)
        done.set()
        counter.join()
        assert events == 1
        assert not watcher.code_changed
    finally:
        watcher.close()


def test_a_shared_seed_is_the_seed_a_kernel_would_load(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from briefkit.kernels import SHARED_SEED_ENV, share_seed, shared_seed
    from briefkit.reading import load_seed

    monkeypatch.chdir(project)
    target = project / "_build" / SEED / ".cache" / "seed.pickle"
    share_seed(load_seed(project.resolve(), SEED), target)
    assert shared_seed(Path("."), SEED) is None  # only in a preview's kernels
    monkeypatch.setenv(SHARED_SEED_ENV, str(target))
    assert shared_seed(Path("."), SEED) == load_seed(Path("."), SEED)
    # Once a file of the seed changes, the copy is not taken.
    reading = project / "seeds" / SEED / "reading.yaml"
    reading.write_text(reading.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert shared_seed(Path("."), SEED) is None


@pytest.mark.build
def test_warm_kernels_give_the_same_notebooks_and_artifacts(tmp_path: Path) -> None:
    """A kernel from the pool (imports and plotly calls done, the seed shared) changes nothing."""
    from briefkit import kernels, notebooks
    from briefkit.build import BuildOptions, run_build

    def outputs(build: Path) -> dict[str, bytes]:
        names = ("tables", "texts", "data", "figures", "notebooks")
        return {
            p.relative_to(build).as_posix(): p.read_bytes()
            for name in names for p in sorted((build / name).rglob("*"))
            if p.is_file() and not p.name.endswith(".kernel.log")
        }  # fmt: skip

    plain = copy_project(tmp_path / "plain")
    run_build(BuildOptions(plain, SEED, engine="pandoc", formats=("html",)))
    warm = copy_project(tmp_path / "warm").resolve()
    found = notebooks.find_notebooks(warm)
    shared = warm / "_build" / SEED / ".cache" / "seed.pickle"
    pool = kernels.KernelPool(
        warm, size=len(found), log_dir=warm / "_build" / SEED / ".cache",
        warmup=kernels.warmup_code(kernels.notebook_imports(found), kernels.plotly_calls(found)),
        env={kernels.SHARED_SEED_ENV: str(shared)},
    ).start()  # fmt: skip
    taken: list[str] = []

    def take(job: Any, log: Path) -> Any:
        km = pool.take(job.env, log)
        if km is not None:
            taken.append(job.source.stem)
        return km

    try:
        assert pool.wait_ready()
        notebooks.set_kernel_source(take)
        run_build(
            BuildOptions(
                warm, SEED, engine="pandoc", formats=("html",),
                on_seed=lambda seed: kernels.share_seed(seed, shared),
            )
        )  # fmt: skip
    finally:
        notebooks.set_kernel_source(None)
        pool.close()
    assert sorted(taken) == sorted(nb.stem for nb in found)
    assert shared.is_file()
    assert outputs(warm / "_build" / SEED) == outputs(plain / "_build" / SEED)


def test_a_pooled_kernel_runs_one_notebook_and_a_failure_is_named_and_kept(
    tmp_path: Path,
) -> None:
    from briefkit import kernels, notebooks
    from briefkit.errors import NotebookFailed

    from .test_notebooks import make_notebook

    pool = kernels.KernelPool(
        tmp_path, size=2, warmup=kernels.warmup_code(["json"]), log_dir=tmp_path / "logs"
    ).start()
    used: list[Any] = []

    def take(job: Any, log: Path) -> Any:
        km = pool.take(job.env, log)
        used.append(km.provisioner.process if km is not None else None)
        return km

    good = make_notebook(tmp_path / "good.ipynb", ["import os", "print(os.environ['BK_TEST'])"])
    bad = make_notebook(tmp_path / "bad.ipynb", ["y = 1", "raise ValueError('no claims')"])
    try:
        assert pool.wait_ready()
        notebooks.set_kernel_source(take)
        out = notebooks.execute(
            notebooks.NotebookJob(good, tmp_path / "out" / "good.ipynb", {}, {"BK_TEST": "set"}),
            cwd=tmp_path,
        )
        assert '"set\\n"' in out.read_text()  # the job's env reached the pooled kernel
        job = notebooks.NotebookJob(bad, tmp_path / "out" / "bad.ipynb", {})
        with pytest.raises(NotebookFailed) as info:
            notebooks.execute(job, cwd=tmp_path)
    finally:
        notebooks.set_kernel_source(None)
        pool.close()
    assert len(used) == 2
    assert all(process is not None for process in used)
    # Each kernel ran one notebook and was killed when it was done.
    assert all(process.poll() is not None for process in used)
    assert info.value.cell == "step-1"
    assert (info.value.ename, info.value.evalue) == ("ValueError", "no claims")
    assert job.failed_copy.is_file()
    assert "no claims" in job.failed_copy.read_text()


# --- what the page shows after each build -----------------------------------------------------


@dataclass
class FakeBuilds:
    """Stands in for ``build.run_build``: each build writes the HTML it is told to, or nothing."""

    build: Path
    #: (what the build writes into brief.html or None, the steps it reports as run), in order.
    plan: list[tuple[str | None, list[str]]]
    options: list[Any]

    def __call__(self, opts: Any) -> Any:
        from types import SimpleNamespace

        self.options.append(opts)
        html, executed = self.plan.pop(0)
        if html is not None:
            (self.build / "brief.html").write_text(html, encoding="utf-8")
        inputs = {"seeds/x/reading.yaml": html or "same"}
        return SimpleNamespace(executed=executed, inputs=inputs, timings={"render": 0.5})


def test_an_edit_a_background_build_rendered_reaches_the_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An edit saved while the PDF builds, and rendered by that build, is still shown.

    The PDF build reads the files as they are when it starts; an edit saved just before then is
    rendered into brief.html by it, and the next HTML build, finding everything current, runs
    nothing: the page must still get that HTML (it once kept the brief before the edit forever).
    """
    from briefkit import preview as previewmod

    build = tmp_path / "_build" / "seed"
    build.mkdir(parents=True)
    builds = FakeBuilds(build, [
        ("<p>before the edit</p>", ["check", "render-html"]),
        ("<p>the edit</p>", ["check", "notebook-a", "render-html", "render-pdf"]),
        (None, []),
    ], [])  # fmt: skip
    monkeypatch.setattr(previewmod.buildmod, "run_build", builds)
    p = previewmod.Preview(previewmod.PreviewOptions(tmp_path, "seed", formats=("html", "pdf")))
    assert p.rebuild_html()
    first = p.state.generation
    assert p.state.html == b"<p>before the edit</p>"
    p.rebuild_pdf()
    assert p.rebuild_html()
    assert p.state.html == b"<p>the edit</p>"
    assert p.state.generation != first
    assert p.state.error is None


def test_a_build_asked_for_other_inputs_runs_nothing(tmp_path: Path) -> None:
    """The preview's PDF build is of the page's inputs: after an edit it stops before any step."""
    from briefkit import build as buildmod

    root = copy_project(tmp_path / "project")
    opts = buildmod.BuildOptions(root, SEED, "pandoc", inputs={})
    with pytest.raises(buildmod.InputsChanged, match=f"seeds/{SEED}/reading.yaml"):
        buildmod.run_build(opts)
    assert not (root / "_build" / SEED / ".cache" / "check.json").exists()
    assert not list((root / "_build" / SEED).glob("brief.*"))


def test_a_big_script_the_last_page_had_keeps_its_name_without_being_hashed_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Hashing plotly.js (4.5 MB) again for every generation delayed the page's fetch."""
    from briefkit import preview

    code = b"x" * preview.BIG_SCRIPT
    html = b"<html><body><script>" + code + b"</script></body></html>"
    first = preview.serve_page(html, "a")
    hashed: list[int] = []
    real = hashlib.sha256

    def sha256(data: bytes = b"") -> Any:
        hashed.append(len(data))
        return real(data)

    monkeypatch.setattr(hashlib, "sha256", sha256)
    second = preview.serve_page(html.replace(b"<body>", b"<body><p>edit</p>"), "b", first.scripts)
    assert second.scripts == first.scripts
    assert max(hashed, default=0) < preview.BIG_SCRIPT
    other = preview.serve_page(html.replace(b"xxx", b"yyy", 1), "c", first.scripts)
    assert set(other.scripts).isdisjoint(first.scripts)
