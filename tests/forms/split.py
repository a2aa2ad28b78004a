"""The honest split of the generators' seeds: DEVELOPMENT seeds to tune on, HELD-OUT seeds to
measure on, and never the other way round.

Seeds
    `DEV_SEEDS` (0 .. 999_999) and `HELDOUT_SEEDS` (5_000_000 .. 5_999_999) are disjoint ranges;
    `split_of(seed)` says which one a seed is in (and refuses any other seed). The independent
    source (`tests/forms/independent.py`) draws a form from its seed alone, so the split of a
    form is the split of its seed. The factory's corpus (`tests/corpus.py`) is split the same
    way by the seed it is built from (`FACTORY_DEV_SEED`, `FACTORY_HELDOUT_SEED`).

Which choices belong to which split (this module is the one place that says so)
    Shared: the table styles `TABLE_STYLES`, the fonts `FONTS`, the scan presets `PRESETS`.

    Held-out only, so that the held-out figures also measure forms unlike anything tuned on:
    the `bilingual` table style (Chinese and English labels, on two lines of the label cell),
    the Carlito font (Calibri's metrics), and the `folded_scan` degradation (a page folded in
    three, creased, bleeding through, scanned on a flatbed).

    Development only, so that the reader is tuned on a wider set than the shared choices: the
    `chinese` table style (Chinese labels only) and the `tabbed` one (no table: "Label:" and a
    tab to the value, the Signature a line for the pen), the Caladea (Cambria's metrics),
    FreeSans and FreeSerif fonts, and the `worn_copier` degradation (an office copier with a
    dirty drum, streaks, fading lines and a little bleed-through).

    A second generation of development-only choices, on development seeds from
    `WIDER_FROM` (10,000) on only, so that no development form tuned on before changed: the
    `hinted` table style (each label cell on two lines: the English label over a smaller hint,
    in Chinese or in English), the DejaVu Sans Condensed font, and the `creased` degradation (a
    page folded in four, creased across and down, dusty, the other side showing through, a
    table rule here and there worn thin). They are other forms of what applicants do, not
    copies of the held-out-only ones: a two-line label cell and a folded page are common, and
    the reader must read them however they are made.

    A seed's first draw picks from `first_draw(key, split)`: the shared choices, and on a
    held-out seed the held-out-only ones too; exactly the draw made before the development-only
    choices existed, so no held-out form changed when they came. A development seed then draws
    `dev_only_draws(seed)` from a stream of its own: each of the table style, the font and the
    preset becomes a development-only one with probability `DEV_ONLY_SHARE`. A development draw
    never uses a held-out-only choice, nor a held-out draw a development-only one
    (`tests/unit/forms/test_independent_split.py` checks); `choices(key, split)` is what a
    caller may fix for a seed of `split`.

Rules
    Tune, debug and look at outputs on development seeds only. Held-out figures are produced by
    the lead for the record (`bench/reading.py --split heldout`, `bench/judging.py --split
    heldout`); nobody looks at a held-out form, or changes the reader because of one.
"""

from __future__ import annotations

import argparse
import random
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
DEV_TABLE_STYLES = ("chinese", "tabbed")

FONTS = ("Liberation Serif", "Liberation Sans", "DejaVu Sans", "DejaVu Serif")
HELDOUT_FONTS = ("Carlito",)
DEV_FONTS = ("Caladea", "FreeSans", "FreeSerif")

PRESETS = ("copier", "phone_app")
HELDOUT_PRESETS = ("folded_scan",)
DEV_PRESETS = ("worn_copier",)

#: The second generation of development-only choices, drawn on development seeds from
#: `WIDER_FROM` on.
WIDER_FROM = 10_000
WIDER_TABLE_STYLES = ("hinted",)
WIDER_FONTS = ("DejaVu Sans Condensed",)
WIDER_PRESETS = ("creased",)
WIDER = {"table_style": WIDER_TABLE_STYLES, "font": WIDER_FONTS, "preset": WIDER_PRESETS}

#: key -> (shared, held-out only, development only)
POOLS: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "table_style": (TABLE_STYLES, HELDOUT_TABLE_STYLES, DEV_TABLE_STYLES),
    "font": (FONTS, HELDOUT_FONTS, DEV_FONTS),
    "preset": (PRESETS, HELDOUT_PRESETS, DEV_PRESETS),
}
#: How often a development seed's table style, font and preset (each on its own) is replaced
#: by a development-only one.
DEV_ONLY_SHARE = 1 / 3


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


def first_draw(key: str, split: str) -> tuple[str, ...]:
    """The pool a seed of `split` first draws `key` from (`table_style`, `font`, `preset`)."""
    shared, heldout, _ = POOLS[key]
    return shared + (heldout if split == HELDOUT else ())


def choices(key: str, split: str) -> tuple[str, ...]:
    """Every value of `key` a form of `split` may have."""
    shared, heldout, dev = POOLS[key]
    return shared + (heldout if split == HELDOUT else dev + WIDER[key])


def dev_only_draws(seed: int) -> dict[str, str]:
    """The development-only choices that replace a development seed's first draws: key ->
    value, each key with probability `DEV_ONLY_SHARE`, from a stream of the seed's own."""
    if split_of(seed) != DEV:
        return {}
    rng = random.Random(f"independent-dev-extra-{seed}")
    drawn = {}
    for key, (_, _, dev) in POOLS.items():
        pool = dev + WIDER[key] if seed >= WIDER_FROM else dev
        replace, value = rng.random() < DEV_ONLY_SHARE, rng.choice(pool)
        if replace:
            drawn[key] = value
    return drawn


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
    parser.add_argument(
        "--dev-start",
        type=int,
        default=0,
        help="the first development seed drawn (default 0); a fresh range (e.g. 1000) is a "
        "development set not yet tuned on, to check a change carries over before the record",
    )
    parser.add_argument(
        "--fix",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="an independent form's choice fixed for every seed (repeatable), e.g. "
        "--fix preset=creased --fix table_style=hinted: the development forms of one kind; a "
        "choice only the other split draws is refused",
    )


def fixed_choices(args: argparse.Namespace, splits: Sequence[str]) -> dict[str, str]:
    """`--fix` options as the keyword arguments of `independent.draw_spec`, each checked on a
    seed of each of `splits`; ValueError (one line) for an option that is no KEY=VALUE, for a
    source other than the independent one, or for a choice a split never draws."""
    from tests.forms.independent import draw_spec

    out: dict[str, str] = {}
    for pair in args.fix:
        key, sep, value = pair.partition("=")
        if not sep or not key or not value:
            raise ValueError(f"--fix {pair!r}: expected KEY=VALUE, e.g. preset=creased")
        out[key] = value
    if out and args.source != "independent":
        raise ValueError("--fix fixes the independent source's choices: add --source independent")
    for split in splits:
        if out:
            try:
                draw_spec(split_seeds(split, 1, args.dev_start)[0], **out)
            except (TypeError, ValueError) as e:
                raise ValueError(f"--fix on the {split} split: {e}") from None
    return out


def split_seeds(split: str, count: int, dev_start: int = 0) -> list[int]:
    """The benchmarks' seeds of `split`: development ones from `dev_start` on; held-out ones
    always from the first (the record's set)."""
    return seeds(split, count, dev_start if split == DEV else 0)
