"""Commas on an underline: a comma's tail that comes down onto the underline its value is
typed on ends there, and erasing the line (as every OCR crop is, for Tesseract and RapidOCR
alike) takes the tail: both engines read a period (`12 Rue des Sciences. 53000 Laval`). A
period inside an address or an affiliation is read again by the second engine on the crop
with its underline kept (`cell_ocr.confirmed`); the commas it sees are the value's. Where
no engine sees one, a period between words after a word no abbreviation is, or a number, is
the comma: an underline takes a comma's tail, it never adds one to a period.
Development seeds only; slow: photos and a copier's scan, OCR'd."""

from __future__ import annotations

import pytest

from licensebot.core.form import ReadForm
from tests.forms.independent import IndependentSpec
from tests.integration.reading.conftest import read_independent

pytestmark = pytest.mark.slow

#: seed -> (medium, kind, the field whose commas stand on the underline)
CASES: dict[int, tuple[str, str, str]] = {
    3027: ("photo", "typed", "address"),
    3031: ("photo", "typed", "affiliation"),
    3016: ("scan", "older", "address"),
}


@pytest.fixture(scope="module")
def read() -> dict[int, tuple[IndependentSpec, ReadForm]]:
    return read_independent({seed: dict(medium=m, kind=k) for seed, (m, k, _) in CASES.items()})


@pytest.mark.parametrize("seed", CASES)
def test_commas_over_an_underline_are_read_as_commas(
    read: dict[int, tuple[IndependentSpec, ReadForm]], seed: int
) -> None:
    spec, form = read[seed]
    key = CASES[seed][2]
    assert form.value(key) == spec.truth[key]


#: A phone photo of an underlined form whose commas every engine read as periods, with the
#: underline kept too (`Information Systems. University of Melbourne`, `Building.
#: Parkville, Victoria 3010. Australia`); development seed 10007, dev-only choices as drawn.
NO_COMMA = 10007


@pytest.fixture(scope="module")
def periods() -> tuple[IndependentSpec, ReadForm]:
    return read_independent({NO_COMMA: dict(medium="photo", kind="typed")})[NO_COMMA]


def test_a_period_no_engine_reads_as_a_comma_on_an_underline_is_the_comma(
    periods: tuple[IndependentSpec, ReadForm],
) -> None:
    spec, form = periods
    assert spec.table_style == "underline"
    for key in ("affiliation", "address"):
        # never a value with a period for the comma typed there
        assert form.value(key) in (None, spec.truth[key]), key
    assert form.value("affiliation") == spec.truth["affiliation"]
