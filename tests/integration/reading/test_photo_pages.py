"""Phone photos of typed forms, read whole: what a photo's small, soft print did to the
labels, the cells, the signature's measure and the version, on development forms where each
once sent a good application to a person. Development seeds only; slow: every form is OCR'd.
"""

from __future__ import annotations

import pytest

from licensebot.core.form import TEXT_FIELDS, ReadForm, VersionStatus
from tests.forms.independent import IndependentSpec
from tests.integration.reading.conftest import read_independent

pytestmark = pytest.mark.slow

#: 1047: a grid2 table whose small `Position` and `Email` pass 1 missed, `The Signer's Name`
#: boxed down over the row below, soft grey rules around every cell; 10011: the contact
#: address at the foot of a page, lost at the body pages' resolution; 10007, 41: a
#: Signature label boxed with the pen's wave, on a page of few words; 3216: a light pen's
#: wave the photo broke into dashes; 3215: the same, on a Chinese-labelled table whose
#: members' `Name` header sits a line below `Registered ID` (the header was read as the
#: signer's name); 3222: values after dot leaders a photo ran into lines (the address was
#: read as `Suit`); 3237: an address a page break cut after `Cambridge`, no comma to show
#: it, its last line overleaf (approved cut short); 3201: the subject list over a page break,
#: `110, 115` read as `15` at every resolution (the version unsure).
SEEDS = (1047, 10011, 10007, 41, 3216, 3215, 3201)
#: ... read for the value each is here for alone (written when their affiliation,
#: `Human-Centred AI` in a sans-serif font whose `I` and `l` are one glyph, was read `Al` by
#: both engines; `clean.clean_affiliation` now gives `AI` there).
VALUES = (3222, 3237)


@pytest.fixture(scope="module")
def read() -> dict[int, tuple[IndependentSpec, ReadForm]]:
    return read_independent(
        {seed: dict(medium="photo", kind="typed") for seed in (*SEEDS, *VALUES)}
    )


@pytest.mark.parametrize("seed", SEEDS)
def test_a_photo_is_signed_and_never_misread(
    read: dict[int, tuple[IndependentSpec, ReadForm]], seed: int
) -> None:
    spec, form = read[seed]
    assert form.signed is True
    for key in TEXT_FIELDS:
        assert form.value(key) in (None, spec.truth[key]), key


def test_labels_missed_and_soft_rules_around_the_cells_still_read_every_value(
    read: dict[int, tuple[IndependentSpec, ReadForm]],
) -> None:
    spec, form = read[1047]
    assert {k: form.value(k) for k in TEXT_FIELDS} == {k: spec.truth[k] for k in TEXT_FIELDS}


def test_a_contact_line_lost_at_a_pages_foot_is_read_again_and_the_la_is_the_current_one(
    read: dict[int, tuple[IndependentSpec, ReadForm]],
) -> None:
    _, form = read[10011]
    assert form.version_status is VersionStatus.MATCH and form.form_version == "2023"


def test_the_version_is_told_and_read_again_while_the_cells_are_read(
    read: dict[int, tuple[IndependentSpec, ReadForm]],
) -> None:
    # the form is on the page read first: the body pages' thread, done with their text,
    # tells the version and reads the unsure clause's page again meanwhile, not after
    _, form = read[10011]
    assert form.timings.get("version_ahead") == 1.0
    assert form.timings.get("version_reread", 0.0) > 0.0


def test_values_after_dot_leaders_are_read_whole(
    read: dict[int, tuple[IndependentSpec, ReadForm]],
) -> None:
    spec, form = read[3222]
    assert form.value("address") == spec.truth["address"]
    assert form.value("signer_title") in (None, spec.truth["signer_title"])


def test_numbers_of_the_subject_list_tesseract_lost_are_read_by_the_second_engine(
    read: dict[int, tuple[IndependentSpec, ReadForm]],
) -> None:
    _, form = read[3201]
    assert form.version_status is VersionStatus.MATCH and form.form_version == "2023"


def test_a_value_a_page_break_cut_with_no_comma_is_never_taken_cut(
    read: dict[int, tuple[IndependentSpec, ReadForm]],
) -> None:
    spec, form = read[3237]
    assert form.value("address") in (None, spec.truth["address"])
    assert form.signed is True
