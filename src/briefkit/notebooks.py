"""Execute the parameterized notebooks (papermill), in parallel, and keep clean executed copies."""

from __future__ import annotations

import functools
import json
import logging
import os
import warnings
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from briefkit.errors import NotebookFailed

logger = logging.getLogger("briefkit")

DEFAULT_TIMEOUT = 300.0


@dataclass(frozen=True)
class NotebookJob:
    """One notebook to execute: its source, where the executed copy goes, its parameters."""

    source: Path
    output: Path
    parameters: Mapping[str, Any]
    #: Extra environment variables for the notebook's kernel.
    env: Mapping[str, str] = field(default_factory=dict)

    @property
    def failed_copy(self) -> Path:
        """Where the executed copy is kept when the notebook fails."""
        return self.output.with_suffix(".failed.ipynb")


def import_engine() -> None:
    """Import papermill on this thread, before any worker thread needs it.

    Threads importing the same packages at once can see half-initialized modules.
    """
    import papermill  # noqa: F401


def find_notebooks(root: Path) -> list[Path]:
    """The notebooks of the project, sorted by name."""
    return sorted((root / "notebooks").glob("*.ipynb"))


def strip_volatile(nb: dict[str, Any]) -> dict[str, Any]:
    """Drop timestamps and machine paths that papermill and nbclient write into a notebook."""
    meta = nb.get("metadata", {})
    pm = meta.get("papermill")
    if isinstance(pm, dict):
        for key in ("start_time", "end_time", "duration", "input_path", "output_path"):
            pm.pop(key, None)
        pm.pop("environment_variables", None)
    for cell in nb.get("cells", []):
        cmeta = cell.get("metadata", {})
        if "injected-parameters" in cmeta.get("tags", []):
            cell["id"] = "injected-parameters"  # papermill gives it a random id on every run
        cmeta.pop("execution", None)
        cpm = cmeta.get("papermill")
        if isinstance(cpm, dict):
            for key in ("start_time", "end_time", "duration"):
                cpm.pop(key, None)
    return nb


def _cell_label(nb_path: Path | None) -> str | None:
    """Name the failing cell of a kept notebook by its id.

    papermill's ``cell_index`` counts its injected parameters cell and error banner, so the cell
    is found by what it holds instead: an error output, else papermill's "running" mark.
    """
    if nb_path is None:
        return None
    try:
        cells = json.loads(nb_path.read_text(encoding="utf-8")).get("cells", [])
    except (OSError, ValueError):
        return None
    for test in (
        lambda c: any(o.get("output_type") == "error" for o in c.get("outputs", [])),
        lambda c: c.get("metadata", {}).get("papermill", {}).get("status") == "running",
    ):
        for index, cell in enumerate(cells):
            if cell.get("cell_type") == "code" and test(cell):
                return str(cell.get("id") or f"#{index}")
    return None


_EXIT = ("SystemExit", "exit() or quit() stops the kernel: a notebook must run to its end")


def ended_early(nb: Mapping[str, Any]) -> tuple[str, str, str] | None:
    """Why an executed notebook that papermill counts as done did not run to its end, or None.

    papermill takes ``sys.exit(0)`` (and ``sys.exit()``) in a cell for a clean end: it stops
    there without an error, and the artifacts of the cells after it are missing. Any error
    output, and any code cell that never ran, is a failure here, as (cell, ename, evalue).
    """
    code = [
        (str(cell.get("id") or f"#{index}"), cell)
        for index, cell in enumerate(nb.get("cells", []))
        if cell.get("cell_type") == "code" and "".join(cell.get("source", "")).strip()
    ]
    never = next((label for label, cell in code if cell.get("execution_count") is None), None)
    unran = f"; cell {never} and the ones after it never ran" if never else ""
    for label, cell in code:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                ename = str(output.get("ename") or "Error")
                value = str(output.get("evalue") or "")
                if ename == "SystemExit":
                    value = f"exit code {value or 'None'}: a notebook must run to its end"
                return label, ename, f"{value}{unran}"
    if never is not None:
        ran = [label for label, cell in code if cell.get("execution_count") is not None]
        return ran[-1] if ran else never, "NotebookStopped", f"the kernel stopped{unran}"
    return None


#: Kernel processes (Popen) this process started; killed when the build is interrupted.
_KERNELS: weakref.WeakSet[Any] = weakref.WeakSet()
#: The private folder of this process's kernels' sockets (see ipc_transport).
_SOCKETS: list[Path] = []


def ipc_transport() -> dict[str, Any]:
    """Kernel manager settings: talk to the kernel over Unix sockets in a private folder.

    Over TCP, jupyter picks a kernel's ports by binding and closing them before the kernel binds
    them, so kernels started at once could take the same port ("Address already in use"). A
    socket path unique to each kernel cannot collide; the folder (mode 0700) also keeps other
    users of the machine from connecting. It goes when this process exits.
    """
    import uuid

    if os.name == "nt":  # no Unix sockets in ZeroMQ there
        return {}
    if not _SOCKETS:
        import atexit
        import shutil
        import tempfile

        # Short: a Unix socket's path holds at most about 100 bytes.
        folder = Path(tempfile.mkdtemp(prefix="bk-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        _SOCKETS.append(folder)
    # jupyter adds "-<n>" per channel.
    return {"transport": "ipc", "ip": str(_SOCKETS[0] / uuid.uuid4().hex[:12])}


#: Seconds between checks whether a killed kernel has exited (jupyter_client waits 0.1 s).
EXIT_POLL = 0.005


@functools.cache
def kernel_manager_class() -> type[Any]:
    """jupyter_client's AsyncKernelManager, noticing at once that a killed kernel has exited.

    After killing a kernel, jupyter_client checks whether it is gone every 0.1 s
    (``KernelManager._async_wait``, jupyter_client 8); a killed kernel is gone within a few
    milliseconds, so every notebook's run ended with about 0.1 s of waiting for nothing.
    """
    from jupyter_client.manager import AsyncKernelManager

    class KernelManager(AsyncKernelManager):
        async def _async_wait(self, pollinterval: float = 0.1) -> None:
            await super()._async_wait(pollinterval=min(pollinterval, EXIT_POLL))

    return KernelManager


def _kernel_manager(log_path: Path, env: Mapping[str, str] | None = None) -> type[Any]:
    """A kernel manager: over IPC; the kernel logs its stderr (shutdown noise), gets ``env``."""

    class QuietKernelManager(kernel_manager_class()):  # type: ignore[misc]
        def __init__(self, **kw: Any) -> None:
            super().__init__(**{**ipc_transport(), **kw})

        async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
            log = log_path.open("ab")
            kw["stdout"] = log
            kw["stderr"] = log
            if env:
                kw["env"] = {**(kw.get("env") or os.environ), **env}
            try:
                await super()._async_launch_kernel(kernel_cmd, **kw)
            finally:
                log.close()  # the child keeps its own descriptor
            process = getattr(self.provisioner, "process", None)
            if process is not None:
                _KERNELS.add(process)

    return QuietKernelManager


def track_kernel(process: Any) -> None:
    """Count ``process`` (a kernel's Popen) among the kernels ``kill_kernels`` stops."""
    _KERNELS.add(process)


#: Hands ``execute`` an already started kernel for a job (see briefkit.kernels), or None.
KernelSource = Callable[["NotebookJob", Path], Any]
_SOURCE: list[KernelSource] = []


def set_kernel_source(source: KernelSource | None) -> None:
    """Let ``execute`` take started kernels from ``source`` (``None``: start its own again).

    ``source(job, log)`` returns a started kernel manager with ``job.env`` set in its kernel
    and its output going to ``log``, or None. Each kernel runs one notebook and is then killed.
    """
    _SOURCE.clear()
    if source is not None:
        _SOURCE.append(source)


def _pooled_engine() -> str:
    """Register (once) a papermill engine that kills a kernel it was handed, when done with it.

    nbclient leaves a kernel that it did not start (``km=``) running, and its client connected:
    papermill's nbclient engine never asks it to clean up. This one does (``cleanup_kc``), saves
    the executed copy once at the end, and otherwise runs the notebook as papermill's own does.
    """
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines
    from papermill.utils import merge_kwargs, remove_args

    name = "briefkit-pooled"
    if name in papermill_engines._engines:
        return name

    class PooledEngine(NBClientEngine):  # type: ignore[misc]
        @classmethod
        def execute_managed_notebook(
            cls, nb_man: Any, kernel_name: str, log_output: bool = False,
            stdout_file: Any = None, stderr_file: Any = None, start_timeout: float = 60,
            execution_timeout: float | None = None, **kwargs: Any,
        ) -> Any:  # fmt: skip
            # As papermill.engines.NBClientEngine.execute_managed_notebook (papermill 2.6).
            kwargs = remove_args(["input_path"], **kwargs)
            safe_kwargs = remove_args(["timeout", "startup_timeout"], **kwargs)
            final_kwargs = merge_kwargs(
                safe_kwargs, timeout=execution_timeout or kwargs.get("timeout"),
                startup_timeout=start_timeout, kernel_name=kernel_name,
                log=logging.getLogger("papermill"), log_output=log_output,
                stdout_file=stdout_file, stderr_file=stderr_file,
            )  # fmt: skip
            # Saved once, when done (papermill's notebook_complete, after a failure too), not
            # before and after every cell: a preview re-runs every notebook on each edit, and
            # the saves cost it a few tenths of a second of this process's time per edit.
            output_path, nb_man.output_path = nb_man.output_path, None
            try:
                return PapermillNotebookClient(nb_man, **final_kwargs).execute(cleanup_kc=True)
            finally:
                nb_man.output_path = output_path

    papermill_engines.register(name, PooledEngine)
    return name


def kill_kernels() -> int:
    """Kill every kernel this process started that still runs; return how many.

    Kernels run in their own session, so a Ctrl-C reaches only briefkit: without this, an
    interrupted build would wait for every running cell to finish.
    """
    killed = 0
    for process in list(_KERNELS):
        # Not yet reaped by poll(), so the pid is still ours and cannot have been reused.
        if process.poll() is None:
            process.kill()
            killed += 1
    return killed


def execute(job: NotebookJob, *, cwd: Path, timeout: float = DEFAULT_TIMEOUT) -> Path:
    """Execute one notebook; on failure keep the executed copy and raise NotebookFailed."""
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    job.output.parent.mkdir(parents=True, exist_ok=True)
    tmp = job.output.with_suffix(".running.ipynb")
    job.output.with_suffix(".kernel.log").unlink(missing_ok=True)
    # The cell that started last: a timeout or a dead kernel names no cell of its own.
    started: list[str] = []

    def on_cell_start(cell: Any, cell_index: int) -> None:
        started.append(str(cell.get("id") or f"#{cell_index}"))

    # Cells that called exit() or quit(): the kernel stops after them, before or after the next
    # cell starts (a race), so they fail the notebook either way, by name.
    exits: list[str] = []

    def on_cell_executed(cell: Any, cell_index: int, execute_reply: Any) -> None:
        payload = (execute_reply or {}).get("content", {}).get("payload") or []
        if any(p.get("source") == "ask_exit" and not p.get("keepkernel") for p in payload):
            exits.append(str(cell.get("id") or f"#{cell_index}"))

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _papermill(job, tmp, cwd, timeout, on_cell_start, on_cell_executed)
    except PapermillExecutionError as exc:
        kept = _keep_failed(job, tmp)
        raise NotebookFailed(
            job.source, _cell_label(kept), exc.ename, exc.evalue,
            "\n".join(exc.traceback), kept,
        ) from None  # fmt: skip
    except CellTimeoutError as exc:
        kept = _keep_failed(job, tmp)
        raise NotebookFailed(
            job.source, started[-1] if started else _cell_label(kept), "CellTimeoutError",
            f"cell ran longer than {timeout:g} s", str(exc), kept,
        ) from None  # fmt: skip
    except DeadKernelError as exc:
        kept = _keep_failed(job, tmp)
        if exits:
            raise NotebookFailed(job.source, exits[0], *_EXIT, kept=kept) from None
        raise NotebookFailed(
            job.source, started[-1] if started else _cell_label(kept), "DeadKernelError",
            "the kernel died while the cell ran", str(exc), kept,
        ) from None  # fmt: skip
    nb = json.loads(tmp.read_text(encoding="utf-8"))
    early = ended_early(nb) or ((exits[0], *_EXIT) if exits else None)
    if early is not None:
        kept = _keep_failed(job, tmp)
        raise NotebookFailed(job.source, *early, kept=kept)
    nb = strip_volatile(nb)
    job.output.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.unlink()
    job.failed_copy.unlink(missing_ok=True)
    return job.output


def _papermill(
    job: NotebookJob, tmp: Path, cwd: Path, timeout: float,
    on_cell_start: Callable[..., None], on_cell_executed: Callable[..., None],
) -> None:  # fmt: skip
    """Run papermill on ``job`` into ``tmp``, in a kernel from the source if one is handed out."""
    import papermill

    log_path = job.output.with_suffix(".kernel.log")
    km = _SOURCE[0](job, log_path) if _SOURCE else None
    # A started kernel (a preview's pool) instead of one started here for this notebook.
    kernel: dict[str, Any] = (
        {"km": km, "engine_name": _pooled_engine()} if km is not None
        else {"kernel_manager_class": _kernel_manager(log_path, job.env)}
    )  # fmt: skip
    # Papermill kills a handed kernel when done; this is for when it failed before starting.
    taken = getattr(getattr(km, "provisioner", None), "process", None)
    try:
        papermill.execute_notebook(
            str(job.source),
            str(tmp),
            parameters=dict(job.parameters),
            # Not papermill's cwd=, which os.chdir()s the whole process: notebooks run in
            # threads, and one thread's chdir back raced another's kernel start. nbclient
            # starts the kernel in resources.metadata.path instead.
            resources={"metadata": {"path": str(cwd)}},
            kernel_name="python3",
            progress_bar=False,
            log_output=False,
            # Saved as cells run, so that a timeout or a dead kernel leaves a copy to keep.
            request_save_on_cell_execute=True,
            execution_timeout=timeout,
            **kernel,
            on_cell_start=on_cell_start,
            on_cell_executed=on_cell_executed,
            # Kill the kernel once the last cell is done, instead of asking it to stop and
            # waiting about 0.3 s for it: its outputs are all in already (nbclient's
            # NotebookClient.shutdown_kernel, passed through by papermill).
            shutdown_kernel="immediate",
        )
    finally:
        if taken is not None and taken.poll() is None:
            taken.kill()
            taken.wait()
        close_thread_loop()


def _execute_then(
    job: NotebookJob, cwd: Path, timeout: float, on_done: Callable[[NotebookJob], None] | None
) -> Path:
    output = execute(job, cwd=cwd, timeout=timeout)
    if on_done is not None:
        on_done(job)
    return output


def close_thread_loop() -> None:
    """Close the event loop that jupyter's run_sync left on this thread (it never closes it)."""
    import asyncio  # here, not at the top: a no-change build never needs it

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            loop = asyncio.get_event_loop_policy().get_event_loop()
        except RuntimeError:
            return
    if not loop.is_running() and not loop.is_closed():
        loop.close()
    asyncio.set_event_loop(None)


def _keep_failed(job: NotebookJob, tmp: Path) -> Path | None:
    if not tmp.exists():
        return None
    tmp.replace(job.failed_copy)
    return job.failed_copy


def execute_all(
    jobs: Sequence[NotebookJob],
    *,
    cwd: Path,
    timeout: float = DEFAULT_TIMEOUT,
    on_done: Callable[[NotebookJob], None] | None = None,
) -> list[Path]:
    """Execute ``jobs`` in parallel (bounded by the cores); raise the first failure in job order.

    ``on_done`` is called with each job that succeeded, on its worker thread, as soon as it is
    done: the build records it and hands its figures on while the other notebooks still run.
    """
    from concurrent.futures import ThreadPoolExecutor

    if not jobs:
        return []
    import_engine()
    # Kernels handed out started (a preview's pool) leave a worker little to do but wait for
    # its kernel: then every notebook runs at once. Otherwise one per core.
    workers = len(jobs) if _SOURCE else max(1, min(len(jobs), os.cpu_count() or 1))
    logger.info("executing %d notebook(s) with %d worker(s)", len(jobs), workers)
    errors: list[BaseException] = []
    results: list[Path] = []
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(_execute_then, job, cwd, timeout, on_done) for job in jobs]
        try:
            for fut in futures:
                try:
                    results.append(fut.result())
                except Exception as exc:  # collected so every notebook gets to finish
                    errors.append(exc)
        except KeyboardInterrupt:
            for fut in futures:
                fut.cancel()
            logger.debug("interrupted: killed %d kernel(s)", kill_kernels())
            raise
    if errors:
        raise errors[0]
    return results
