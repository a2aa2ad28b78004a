"""A scanned LA folded in three for its envelope and not pressed flat: every line of print
that crosses a crease dips into a V there. The reader levels the print (`unbend`) before it
reads, so the LA's text is still recognised as the current version and the values are read,
never misread. Development seeds only. Slow: every form is OCR'd."""

from __future__ import annotations

import pytest

from licensebot.core.form import TEXT_FIELDS, ReadForm
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
def test_a_folded_letter_is_the_current_la_and_never_misread(
    read: dict[int, tuple[IndependentSpec, ReadForm]], seed: int
) -> None:
    spec, form = read[seed]
    assert spec.version is not None
    assert form.form_version == spec.version.id
    assert form.signed is True
    for key in TEXT_FIELDS:
        value = form.fields[key].value
        assert value is None or value == spec.truth[key], (key, value)
    assert form.value("work_email") == spec.truth["work_email"]
