"""The retention plan (`core.retention`): what is due when, from plain facts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from licensebot.core.reasons import Decision
from licensebot.core.retention import (
    CaseFacts,
    LicenceFacts,
    Loose,
    Policy,
    plan,
    stripped_rules,
    without_addresses,
)

NOW = datetime(2026, 12, 5, tzinfo=UTC)
POLICY = Policy(
    raw_mail_days=90,
    pdf_days=30,
    rejected_days=365,
    ignored_days=30,
    ended_licence_days=180,
    licensee_keeps=frozenset({"name", "signed_pdf"}),
)


def ago(days: int) -> datetime:
    return NOW - timedelta(days=days)


def case(n: int, decision: Decision, days: int, **kw: object) -> CaseFacts:
    base: dict[str, object] = {"raw_purged": False, "has_pdf": True}
    base.update(kw)
    return CaseFacts(n, decision, ago(days), **base)  # type: ignore[arg-type]


def test_each_kind_of_case_goes_when_its_days_are_up_and_a_review_never() -> None:
    cases = [
        case(1, Decision.REVIEW, 5000),  # a person decides first
        case(2, Decision.REJECT, 364),  # raw and PDF due, the case not yet
        case(3, Decision.REJECT, 365),  # deleted entirely
        case(4, Decision.IGNORE, 29, has_pdf=False),
        case(5, Decision.IGNORE, 30),
        case(6, Decision.APPROVE, 91, licence="active"),  # raw due, signed PDF kept
        case(7, Decision.APPROVE, 89, licence="active"),  # nothing yet
        case(8, Decision.APPROVE, 400, licence="voided", raw_purged=True),  # PDF goes
        case(9, Decision.REJECT, 100, raw_purged=True, has_pdf=False),  # done already
    ]
    p = plan(cases, [], policy=POLICY, now=NOW)
    assert p.delete == ((3, Decision.REJECT), (5, Decision.IGNORE))
    assert p.raw == (2, 6)
    assert p.pdf == (2, 8)
    assert p.counts()["rejected cases deleted"] == 1
    assert not p.empty


def test_a_licence_that_ended_becomes_a_tombstone_after_its_days_and_clears_its_case_then() -> None:
    licences = [
        LicenceFacts(1, 10, "voided", ago(180)),
        LicenceFacts(2, 11, "voided", ago(179)),
        LicenceFacts(3, 12, "active", ago(1000)),
    ]
    cases = [
        case(10, Decision.APPROVE, 900, licence="voided"),
        case(11, Decision.APPROVE, 900, licence="voided"),
    ]
    p = plan(cases, licences, policy=POLICY, now=NOW)
    assert p.tombstone == (1,)
    assert p.raw == (11,) and p.pdf == (11,)  # case 10's tombstone clears it whole


def test_loose_messages_and_replies_go_after_the_raw_mail_days() -> None:
    p = plan(
        [],
        [],
        policy=POLICY,
        now=NOW,
        loose_messages=[Loose(1, ago(90)), Loose(2, ago(10))],
        loose_replies=[Loose(7, ago(91))],
    )
    assert p.loose_messages == (1,) and p.loose_replies == (7,)


def test_what_an_approved_case_keeps_follows_licensee_keeps() -> None:
    assert POLICY.kept_fields() == {"signer_name", "work_email", "date", "signed"}
    assert POLICY.cleared_columns() == ("title", "affiliation", "members")
    rules = [
        {"rule": "free_email", "hit": True, "reasons": ["free_email"], "facts": {"domain": "x"}}
    ]
    assert stripped_rules(rules) == [{"rule": "free_email", "hit": True, "reasons": ["free_email"]}]
    assert (
        without_addresses("550 5.1.1 <li.na@uni.edu.cn>: no such user (a.b+c@x.org)")
        == "550 5.1.1 <<address>>: no such user (<address>)"
    )
