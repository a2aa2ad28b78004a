"""Typed forms copied on a worn copier whose drum streaks run down through the values
(the independent source's `worn_copier`): the streak's dots keep the first pass from reading
most cells, yet the form is print, and what the two engines read alike on a straight baseline
is read; nothing is read wrong. Development seeds only. Slow: every form is OCR'd."""

from __future__ import annotations

import pytest

from licensebot.core.form import TEXT_FIELDS, ReadForm, VersionStatus
from tests.forms.independent import IndependentSpec
from tests.integration.reading.conftest import read_independent

pytestmark = pytest.mark.slow

#: 10010: a tabbed form turned a quarter, a streak beside `Full Professor` that RapidOCR read
#: as a line of its own (`券`); 10020: a table with Chinese labels, a streak through the
#: middle of every value (pass 1 read two cells of six); 3806: a streak beside the page's
#: `3. Citations` (Tesseract's automatic layout dropped the heading, the citation and the lines
#: around them at every resolution: a current LA read as unsure, once as an older one).
SEEDS = (10010, 10020, 3806)


@pytest.fixture(scope="module")
def read() -> dict[int, tuple[IndependentSpec, ReadForm]]:
    return read_independent({seed: dict(medium="scan", kind="typed") for seed in SEEDS})


@pytest.mark.parametrize("seed", SEEDS)
def test_a_streaked_copy_is_signed_and_never_misread(
    read: dict[int, tuple[IndependentSpec, ReadForm]], seed: int
) -> None:
    spec, form = read[seed]
    assert spec.preset == "worn_copier"
    assert form.signed is True
    for key in TEXT_FIELDS:
        value = form.fields[key].value
        assert value is None or value == spec.truth[key], (key, value)


def test_a_value_read_alike_by_both_engines_is_read_though_the_first_pass_missed_the_rows(
    read: dict[int, tuple[IndependentSpec, ReadForm]],
) -> None:
    spec, form = read[10020]
    assert form.fields["work_email"].value == spec.truth["work_email"]


def test_a_speck_the_second_engine_read_as_a_line_of_its_own_is_no_doubt(
    read: dict[int, tuple[IndependentSpec, ReadForm]],
) -> None:
    spec, form = read[10010]
    assert form.fields["signer_title"].value == spec.truth["signer_title"]
    assert form.fields["affiliation"].value == spec.truth["affiliation"]


def test_a_page_whose_layout_lost_lines_to_a_streak_is_read_again_whole(
    read: dict[int, tuple[IndependentSpec, ReadForm]],
) -> None:
    _, form = read[3806]
    assert form.version_status is VersionStatus.MATCH and form.form_version == "2023"
