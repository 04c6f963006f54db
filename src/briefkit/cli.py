"""The ``briefkit`` command line."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from briefkit import __version__
from briefkit.errors import EXIT_INTERRUPTED, BriefkitError
from briefkit.render import FORMATS

logger = logging.getLogger("briefkit")


def _setup_logging(verbose: bool) -> None:
    handler: logging.Handler
    if sys.stderr.isatty():
        from rich.logging import RichHandler

        handler = RichHandler(show_time=False, show_path=False, markup=False, rich_tracebacks=False)
    else:
        # Piped or captured: no colours to show and no wrapping of long paths, and importing
        # rich would cost a no-change rebuild a third of its time.
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)-8s %(message)s"))
    logging.basicConfig(level=logging.WARNING, format="%(message)s", handlers=[handler], force=True)
    logger.setLevel(logging.DEBUG if verbose else logging.INFO)


def _formats(text: str) -> tuple[str, ...]:
    parts = tuple(p.strip() for p in text.split(",") if p.strip())
    bad = [p for p in parts if p not in FORMATS]
    if bad or not parts:
        raise argparse.ArgumentTypeError(f"choose from {', '.join(FORMATS)} (got {text!r})")
    return parts


def parser() -> argparse.ArgumentParser:
    """The argument parser of ``briefkit``."""
    p = argparse.ArgumentParser(prog="briefkit", description=__doc__)
    p.add_argument("--version", action="version", version=f"briefkit {__version__}")
    p.add_argument("--debug", action="store_true", help="show tool output and tracebacks")
    p.add_argument("--root", type=Path, default=Path("."), help="project folder (default: .)")
    sub = p.add_subparsers(dest="command", required=True)

    b = sub.add_parser("build", help="build a draft brief into _build/<seed>/")
    b.add_argument("--seed", action="append", help="seed to build (default: every seed)")
    b.add_argument("--engine", default="auto", help="auto (default), quarto or pandoc")
    b.add_argument("--formats", type=_formats, default=("html", "pdf"), help="html,pdf (default)")
    b.add_argument("--timeout", type=float, default=300.0, help="seconds per notebook cell")

    n = sub.add_parser("notebooks", help="execute every notebook for each seed (no rendering)")
    n.add_argument("--seed", action="append", help="seed to use (default: every seed)")
    n.add_argument("--timeout", type=float, default=300.0, help="seconds per notebook cell")
    return p


def _seeds(args: argparse.Namespace) -> list[str]:
    from briefkit.errors import InputError
    from briefkit.seeds import list_seeds

    seeds: list[str] = args.seed or list_seeds(args.root)
    if not seeds:
        raise InputError(f"no seeds under {args.root / 'seeds'}")
    return seeds


def _cmd_notebooks(args: argparse.Namespace) -> int:
    from briefkit.build import run_notebooks
    from briefkit.reading import load_seed

    for slug in _seeds(args):
        done = run_notebooks(args.root.resolve(), load_seed(args.root, slug), timeout=args.timeout)
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


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = parser().parse_args(argv)
    _setup_logging(args.debug)
    try:
        if args.command == "build":
            return _cmd_build(args)
        if args.command == "notebooks":
            return _cmd_notebooks(args)
        raise AssertionError(args.command)  # pragma: no cover - argparse enforces the choices
    except BriefkitError as exc:
        if args.debug:
            logger.exception("failed")
        for line in str(exc).splitlines():
            print(f"briefkit: error: {line}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("briefkit: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
