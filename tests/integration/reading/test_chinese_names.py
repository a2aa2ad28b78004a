"""Names typed in Chinese characters on forms laid out by other hands, photographed: read by
both engines. RapidOCR's model is a Chinese one and reads such a name surely; Tesseract scores
Chinese print low and may drop a character (`高` for `高翔`) or read it only in the page pass
that had Chinese labels. The two engines agreeing letter for letter is the value
(`cell_ocr.chinese_name_unmatched`, `cell_ocr.pass1_model`). Development seeds only."""

from __future__ import annotations

import pytest

from licensebot.core.form import ReadForm
from tests.forms.independent import IndependentSpec
from tests.integration.reading.conftest import read_independent

pytestmark = pytest.mark.slow

#: seed -> (medium, kind)
CASES: dict[int, tuple[str, str]] = {
    3021: ("photo", "typed"),  # Chinese labels: the page pass read the name with Chinese
    3051: ("photo", "typed"),  # underline: Tesseract's passes read `高`, RapidOCR `高翔`
    # a worn copy of a Chinese table, the name's label centred in its cell and the rules
    # after the name lost: the value is in the next cell, though pass 1 read no word there
    # (`regions._centred`); it was reported left blank, and the form rejected
    30: ("scan", "typed"),
}


@pytest.fixture(scope="module")
def read() -> dict[int, tuple[IndependentSpec, ReadForm]]:
    return read_independent({seed: dict(medium=m, kind=k) for seed, (m, k) in CASES.items()})


@pytest.mark.parametrize("seed", CASES)
def test_a_name_in_chinese_print_is_read_by_both_engines(
    read: dict[int, tuple[IndependentSpec, ReadForm]], seed: int
) -> None:
    spec, form = read[seed]
    assert form.value("signer_name") == spec.truth["signer_name"]


def test_a_filled_name_beside_a_centred_label_is_never_reported_blank(
    read: dict[int, tuple[IndependentSpec, ReadForm]],
) -> None:
    spec, form = read[30]
    assert spec.table_style == "chinese" and spec.preset == "worn_copier"
    assert not form.fields["signer_name"].blank
