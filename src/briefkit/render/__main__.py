"""``python -m briefkit.render [ROOT]``: write the Word reference document again."""

from __future__ import annotations

from briefkit.render.pandoc import main

main()
