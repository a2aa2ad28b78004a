"""Scanned, photographed and handwritten forms read with OCR (Tesseract): slow."""

import pytest

from licensebot.core.form import TEXT_FIELDS, ReadForm
from tests.forms.factory import FormSpec

pytestmark = pytest.mark.slow

Cases = dict[str, tuple[FormSpec, ReadForm]]


def _values(form: ReadForm) -> dict[str, str | None]:
    return {k: form.value(k) for k in TEXT_FIELDS}


def _truth(spec: FormSpec) -> dict[str, str | None]:
    return {k: spec.truth[k] for k in TEXT_FIELDS}


@pytest.mark.parametrize(
    "case", ["scan_typed", "scan_ocr_chinese", "scan_upside_down", "scan_sideways"]
)
def test_printed_and_scanned_typed_forms_are_read_exactly(read_cases: Cases, case: str) -> None:
    spec, form = read_cases[case]
    assert form.error is None
    assert _values(form) == _truth(spec)
    assert form.scanned is True
    assert form.form_version == "2023"
    assert all(form.fields[k].source == "ocr" for k in TEXT_FIELDS)


@pytest.mark.parametrize(
    "case", list(__import__("tests.integration.reading.conftest", fromlist=["CASES"]).CASES)
)
def test_ocr_never_reports_a_wrong_value(read_cases: Cases, case: str) -> None:
    spec, form = read_cases[case]
    for key in TEXT_FIELDS:
        assert form.value(key) in (None, spec.truth[key]), key
        if form.value(key) is None:
            assert form.fields[key].unreadable or form.fields[key].blank


def test_handwritten_values_are_null_and_unreadable_never_wrong(read_cases: Cases) -> None:
    for case in ("scan_handwritten", "photo_handwritten"):
        spec, form = read_cases[case]
        unreadable = [k for k in TEXT_FIELDS if form.fields[k].unreadable]
        exact = [k for k in TEXT_FIELDS if form.value(k) == spec.truth[k]]
        assert sorted(unreadable + exact) == sorted(TEXT_FIELDS)
        assert unreadable, "handwriting in a dkg hand is not expected to be all legible"


def test_signature_ink_is_told_from_an_empty_cell_and_from_a_printed_name(
    read_cases: Cases,
) -> None:
    for case, (spec, form) in read_cases.items():
        assert form.signed is spec.signed, case


def test_members_table_is_read_from_a_scan(read_cases: Cases) -> None:
    spec, form = read_cases["scan_typed"]
    assert [(m.name, m.registered_id) for m in form.members] == list(spec.members)


def test_a_photo_is_straightened_and_read(read_cases: Cases) -> None:
    spec, form = read_cases["photo"]
    exact = [k for k in TEXT_FIELDS if form.value(k) == spec.truth[k]]
    assert len(exact) >= 4 and form.scanned


def test_an_older_la_scan_is_told_from_the_current_one(read_cases: Cases) -> None:
    _, form = read_cases["scan_older"]
    # never the current version (never approved); an LA; the older registered version when
    # every clause of it was read, else unsure (a person looks)
    assert form.form_version != "2023" and form.is_la
    assert form.form_version == "2021" or form.version_status == "unsure"


def test_a_scanned_document_that_is_no_la_is_not_an_la(scanned_not_la: ReadForm) -> None:
    assert scanned_not_la.form_version is None and not scanned_not_la.is_la
    assert scanned_not_la.scanned
