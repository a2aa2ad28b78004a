"""Forms filled in by hand (the independent source's Word forms in several table styles and the
factory's layouts, scanned or photographed): no handwritten value is ever read as a value, none is
taken for a blank field, and the form is signed or unsure, never unsigned, so the application
goes to a person (`unreadable`), never rejected for `missing_fields` or `not_signed`.
Development seeds only. Slow: every form is OCR'd."""

from __future__ import annotations

from pathlib import Path

import pytest

from licensebot.core.corroborate import corroborate
from licensebot.core.form import TEXT_FIELDS, ReadForm
from licensebot.reading.la_versions import load_versions
from licensebot.reading.pdf import read_pdf
from tests.forms.factory import make_spec, render
from tests.forms.independent import current_la, make_each

pytestmark = pytest.mark.slow

CONFIG = Path(__file__).resolve().parents[3] / "config"

#: independent seeds (their table style): 313 grid4, 314 grid2 (a Chinese name), 315 stacked,
#: 319 underline; photographed 321 underline
INDEPENDENT = {313: "scan", 314: "scan", 315: "scan", 319: "scan", 321: "photo"}
FACTORY = {709: "photo", 715: "scan", 717: "scan"}
#: Each case is the form its seed drew when the case was written: without the development-only
#: table styles, fonts and scanners a development seed may draw since (tests/forms/split.py).
BEFORE = {"dev_only": False}


@pytest.fixture(scope="module")
def read_with_truth() -> dict[str, tuple[ReadForm, dict[str, str | None]]]:
    """Case -> what the reader read, and what the applicant wrote (the truth)."""
    versions = load_versions(CONFIG / "la")
    out = {}
    forms = make_each(
        {
            seed: dict(medium=medium, kind="handwritten", **BEFORE)
            for seed, medium in INDEPENDENT.items()
        }
    )
    for seed, (pdf, ind) in forms.items():
        out[f"independent-{seed}"] = (read_pdf(pdf, versions=versions), ind.truth)
    for seed, medium in FACTORY.items():
        spec = make_spec(seed, current_la(), medium=medium, hand="handwritten", signature="ink")
        out[f"factory-{seed}"] = (read_pdf(render(spec), versions=versions), spec.truth)
    return out


@pytest.fixture(scope="module")
def read(
    read_with_truth: dict[str, tuple[ReadForm, dict[str, str | None]]],
) -> dict[str, ReadForm]:
    return {case: form for case, (form, _) in read_with_truth.items()}


CASES = [f"independent-{s}" for s in INDEPENDENT] + [f"factory-{s}" for s in FACTORY]


#: Left open (issue 9's note): a Chinese name written by hand in a grid2 table whose rows run
#: onto the next page is reported blank (the pen's few strokes in a tall cell).
BLANK_TODAY = {"independent-314"}


@pytest.mark.parametrize("case", CASES)
def test_handwriting_is_never_read_as_a_value(read: dict[str, ReadForm], case: str) -> None:
    form = read[case]
    assert form.error is None
    for key in TEXT_FIELDS:
        fv = form.fields[key]
        assert fv.value is None, (key, fv.value)  # never a value read from a hand


@pytest.mark.parametrize("case", [c for c in CASES if c not in BLANK_TODAY])
def test_handwriting_is_never_taken_for_a_blank_field(read: dict[str, ReadForm], case: str) -> None:
    for key in TEXT_FIELDS:
        assert not read[case].fields[key].blank, key  # written in: not `missing_fields`


@pytest.mark.parametrize("case", CASES)
def test_a_signed_handwritten_form_is_never_unsigned(read: dict[str, ReadForm], case: str) -> None:
    assert read[case].signed is not False  # never `not_signed`: signed, or a person looks


@pytest.mark.parametrize("case", CASES)
def test_the_messages_word_never_makes_handwriting_a_value(
    read_with_truth: dict[str, tuple[ReadForm, dict[str, str | None]]], case: str
) -> None:
    # sent from the work email, the file named for the signer: RapidOCR's reading of a
    # written name is close to the file name's (`Grace whitmore`), and is still a hand's
    form, truth = read_with_truth[case]
    settled = corroborate(
        form, sender=truth["work_email"], filename_name=str(truth["signer_name"]).replace(" ", "_")
    )
    for key in TEXT_FIELDS:
        assert settled.fields[key].value is None, (key, settled.fields[key])
