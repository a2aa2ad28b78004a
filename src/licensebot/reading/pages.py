"""A PDF's first page as a small JPEG, for the maintainers' digest."""

from __future__ import annotations

import io

import pypdfium2

from licensebot.errors import LicensebotError

WIDTH_PX = 560  # wide enough to read a form's typed fields, small enough for an email


class PageRenderError(LicensebotError):
    """The PDF cannot be opened or its first page cannot be drawn."""


def first_page_jpeg(pdf: bytes, *, width_px: int = WIDTH_PX, quality: int = 70) -> bytes:
    try:
        doc = pypdfium2.PdfDocument(pdf)
    except pypdfium2.PdfiumError as exc:
        raise PageRenderError(f"cannot open the PDF: {exc}") from None
    try:
        if len(doc) == 0:
            raise PageRenderError("the PDF has no pages")
        page = doc[0]
        width_pt = page.get_width() or 612.0
        bitmap = page.render(scale=max(0.1, min(4.0, width_px / width_pt)), grayscale=True)
        image = bitmap.to_pil()
        out = io.BytesIO()
        image.save(out, format="JPEG", quality=quality, optimize=True)
        return out.getvalue()
    except pypdfium2.PdfiumError as exc:
        raise PageRenderError(f"cannot draw the first page: {exc}") from None
    finally:
        doc.close()
