"""Imported by the sandbox's fork server: one small read, so every forked child starts warm.

Lazy initialisation (pdfium's font scan, pypdf's and dateutil's lazy imports, regex caches)
otherwise runs again in every child, on every PDF.
"""

from __future__ import annotations

import io
import logging

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from licensebot.reading.ocr import OcrError, preload
from licensebot.reading.pdf import read_pdf


def _sample() -> bytes:
    buf = io.BytesIO()
    canv = Canvas(buf, pagesize=A4)
    canv.drawString(72, 760, "The Signer's Name   San Zhang")
    canv.drawString(72, 740, "Work email   san.zhang@example.edu")
    canv.drawString(72, 720, "Date   15 March 2024")
    canv.showPage()
    canv.save()
    return buf.getvalue()


read_pdf(_sample(), versions=[])

# The Tesseract models: each costs more to load than to read a cell with. Without one, the
# reads that need it get their `ocr_failed` result (digital PDFs need none); say so once here.
try:
    preload()
except OcrError as exc:
    logging.getLogger(__name__).warning("ocr.models.missing: %s", exc)
