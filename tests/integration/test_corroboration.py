"""Scans whose email or name OCR could not settle alone, settled by the message: the real
reader (sandboxed, Tesseract) and the real judge, as the worker and `licensebot check` run
them. The seeds are forms where this happened with the pinned Tesseract: the English model
reads `Álvaro Peña` as `Alvaro Pefia`, and `l.wilson@...` only unsurely. A reader that
settles the value alone (the two engines agreeing) passes too: the approval is what counts."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from licensebot.config import load_settings
from licensebot.reading.mime import read_message
from licensebot.worker.app import make_judge
from tests import corpus as C

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(
    ("seed", "field", "by"), [(20, "signer_name", "filename"), (74, "work_email", "sender")]
)
def test_a_good_scan_is_approved_on_the_message_s_word(
    tmp_path: Path, seed: int, field: str, by: str
) -> None:
    settings = load_settings(C.write_config(tmp_path / "config"))
    draft = C.s_approve(C.Draft(seed=seed, client="thunderbird"), random.Random(seed))
    case = C.build(draft, f"corroborated-{seed}", "approve")
    msg = read_message(
        case.eml,
        trusted_authserv_ids=settings.auth.trusted_authserv_ids,
        own_addresses=settings.own_addresses,
    )
    verdict = make_judge(settings).verdict(msg)
    assert verdict.form is not None
    assert verdict.assessment.decision == "approve"
    read = verdict.form.fields[field]
    unreadable = next(r for r in verdict.assessment.rule_results if r["rule"] == "unreadable")
    if read.corroborated_by is None:
        # the reader settled it alone (both engines agree): nothing for the message to say
        assert read.value is not None and read.source.value == "ocr"
        assert not unreadable["facts"].get("corroborated")
    else:
        assert read.corroborated_by == by
        assert unreadable["facts"]["corroborated"] == [f"{field}:{by}"]
