"""Values on phone photos: never a confident wrong value.

Tesseract misreads soft print (a phone photo, ~170 ppi, enlarged by the page warp) at over
0.9 confidence, the same way in every model and pass (`Universitv`, `Buildina`, a comma read
as a period): a wrong value becomes a wrong rejection (`affiliation_mismatch`,
`sender_mismatch`, `bad_filename`). A value OCR gives must be read by both engines
(`cell_ocr.confirmed`); these are the development photos where it once was not.
"""

from __future__ import annotations

from functools import cache

import pytest

from licensebot.core.form import TEXT_FIELDS
from licensebot.core.la import LaVersion
from licensebot.reading.pdf import read_pdf
from tests.forms.delivery import deliver
from tests.forms.independent import IndependentSpec, draw_spec, export

pytestmark = pytest.mark.slow

#: Independent development photos (typed) that gave wrong values before both engines had to agree.
SEEDS = (100, 101, 102, 103, 104, 105, 106, 107, 108, 109)
#: Each case is the form its seed drew when the case was written: without the development-only
#: table styles, fonts and scanners a development seed may draw since (tests/forms/split.py).
BEFORE = {"dev_only": False}


#: Fields no rule reads letter by letter: the address is recorded, the affiliation compared with
#: the email's institution by its words. On them a separator comma read as a period (the
#: comma's tail lost in the underline it sits on, read alike by both engines) changes no
#: decision; it is still counted wrong in bench/results/reading.md and left open in issue 9.
SEPARATORS_LOOSE = frozenset({"address", "affiliation"})


def _same(key: str, got: str, want: str | None) -> bool:
    if key in SEPARATORS_LOOSE and want is not None:
        return got.replace(",", ".") == want.replace(",", ".")
    return got == want


@cache
def _exported() -> dict[int, tuple[bytes, IndependentSpec]]:
    """Seed -> the word processor's export and the spec (one LibreOffice batch, cached on disk)."""
    specs = [draw_spec(seed, medium="photo", kind="typed", **BEFORE) for seed in SEEDS]
    return {s.seed: (pdf, s) for pdf, s in zip(export(specs), specs, strict=True)}


# One test per photo (each is seconds of OCR), so that xdist workers share them out.
@pytest.mark.parametrize("seed", SEEDS)
def test_photographed_values_are_right_or_unread(seed: int, la_versions: list[LaVersion]) -> None:
    pdf, spec = _exported()[seed]
    form = read_pdf(deliver(pdf, spec), versions=la_versions)
    wrong = []
    for key in TEXT_FIELDS:
        got, want = form.value(key), spec.truth.get(key)
        if got is not None and not _same(key, got, want):
            wrong.append(f"seed {spec.seed} {key}: {got!r} != {want!r}")
    assert not wrong, wrong
