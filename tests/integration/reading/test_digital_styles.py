"""Born-digital forms laid out by other hands (tests/forms/independent.py: Word documents in
every development table style, exported by LibreOffice, signed with an image in the PDF): the
text layer is read exactly, whatever the layout puts between a label and its value (a tab's
dot leader, which the text layer writes as dots joined to both). Development seeds only."""

from __future__ import annotations

from pathlib import Path

import pytest

from licensebot.core.form import TEXT_FIELDS, ReadForm
from licensebot.reading.la_versions import load_versions
from licensebot.reading.pdf import read_pdf
from tests.forms import split
from tests.forms.independent import IndependentSpec, make_each

pytestmark = pytest.mark.slow

CONFIG = Path(__file__).resolve().parents[3] / "config"

#: seed -> table style; `tabbed` forms get a dot leader on seeds divisible by 3
#: (tests/forms/wordproc_styles.py), spaces otherwise
CASES: dict[int, str] = {
    600: "grid2",
    601: "grid4",
    602: "underline",
    603: "stacked",
    604: "chinese",
    606: "tabbed",  # dot leaders
    1032: "tabbed",  # dot leaders, Latin labels
    607: "tabbed",  # spaces
    3002: "tabbed",  # the Date's line followed by the members' heading at the margin
    64: "hinted",  # `Name` over `姓名`: one label, the signer's
    65: "hinted",  # `Full name` over `(in full, as in your passport)`
    4222: "grid4",  # a page break cuts `Detail Address of your` / `affiliation` and its value
    4423: "grid4",  # `Affiliation (Institute,` a space and a half from the value's cell
    4443: "tabbed",  # the address's second line at the margin ends its page
}
#: unsigned forms: the dotted line to sign on is the leader's print, no signature; 3018's page
#: break puts the Signature and Date rows at the head of the last page, the form page's
#: image holding the LA's text where the cell is on that page
UNSIGNED: dict[int, str] = {1048: "tabbed", 609: "grid2", 3018: "chinese"}


@pytest.fixture(scope="module")
def read() -> dict[int, tuple[IndependentSpec, ReadForm]]:
    versions = load_versions(CONFIG / "la")
    forms = make_each(
        {
            **{s: dict(medium="digital", kind="typed", table_style=t) for s, t in CASES.items()},
            **{
                s: dict(medium="digital", kind="unsigned", table_style=t)
                for s, t in UNSIGNED.items()
            },
        }
    )
    return {seed: (spec, read_pdf(pdf, versions=versions)) for seed, (pdf, spec) in forms.items()}


def test_the_cases_cover_every_development_table_style() -> None:
    # (4222, 4423 and 4443 draw `grid4` and `tabbed` again: their cases are a page break, a
    # narrow label cell and a wrapped value at a page's foot)
    assert set(CASES.values()) == set(split.choices("table_style", split.DEV))


@pytest.mark.parametrize("seed", CASES, ids=[f"{s}-{t}" for s, t in CASES.items()])
def test_every_value_of_a_typed_digital_form_is_read_exactly(
    read: dict[int, tuple[IndependentSpec, ReadForm]], seed: int
) -> None:
    spec, form = read[seed]
    got = {key: form.value(key) for key in TEXT_FIELDS}
    assert got == {key: spec.truth[key] for key in TEXT_FIELDS}
    assert form.signed is True
    assert form.form_version == spec.version.id


@pytest.mark.parametrize("seed", UNSIGNED, ids=[f"{s}-{t}" for s, t in UNSIGNED.items()])
def test_an_unsigned_typed_digital_form_is_not_signed(
    read: dict[int, tuple[IndependentSpec, ReadForm]], seed: int
) -> None:
    spec, form = read[seed]
    assert not spec.signed
    assert form.signed is False
    assert {key: form.value(key) for key in TEXT_FIELDS} == {k: spec.truth[k] for k in TEXT_FIELDS}
