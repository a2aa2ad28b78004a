"""The replay's decision diff (`core.replay`): what counts as a change, the facts that differ,
the counts by change."""

from __future__ import annotations

from licensebot.core.replay import Judged, Replayed, Skipped, fact_changes, report


def _rules(free: bool, domain: str) -> list[dict[str, object]]:
    return [
        {"rule": "free_email", "hit": free, "facts": {"domain": domain, "lists": ["deny"]}},
        {"rule": "not_scanned", "hit": True, "facts": {"scanned": False}},
    ]


def test_a_changed_decision_and_changed_reasons_are_counted_apart_and_same_is_not_a_change() -> (
    None
):
    same = Replayed(
        "inbound 1", 1, "", Judged("reject", ("not_scanned",)), Judged("reject", ("not_scanned",))
    )
    moved = Replayed(
        "inbound 2",
        2,
        "",
        Judged("approve", (), _rules(False, "uni.edu")),
        Judged("reject", ("free_email",), _rules(True, "uni.edu")),
    )
    reasons = Replayed(
        "inbound 3",
        3,
        "",
        Judged("reject", ("not_scanned",)),
        Judged("reject", ("not_scanned", "free_email")),
    )
    order = Replayed("inbound 4", 4, "", Judged("reject", ("a", "b")), Judged("reject", ("b", "a")))
    r = report([same, moved, reasons, order, Skipped("inbound 5", 5, "purged")])
    assert r.examined == 5 and r.unchanged == 2 and len(r.skipped) == 1
    assert r.counts == {"approve -> reject": 1, "reject (reasons)": 1}
    assert [c.case for c in r.changes] == [2, 3]
    assert r.changes[1].added == ("free_email",) and r.changes[1].removed == ()
    assert r.as_dict()["changes"][0]["facts"] == [
        {"rule": "free_email", "fact": "hit", "old": False, "new": True}
    ]


def test_facts_compare_as_stored_lists_and_name_rules_that_no_longer_run() -> None:
    old = [*_rules(False, "a.edu"), {"rule": "gone", "hit": True, "facts": {"x": 1}}]
    new = [
        {"rule": "free_email", "hit": False, "facts": {"domain": "b.edu", "lists": ("deny",)}},
        {"rule": "not_scanned", "hit": True, "facts": {"scanned": False}},
    ]
    changes = {(f.rule, f.key): (f.old, f.new) for f in fact_changes(old, new)}
    assert changes == {
        ("free_email", "domain"): ("a.edu", "b.edu"),
        ("gone", "hit"): (True, None),
        ("gone", "x"): (1, None),
    }
