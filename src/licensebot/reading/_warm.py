"""Imported by the sandbox's fork server: one small read, so every forked child starts warm.

Lazy initialisation (pdfium's font scan, pypdf's and dateutil's lazy imports, regex caches)
otherwise runs again in every child, on every PDF. The OCR engines are loaded here too, once:
the Tesseract models, RapidOCR's ONNX sessions (about 0.65 s per scanned form if each reader
loaded them itself) and the page geometry's text direction classifier, shared copy-on-write by
every reader forked from the server.
"""

from __future__ import annotations

import io
import logging

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from licensebot.reading.lexicon import preload as preload_lexicon
from licensebot.reading.ocr import OcrError, preload
from licensebot.reading.orientation import OrientationModelMissing
from licensebot.reading.orientation import preload as preload_orientation
from licensebot.reading.pdf import read_pdf
from licensebot.reading.rapid import RapidError
from licensebot.reading.rapid import preload as preload_rapid


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

# RapidOCR, the second engine for the cells the vote settles. Building its sessions leaves
# some freed heap behind that every reader inherits: the memory cap (RLIMIT_AS) still holds,
# a reader just starts with that much room inside it. Without it, cells get Tesseract alone.
try:
    preload_rapid()
except RapidError as exc:
    logging.getLogger(__name__).warning("ocr.rapid.missing: %s", exc)

# The text direction classifier, for pages whose ascenders cannot tell 0 from 180 degrees.
# Without it, such a page is read as the ascenders leave it (and tried on its head as well).
try:
    preload_orientation()
except OrientationModelMissing as exc:
    logging.getLogger(__name__).warning("orientation.model.missing: %s", exc)

# The English word list of the vote's spelling rule (`agreement.spelled`).
preload_lexicon()
