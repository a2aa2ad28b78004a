"""Delivery reports: which message bounced, for whom, and whether for good."""

from __future__ import annotations

from licensebot.reading.dsn import read_delivery_report
from tests.mailgen import build_bounce

ORIGINAL = (
    b"From: desk@dataset.test\r\nTo: gone@uni.edu\r\n"
    b"Message-ID: <licensebot.abc@dataset.test>\r\nSubject: notice\r\n\r\nHello\r\n"
)


def test_a_postfix_bounce_names_the_returned_message_and_the_permanent_failure() -> None:
    raw = build_bounce(original=ORIGINAL, recipient="gone@uni.edu", to="desk@dataset.test")
    report = read_delivery_report(raw)
    assert report is not None
    assert report.original_message_ids == ("<licensebot.abc@dataset.test>",)
    [r] = report.recipients
    assert (r.recipient, r.action, r.status) == ("gone@uni.edu", "failed", "5.1.1")
    assert "User unknown" in r.diagnostic
    assert report.permanent and not report.delayed


def test_a_delay_report_with_headers_only_is_not_permanent() -> None:
    raw = build_bounce(original=ORIGINAL, recipient="slow@uni.edu", to="desk@dataset.test")
    raw = raw.replace(b"Action: failed", b"Action: delayed").replace(
        b"Status: 5.1.1", b"Status: 4.4.1"
    )
    raw = raw.replace(b"Content-Type: message/rfc822", b"Content-Type: text/rfc822-headers")
    report = read_delivery_report(raw)
    assert report is not None
    assert report.original_message_ids == ("<licensebot.abc@dataset.test>",)
    assert report.delayed and not report.permanent


def test_an_ordinary_message_is_no_report() -> None:
    assert read_delivery_report(ORIGINAL) is None
