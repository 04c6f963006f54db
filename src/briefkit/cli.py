"""The ``briefkit`` command line."""

from __future__ import annotations

import argparse
import errno
import logging
import math
import os
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from briefkit import __version__
from briefkit.errors import (
    EXIT_ENVIRONMENT,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_INVALID_INPUT,
    BriefkitError,
)
from briefkit.escape import terminal_text
from briefkit.render import DEFAULT_FORMATS, FORMATS

logger = logging.getLogger("briefkit")


class _TerminalFormatter(logging.Formatter):
    """A log formatter whose lines show control characters instead of sending them.

    Log messages carry seed text (a release's changes, a path, a tool's output): one escaped
    line, traceback included, for every handler.
    """

    def format(self, record: logging.LogRecord) -> str:
        return terminal_text(super().format(record))


def _setup_logging(verbose: bool) -> None:
    handler: logging.Handler
    if sys.stderr.isatty():
        from rich.logging import RichHandler

        handler = RichHandler(show_time=False, show_path=False, markup=False, rich_tracebacks=False)
        handler.setFormatter(_TerminalFormatter("%(message)s"))
    else:
        # Piped or captured: no colours to show and no wrapping of long paths, and importing
        # rich would cost a no-change rebuild a third of its time.
        handler = logging.StreamHandler()
        handler.setFormatter(_TerminalFormatter("%(levelname)-8s %(message)s"))
    logging.basicConfig(level=logging.WARNING, format="%(message)s", handlers=[handler], force=True)
    logger.setLevel(logging.DEBUG if verbose else logging.INFO)
    # papermill logs a timeout or a dead kernel itself; NotebookFailed already says it in one line.
    logging.getLogger("papermill").setLevel(logging.DEBUG if verbose else logging.CRITICAL)


def _formats(text: str) -> tuple[str, ...]:
    parts = tuple(p.strip() for p in text.split(",") if p.strip())
    bad = [p for p in parts if p not in FORMATS]
    if bad or not parts:
        raise argparse.ArgumentTypeError(f"choose from {', '.join(FORMATS)} (got {text!r})")
    return parts


def _positive_seconds(text: str) -> float:
    """A ``--timeout``: seconds, finite and above zero (nbclient takes 0 or less as no limit)."""
    return _seconds(text, allow_zero=False)


def _seconds_or_zero(text: str) -> float:
    """A ``--wait``: seconds, finite and not negative (filelock waits forever on a negative)."""
    return _seconds(text, allow_zero=True)


def _seconds(text: str, *, allow_zero: bool) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise argparse.ArgumentTypeError(f"expected a number of seconds {bound} (got {text!r})")
    return value


def _timeout_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--timeout", type=_positive_seconds, default=300.0, help="seconds per notebook cell"
    )


def _no_download_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--no-download", action="store_true",
        help="never fetch Chrome for the PDF's figures (same as BRIEFKIT_NO_DOWNLOAD=1)",
    )  # fmt: skip


def _formats_option(p: argparse.ArgumentParser, note: str = "") -> None:
    p.add_argument(
        "--formats", type=_formats, default=DEFAULT_FORMATS,
        help=f"comma-separated, from {','.join(FORMATS)}; {','.join(DEFAULT_FORMATS)} (default)"
        + note,
    )  # fmt: skip


def parser() -> argparse.ArgumentParser:
    """The argument parser of ``briefkit``."""
    p = argparse.ArgumentParser(
        prog="briefkit",
        description="Reproducible policy briefs: seeds and readings, notebooks, HTML and PDF.",
    )
    p.add_argument("--version", action="version", version=f"briefkit {__version__}")
    p.add_argument("--debug", action="store_true", help="show tool output and tracebacks")
    p.add_argument(
        "--root", type=Path, default=None,
        help="project folder (default: the nearest folder from here up that has seeds/)",
    )  # fmt: skip
    sub = p.add_subparsers(dest="command", required=True)

    b = sub.add_parser("build", help="build a draft brief into _build/<seed>/")
    b.add_argument("--seed", action="append", help="seed to build (default: every seed)")
    b.add_argument("--engine", default="auto", help="auto (default), quarto or pandoc")
    _formats_option(b)
    _timeout_option(b)
    _no_download_option(b)

    n = sub.add_parser("notebooks", help="execute every notebook for each seed (no rendering)")
    n.add_argument("--seed", action="append", help="seed to use (default: every seed)")
    _timeout_option(n)

    c = sub.add_parser("check", help="validate seeds' readings and print their coverage")
    c.add_argument("--seed", action="append", help="seed to check (default: every seed)")

    w = sub.add_parser("new", help="scaffold seeds/SLUG/ from an article (never overwrites)")
    w.add_argument("slug", help="the new seed's name: lower-case letters, digits and '-'")
    w.add_argument("--from", dest="article", type=Path, required=True, help="the article (UTF-8)")

    r = sub.add_parser("release", help="bump, build and publish to dist/<seed>/v<version>/")
    r.add_argument("part", choices=("patch", "minor", "major"), help="which part of X.Y.Z to bump")
    r.add_argument("--seed", help="seed to release (default: the only seed)")
    r.add_argument("--engine", default="auto", help="auto (default), quarto or pandoc")
    _formats_option(r, ": the files published")
    _timeout_option(r)
    r.add_argument(
        "--wait", type=_seconds_or_zero, default=5.0, help="seconds to wait for another build"
    )
    _no_download_option(r)

    d = sub.add_parser("diff", help="print what changed between two releases")
    d.add_argument("old", help="the older release, e.g. v1.0.0")
    d.add_argument("new", help="the newer release, e.g. v1.1.0")
    d.add_argument("--seed", help="seed (default: the only seed)")
    v = sub.add_parser(
        "preview", help="build, serve on 127.0.0.1, rebuild on every save and reload the page"
    )
    v.add_argument("--seed", help="seed to preview (default: the only seed)")
    v.add_argument("--port", type=int, help="port (default: the first free one from 8000)")
    v.add_argument(
        "--host", default="127.0.0.1", help="interface (default: 127.0.0.1, this machine only)"
    )
    v.add_argument("--engine", default="auto", help="auto (default), quarto or pandoc")
    _formats_option(v, "; html is always built")
    _timeout_option(v)
    v.add_argument("--open", action="store_true", help="open the brief in a web browser")
    v.add_argument(
        "--kernels", type=int, help="kernels kept started (default: one per notebook; 0: none)"
    )
    _no_download_option(v)
    # Each command's function, looked up when the parser is made (so tests can replace one).
    for sp, run in ((b, _cmd_build), (n, _cmd_notebooks), (c, _cmd_check), (w, _cmd_new),
                    (r, _cmd_release), (d, _cmd_diff), (v, _cmd_preview)):  # fmt: skip
        sp.set_defaults(run=run)
    return p


def _seeds(args: argparse.Namespace) -> list[str]:
    from briefkit.errors import InputError
    from briefkit.seeds import list_seeds

    seeds: list[str] = args.seed or list_seeds(args.root)
    if not seeds:
        raise InputError(f"no seeds under {args.root / 'seeds'}")
    return seeds


def _cmd_notebooks(args: argparse.Namespace) -> int:
    from briefkit import build
    from briefkit.build import execute_notebooks
    from briefkit.lock import build_lock
    from briefkit.reading.seed import load_seed
    from briefkit.seeds import build_dir

    for slug in _seeds(args):
        seed = load_seed(args.root, slug)
        with build_lock(build_dir(args.root.resolve(), slug), wait=build.LOCK_WAIT):
            done = execute_notebooks(args.root.resolve(), seed, timeout=args.timeout)
        logger.info("%s: %d notebook(s) executed", slug, len(done))
    return 0


def _cmd_build(args: argparse.Namespace) -> int:
    from briefkit.build import BuildOptions, run_build

    for slug in _seeds(args):
        result = run_build(BuildOptions(args.root, slug, args.engine, args.formats, args.timeout))
        for fmt, path in sorted(result.outputs.items()):
            logger.info("%s: %s", fmt, path)
        logger.info(
            "built %s v%s with %s in %.1f s", slug, result.version, result.engine_version,
            result.timings["total"],
        )  # fmt: skip
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    from briefkit.errors import InvalidInput
    from briefkit.reading.coverage import coverage_report
    from briefkit.reading.seed import load_seed

    failed = 0
    for slug in _seeds(args):
        try:
            seed = load_seed(args.root, slug)
        except InvalidInput as exc:
            failed += 1
            for line in str(exc).splitlines():
                print(f"briefkit: error: {terminal_text(line)}", file=sys.stderr)
            continue
        # The article's sentences, as they are: escape sequences in them show, not act.
        print(terminal_text("\n".join(coverage_report(slug, seed.coverage(), seed.notes))))
    if failed:
        print(f"briefkit: {failed} seed(s) invalid", file=sys.stderr)
        return EXIT_INVALID_INPUT
    return 0


def _cmd_new(args: argparse.Namespace) -> int:
    from briefkit.scaffold import new_seed

    path = new_seed(args.root, args.slug, args.article)
    print(f"created {path}: fill in source.yaml and reading.yaml, then `briefkit check`")
    return 0


def _cmd_release(args: argparse.Namespace) -> int:
    from briefkit.release import ReleaseOptions, default_seed, release

    slug = default_seed(args.root, args.seed)
    opts = ReleaseOptions(
        args.root, slug, args.part, args.engine, args.timeout, args.wait, args.formats
    )
    release(opts)
    return 0


def _cmd_diff(args: argparse.Namespace) -> int:
    from briefkit.history import diff_releases
    from briefkit.release import default_seed

    slug = default_seed(args.root, args.seed)
    for line in diff_releases(args.root.resolve(), slug, args.old, args.new):
        print(terminal_text(line))
    return 0


def _cmd_preview(args: argparse.Namespace) -> int:
    from briefkit.preview import PreviewOptions, Restart, exec_again, run_preview
    from briefkit.release import default_seed

    opts = PreviewOptions(
        args.root, default_seed(args.root, args.seed), args.host, args.port, args.engine,
        args.formats, args.timeout, args.open, args.kernels,
    )  # fmt: skip
    try:
        run_preview(opts)
    except Restart:
        exec_again()
    except KeyboardInterrupt:
        # Ctrl-C (or SIGTERM) is how a preview ends: everything it started is stopped by now.
        print("briefkit: preview stopped", file=sys.stderr)
    return 0


def _check_root(args: argparse.Namespace) -> None:
    """The project folder is a folder with ``seeds/`` in it; ``new`` may make both."""
    from briefkit.errors import InputError

    root: Path = args.root
    if root.exists() and not root.is_dir():
        raise InputError(f"project folder {root} is not a folder (--root)")
    if args.run is _cmd_new:
        return
    if not root.exists():
        raise InputError(f"project folder {root} does not exist (--root)")
    if not (root / "seeds").is_dir():
        if getattr(args, "root_found", False):
            raise InputError(
                f"no seeds/ folder in {Path.cwd()} or above it: run briefkit in the project "
                "folder (or below it), or pass --root PROJECT"
            )
        raise InputError(f"{root} has no seeds/ folder: not a briefkit project (--root)")


#: OS errors that say the machine, not briefkit, is in the way: exit 4 with the path.
_ENVIRONMENT_ERRNOS = {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC, errno.EDQUOT}


def _terminated(signum: int, frame: object) -> None:
    # SIGTERM (kill, a CI's timeout) stops briefkit like Ctrl-C: kernels stopped, partial
    # outputs and releases removed, exit 130.
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = parser().parse_args(argv)
    _setup_logging(args.debug)
    # Without --root, the project is the nearest folder from here up that has seeds/.
    args.root_found = args.root is None
    if args.root is None:
        from briefkit.seeds import find_root

        args.root = find_root(Path.cwd())
    if getattr(args, "no_download", False):
        from briefkit.browser import NO_DOWNLOAD_ENV

        # For this process only: the browser module reads it wherever a figure needs Chrome.
        os.environ[NO_DOWNLOAD_ENV] = "1"
    on_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminated) if on_main_thread else None
    try:
        return _run(args)
    finally:
        if on_main_thread:
            signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)


def _run(args: argparse.Namespace) -> int:
    try:
        _check_root(args)
        code: int = args.run(args)
        return code
    except BriefkitError as exc:
        if args.debug:
            logger.exception("failed")
        for line in str(exc).splitlines():
            print(f"briefkit: error: {terminal_text(line)}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("briefkit: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except OSError as exc:
        if exc.errno not in _ENVIRONMENT_ERRNOS:
            return _internal_error(args, exc)
        if args.debug:
            logger.exception("failed")
        where = terminal_text(str(exc.filename)) if exc.filename else "a file"
        print(
            f"briefkit: error: cannot write or read {where}: {exc.strerror} "
            "(check the folder's permissions and the free space)",
            file=sys.stderr,
        )
        return EXIT_ENVIRONMENT
    except Exception as exc:  # a bug: still one line, and the traceback on request
        return _internal_error(args, exc)


def _internal_error(args: argparse.Namespace, exc: Exception) -> int:
    if args.debug:
        logger.exception("internal error")
    detail = " ".join(str(exc).split())
    print(
        f"briefkit: internal error: {type(exc).__name__}: {terminal_text(detail)} "
        "(run with --debug for the traceback)",
        file=sys.stderr,
    )
    return EXIT_INTERNAL
