"""Reading PDFs in tests with PDFium (the pypdfium2 wheel): text, page sizes, grey page images.

A pip-installed library instead of poppler's command-line tools, so the tests need no system
package beyond a browser.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium

#: A4 in PDF points (1/72 inch).
A4 = (595.28, 841.89)


def pdf_text(path: Path, *pages: int) -> str:
    """The text of ``path`` (or of pages ``pages[0]`` to ``pages[-1]``, from 1), line by line.

    Pages are separated by a form feed, as pdftotext does; a word that typst hyphenated at a
    line's end (PDFium reports the hyphen as U+0002) is joined again.
    """
    doc = pdfium.PdfDocument(path)
    try:
        first, last = (pages[0], pages[-1]) if pages else (1, len(doc))
        texts = []
        for index in range(first - 1, last):
            page = doc[index]
            textpage = page.get_textpage()
            text = textpage.get_text_bounded()
            textpage.close()
            page.close()
            text = text.replace("\x02\r\n", "").replace("\r\n", "\n").replace("\r", "\n")
            texts.append(text.replace("\x02", "-"))
        return "\n\f".join(texts)
    finally:
        doc.close()


def page_sizes(path: Path) -> list[tuple[float, float]]:
    """Each page's width and height in points."""
    doc = pdfium.PdfDocument(path)
    try:
        return [tuple(doc[i].get_size()) for i in range(len(doc))]  # type: ignore[misc]
    finally:
        doc.close()


@dataclass(frozen=True)
class GreyPage:
    """One page rendered to 8-bit grey pixels, row by row."""

    width: int
    height: int
    pixels: bytes

    def row(self, y: int) -> bytes:
        """The pixels of row ``y``."""
        return self.pixels[y * self.width : (y + 1) * self.width]


def grey_pages(path: Path, dpi: int) -> list[GreyPage]:
    """Every page of ``path`` rendered in grey at ``dpi`` dots per inch."""
    doc = pdfium.PdfDocument(path)
    out = []
    try:
        for index in range(len(doc)):
            page = doc[index]
            bitmap = page.render(scale=dpi / 72, grayscale=True)
            data = bytes(bitmap.buffer)
            rows = [
                data[y * bitmap.stride : y * bitmap.stride + bitmap.width]
                for y in range(bitmap.height)
            ]
            out.append(GreyPage(bitmap.width, bitmap.height, b"".join(rows)))
            bitmap.close()
            page.close()
    finally:
        doc.close()
    return out
