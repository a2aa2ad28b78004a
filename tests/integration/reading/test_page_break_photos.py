"""Forms a page break or a photo's small print once sent to a person or rejected, read
whole: development seeds of fresh ranges (session 20), each for what went wrong there.
Development seeds only; slow: every form is OCR'd.

3907: a photo of a stacked table in small print, each label boxed down over the value under
it (the name's cell read as empty: a good form rejected for a missing name; the title read
`partment`). 3902: a photo whose `Signature: ____ Date: ...` line stands alone overleaf; its
one line stood the page on its head, and the signature and date were never found. 3831: a
phone scanner app's copy whose Signature and Date rows went overleaf, the pen's scrawl
reaching up above them (read as the address's last line: the address unread), the date
written `2023 年 9 月 18 日` (read by one engine and left unread). (Its affiliation ends in
`AI`, in a sans-serif font whose `I` and `l` are one glyph: both engines read `Al`.) 3926: a
photo of a signed grid form whose values' lines and the wave under them Hough fitted a
circle through, ink on every bearing (taken for a seal's ring: the form to a person).
"""

from __future__ import annotations

import pytest

from licensebot.core.form import TEXT_FIELDS, ReadForm
from tests.forms.independent import IndependentSpec
from tests.integration.reading.conftest import read_independent

pytestmark = pytest.mark.slow

CHOICES = {
    3907: dict(medium="photo", kind="typed"),
    3902: dict(medium="photo", kind="typed"),
    3831: dict(medium="scan", kind="typed"),
    3926: dict(medium="photo", kind="typed"),
}


@pytest.fixture(scope="module")
def read() -> dict[int, tuple[IndependentSpec, ReadForm]]:
    return read_independent(CHOICES)


@pytest.mark.parametrize("seed", (3907, 3902))
def test_no_value_is_misread_or_called_blank(
    read: dict[int, tuple[IndependentSpec, ReadForm]], seed: int
) -> None:
    spec, form = read[seed]
    for key in TEXT_FIELDS:
        assert form.value(key) in (None, spec.truth[key]), key
        assert not form.fields[key].blank, key


def test_a_stacked_labels_value_under_its_line_is_read(
    read: dict[int, tuple[IndependentSpec, ReadForm]],
) -> None:
    spec, form = read[3907]
    assert form.value("signer_name") == spec.truth["signer_name"]
    assert form.value("signer_title") == spec.truth["signer_title"]


def test_a_signature_and_date_alone_overleaf_are_found(
    read: dict[int, tuple[IndependentSpec, ReadForm]],
) -> None:
    spec, form = read[3902]
    assert form.signed is True
    assert form.value("date") == spec.truth["date"]


def test_a_scrawl_overleaf_is_no_line_of_the_address_and_the_date_there_is_read(
    read: dict[int, tuple[IndependentSpec, ReadForm]],
) -> None:
    spec, form = read[3831]
    assert form.value("address") == spec.truth["address"]
    assert form.value("date") == spec.truth["date"]
    assert form.signed is True


def test_lines_of_print_a_circle_crosses_are_no_seal(
    read: dict[int, tuple[IndependentSpec, ReadForm]],
) -> None:
    _, form = read[3926]
    assert form.signed is True
