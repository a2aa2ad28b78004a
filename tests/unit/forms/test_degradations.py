"""The test factory's print/scan degradations (tests/forms/delivery.py) give the same page for
the same seed wherever they run, and its fast replacements of augraphy's steps give augraphy's
pixels."""

from __future__ import annotations

import random

import augraphy as ag
import numpy as np
import pytest

from tests.forms.delivery import _augraphy, _SubtleNoise

PRESETS = ("copier", "phone_app", "worn_copier", "creased", "folded_scan")


def _page() -> np.ndarray:
    """A small BGR page: white paper, lines of 'text', a table rule down it."""
    page = np.full((360, 280, 3), 245, np.uint8)
    page[40:330:18, 30:250] = 20
    page[:, 140:142] = 0
    return page


@pytest.mark.parametrize("preset", PRESETS)
def test_a_preset_degrades_a_page_the_same_way_for_the_same_seed(preset: str) -> None:
    """augraphy's Folding speckles its crease from numba's generator, which nobody seeds: a
    creased or folded form came out different on every run (and every machine's cache)."""
    first = _augraphy(_page(), preset, 7)
    np.random.random(1000)  # whatever ran before: the preset seeds its own draws
    assert np.array_equal(first, _augraphy(_page(), preset, 7))
    assert not np.array_equal(first, _augraphy(_page(), preset, 8))


@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
@pytest.mark.parametrize("shape", [(90, 70, 3), (90, 70), (40, 30, 4)])
@pytest.mark.parametrize("subtle_range", [6, 8, 10])
def test_subtle_noise_gives_augraphy_s_pixels_and_draws(
    shape: tuple[int, ...], subtle_range: int, dtype: type
) -> None:
    image = np.random.default_rng(3).integers(0, 256, shape).astype(dtype)
    image[:5], image[5:10] = 0, 255  # clipped at both ends
    outs, states = [], []
    for step in (ag.SubtleNoise(subtle_range=subtle_range, p=1), _SubtleNoise(subtle_range, 1)):
        random.seed(1)
        np.random.seed(1)
        outs.append(np.asarray(step(image.copy(), force=True)))
        states.append(np.random.get_state()[1].copy())
    assert outs[0].dtype == outs[1].dtype == np.uint8
    assert np.array_equal(outs[0], outs[1])
    assert np.array_equal(states[0], states[1])  # the next step draws what it drew before
