"""A current LA whose pages carry a Chinese translation beside the clauses (the `chinese`
table style), copied on a worn copier: the body pages read poorly in English alone (the
Chinese is junk to it), and a page read poorly is also tried on its head; the junk that
reading gives never stands for the page's own text. Development seeds only; slow."""

from __future__ import annotations

import pytest

from licensebot.core.form import ReadForm, VersionStatus
from tests.forms.independent import IndependentSpec
from tests.integration.reading.conftest import read_independent

pytestmark = pytest.mark.slow

#: 3021: chinese table style, worn copier, the naming note on a body page among Chinese
SEED = 3021


@pytest.fixture(scope="module")
def read() -> tuple[IndependentSpec, ReadForm]:
    return read_independent({SEED: dict(medium="scan", kind="typed")})[SEED]


def test_a_current_la_read_poorly_in_english_is_never_called_an_older_one(
    read: tuple[IndependentSpec, ReadForm],
) -> None:
    spec, form = read
    assert spec.table_style == "chinese" and spec.version is not None
    assert form.version_status is not VersionStatus.OUTDATED
    assert form.form_version in (None, spec.version.id)
    assert "naming note" not in form.version_missing
