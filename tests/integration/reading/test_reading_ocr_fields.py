"""Typed values on printed-and-scanned forms that the cell passes used to leave unread (or
read wrongly), read exactly by the per-field pass: slow (Tesseract)."""

from __future__ import annotations

import pytest

from licensebot.core.form import ReadForm
from licensebot.core.la import LaVersion
from licensebot.reading.pdf import read_pdf
from tests.forms.factory import FormSpec, make_spec, render

pytestmark = pytest.mark.slow

#: (seed, medium, fillable): forms of the reading benchmark that showed each class of miss
FORMS = {
    "accented_oslash": (1003, "scan", False),  # Søren Nørgaard read 'Sgren Norgaard'
    "accented_eszett": (1000, "scan", False),  # Jürgen Groß read 'Jurgen Gro&'
    "accented_dropped": (1011, "scan", False),  # José García was read 'José Garcia'
    "chinese": (1008, "scan", False),  # 赵磊: two passes read 'RR', 'Ri'
    "chinese_as_latin": (1010, "scan", False),  # 吴敏 was read 'RH' twice
    "date_stroke": (1007, "scan_ocr", True),  # a signature stroke read '_7' before the date
    "date_chinese": (1005, "scan_ocr", True),  # 2024年7月25日 read '20244-7258'
    "email": (1002, "scan", False),  # an email read right but not surely enough
    "email_speck": (1002, "photo", False),  # 'liu.yang@westmoor.edu j'
    # the email cell is cut at 'l.wils|on@hillcrest.ac.uk': every reading agrees on the cut
    # value, which must still never be reported
    "email_cut": (1062, "scan_ocr", True),
}


# Module-wide, so that the module's tests share a worker (tests/parallel.py): each form is read
# once, though two tests look at it (on two workers, both read it).
@pytest.fixture(scope="module")
def read_form(la_versions: list[LaVersion]):  # type: ignore[no-untyped-def]
    done: dict[str, tuple[FormSpec, ReadForm]] = {}

    def read(case: str) -> tuple[FormSpec, ReadForm]:
        if case not in done:
            seed, medium, fillable = FORMS[case]
            spec = make_spec(seed, la_versions[-1], medium=medium, hand="typed", fillable=fillable)
            done[case] = (spec, read_pdf(render(spec), versions=la_versions))
        return done[case]

    return read


@pytest.mark.parametrize("case", ["accented_oslash", "accented_eszett", "accented_dropped"])
def test_an_accented_name_on_a_scan_is_read_with_its_accents(read_form, case: str) -> None:  # type: ignore[no-untyped-def]
    spec, form = read_form(case)
    assert not spec.truth["signer_name"].isascii()  # the case is what it claims to be
    assert form.value("signer_name") == spec.truth["signer_name"]


@pytest.mark.parametrize("case", ["chinese", "chinese_as_latin"])
def test_a_name_typed_in_chinese_on_a_scan_is_read(read_form, case: str) -> None:  # type: ignore[no-untyped-def]
    spec, form = read_form(case)
    assert form.value("signer_name") == spec.truth["signer_name"]
    assert len(spec.truth["signer_name"]) <= 4


def test_a_date_with_a_neighbours_stroke_before_it_is_read(read_form) -> None:  # type: ignore[no-untyped-def]
    spec, form = read_form("date_stroke")
    assert form.value("date") == spec.truth["date"]


def test_a_date_typed_in_chinese_on_a_scan_is_read(read_form) -> None:  # type: ignore[no-untyped-def]
    spec, form = read_form("date_chinese")
    assert "年" in spec.written["date"]
    assert form.value("date") == spec.truth["date"]


@pytest.mark.parametrize("case", ["email", "email_speck"])
def test_a_typed_email_on_a_scan_is_read(read_form, case: str) -> None:  # type: ignore[no-untyped-def]
    spec, form = read_form(case)
    assert form.value("work_email") == spec.truth["work_email"]


@pytest.mark.parametrize("case", list(FORMS))
def test_the_rest_of_these_forms_is_never_wrong(read_form, case: str) -> None:  # type: ignore[no-untyped-def]
    spec, form = read_form(case)
    for key, fv in form.fields.items():
        if key in spec.truth:
            assert fv.value in (None, spec.truth[key]), key
