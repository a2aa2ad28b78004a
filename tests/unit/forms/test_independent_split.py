"""The independent form source's split: held-out-only choices stay out of development draws,
development-only ones out of held-out draws, and the held-out draws never change."""

from __future__ import annotations

import argparse
import hashlib
from dataclasses import fields

import pytest

from tests.forms import split
from tests.forms.independent import (
    GLOSSES,
    HINTS,
    LABELS,
    IndependentSpec,
    draw_spec,
    stratified,
)
from tests.forms.wordproc import build_docx


def test_seed_ranges_are_disjoint_and_named() -> None:
    assert split.split_of(0) == split.DEV
    assert split.split_of(split.HELDOUT_SEEDS.start) == split.HELDOUT
    assert not set(split.DEV_SEEDS) & set(range(5_000_000, 5_000_100))
    with pytest.raises(ValueError):
        split.split_of(split.DEV_SEEDS.stop)


PAPER_PRESETS = {"digital", "photo"}  # not a scanner: the medium's own


def test_dev_draws_never_use_held_out_only_choices() -> None:
    drawn = [draw_spec(s) for s in split.seeds(split.DEV, 400)]
    assert {d.split for d in drawn} == {split.DEV}
    assert not {d.table_style for d in drawn} & set(split.HELDOUT_TABLE_STYLES)
    assert not {d.font for d in drawn} & set(split.HELDOUT_FONTS)
    assert not {d.preset for d in drawn} & set(split.HELDOUT_PRESETS)
    # and the development pools themselves are all drawn, development-only choices included
    assert {d.table_style for d in drawn} == {*split.TABLE_STYLES, *split.DEV_TABLE_STYLES}
    assert {d.font for d in drawn} == {*split.FONTS, *split.DEV_FONTS}
    assert {d.preset for d in drawn} - PAPER_PRESETS == {*split.PRESETS, *split.DEV_PRESETS}


def test_held_out_draws_do_use_them() -> None:
    drawn = [draw_spec(s) for s in split.seeds(split.HELDOUT, 300)]
    assert {d.table_style for d in drawn} >= set(split.HELDOUT_TABLE_STYLES)
    assert {d.font for d in drawn} >= set(split.HELDOUT_FONTS)
    assert {d.preset for d in drawn} >= set(split.HELDOUT_PRESETS)


def test_held_out_draws_never_use_development_only_choices() -> None:
    drawn = [draw_spec(s) for s in split.seeds(split.HELDOUT, 300)]
    assert not {d.table_style for d in drawn} & set(split.DEV_TABLE_STYLES)
    assert not {d.font for d in drawn} & set(split.DEV_FONTS)
    assert not {d.preset for d in drawn} & set(split.DEV_PRESETS)
    assert all(split.dev_only_draws(s) == {} for s in split.seeds(split.HELDOUT, 300))


def test_a_dev_seed_refuses_a_held_out_only_choice() -> None:
    with pytest.raises(ValueError, match="not drawn in the dev split"):
        draw_spec(3, table_style="bilingual")
    with pytest.raises(ValueError, match="not drawn in the dev split"):
        draw_spec(3, preset="folded_scan")
    with pytest.raises(ValueError, match="not drawn in the dev split"):
        draw_spec(3, font="Carlito")


def test_a_held_out_seed_refuses_a_development_only_choice() -> None:
    seed = split.HELDOUT_SEEDS.start
    for key, value in (("table_style", "chinese"), ("table_style", "tabbed")):
        with pytest.raises(ValueError, match="not drawn in the heldout split"):
            draw_spec(seed, **{key: value})
    with pytest.raises(ValueError, match="not drawn in the heldout split"):
        draw_spec(seed, font="Caladea")
    with pytest.raises(ValueError, match="not drawn in the heldout split"):
        draw_spec(seed, preset="worn_copier")
    for key, value in (("table_style", "hinted"), ("font", "DejaVu Sans Condensed")):
        with pytest.raises(ValueError, match="not drawn in the heldout split"):
            draw_spec(seed, **{key: value})
    with pytest.raises(ValueError, match="not drawn in the heldout split"):
        draw_spec(seed, preset="creased")


def test_the_second_development_only_choices_come_from_seed_10000_on() -> None:
    before = [split.dev_only_draws(s) for s in split.seeds(split.DEV, 600, 9_000)]
    wider = {v for d in before for v in d.values()} & {v for vs in split.WIDER.values() for v in vs}
    assert not wider  # the ranges tuned on before keep their forms
    after = [draw_spec(s) for s in split.seeds(split.DEV, 600, split.WIDER_FROM)]
    assert {d.table_style for d in after} >= set(split.WIDER_TABLE_STYLES)
    assert {d.font for d in after} >= set(split.WIDER_FONTS)
    assert {d.preset for d in after} >= set(split.WIDER_PRESETS)
    hinted = [d for d in after if d.table_style == "hinted"]
    for spec in hinted:
        for key, label in spec.labels.items():
            first, second = label.split("\n")
            assert first in LABELS["hinted"][key]
            assert second in (GLOSSES[key], HINTS[key])
    assert {spec.labels["date"].split("\n")[1] for spec in hinted} == {"日期", HINTS["date"]}


def test_a_dev_seed_takes_a_development_only_choice_when_fixed() -> None:
    spec = draw_spec(3, table_style="tabbed", font="FreeSerif", preset="worn_copier", medium="scan")
    assert (spec.table_style, spec.font, spec.preset) == ("tabbed", "FreeSerif", "worn_copier")
    assert set(spec.labels) == set(LABELS["tabbed"])


@pytest.mark.parametrize(
    ("key", "values"),
    [
        ("table_style", split.DEV_TABLE_STYLES),
        ("font", split.DEV_FONTS),
        ("preset", split.DEV_PRESETS),
    ],
)
def test_each_development_only_choice_is_drawn_for_about_a_third(
    key: str, values: tuple[str, ...]
) -> None:
    seeds = split.seeds(split.DEV, 600)
    drawn = [split.dev_only_draws(s).get(key) for s in seeds]
    assert {v for v in drawn if v} == set(values)
    assert 0.25 < sum(1 for v in drawn if v) / len(seeds) < 0.42
    # and the spec carries it (a preset only where a scanner is used)
    specs = [draw_spec(s, medium="scan") for s, v in zip(seeds[:60], drawn, strict=False) if v]
    assert all(getattr(spec, key) in values for spec in specs)


def test_the_labels_of_a_development_only_style_are_its_own() -> None:
    colons, glosses = set(), set()
    for seed in split.seeds(split.DEV, 200):
        spec = draw_spec(seed)
        if spec.table_style == "chinese":
            colons.add(spec.labels["date"].endswith("："))
        if spec.table_style == "tabbed":
            glosses.add(spec.labels["date"].endswith(")"))
        assert set(spec.labels) == set(LABELS[spec.table_style])
        for key, label in spec.labels.items():
            if spec.table_style == "tabbed":
                bare = label.split(" (")[0]  # the Chinese in parentheses, or none
            else:
                bare = label.removesuffix("：") if spec.table_style == "chinese" else label
            assert bare in LABELS[spec.table_style][key], (seed, key, label)
        if spec.table_style == "chinese":
            assert not any(c.isascii() and c.isalpha() for c in "".join(spec.labels.values()))
    assert colons == {True, False}  # a full-width colon after every label, or none
    assert glosses == {True, False}  # "Name (姓名)", or "Name"


# ---- the draws that must not change ---------------------------------------------------------


def _digest(specs: list[IndependentSpec], skip: tuple[str, ...] = ()) -> str:
    """A fingerprint of the drawn specs (the LA version left out: it is the current one), so
    that a change to a draw shows without anyone reading a held-out spec."""
    record = [
        repr([(f.name, getattr(s, f.name)) for f in fields(s) if f.name not in ("version", *skip)])
        for s in specs
    ]
    return hashlib.sha256("\n".join(record).encode()).hexdigest()[:16]


#: Fingerprints recorded with the draw as it was before the development-only choices came
#: (commit a865236). A held-out form must never change: if one of these fails, the change
#: moved the held-out set (a pool, a name list, the order of the draws), and its figures would
#: no longer be comparable. Record anew only for a change meant to move every split.
HELDOUT_BEFORE = {
    "plain": "c431f9bd28daced0",  # draw_spec of the first 300 held-out seeds
    "stratified": "95dd9d881bb5cf8d",  # stratified() of the first 100
    "fixed": "b4febf8ab4927478",  # the first 50 with their choices fixed
}
DEV_BEFORE = {
    "plain": "2fd710567b9924b8",  # dev seeds 0..299
    "others": "ebf58b4f8114eb0a",  # dev seeds 0..299, all but the style, labels, font, preset
    "pinned": "5567012bee3bec4c",  # dev seeds 0..99, style, font and preset pinned
}


def test_held_out_draws_are_what_they_were() -> None:
    seeds = split.seeds(split.HELDOUT, 300)
    assert _digest([draw_spec(s) for s in seeds]) == HELDOUT_BEFORE["plain"]
    assert _digest(stratified(seeds[:100])) == HELDOUT_BEFORE["stratified"]
    fixed = {"table_style": "grid4", "font": "DejaVu Sans", "preset": "phone_app"}
    specs = [draw_spec(s, medium="scan", **fixed) for s in seeds[:50]]
    assert _digest(specs) == HELDOUT_BEFORE["fixed"]


def test_dev_draws_change_only_the_development_only_choices() -> None:
    seeds = split.seeds(split.DEV, 300)
    skip = ("table_style", "labels", "font", "preset")
    assert _digest([draw_spec(s) for s in seeds], skip) == DEV_BEFORE["others"]
    # with the three choices pinned, a dev seed draws the form it always drew
    pinned = {"table_style": "grid2", "font": "Liberation Serif", "preset": "copier"}
    specs = [draw_spec(s, medium="scan", **pinned) for s in seeds[:100]]
    assert _digest(specs) == DEV_BEFORE["pinned"]
    # and without the development-only choices, the form it drew before they came
    assert _digest([draw_spec(s, dev_only=False) for s in seeds]) == DEV_BEFORE["plain"]
    assert _digest([draw_spec(s) for s in seeds]) != DEV_BEFORE["plain"]


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


def test_a_fresh_development_range_never_reaches_the_held_out_seeds() -> None:
    fresh = split.split_seeds(split.DEV, 60, dev_start=1000)
    assert fresh == list(range(1000, 1060))
    assert all(split.split_of(s) == split.DEV for s in fresh)
    # the record's held-out set stays the same whatever development range is asked for
    assert split.split_seeds(split.HELDOUT, 3, dev_start=1000) == split.seeds(split.HELDOUT, 3)


def _fix_args(*pairs: str, source: str = "independent") -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    split.add_arguments(parser)
    return parser.parse_args(["--source", source, *(a for p in pairs for a in ("--fix", p))])


def test_the_benchmarks_fix_a_choice_of_the_split_and_refuse_the_other_splits() -> None:
    # `--fix preset=creased`: the development forms of one kind (a creased range)
    fixed = split.fixed_choices(_fix_args("preset=creased"), [split.DEV])
    assert fixed == {"preset": "creased"}
    specs = stratified(split.split_seeds(split.DEV, 10, 20_000), **fixed)
    assert {s.preset for s in specs if s.medium == "scan"} == {"creased"}
    # a medium fixed is every form's (the mix's media give way), its kinds still drawn in turn
    fixed = split.fixed_choices(_fix_args("medium=photo"), [split.DEV])
    photos = stratified(split.split_seeds(split.DEV, 10, 20_000), **fixed)
    assert {s.medium for s in photos} == {"photo"} and len({s.kind for s in photos}) > 1
    # a development-only choice is never drawn for held-out seeds, a held-out-only one never
    # for development seeds; a malformed option or another source is one line, not a run
    bad = [
        (_fix_args("preset=creased"), [split.DEV, split.HELDOUT]),
        (_fix_args("table_style=bilingual"), [split.DEV]),
        (_fix_args("preset"), [split.DEV]),
        (_fix_args("preset=copier", source="factory"), [split.DEV]),
    ]
    for args, splits in bad:
        with pytest.raises(ValueError):
            split.fixed_choices(args, splits)
