"""The honest split of the generators' seeds: DEVELOPMENT seeds to tune on, HELD-OUT seeds to
measure on, and never the other way round.

Seeds
    `DEV_SEEDS` (0 .. 999_999) and `HELDOUT_SEEDS` (5_000_000 .. 5_999_999) are disjoint ranges;
    `split_of(seed)` says which one a seed is in (and refuses any other seed). The independent
    source (`tests/forms/independent.py`) draws a form from its seed alone, so the split of a
    form is the split of its seed. The factory's corpus (`tests/corpus.py`) is split the same
    way by the seed it is built from (`FACTORY_DEV_SEED`, `FACTORY_HELDOUT_SEED`).

Held-out-only choices
    Some choices occur ONLY in held-out draws, so that the held-out figures also measure forms
    unlike anything tuned on: the `bilingual` table style (Chinese and English labels, on two
    lines of the label cell), the Carlito font (Calibri's metrics), and the `folded_scan`
    degradation (a page folded in three, creased, bleeding through, scanned on a flatbed).
    A development draw never uses them (`tests/unit/forms/test_independent_split.py` checks).

Rules
    Tune, debug and look at outputs on development seeds only. Held-out figures are produced by
    the lead for the record (`bench/reading.py --split heldout`, `bench/judging.py --split
    heldout`); nobody looks at a held-out form, or changes the reader because of one.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

DEV = "dev"
HELDOUT = "heldout"
SPLITS = (DEV, HELDOUT)

DEV_SEEDS = range(0, 1_000_000)
HELDOUT_SEEDS = range(5_000_000, 6_000_000)

#: The factory corpus's seeds (`make_corpus(n, seed)`) for each split.
FACTORY_DEV_SEED = 7
FACTORY_HELDOUT_SEED = 5_000_007

TABLE_STYLES = ("grid2", "grid4", "underline", "stacked")
HELDOUT_TABLE_STYLES = ("bilingual",)

FONTS = ("Liberation Serif", "Liberation Sans", "DejaVu Sans", "DejaVu Serif")
HELDOUT_FONTS = ("Carlito",)

PRESETS = ("copier", "phone_app")
HELDOUT_PRESETS = ("folded_scan",)


def split_of(seed: int) -> str:
    if seed in DEV_SEEDS:
        return DEV
    if seed in HELDOUT_SEEDS:
        return HELDOUT
    raise ValueError(f"seed {seed} is in neither the development nor the held-out range")


def seeds(split: str, count: int, start: int = 0) -> list[int]:
    """`count` seeds of `split`, from its `start`-th on."""
    base = {DEV: DEV_SEEDS, HELDOUT: HELDOUT_SEEDS}[split]
    return list(base[start : start + count])


def table_styles(split: str) -> Sequence[str]:
    return TABLE_STYLES + (HELDOUT_TABLE_STYLES if split == HELDOUT else ())


def fonts(split: str) -> Sequence[str]:
    return FONTS + (HELDOUT_FONTS if split == HELDOUT else ())


def presets(split: str) -> Sequence[str]:
    return PRESETS + (HELDOUT_PRESETS if split == HELDOUT else ())


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The benchmarks' `--source` and `--split` options (bench/reading.py, bench/judging.py)."""
    parser.add_argument("--source", choices=("factory", "independent", "both"), default="factory")
    parser.add_argument(
        "--split",
        choices=(DEV, HELDOUT, "both"),
        default=DEV,
        help="development seeds (tune on these), held-out seeds (the record: never tune on "
        "them), or both side by side",
    )
