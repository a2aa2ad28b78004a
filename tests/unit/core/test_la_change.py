"""LA versions, pure parts: the clause-by-clause difference, OPT OUT in a reply (and not in
the quoted notice), and which version new applications and licensees are on."""

from __future__ import annotations

from datetime import date

import pytest

from licensebot.core.la_diff import ChangeKind, clause_changes, split_clauses
from licensebot.core.la_policy import PublishedVersion, accepts, current_version, version_in_force
from licensebot.core.opt_out import own_text, says_opt_out
from tests.la_support import LA_2023, la_2027


def test_clauses_are_split_at_numbered_headings_with_bold_titles() -> None:
    text = "Intro.\n\n### 1. Purpose\n\nA.\n\n## **8. Warranty**\n\nNone.\n"
    clauses = split_clauses(text)
    assert [(c.key, c.title, c.body) for c in clauses] == [
        ("preamble", "", "Intro."),
        ("1", "Purpose", "A."),
        ("8", "Warranty", "None."),
    ]


def test_each_changed_clause_is_named_with_only_its_changed_sentences() -> None:
    changes = {c.key: c for c in clause_changes(LA_2023, la_2027())}
    assert set(changes) == {"1", "3", "5", "9"}  # 2 and 6 are unchanged: not mentioned
    assert changes["1"].kind is ChangeKind.CHANGED
    assert changes["1"].diff == (
        "-Usage of the **DFME** for any commercial purpose is **strictly forbidden**.",
        "+Usage of the **DFME** for any commercial purpose is "
        "**forbidden without written permission**.",
    )
    assert changes["3"].kind is ChangeKind.CHANGED and changes["3"].diff == ()
    assert (changes["3"].old_title, changes["3"].label) == ("Citations", "3. Citation")
    assert changes["5"].kind is ChangeKind.REMOVED
    assert changes["5"].diff == ("-The user may not redistribute the data.",)
    assert changes["9"].kind is ChangeKind.ADDED
    assert changes["9"].diff == ("+Delete the data within 30 days after use.",)


def test_a_long_paragraph_diffs_by_sentence_not_whole_line() -> None:
    old = "### 1. Use\n\nFirst rule. Second rule. Third rule.\n"
    new = "### 1. Use\n\nFirst rule. Second rule changed. Third rule.\n"
    [c] = clause_changes(old, new)
    assert c.diff == ("-Second rule.", "+Second rule changed.")


def test_removed_clauses_keep_their_place_and_reflowing_is_no_change() -> None:
    changes = clause_changes(LA_2023, la_2027())
    assert [c.key for c in changes] == ["1", "3", "5", "9"]
    reflowed = LA_2023.replace("The user must have", "The user  must\nhave")
    assert clause_changes(LA_2023, reflowed) != []  # a line break inside a sentence changes it
    assert clause_changes(LA_2023, LA_2023.replace("\n\n", "\n\n\n")) == []


@pytest.mark.parametrize(
    "text",
    [
        "OPT OUT",
        "opt-out",
        "Optout please.",
        "Please opt me out? No: OPT OUT.",
        "退出",
        "我选择退出。",
        "退订",
        "不同意新的协议",
        "Hello,\n\nI opt out of the new LA.\n\nBest,\nA",
    ],
)
def test_an_opt_out_in_the_senders_own_words_counts(text: str) -> None:
    assert says_opt_out(text)


@pytest.mark.parametrize(
    "text",
    [
        "Thanks, noted.",
        "I do not want to opt out.",
        "I don't opt out, thanks",
        "我不退出",
        "Thanks!\n\nOn Mon, 1 Dec 2026 at 10:00, DFME License Desk wrote:\n"
        "> If you do not accept the new version, reply OPT OUT",
        "Fine.\n> reply with the words OPT OUT (or 退出)",
        "Received.\n\n-----Original Message-----\nFrom: desk\nreply OPT OUT",
        "好的，收到\n\n------------------ 原始邮件 ------------------\n请回复“退出”",
        "收到\n发件人: DFME License Desk\n请回复本邮件，写明“退出”",
        "收到\n在 2026年12月1日 10:00，DFME License Desk 写道：\n写明“退出”",
        "Noted\n1\n2\n3\n4\nOPT OUT on line six is a letter for a person",
    ],
)
def test_quoted_notices_negations_and_long_letters_do_not_opt_out(text: str) -> None:
    assert not says_opt_out(text)


def test_an_empty_body_falls_back_to_the_subject() -> None:
    assert says_opt_out("", "Re: OPT OUT")
    assert not says_opt_out("Thanks", "Re: OPT OUT instructions")  # a body: the body decides
    assert own_text("\n\n  Yes  \n> quoted") == ["Yes"]


V2023 = PublishedVersion("2023", date(2023, 1, 1), date(2023, 1, 1))
V2027 = PublishedVersion("2027", date(2027, 1, 1), date(2026, 12, 1))


@pytest.mark.parametrize(
    ("rule", "on", "expected"),
    [
        ("effective", date(2026, 12, 15), "2023"),  # published, not yet in force
        ("effective", date(2027, 1, 1), "2027"),
        ("publication", date(2026, 11, 30), "2023"),
        ("publication", date(2026, 12, 1), "2027"),  # from the day it is published
        ("publication", date(2027, 2, 1), "2027"),
    ],
)
def test_new_applications_use_the_new_form_from_publication_or_effective_date(
    rule: str, on: date, expected: str
) -> None:
    v = current_version([V2027, V2023], on=on, new_applications_from=rule)  # type: ignore[arg-type]
    assert v is not None and v.id == expected
    assert accepts([V2023, V2027], expected, on=on, new_applications_from=rule)  # type: ignore[arg-type]
    other = "2023" if expected == "2027" else "2027"
    assert not accepts([V2023, V2027], other, on=on, new_applications_from=rule)  # type: ignore[arg-type]


def test_licensees_are_bound_by_the_version_in_force() -> None:
    assert version_in_force([V2023, V2027], on=date(2026, 12, 31)) == V2023
    assert version_in_force([V2023, V2027], on=date(2027, 1, 1)) == V2027
    assert version_in_force([V2027], on=date(2026, 1, 1)) is None
    assert current_version([], on=date(2026, 1, 1)) is None
