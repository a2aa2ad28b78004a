"""The independent form source's split: held-out-only choices stay out of development draws."""

from __future__ import annotations

import pytest

from tests.forms import split
from tests.forms.independent import draw_spec, stratified
from tests.forms.wordproc import build_docx


def test_seed_ranges_are_disjoint_and_named() -> None:
    assert split.split_of(0) == split.DEV
    assert split.split_of(split.HELDOUT_SEEDS.start) == split.HELDOUT
    assert not set(split.DEV_SEEDS) & set(range(5_000_000, 5_000_100))
    with pytest.raises(ValueError):
        split.split_of(split.DEV_SEEDS.stop)


def test_dev_draws_never_use_held_out_only_choices() -> None:
    drawn = [draw_spec(s) for s in split.seeds(split.DEV, 400)]
    assert {d.split for d in drawn} == {split.DEV}
    assert not {d.table_style for d in drawn} & set(split.HELDOUT_TABLE_STYLES)
    assert not {d.font for d in drawn} & set(split.HELDOUT_FONTS)
    assert not {d.preset for d in drawn} & set(split.HELDOUT_PRESETS)
    # and the development pools themselves are all drawn
    assert {d.table_style for d in drawn} == set(split.TABLE_STYLES)
    assert {d.font for d in drawn} == set(split.FONTS)


def test_held_out_draws_do_use_them() -> None:
    drawn = [draw_spec(s) for s in split.seeds(split.HELDOUT, 300)]
    assert {d.table_style for d in drawn} >= set(split.HELDOUT_TABLE_STYLES)
    assert {d.font for d in drawn} >= set(split.HELDOUT_FONTS)
    assert {d.preset for d in drawn} >= set(split.HELDOUT_PRESETS)


def test_a_dev_seed_refuses_a_held_out_only_choice() -> None:
    with pytest.raises(ValueError, match="not drawn in the dev split"):
        draw_spec(3, table_style="bilingual")
    with pytest.raises(ValueError, match="not drawn in the dev split"):
        draw_spec(3, preset="folded_scan")


def test_expected_verdicts_follow_the_kind() -> None:
    scan = draw_spec(1, medium="scan", kind="typed")
    assert (scan.expected_decision, scan.expected_reasons) == ("approve", ())
    older = draw_spec(1, medium="scan", kind="older")
    assert older.version.id != scan.version.id
    assert older.expected_reasons == ("outdated_form",)
    hand = draw_spec(1, medium="digital", kind="handwritten")
    assert hand.medium == "scan"  # handwriting is on paper
    assert (hand.expected_decision, hand.expected_reasons) == ("review", ("unreadable",))
    digital = draw_spec(1, medium="digital", kind="unsigned")
    assert digital.expected_reasons == ("not_signed", "not_scanned")


def test_stratified_draws_cover_every_category() -> None:
    cats = {s.category for s in stratified(split.seeds(split.DEV, 10))}
    assert {"scan/typed", "photo/typed", "digital/typed", "scan/handwritten"} <= cats
    assert {"scan/unsigned", "scan/older"} <= cats


def test_same_seed_same_document() -> None:
    spec = draw_spec(12, medium="scan")
    assert build_docx(spec) == build_docx(draw_spec(12, medium="scan"))
    assert build_docx(spec) != build_docx(draw_spec(13, medium="scan"))
