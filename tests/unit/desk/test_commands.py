"""Maintainers' review commands: what counts as a command line, and what does not."""

from __future__ import annotations

from licensebot.core.commands import MAX_COMMANDS, Command, Verb, parse_commands


def test_one_command_per_line_with_reason_and_note() -> None:
    parsed = parse_commands(
        "approve 42\r\nReject #7: the signature box is empty\n  note 9 called him\nstatus 3\n"
    )
    assert parsed.commands == (
        Command(Verb.APPROVE, 42, "", "approve 42"),
        Command(
            Verb.REJECT, 7, "the signature box is empty", "Reject #7: the signature box is empty"
        ),
        Command(Verb.NOTE, 9, "called him", "note 9 called him"),
        Command(Verb.STATUS, 3, "", "status 3"),
    )
    assert parsed.unusable == ()


def test_reject_and_note_need_text_and_say_so() -> None:
    parsed = parse_commands("reject 42\nnote 5\n")
    assert parsed.commands == ()
    assert [u.line for u in parsed.unusable] == ["reject 42", "note 5"]
    assert "reason for the applicant" in parsed.unusable[0].why


def test_prose_quotes_and_bare_words_are_not_commands() -> None:
    text = (
        "Thanks!\nNote that the scan is poor.\nApprove\nplease approve 42\n"
        "> approve 43\n>> reject 44 bad\napprove CASE | reject CASE <reason>\n"
    )
    assert not parse_commands(text).any


def test_reading_stops_at_the_signature_and_at_a_quoted_original() -> None:
    for separator in (
        "-- ",
        "On Tue, 24 Nov 2026 at 08:30, DFME License Desk <desk@dataset.test> wrote:",
        "-----Original Message-----",
        "From: DFME License Desk <desk@dataset.test>",
        "------------------ 原始邮件 ------------------",
        "在 2026年11月24日 08:30，DFME License Desk 写道：",
    ):
        parsed = parse_commands(f"approve 1\n{separator}\napprove 2\nreject 3 no\n")
        assert [c.case_id for c in parsed.commands] == [1], separator


def test_at_most_max_commands_per_message() -> None:
    text = "\n".join(f"status {i}" for i in range(MAX_COMMANDS + 10))
    assert len(parse_commands(text).commands) == MAX_COMMANDS


def test_approve_force_carries_its_why_and_without_one_says_so() -> None:
    parsed = parse_commands("approve 42 force the supervisor confirmed by phone\napprove 7 force\n")
    assert parsed.commands == (
        Command(
            Verb.APPROVE,
            42,
            "the supervisor confirmed by phone",
            "approve 42 force the supervisor confirmed by phone",
            force=True,
        ),
    )
    assert [u.line for u in parsed.unusable] == ["approve 7 force"]
    assert "needs the reason why" in parsed.unusable[0].why


def test_only_approving_a_rejection_for_a_hard_reason_needs_force() -> None:
    from licensebot.core.commands import needs_force
    from licensebot.core.reasons import Decision, Reason

    assert needs_force(Decision.REJECT, ["student_signer", "unreadable"]) == (
        Reason.STUDENT_SIGNER,
    )
    assert needs_force(Decision.REJECT, []) == ()  # a maintainer's own rejection
    assert needs_force(Decision.REVIEW, ["unreadable"]) == ()
    assert set(needs_force(Decision.REJECT, ["free_email", "outdated_form"])) == {
        Reason.FREE_EMAIL,
        Reason.OUTDATED_FORM,
    }
