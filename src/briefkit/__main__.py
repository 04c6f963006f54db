"""Entry point for ``python -m briefkit``."""

from __future__ import annotations

from briefkit.cli import main

raise SystemExit(main())
