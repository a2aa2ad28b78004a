"""Phone photos of a form, flattened by `flatten_page`, read by Tesseract as the reader does.

A form from the test factory is photographed on a desk (tests/forms/photo.py), wrapped into
a PDF as a phone saves it, rendered at the reader's 300 dpi, flattened, and read in the
reader's first pass (150 dpi, psm 11). Without flattening, such photos were read as `not_la`.
"""

from __future__ import annotations

import random

import pytest

from licensebot.core.form import TEXT_FIELDS
from licensebot.core.la import LaVersion
from licensebot.reading.geometry import flatten_page
from licensebot.reading.ocr import erase_rules, mean_conf, tesseract_words
from licensebot.reading.pdf import read_pdf
from tests.forms.factory import make_spec, render
from tests.forms.photo import PhotoStyle, photographed, render_page

pytestmark = pytest.mark.slow

DPI = 300
LABELS = ("affiliation", "signature", "date", "email", "address")
BODY = ("warranty", "intellectual", "dataset", "university")


@pytest.mark.parametrize(("seed", "turn"), [(301, 0), (302, 90), (303, 180), (308, 270)])
def test_a_flattened_phone_photo_reads_its_labels_and_text(
    seed: int, turn: int, la_versions: list[LaVersion]
) -> None:
    pdf = render(make_spec(seed, la_versions[-1], medium="digital", layout="word"))
    photo_pdf, truths = photographed(pdf, random.Random(seed), style=PhotoStyle(turns=(turn,)))
    raw = render_page(photo_pdf, 1, DPI)
    page = flatten_page(raw, dpi=DPI)
    assert page.found
    assert page.turned == truths[1].turn
    small = erase_rules(page.image.reduce(2), length=round(DPI / 2 / 4))
    words = tesseract_words(small, lang="eng", psm=11, timeout=60, scale=2.0)
    text = " ".join(w.text for w in words).lower()
    assert all(label in text for label in LABELS), text
    assert sum(word in text for word in BODY) >= 3, text
    assert mean_conf(words) > 0.8


def test_the_photo_pdf_holds_the_page_at_its_own_size(la_versions: list[LaVersion]) -> None:
    """The wrapped photo prints the page at about its paper size, so a 300 dpi render of
    the PDF gives the reader a page of about 300 dpi after flattening."""
    pdf = render(make_spec(305, la_versions[-1], medium="digital", layout="compact"))
    photo_pdf, truths = photographed(pdf, random.Random(305))
    raw = render_page(photo_pdf, 0, 100)
    page = flatten_page(raw, dpi=100, upright=False)
    assert page.found
    # the page's density in the render: its width in pixels over A4's 8.27 inches
    assert page.source_ppi == pytest.approx(100, rel=0.12)
    assert len(truths) == 1


@pytest.mark.parametrize("seed", [3004, 3009])
def test_the_reader_reads_a_raw_phone_photo_of_a_form(
    seed: int, la_versions: list[LaVersion]
) -> None:
    """A form photographed on a desk, turned by the phone, saved as a PDF: the reader finds
    the page, stands it upright and reads the form from it (before the geometry stage, such
    photos lost most of their values). A value it cannot read is None, never another value."""
    spec = make_spec(seed, la_versions[-1], medium="digital", hand="typed", fillable=False)
    photo_pdf, truths = photographed(render(spec), random.Random(seed))
    assert any(t.turn for t in truths)
    form = read_pdf(photo_pdf, versions=la_versions)
    assert form.scanned and form.is_la
    read = {k: form.value(k) for k in TEXT_FIELDS}
    assert not {k: v for k, v in read.items() if v is not None and v != spec.truth[k]}
    assert sum(v == spec.truth[k] for k, v in read.items()) >= 5, read
    assert form.signed is spec.signed
    assert form.timings["page_found"] == 1.0
