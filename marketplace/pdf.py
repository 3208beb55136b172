"""Printable PDFs with Chinese text (fpdf2 and Debian's fonts-noto-cjk), shared by the areas that print."""
from __future__ import annotations

from pathlib import Path

# Debian's fonts-noto-cjk; index 2 of the collection is Simplified Chinese.
CJK_FONTS = [("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
             ("/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf", 0)]


class FontMissing(RuntimeError):
    """No CJK font on this server, so a PDF would print empty boxes."""


def cjk_font() -> tuple[str, int]:
    """(path, collection index) of the first CJK font found; FontMissing when there is none."""
    for path, index in CJK_FONTS:
        if Path(path).exists():
            return path, index
    raise FontMissing("install fonts-noto-cjk")


def new_document():
    """An A4 fpdf2 document with one page and the CJK font set as "cjk"."""
    from fpdf import FPDF

    path, index = cjk_font()
    doc = FPDF(format="A4")
    doc.set_auto_page_break(True, margin=15)
    doc.add_page()
    doc.add_font("cjk", fname=path, collection_font_number=index)
    return doc
