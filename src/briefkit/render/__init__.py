"""Render engines and their registry (``auto`` prefers Quarto when one is found)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from briefkit.errors import BriefkitError, InputError
from briefkit.render.base import Engine, RenderJob, verify_output
from briefkit.render.formats import (
    DEFAULT_FORMATS,
    FORMATS,
    REGISTRY,
    Format,
    get_format,
    needs_static_figures,
    static_figure_types,
)
from briefkit.render.pandoc import PandocEngine
from briefkit.render.quarto import QuartoEngine

logger = logging.getLogger("briefkit")

ENGINES: dict[str, Callable[[], Engine]] = {"quarto": QuartoEngine, "pandoc": PandocEngine}

__all__ = [
    "DEFAULT_FORMATS",
    "ENGINES",
    "FORMATS",
    "REGISTRY",
    "Engine",
    "Format",
    "RenderJob",
    "check_engine_name",
    "get_engine",
    "get_format",
    "needs_static_figures",
    "static_figure_types",
    "verify_output",
]


def check_engine_name(name: str) -> None:
    """Raise InputError unless ``name`` is an engine's name (or ``auto``); finds no tool."""
    if name != "auto" and name not in ENGINES:
        raise InputError(
            f"unknown engine {name!r}: choose one of auto, {', '.join(sorted(ENGINES))}"
        )


def get_engine(name: str = "auto") -> Engine:
    """Return the engine called ``name``; ``auto`` takes Quarto >= 1.7 when found, else pandoc."""
    if name == "auto":
        try:
            engine: Engine = QuartoEngine()
            engine.version()
        except BriefkitError as exc:
            logger.debug("quarto not usable (%s); using the embedded pandoc engine", exc)
            engine = PandocEngine()
        logger.info("render engine: %s (%s)", engine.name, engine.version())
        return engine
    check_engine_name(name)
    engine = ENGINES[name]()
    logger.info("render engine: %s (%s)", engine.name, engine.version())
    return engine
