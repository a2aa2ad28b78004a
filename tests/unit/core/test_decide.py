"""The decision table and the guarantee that nothing is approved on a guess."""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest
from core_factories import auto, context, form, message, pdf

from licensebot.core.decide import APPROVAL_GUARD, OUTCOMES, decide, outcome_for
from licensebot.core.form import VersionStatus
from licensebot.core.message import AuthVerdict
from licensebot.core.reasons import Decision, Reason, Severity, in_contract_order
from licensebot.core.rules import codes, severity_of

HARD = list(codes(Severity.HARD))
SOFT_OTHER = [Reason.UNREADABLE, Reason.AFFILIATION_MISMATCH]

# Every combination of the four classes of reason the precedence distinguishes.
CLASSES = {
    "ignore": [Reason.AUTO_GENERATED],
    "unverified": [Reason.SENDER_UNVERIFIED],
    "hard": [Reason.FREE_EMAIL, Reason.NOT_SIGNED],
    "soft": [Reason.UNREADABLE],
}


def expected(present: set[str]) -> Decision:
    if "ignore" in present:
        return Decision.IGNORE
    if "unverified" in present:
        return Decision.REVIEW
    if "hard" in present:
        return Decision.REJECT
    if "soft" in present:
        return Decision.REVIEW
    return Decision.APPROVE


COMBOS = [
    set(c) for n in range(len(CLASSES) + 1) for c in itertools.combinations(sorted(CLASSES), n)
]


@pytest.mark.parametrize("present", COMBOS, ids=["+".join(sorted(c)) or "none" for c in COMBOS])
def test_precedence_for_every_combination_of_classes(present: set[str]) -> None:
    reasons = [r for name in present for r in CLASSES[name]]
    assert outcome_for(reasons).decision is expected(present)


@pytest.mark.parametrize("reason", list(Reason), ids=str)
def test_each_reason_alone(reason: Reason) -> None:
    decision = outcome_for([reason]).decision
    if reason is Reason.SENDER_UNVERIFIED:
        assert decision is Decision.REVIEW
    else:
        assert (
            decision
            is {
                Severity.HARD: Decision.REJECT,
                Severity.SOFT: Decision.REVIEW,
                Severity.IGNORE: Decision.IGNORE,
            }[severity_of(reason)]
        )


def test_the_table_ends_in_approve_and_every_decision_is_reachable() -> None:
    assert OUTCOMES[-1].decision is Decision.APPROVE
    assert {o.decision for o in OUTCOMES} == set(Decision)


def test_severities_are_those_of_the_contract() -> None:
    soft = set(codes(Severity.SOFT))
    # the contract's, plus message_too_complex (docs/mail.md: a message over the reader's caps)
    assert soft == {
        Reason.UNREADABLE, Reason.AFFILIATION_MISMATCH, Reason.SENDER_UNVERIFIED,
        Reason.MESSAGE_TOO_COMPLEX,
    }  # fmt: skip
    assert set(codes(Severity.IGNORE)) == {Reason.AUTO_GENERATED}
    # the contract's eleven, plus pdf_too_large (docs/mail.md: "too large, send a smaller scan")
    assert len(HARD) == 12 and Reason.PDF_TOO_LARGE in HARD


def test_a_clean_application_is_approved_and_every_rule_is_recorded() -> None:
    judgement = decide(context())
    assert judgement.decision is Decision.APPROVE
    assert judgement.reasons == ()
    names = [r.rule for r in judgement.results]
    assert set(names) == {r.value for r in Reason} | {APPROVAL_GUARD}
    assert not judgement.hits


def test_reasons_come_in_the_contract_order_whatever_the_rules_order() -> None:
    ctx = context(
        msg=message(from_address="zhangsan@gmail.com"),
        read=form(signed=False, fields={"work_email": "zhangsan@gmail.com", "date": ""}),
        filename="la.pdf",
    )
    judgement = decide(ctx)
    assert judgement.decision is Decision.REJECT
    assert judgement.reasons == (
        Reason.BAD_FILENAME,
        Reason.FREE_EMAIL,
        Reason.MISSING_FIELDS,
        Reason.NOT_SIGNED,
    )
    assert in_contract_order(reversed(judgement.reasons)) == judgement.reasons


def test_no_attachment_alone_even_from_webmail() -> None:
    ctx = context(msg=message(attachments=(), from_address="a@gmail.com"), read=None)
    judgement = decide(ctx)
    assert (judgement.decision, judgement.reasons) == (Decision.REJECT, (Reason.NO_ATTACHMENT,))


def test_not_an_la_gets_not_la_plus_sender_reasons_only() -> None:
    ctx = context(
        msg=message(from_address="a@qq.com"),
        read=form(is_la=False, form_version=None, signed=None, scanned=False, fields={"date": ""}),
        filename="invoice.pdf",
    )
    judgement = decide(ctx)
    assert judgement.reasons == (Reason.NOT_LA, Reason.FREE_EMAIL)


def test_sender_unverified_beats_hard_reasons() -> None:
    ctx = context(msg=message(auth=AuthVerdict.FAIL), read=form(signed=False))
    judgement = decide(ctx)
    assert judgement.decision is Decision.REVIEW
    assert judgement.reasons == (Reason.NOT_SIGNED, Reason.SENDER_UNVERIFIED)


def test_an_auto_reply_is_ignored_whatever_else_is_wrong() -> None:
    ctx = context(msg=message(auto_signals=auto(), attachments=()), read=None)
    assert decide(ctx).decision is Decision.IGNORE


UNKNOWNS = {
    "no form read": dict(read=None),
    "unreadable PDF": dict(read=form(error="broken")),
    "a required field unread": dict(read=form(fields={"affiliation": None})),
    "ink unknown": dict(read=form(signed=None)),
    "version unknown": dict(read=form(form_version=None)),
}


@pytest.mark.parametrize("kwargs", UNKNOWNS.values(), ids=list(UNKNOWNS))
def test_never_approves_on_a_guess(kwargs: dict[str, object]) -> None:
    judgement = decide(context(**kwargs))  # type: ignore[arg-type]
    assert judgement.decision is Decision.REVIEW
    assert Reason.UNREADABLE in judgement.reasons


@pytest.mark.parametrize("kwargs", UNKNOWNS.values(), ids=list(UNKNOWNS))
def test_the_guard_holds_even_with_no_rules_at_all(kwargs: dict[str, object]) -> None:
    judgement = decide(context(**kwargs), rules=())  # type: ignore[arg-type]
    assert judgement.decision is Decision.REVIEW
    guard = judgement.results[-1]
    assert guard.rule == APPROVAL_GUARD and guard.hit


def test_the_guard_lets_a_complete_application_through() -> None:
    judgement = decide(context(), rules=())
    assert judgement.decision is Decision.APPROVE


def test_the_guard_does_not_approve_an_unsigned_form_with_no_rules() -> None:
    judgement = decide(context(read=form(signed=False, scanned=False)), rules=())
    assert judgement.decision is Decision.REVIEW
    assert judgement.results[-1].facts["unknown"] == ("signed", "scanned")


def test_a_second_pdf_name_is_used_when_chosen() -> None:
    msg = message(attachments=(pdf("notes.pdf"), pdf("DFME_License_Agreement_San_Zhang.pdf")))
    assert Reason.BAD_FILENAME in decide(context(msg=msg)).reasons
    chosen = context(msg=msg, filename="DFME_License_Agreement_San_Zhang.pdf")
    assert decide(chosen).decision is Decision.APPROVE
    assert replace(chosen, filename=None).attachment_name == "notes.pdf"


def test_explain_puts_the_hits_first_with_their_facts() -> None:
    judgement = decide(context(msg=message(from_address="zhangsan@gmail.com")))
    lines = judgement.explain()
    assert lines[0] == "decision: reject (hard reason)"
    assert lines[1].startswith("HIT   free_email")
    assert "matched=gmail.com" in lines[1]
    assert any(line.startswith("miss  not_signed") for line in lines)
    data = judgement.as_dict()
    assert data["decision"] == "reject"
    assert data["reasons"] == ["free_email", "sender_mismatch"]
    assert len(data["rules"]) == len(judgement.results)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "status", [VersionStatus.OUTDATED, VersionStatus.UNSURE, VersionStatus.NOT_LA]
)
def test_the_guard_approves_only_a_recognised_current_version(status: VersionStatus) -> None:
    # a rule list that forgot every version rule still cannot approve an unrecognised form
    read = form(version_status=status)  # form_version still says "2023": the status rules
    judgement = decide(context(read=read), rules=())
    assert judgement.decision is not Decision.APPROVE
    assert "form_version" in str(judgement.results[-1].facts["unknown"])
