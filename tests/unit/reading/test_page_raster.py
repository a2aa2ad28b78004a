"""A typed form's page image, rendered only where the reader looks at it (`PageRaster`)."""

import io

import numpy as np
import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from licensebot.core.la import LaVersion
from licensebot.reading.document import Document
from licensebot.reading.ocr import ink_ratio
from licensebot.reading.pdf import ReadLimits, read_pdf
from tests.forms.factory import make_spec, render

SIGNATURE_CELL = (320, 1202, 722, 1334)  # the bench's typed LA, page 2, at 150 dpi


def _typed_la(current: LaVersion) -> bytes:
    return render(make_spec(0, current, medium="digital", hand="typed", signature="ink"))


def test_a_typed_la_is_read_without_a_whole_page_image(
    current: LaVersion, versions: list[LaVersion], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its values are its text; the image is looked at only in its Signature cell and any
    empty cell, so no whole page is rendered (about 9 MB of colour, a third of a fresh
    reader's page faults)."""
    whole: list[int] = []
    real = Document.render

    def counted(self: Document, index: int, dpi: float):  # type: ignore[no-untyped-def]
        whole.append(index)
        return real(self, index, dpi)

    monkeypatch.setattr(Document, "render", counted)
    form = read_pdf(_typed_la(current), versions=versions)
    assert form.error is None and form.signed is True
    assert whole == []


def test_the_ink_in_a_box_is_the_whole_page_images(current: LaVersion) -> None:
    """The part of the page rendered for a box has the whole page image's ink there (pdfium
    may round a few anti-aliased pixels of a stroke one grey level apart)."""
    with Document(_typed_la(current), ReadLimits()) as doc:
        doc.text_pages()
        full = doc.render(1, 150.0)
        raster = doc.raster(1, 150.0)
        assert (raster.width, raster.height) == full.size
        part = np.asarray(raster.crop(SIGNATURE_CELL), dtype=int)
        whole = np.asarray(full.crop(SIGNATURE_CELL), dtype=int)
        assert part.shape == whole.shape
        assert np.abs(part - whole).max() <= 1
        fresh = doc.raster(1, 150.0)
        assert abs(ink_ratio(fresh, SIGNATURE_CELL) - ink_ratio(full, SIGNATURE_CELL)) < 1e-4


def _red_ring_pdf() -> bytes:
    buf = io.BytesIO()
    canvas = Canvas(buf, pagesize=A4)
    canvas.drawString(72, 760, "Signature")
    canvas.setStrokeColorRGB(0.8, 0.15, 0.15)
    canvas.setLineWidth(3)
    canvas.circle(300, 700, 40)
    canvas.setStrokeColorRGB(0, 0, 0)
    canvas.setLineWidth(1)
    canvas.line(100, 500, 500, 520)
    canvas.showPage()
    canvas.save()
    return buf.getvalue()


def test_a_box_with_red_ink_is_cut_from_the_whole_page() -> None:
    """Red ink (a seal) is seen through a red filter only on a page that has some
    (`seal_free_gray`): a box with red in it is cut from the whole page's image, exactly."""
    with Document(_red_ring_pdf(), ReadLimits()) as doc:
        doc.text_pages()
        full = np.asarray(doc.render(0, 150.0), dtype=int)
        raster = doc.raster(0, 150.0)
        seal = (500, 160, 760, 420)  # around the ring
        assert (np.asarray(raster.crop(seal), dtype=int) == full[160:420, 500:760]).all()
        # the ring is paper through the filter, not ink
        assert ink_ratio(raster, seal) == 0.0
