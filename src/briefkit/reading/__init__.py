"""Seeds and their structured readings: load with line numbers, validate, anchor quotes.

One module per concern: ``model`` (the pydantic models), ``yamlfile`` (YAML 1.2 with line
numbers), ``validation`` (pydantic errors as located problems), ``checks`` (cross-checks),
``anchors`` (quote anchoring), ``coverage`` (sentence coverage) and ``seed`` (a seed loaded
whole). The few names used from outside as ``briefkit.reading.X`` (the notebooks' ``load_seed``)
are re-exported lazily: importing ``briefkit.reading.anchors`` runs this file first, and must not
import pydantic.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    # Explicit re-exports for type checkers; at run time __getattr__ below imports them.
    from briefkit.reading.model import Reading as Reading
    from briefkit.reading.seed import Seed as Seed
    from briefkit.reading.seed import load_seed as load_seed
    from briefkit.seeds import SLUG as SLUG
    from briefkit.seeds import list_seeds as list_seeds
    from briefkit.seeds import seed_dir as seed_dir

#: The module each re-exported name lives in.
_MODULES = {
    "Reading": "briefkit.reading.model",
    "Seed": "briefkit.reading.seed",
    "load_seed": "briefkit.reading.seed",
    "SLUG": "briefkit.seeds",
    "list_seeds": "briefkit.seeds",
    "seed_dir": "briefkit.seeds",
}
__all__ = sorted(_MODULES)


def __getattr__(name: str) -> Any:
    """Import a re-exported name's module on first use."""
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
