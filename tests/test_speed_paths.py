"""The fast paths of the build and the preview behave as the slow ones did (no timing here)."""

from __future__ import annotations

import json
import logging
import re
import string
import time
import urllib.parse
from pathlib import Path

import pytest

from briefkit import bench, command
from briefkit.errors import RenderFailed
from briefkit.preview import Preview, PreviewOptions
from briefkit.render.html import complete_page
from briefkit.render.pandoc import pandoc_binary

from .conftest import SEED, copy_project

REPO = Path(__file__).resolve().parents[1]
FILTER = REPO / "briefing" / "filters" / "briefkit.lua"
#: The bytes a data: URL keeps as they are (the Lua filter's old rule: [^%w%-%._~] encoded).
UNRESERVED = set((string.ascii_letters + string.digits + "-._~").encode())
AWKWARD = 'id,text\nK1,"a ""quoted"" <b>&amp; 100 % ~_.-"\nK2,naïve — ü\r\n'.encode()


def old_data_url(data: bytes, mime: str) -> str:
    """The data: URL as the filter wrote it before the placeholder: each other byte as %XX."""
    encoded = "".join(chr(b) if b in UNRESERVED else f"%{b:02X}" for b in data)
    return f"data:{mime};charset=utf-8,{encoded}"


def render_downloads(tmp: Path, descriptions: dict[str, str]) -> str:
    """The HTML of a ``.bk-downloads`` block of ``data/<name>`` files, completed as builds do."""
    build = tmp / "build"
    (build / "data").mkdir(parents=True)
    for name in descriptions:
        (build / "data" / name).write_bytes(AWKWARD)
    listing = [{"path": f"data/{n}", "description": d} for n, d in descriptions.items()]
    (build / "downloads.json").write_text(json.dumps(listing), encoding="utf-8")
    (build / "brief.json").write_text(json.dumps({"title": "T", "stamp": "x"}), encoding="utf-8")
    src, out = tmp / "in.md", tmp / "out.html"
    src.write_text("::: {.bk-downloads}\n:::\n", encoding="utf-8")
    command.run(
        [pandoc_binary(), src, "--standalone", "--to", "html5", "--lua-filter", FILTER,
         "--metadata", f"briefkit-build={build}", "--output", out],
        timeout=60,
    )  # fmt: skip
    complete_page(out, build)
    return out.read_text(encoding="utf-8")


def test_download_links_are_the_files_percent_encoded_as_before(tmp_path: Path) -> None:
    html = render_downloads(tmp_path, {"t.csv": "a table", "a.json": "JSON data"})
    hrefs = dict(re.findall(r'<a href="([^"]*)"[^>]*download="([^"]*)"', html))
    by_file = {name: href for href, name in hrefs.items()}
    assert by_file == {
        "t.csv": old_data_url(AWKWARD, "text/csv"),
        "a.json": old_data_url(AWKWARD, "application/json"),
    }
    assert urllib.parse.unquote_to_bytes(by_file["t.csv"].split(",", 1)[1]) == AWKWARD
    assert "briefkit-data:" not in html


def test_seed_text_cannot_forge_a_download_placeholder(tmp_path: Path) -> None:
    forged = '<a href="briefkit-data:' + b"../../etc/passwd".hex() + '">'
    html = render_downloads(tmp_path, {"t.csv": forged})
    # The text stays text (its "<" escaped), and the real link is still the file's.
    assert re.search(r'&lt;a\s+href="briefkit-data:', html)
    assert old_data_url(AWKWARD, "text/csv") in html


@pytest.mark.parametrize("rel", ["../outside.csv", "/etc/hostname", "data/missing.csv", "", "zz"])
def test_a_placeholder_naming_no_file_of_the_build_fails_the_render(
    tmp_path: Path, rel: str
) -> None:
    build = tmp_path / "build"
    (build / "data").mkdir(parents=True)
    (tmp_path / "outside.csv").write_text("secret", encoding="utf-8")
    page = build / "brief.html"
    code = rel if rel == "zz" else rel.encode().hex()
    page.write_text(
        f'<html><a href="briefkit-data:{code}" class="c">x</a></html>', encoding="utf-8"
    )
    with pytest.raises(RenderFailed, match="not a file of the build"):
        complete_page(page, build)


def test_a_previews_html_and_pdf_builds_redo_nothing_of_each_other(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Each edit's HTML build, then its PDF build: every step runs once, not once per build.

    They used to disagree on the figures (SVGs or not) and on brief.json (the PDF link), so
    each redid the other's figures, brief.json and HTML: Chromium drew every SVG again per edit.
    """
    root = copy_project(tmp_path / "project", seeds=(SEED,))
    preview = Preview(PreviewOptions(root, SEED, engine="pandoc", kernels=0))
    build = root / "_build" / SEED

    def ran() -> list[list[str]]:
        found = [re.search(r"\((.*)\)$", r.getMessage()) for r in caplog.records]
        return [m[1].split("; ")[0].split(", ") for m in found if m and "rebuilt" in m.string]

    with caplog.at_level(logging.INFO, logger="briefkit"):
        assert preview.rebuild_html()
        assert not (build / "brief.pdf").exists()
        preview.rebuild_pdf()
        assert preview.state.pdf == "ready"
        caplog.clear()
        bench.edit_brief_text(root / "briefing" / "brief.qmd", "speed-paths")
        assert preview.rebuild_html()
        # No PDF older than the HTML beside it while the PDF is rebuilt.
        assert not (build / "brief.pdf").exists()
        preview.rebuild_pdf()
    # brief.json's stamp holds the content hash, which covers brief.qmd.
    assert ran() == [["meta", "render-html"], ["render-pdf"]]
    html = preview.state.html or b""
    assert b"speed-paths" in html
    # The page the preview serves is the one on disk, PDF link included.
    assert html == (build / "brief.html").read_bytes()
    assert b'class="bk-pdf"' in html
    assert (build / "brief.pdf").read_bytes().startswith(b"%PDF-")


def _probe_notebook(path: Path) -> None:
    """A notebook whose one cell prints how its kernel is connected."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    probe = "import ipykernel.connect\nprint(ipykernel.connect.get_connection_info())"
    params = nbformat.v4.new_code_cell("x = 1")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell(probe)]
    nbformat.write(nb, path)


def test_kernels_talk_over_unix_sockets_in_a_private_folder(tmp_path: Path) -> None:
    """No TCP ports to race for: a notebook's kernel and a pooled kernel both use IPC."""
    from briefkit import kernels, notebooks

    source = tmp_path / "probe.ipynb"
    _probe_notebook(source)
    job = notebooks.NotebookJob(source, tmp_path / "out" / "probe.ipynb", {})
    notebooks.execute(job, cwd=tmp_path)
    cells = json.loads(job.output.read_text(encoding="utf-8"))["cells"]
    info = json.loads("".join(cells[-1]["outputs"][0]["text"]))
    assert info["transport"] == "ipc"
    folder = Path(info["ip"]).parent
    assert folder.stat().st_mode & 0o777 == 0o700
    # The kernel's sockets are removed with it.
    assert not list(folder.glob(Path(info["ip"]).name + "-*"))

    pool = kernels.KernelPool(tmp_path, size=1, warmup="", log_dir=tmp_path / "logs").start()
    try:
        assert pool.wait_ready(timeout=120)
        km = pool.take({"BRIEFKIT_PROBE": "1"}, tmp_path / "logs" / "taken.log")
        assert km is not None
        try:
            assert km.get_connection_info()["transport"] == "ipc"
            assert Path(km.ip).parent == folder
        finally:
            kernels._kill(km)
    finally:
        pool.close()


def test_a_held_pool_starts_no_kernel_until_the_build_is_done(tmp_path: Path) -> None:
    """A kernel's start would take CPU from the notebooks of the build the page waits for."""
    from briefkit import kernels

    pool = kernels.KernelPool(tmp_path, size=1, warmup="", log_dir=tmp_path / "logs").start()
    try:
        assert pool.wait_ready(timeout=120)
        with pool.held():
            km = pool.take({}, tmp_path / "logs" / "taken.log")
            assert km is not None
            kernels._kill(km)
            # Given time to start one, the held pool has not begun to.
            assert not pool.wait_ready(timeout=2)
            assert pool._counter == 1
        assert pool.wait_ready(timeout=120)
        assert pool._counter == 2
    finally:
        pool.close()


def test_a_pool_refills_after_its_holds_linger_unless_a_notebook_waits(tmp_path: Path) -> None:
    """Kernels starting right after the page's build slowed the browser swapping it in."""
    from briefkit import kernels

    pool = kernels.KernelPool(tmp_path, size=1, warmup="", log_dir=tmp_path / "logs").start()
    try:
        assert pool.wait_ready(timeout=120)
        with pool.held(linger=4):
            kernels._kill(pool.take({}, tmp_path / "logs" / "first.log"))
        # Released, but lingering: given time to start one, the pool has not begun to.
        assert not pool.wait_ready(timeout=2)
        assert pool._counter == 1
        assert pool.wait_ready(timeout=120)
        assert pool._counter == 2
        with pool.held(linger=600):
            kernels._kill(pool.take({}, tmp_path / "logs" / "second.log"))
        # A notebook that waits gets a kernel started at once.
        third = pool.take({}, tmp_path / "logs" / "third.log", wait=120)
        assert third is not None
        kernels._kill(third)
    finally:
        pool.close()


def test_a_notebook_waits_for_a_kernel_a_held_pool_starts_for_it(tmp_path: Path) -> None:
    """Edits back to back find the pool empty: a kernel is started for each waiting notebook.

    Without it every notebook started a cold kernel of its own, all at once on two cores, and a
    reading edit took twice as long as with the pool's kernels started one per core.
    """
    from briefkit import kernels

    pool = kernels.KernelPool(tmp_path, size=1, warmup="", log_dir=tmp_path / "logs").start()
    try:
        assert pool.wait_ready(timeout=120)
        with pool.held():
            first = pool.take({}, tmp_path / "logs" / "first.log")
            assert first is not None
            kernels._kill(first)
            second = pool.take({}, tmp_path / "logs" / "second.log", wait=120)
            assert second is not None
            kernels._kill(second)
            assert pool._counter == 2
            # Nobody waits any more: the held pool starts nothing more.
            assert not pool.wait_ready(timeout=2)
            assert pool._counter == 2
    finally:
        pool.close()


def test_a_pooled_kernel_is_ready_without_waiting_for_its_output_to_stop(tmp_path: Path) -> None:
    """nbclient's readiness check waited for 0.2 s of silence on IOPub before every notebook.

    A kernel whose IOPub never falls silent (a thread printing) shows it: jupyter's own check
    never returns; a pooled kernel's client is ready once the kernel answers and IOPub delivers.
    """
    import asyncio
    import threading

    from briefkit import kernels

    chatter = (
        "import threading, time\n"
        "def _chat():\n"
        "    while True:\n"
        "        print('.', end='', flush=True)\n"
        "        time.sleep(0.02)\n"
        "threading.Thread(target=_chat, daemon=True).start()"
    )
    warmup = f"exec({chatter!r}, {{}})"
    pool = kernels.KernelPool(tmp_path, size=1, warmup=warmup, log_dir=tmp_path / "logs").start()
    try:
        assert pool.wait_ready(timeout=120)
        km = pool.take({}, tmp_path / "logs" / "taken.log")
        assert km is not None
        ready = threading.Event()

        def connect() -> None:
            async def main() -> None:
                kc = km.client()
                kc.start_channels()
                try:
                    await kc.wait_for_ready(timeout=60)
                    ready.set()
                finally:
                    kc.stop_channels()

            asyncio.run(main())

        thread = threading.Thread(target=connect, daemon=True)
        thread.start()
        try:
            assert ready.wait(timeout=30), "the client waited for IOPub to fall silent"
        finally:
            kernels._kill(km)
            thread.join(timeout=60)
    finally:
        pool.close()


def test_a_pool_that_cannot_start_kernels_is_not_waited_for(tmp_path: Path) -> None:
    """A kernel that fails to start: the notebook starts its own (and reports what fails)."""
    from briefkit import kernels

    pool = kernels.KernelPool(
        tmp_path / "missing", size=1, warmup="", log_dir=tmp_path / "logs"
    ).start()  # fmt: skip
    try:
        started = time.monotonic()
        assert pool.take({}, tmp_path / "logs" / "taken.log", wait=120) is None
        assert time.monotonic() - started < 60
    finally:
        pool.close()


def test_closing_the_pool_kills_the_kernel_it_is_warming_up(tmp_path: Path) -> None:
    """Ctrl-C during a refill: the warm-up is not waited for, and no kernel is left."""
    from briefkit import kernels

    warmup = "__import__('time').sleep(600)"
    pool = kernels.KernelPool(tmp_path, size=1, warmup=warmup, log_dir=tmp_path / "logs").start()
    try:
        deadline = 120.0
        while deadline > 0 and (
            not pool._starting or getattr(pool._starting[0].provisioner, "process", None) is None
        ):
            pool.wait_ready(timeout=0.2)
            deadline -= 0.2
        process = pool._starting[0].provisioner.process
    finally:
        pool.close()
    assert not any(thread.is_alive() for thread in pool._threads)
    assert process.poll() is not None


def test_a_killed_kernel_is_noticed_without_waiting_a_tenth_of_a_second(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """After killing a kernel, jupyter_client checks every 0.1 s whether it has exited: every
    notebook's run ended with about 0.1 s of waiting for a kernel gone in milliseconds."""
    import asyncio
    import threading

    from briefkit import notebooks

    km = notebooks.kernel_manager_class()(kernel_name="python3")
    alive = iter([True, True, False])

    async def is_alive() -> bool:
        return next(alive)

    monkeypatch.setattr(km, "_async_is_alive", is_alive)
    slept: list[float] = []
    real_sleep = asyncio.sleep

    async def sleep(delay: float, result: object = None) -> object:
        slept.append(delay)
        return await real_sleep(0, result)

    monkeypatch.setattr(asyncio, "sleep", sleep)
    # On a thread of its own: an earlier test may have left this thread's event loop running.
    waiter = threading.Thread(target=lambda: asyncio.run(km._async_wait()))
    waiter.start()
    waiter.join(timeout=60)
    assert slept == [notebooks.EXIT_POLL, notebooks.EXIT_POLL]


def test_the_warm_up_leaves_what_it_loaded_out_of_the_garbage_collectors_sight() -> None:
    """A full collection over everything a warm kernel loaded took 0.1 s of a notebook's
    figure cell; frozen after the warm-up (gc.freeze), a collection walks only what is new."""
    import subprocess
    import sys

    from briefkit import kernels

    code = kernels.warmup_code(["json"], [])
    check = f"{code}\nimport gc\nprint(gc.get_freeze_count())"
    out = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, check=True)
    assert int(out.stdout) > 1000
