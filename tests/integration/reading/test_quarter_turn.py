"""A page turned a quarter wrong: a worn copier's streaks of grain down a sparse form page
(its table, a few lines of text) outweigh the print across it, and the quarter-turn call and
its second opinion go wrong. Pass 1 then reads no text in any orientation it tries (its words
junk, under `labels_pass.AS_TEXT` on average), and reads the page a quarter turn either way
(`page_image.other_turns`) before it gives up on the page. Development seed only; slow: a
worn copier's scan, OCR'd."""

from __future__ import annotations

import pytest

from tests.integration.reading.conftest import read_independent

pytestmark = pytest.mark.slow


def test_a_form_page_turned_a_quarter_wrong_is_read_the_right_way_up() -> None:
    ((spec, form),) = read_independent({25: dict(medium="scan", kind="unsigned")}).values()
    assert spec.preset == "worn_copier" and spec.turn in (90, 270)
    # the form was found: its values read, its empty Signature cell seen
    for key in ("signer_title", "affiliation", "date"):
        assert form.value(key) == spec.truth[key], key
    assert form.signed is False
