"""Letters only one model writes: an address typed with `ß` and `ü` (`Arcisstraße 21, 80333
München, Germany`). Tesseract's `eng` and Chinese models have no such letters and read junk
in their place (`Arcisstrape`, `Arcisstrage`), which no two readings agree on; the accented
`Latin` model reads them, below its usual bar; RapidOCR reads every other letter alike
(`ArcisstraBe 21, 80333 Munchen`). The two engines' agreement on every other letter settles
the value, with the Latin model's letters (`agreement.accented_by_latin`). Development
seeds only; slow: a worn copier's scan, OCR'd."""

from __future__ import annotations

import pytest

from tests.integration.reading.conftest import read_independent

pytestmark = pytest.mark.slow


def test_an_address_with_letters_rapidocr_lacks_is_read_with_them() -> None:
    ((spec, form),) = read_independent({1015: dict(medium="scan", kind="unsigned")}).values()
    assert spec.truth["address"] == "Arcisstraße 21, 80333 München, Germany"
    assert spec.preset == "worn_copier"
    assert form.value("address") == spec.truth["address"]
