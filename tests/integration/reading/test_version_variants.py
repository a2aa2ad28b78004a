"""Older LAs rendered as applicants send them (born digital, scanned) are never taken for the
current LA: read through `read_pdf`, never MATCH; judged with a full message, never approved,
and `outdated_form` where the text read well."""

from __future__ import annotations

from dataclasses import replace
from functools import cache
from pathlib import Path

import pytest

from licensebot.core.decide import decide
from licensebot.core.form import ReadForm, VersionStatus
from licensebot.core.la import LaVersion
from licensebot.core.reasons import Decision, Reason
from licensebot.reading.la_versions import load_versions
from licensebot.reading.pdf import read_pdf
from tests.forms.factory import FormSpec, make_spec, render
from tests.forms.variants import VARIANTS
from tests.unit.core.core_factories import context, message, pdf

pytestmark = pytest.mark.slow

CONFIG = Path(__file__).resolve().parents[3] / "config" / "la"
MEDIA = {
    "digital": dict(medium="digital"),
    "scan": dict(medium="scan", dpi=200, angle=0.7, turn=0),
}
#: Variants whose difference is a single line, told from a line OCR lost by nothing: review.
ONE_LINE = {"one_contact"}


@cache
def registered() -> tuple[LaVersion, ...]:
    return tuple(load_versions(CONFIG))


@cache
def read(variant: str, medium: str) -> tuple[FormSpec, ReadForm]:
    current = registered()[-1]
    spec = make_spec(
        700 + list(VARIANTS).index(variant),
        VARIANTS[variant](current),
        layout="word",
        hand="typed",
        signature="ink",
        name_style="western",
        **MEDIA[medium],
    )
    return spec, read_pdf(render(spec), versions=list(registered()))


def judge(spec: FormSpec, form: ReadForm) -> tuple[Decision, tuple[Reason, ...]]:
    name = spec.written["signer_name"].replace(" ", "_")
    sender = spec.written["work_email"]
    msg = message(
        from_address=sender,
        return_path=sender,
        attachments=(pdf(f"DFME_License_Agreement_{name}.pdf"),),
    )
    ctx = replace(context(msg=msg, read=form), current_version=registered()[-1].id)
    judgement = decide(ctx)
    return judgement.decision, judgement.reasons


@pytest.mark.parametrize("medium", MEDIA)
@pytest.mark.parametrize("variant", VARIANTS)
def test_an_older_la_is_never_the_current_one_nor_approved(variant: str, medium: str) -> None:
    spec, form = read(variant, medium)
    assert form.version_state is not VersionStatus.MATCH and form.form_version is None
    decision, reasons = judge(spec, form)
    assert decision is not Decision.APPROVE
    if medium == "digital" and variant not in ONE_LINE:
        # born digital, the text reads perfectly: the applicant is told the form is outdated
        assert form.version_state is VersionStatus.OUTDATED
        assert Reason.OUTDATED_FORM in reasons
    if form.version_state is VersionStatus.OUTDATED:
        assert Reason.OUTDATED_FORM in reasons and form.version_missing + form.version_changed


@pytest.mark.parametrize("layout", ["word", "compact", "retyped"])
def test_the_current_la_scanned_the_same_way_is_approved(layout: str) -> None:
    # compact: the whole LA in 5-pt print on the form page, read by pass 1 alone
    current = registered()[-1]
    spec = make_spec(
        799,
        current,
        layout=layout,
        hand="typed",
        signature="ink",
        name_style="western",
        **MEDIA["scan"],
    )
    form = read_pdf(render(spec), versions=list(registered()))
    assert form.version_state is VersionStatus.MATCH and form.form_version == current.id
    assert judge(spec, form)[0] is Decision.APPROVE
