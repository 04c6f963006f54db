"""``python -m briefkit.render [ROOT]``: write the Word reference document again."""

from __future__ import annotations

import sys
from pathlib import Path

from briefkit.render.docx import write_reference_doc
from briefkit.render.pandoc import pandoc_binary

write_reference_doc(Path(sys.argv[1]) if len(sys.argv) > 1 else Path.cwd(), pandoc_binary())
