"""Signer tables that a page break cuts, and values printed right after their labels, on forms
laid out by other hands (tests/forms/independent.py): the rows on either side of the break are
read on their own page, a row the break cut is never reported left blank. Development seeds
only. Slow: every form is OCR'd (a module of its own: its reads run beside
test_signature_layouts.py's on the other xdist worker)."""

from __future__ import annotations

from pathlib import Path

import pytest

from licensebot.core.form import ReadForm
from licensebot.reading.la_versions import load_versions
from licensebot.reading.pdf import read_pdf
from tests.forms.independent import IndependentSpec, make_each

pytestmark = pytest.mark.slow

CONFIG = Path(__file__).resolve().parents[3] / "config"

#: seed -> (medium, kind): the table style and the scanner come with the seed
CASES: dict[int, tuple[str, str]] = {
    4: ("scan", "typed"),  # stacked, turned; a page break cuts the Address row
    14: ("scan", "typed"),  # grid4, turned; a page break cuts the table before Signature
    34: ("scan", "typed"),  # grid2; a page break leaves the Date row alone overleaf
    55: ("scan", "unsigned"),  # underline; a page break after the Title and E-mail rows
    21: ("photo", "typed"),  # underline; values right after `Label:`, underlined
    1006: ("scan", "older"),  # stacked, turned; the break between Affiliation and its value
    1025: ("scan", "unsigned"),  # stacked, phone app; the break after `Name | Title`
    3001: ("photo", "typed"),  # grid4; `Signature | ... | Date | ...` overleaf, `Date` read `Pate`
    4222: ("scan", "typed"),  # grid4; the break cuts `Detail Address of your` / `affiliation`
    14029: ("scan", "typed"),  # chinese, turned; the Address cut above `签字：` overleaf
    15307: ("scan", "unsigned"),  # stacked, worn copier; the Address row whole overleaf
    15316: ("scan", "unsigned"),  # stacked, phone app; the break between Address and its value
    15413: ("scan", "typed"),  # grid2, phone app; the break inside the affiliation's two lines
    15415: ("scan", "typed"),  # tabbed, phone app; the affiliation wrapped at the page's foot
}
#: Each case is the form its seed drew when the case was written: without the development-only
#: table styles, fonts and scanners a development seed may draw since (tests/forms/split.py),
#: but for the cases written since, which draw them
BEFORE = {"dev_only": False}
SINCE = {1006, 1025, 3001, 4222, 14029, 15307, 15316, 15413, 15415}


@pytest.fixture(scope="module")
def read() -> dict[int, tuple[IndependentSpec, ReadForm]]:
    versions = load_versions(CONFIG / "la")
    forms = make_each(
        {
            seed: dict(medium=medium, kind=kind, **({} if seed in SINCE else BEFORE))
            for seed, (medium, kind) in CASES.items()
        }
    )
    return {seed: (spec, read_pdf(pdf, versions=versions)) for seed, (pdf, spec) in forms.items()}


@pytest.mark.parametrize("seed", [s for s, (_, kind) in CASES.items() if kind != "unsigned"])
def test_a_signed_form_is_never_called_unsigned(
    read: dict[int, tuple[IndependentSpec, ReadForm]], seed: int
) -> None:
    spec, form = read[seed]
    assert spec.signed
    assert form.signed is not False, (spec.table_style, spec.preset)
    # and found: on the form page, or overleaf where the break put the Signature row
    assert form.signed is True, (spec.table_style, spec.preset)


@pytest.mark.parametrize("seed", [s for s, (_, kind) in CASES.items() if kind == "unsigned"])
def test_an_unsigned_form_cut_by_a_page_break_is_never_called_signed(
    read: dict[int, tuple[IndependentSpec, ReadForm]], seed: int
) -> None:
    spec, form = read[seed]
    assert not spec.signed
    assert form.signed is not True


def test_a_table_cut_by_a_page_break_is_read_on_both_pages(
    read: dict[int, tuple[IndependentSpec, ReadForm]],
) -> None:
    # the Signature and Date rows stand at the top of the next page: both are read there
    spec, form = read[14]
    assert form.signed is True
    assert form.fields["date"].value == spec.truth["date"]


def test_a_date_row_alone_overleaf_is_read_there(
    read: dict[int, tuple[IndependentSpec, ReadForm]],
) -> None:
    spec, form = read[34]
    assert form.fields["date"].value == spec.truth["date"]


def test_a_row_cut_by_a_page_break_is_not_reported_left_blank(
    read: dict[int, tuple[IndependentSpec, ReadForm]],
) -> None:
    # the Address row's value went overleaf with the Signature: not "missing" (the applicant
    # would be told to fill in what they filled in); and the affiliation, on one line across
    # the column rule of the rows around it, is read whole or not at all
    spec, form = read[4]
    assert form.fields["address"].blank is False
    assert form.fields["affiliation"].value in (None, spec.truth["affiliation"])


def test_a_value_a_page_break_cut_is_read_on_both_pages(
    read: dict[int, tuple[IndependentSpec, ReadForm]],
) -> None:
    # the Address's first line ends the form page (`1037 Luoyu Road, Hongshan District,`),
    # its last opens the next, above the Signature row: the value is both, never the first
    # line alone
    spec, form = read[4]
    assert form.fields["address"].value == spec.truth["address"]


def test_the_rows_before_a_page_break_are_read_on_the_page_before(
    read: dict[int, tuple[IndependentSpec, ReadForm]],
) -> None:
    # the form page holds the Address, Signature and Date rows; the Name, Title and E-mail
    # rows end the page before: read there, not reported missing or unread
    spec, form = read[55]
    for key in ("signer_name", "signer_title", "work_email"):
        assert form.fields[key].value == spec.truth[key], key


def test_a_value_printed_right_after_its_label_is_not_cut(
    read: dict[int, tuple[IndependentSpec, ReadForm]],
) -> None:
    # `E-mail: a.munoz@tum.de` on a photo: the value starts close to the label's colon; that
    # edge is the label's, no crop cut the value there, and both engines' readings count
    spec, form = read[21]
    for key in ("affiliation", "work_email"):
        assert form.fields[key].value == spec.truth[key], key


def test_a_value_the_page_break_carried_away_from_its_label_is_read_overleaf(
    read: dict[int, tuple[IndependentSpec, ReadForm]],
) -> None:
    # `Affiliation` ends the page before; its value opens the form page, above the E-mail
    # row: it is the affiliation, never a blank field the applicant is told to fill in
    spec, form = read[1006]
    assert form.fields["affiliation"].blank is False
    assert form.fields["affiliation"].value == spec.truth["affiliation"]


def test_values_a_page_break_carried_from_a_row_of_two_labels_are_each_read_overleaf(
    read: dict[int, tuple[IndependentSpec, ReadForm]],
) -> None:
    # `The Signer's Name | Title / position` end the page before; both values open the form
    # page side by side: each is its own column's (a wrong missing_fields rejection before)
    spec, form = read[1025]
    for key in ("signer_name", "signer_title"):
        assert form.fields[key].blank is False, key
        assert form.fields[key].value == spec.truth[key], key


def test_a_date_label_misread_overleaf_is_found_by_the_date_beside_it(
    read: dict[int, tuple[IndependentSpec, ReadForm]],
) -> None:
    # the Signature and Date row alone at the top of the last page, photographed: pass 1 reads
    # `Date` as `Pate`, and the date beside it wraps in its narrow cell (`27 September` /
    # `2025`): a one-letter misreading of `Date` before a date is the Date label
    spec, form = read[3001]
    assert form.fields["date"].value == spec.truth["date"]


def test_a_label_a_page_break_cut_is_not_read_as_another_label(
    read: dict[int, tuple[IndependentSpec, ReadForm]],
) -> None:
    # `Detail Address of your` ends the page before with the address's first line; overleaf,
    # `affiliation` (the label's last word) heads the row with its last line: no Affiliation
    # label (the address's last line had been recorded as the affiliation), the address is
    # both lines, the affiliation the one typed in its own row
    spec, form = read[4222]
    for key in ("affiliation", "address"):
        assert form.fields[key].value == spec.truth[key], key


def test_a_signature_row_overleaf_whose_label_pass_1_missed_is_read(
    read: dict[int, tuple[IndependentSpec, ReadForm]],
) -> None:
    # the Address's first line ends the form page (`..., Hongshan District,`); overleaf, its
    # last line heads the page above `签字：`, set in the middle of the tall Signature row,
    # which pass 1 did not read (only `日期` below): the label is read in the labels' column,
    # the signature measured there (it was left unknown), and the address is both lines (the
    # lines above the label's own row, not the pen's scrawl over it: it was left unread)
    spec, form = read[14029]
    assert form.signed is True
    assert form.fields["address"].value == spec.truth["address"]


def test_a_value_the_page_break_carried_overleaf_from_the_last_label_is_read_there(
    read: dict[int, tuple[IndependentSpec, ReadForm]],
) -> None:
    # `Full address of the affiliation` ends the form page, the table's last label there;
    # its value heads the next page, over the Signature row: the address is read there (it
    # was reported unread: a person looked at a form that needed only `not_signed`)
    spec, form = read[15316]
    assert form.fields["address"].value == spec.truth["address"]


def test_a_whole_row_the_page_break_carried_overleaf_is_read_there(
    read: dict[int, tuple[IndependentSpec, ReadForm]],
) -> None:
    # `Work email | Date` ends the form page; `ADDRESS` and its value head the next page, over
    # `SIGNATURE`: the row is read there as on the form page (it was reported unread)
    spec, form = read[15307]
    assert form.fields["address"].value == spec.truth["address"]


def test_a_value_a_page_break_cut_between_its_lines_is_both_lines(
    read: dict[int, tuple[IndependentSpec, ReadForm]],
) -> None:
    # the affiliation's first line ends the page before (`Northgate Institute for Advanced
    # Computational`); its second heads the form page beside an empty label cell, over the
    # Work email row: the affiliation is both lines (the first alone had been recorded, and
    # the form approved with it)
    spec, form = read[15413]
    assert form.fields["affiliation"].value == spec.truth["affiliation"]


def test_a_tabbed_value_wrapped_at_the_pages_foot_is_both_lines(
    read: dict[int, tuple[IndependentSpec, ReadForm]],
) -> None:
    # `Affiliation:<tab>Department of ..., University of` / `Melbourne` at the margin end the
    # page before; `E-mail:` opens the form page: the line at the margin is the value's, as
    # when the next row's label follows it on the same page (the affiliation was unread)
    spec, form = read[15415]
    assert form.fields["affiliation"].value == spec.truth["affiliation"]
