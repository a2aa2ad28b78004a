"""Who may continue a case (`core.resend`): the rule the rejection's closing words promise."""

from __future__ import annotations

from licensebot.core.message import AuthVerdict
from licensebot.core.reasons import Decision
from licensebot.core.resend import Join, Resend, join, resend_from

PASS, NONE, FAIL = AuthVerdict.PASS, AuthVerdict.NONE, AuthVerdict.FAIL


def institutional(domain: str) -> bool:
    return domain not in ("gmail.com", "qq.com")


def test_a_sender_mismatch_asks_for_the_forms_work_email_and_it_joins_when_authenticated() -> None:
    r = resend_from(
        sender="Li.Si@Gmail.com",
        decision=Decision.REJECT,
        reasons=["free_email", "sender_mismatch"],
        fields={"work_email": "li.si@uni.edu"},
        institutional=institutional,
    )
    assert r == Resend("li.si@gmail.com", ("li.si@uni.edu",), ())
    assert join(r, sender="li.si@gmail.com", auth=NONE) is Join.SAME_SENDER
    assert join(r, sender="LI.SI@uni.edu", auth=PASS) is Join.ASKED_FOR
    assert join(r, sender="li.si@uni.edu", auth=NONE) is Join.UNVERIFIED
    assert join(r, sender="li.si@uni.edu", auth=FAIL) is Join.UNVERIFIED
    assert join(r, sender="someone@uni.edu", auth=PASS) is Join.STRANGER
    assert not Join.UNVERIFIED.joins and Join.ASKED_FOR.joins and Join.SAME_SENDER.joins


def test_a_student_signer_lets_the_supervisor_at_the_institution_resend_never_at_webmail() -> None:
    r = resend_from(
        sender="student@gmail.com",
        decision=Decision.REJECT,
        reasons=["student_signer", "free_email"],
        fields={"work_email": "student@cs.uni.edu"},
        institutional=institutional,
    )
    assert r.domains == ("cs.uni.edu",)
    assert join(r, sender="prof@cs.uni.edu", auth=PASS) is Join.ASKED_FOR
    assert join(r, sender="prof@lab.cs.uni.edu", auth=PASS) is Join.ASKED_FOR
    assert join(r, sender="prof@uni.edu", auth=PASS) is Join.STRANGER  # a parent: not asked for
    assert join(r, sender="anyone@gmail.com", auth=PASS) is Join.STRANGER
    assert join(r, sender="prof@evilcs.uni.edu", auth=PASS) is Join.STRANGER


def test_only_a_rejection_asks_for_another_address() -> None:
    for decision in (Decision.REVIEW, Decision.APPROVE):
        r = resend_from(
            sender="a@uni.edu",
            decision=decision,
            reasons=["student_signer"],
            fields={"work_email": "b@uni.edu"},
            institutional=institutional,
        )
        assert r == Resend("a@uni.edu")
        assert join(r, sender="b@uni.edu", auth=PASS) is Join.STRANGER
    assert join(Resend(""), sender=None, auth=PASS) is Join.STRANGER
