"""briefkit: reproducible builds of policy briefs from source articles."""

from __future__ import annotations

__version__ = "0.1.0"
