"""The digest's pure parts: the period, the anomalies, the 30-day counts and the CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from licensebot.core.digest import (
    CaseFacts,
    Period,
    VoidedLicence,
    daily_counts,
    digest_period,
    find_anomalies,
    latest_slot,
    to_csv,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)  # 11:00 in Shanghai


def test_the_latest_slot_is_today_after_the_digest_time_else_yesterday() -> None:
    at = time(8, 30)
    assert latest_slot(T0, tz=SHANGHAI, at=at) == datetime(2026, 11, 25, 0, 30, tzinfo=UTC)
    before = datetime(2026, 11, 25, 0, 29, tzinfo=UTC)  # 08:29 local
    assert latest_slot(before, tz=SHANGHAI, at=at) == datetime(2026, 11, 24, 0, 30, tzinfo=UTC)


def test_a_period_starts_where_the_last_digest_ended_and_never_repeats() -> None:
    end = datetime(2026, 11, 25, 0, 30, tzinfo=UTC)
    assert digest_period(end, last_end=None) == Period(end - timedelta(days=1), end)
    three_days = end - timedelta(days=3)  # the worker was down
    assert digest_period(end, last_end=three_days) == Period(three_days, end)
    assert digest_period(end, last_end=end) is None
    assert digest_period(end, last_end=end + timedelta(hours=2)) is None  # a manual one later


def case(n: int, sender: str, **kw: object) -> CaseFacts:
    return CaseFacts(n, T0 - timedelta(hours=n), sender, **kw)  # type: ignore[arg-type]


def test_the_same_pdf_from_different_senders_is_reported_once_while_relevant() -> None:
    cases = [
        case(1, "a@uni.edu", pdf_sha256="f" * 64),
        case(2, "b@other.edu", pdf_sha256="f" * 64),
        case(3, "a@uni.edu", pdf_sha256="e" * 64),
        case(4, "A@UNI.EDU", pdf_sha256="e" * 64),  # the same sender twice is not an anomaly
    ]
    [hit] = find_anomalies(cases, new=[2], focus=[])
    assert hit.kind == "same_pdf" and hit.case_ids == (1, 2)
    assert "a@uni.edu, b@other.edu" in hit.summary
    assert find_anomalies(cases, new=[], focus=[]) == []  # old news is not repeated


def test_a_burst_from_one_domain_in_the_period() -> None:
    cases = [case(i, f"p{i}@burst.edu") for i in range(1, 6)] + [case(9, "x@calm.edu")]
    [hit] = find_anomalies(cases, new=range(1, 10), focus=[], burst_threshold=5)
    assert hit.kind == "burst" and hit.case_ids == (1, 2, 3, 4, 5)
    assert find_anomalies(cases, new=range(1, 5), focus=[], burst_threshold=5) == []


def test_a_signer_whose_licence_was_voided_by_address_or_name() -> None:
    voided = [VoidedLicence(7, "old@uni.edu", "Zhang San", 3)]
    cases = [
        case(10, "new@uni.edu", work_email="OLD@uni.edu"),
        case(11, "x@y.edu", signer_name="张三"),
        case(12, "z@y.edu", signer_name="Li Si"),
    ]
    hits = find_anomalies(cases, new=[], focus=[10, 11, 12], voided=voided)
    assert [(h.kind, h.case_ids) for h in hits] == [
        ("voided_signer", (10, 3)),
        ("voided_signer", (11, 3)),
    ]
    assert "same address as licensee 7" in hits[0].summary
    assert "same name" in hits[1].summary


def test_daily_counts_cover_30_local_days_by_decision() -> None:
    end = datetime(2026, 11, 25, 0, 30, tzinfo=UTC)  # 08:30 local on the 25th
    items = [
        (datetime(2026, 11, 24, 17, 0, tzinfo=UTC), "review"),  # 01:00 local on the 25th
        (datetime(2026, 11, 24, 15, 0, tzinfo=UTC), "approve"),  # 23:00 local on the 24th
        (datetime(2026, 11, 24, 15, 30, tzinfo=UTC), "approve"),
        (datetime(2026, 9, 1, tzinfo=UTC), "reject"),  # outside the window
    ]
    days = daily_counts(items, end=end, tz=SHANGHAI)
    assert len(days) == 30
    assert days[0].day.isoformat() == "2026-10-27" and days[-1].day.isoformat() == "2026-11-25"
    assert days[-1].counts["review"] == 1 and days[-2].counts["approve"] == 2
    assert sum(d.total for d in days) == 3


def test_csv_has_a_bom_for_spreadsheets_and_defuses_formulas() -> None:
    data = to_csv(["case", "name"], [[1, "张三"], [2, '=HYPERLINK("x")'], [3, None]])
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows == [["case", "name"], ["1", "张三"], ["2", '\'=HYPERLINK("x")'], ["3", ""]]
