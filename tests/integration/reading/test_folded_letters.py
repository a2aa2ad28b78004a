"""A scanned LA folded in three for its envelope and not pressed flat: every line of print
that crosses a crease dips into a V there (two creases a page, 0.1 to 0.2 in deep, augraphy's
`Folding`). The reader levels the print (`unbend`) before it turns the page upright and reads
it: the form page is not taken to be on its head, its values are read and never misread, and
the LA is never taken for another version (recognised as the current one where the creases
left its clauses readable; a crease through the subject list's small print may still leave a
number or two unread: unsure, a person looks). Development seeds only. Slow: every form is
OCR'd."""

from __future__ import annotations

import pytest

from licensebot.core.form import TEXT_FIELDS, ReadForm, VersionStatus
from licensebot.reading.la_versions import load_versions
from licensebot.reading.pdf import read_pdf
from tests.forms.delivery import folded
from tests.forms.independent import IndependentSpec, make_each
from tests.integration.reading.conftest import CONFIG

pytestmark = pytest.mark.slow

#: A two-column table scanned on a copier; a tabbed form from a phone scanner app.
CHOICES = {
    1203: dict(medium="scan", kind="typed", preset="copier", table_style="grid2"),
    1207: dict(medium="scan", kind="typed", preset="phone_app", table_style="tabbed"),
}


@pytest.fixture(scope="module")
def read() -> dict[int, tuple[IndependentSpec, ReadForm]]:
    versions = load_versions(CONFIG / "la")
    return {
        seed: (spec, read_pdf(folded(pdf, seed), versions=versions))
        for seed, (pdf, spec) in make_each(CHOICES).items()
    }


@pytest.mark.parametrize("seed", sorted(CHOICES))
def test_a_folded_letter_is_read_and_never_misread(
    read: dict[int, tuple[IndependentSpec, ReadForm]], seed: int
) -> None:
    spec, form = read[seed]
    assert spec.version is not None
    assert form.is_la and form.form_version in (spec.version.id, None)
    assert form.version_status is not VersionStatus.OUTDATED
    assert form.signed is True
    for key in TEXT_FIELDS:
        value = form.fields[key].value
        assert value is None or value == spec.truth[key], (key, value)
    exact = [key for key in TEXT_FIELDS if form.value(key) == spec.truth[key]]
    assert len(exact) >= 5, exact


def test_a_folded_letters_clauses_are_read_as_the_current_la(
    read: dict[int, tuple[IndependentSpec, ReadForm]],
) -> None:
    spec, form = read[1207]
    assert spec.version is not None
    assert form.form_version == spec.version.id
