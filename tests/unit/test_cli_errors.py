"""The CLI's edge: an error of the bot's own is one line that says what to do, never a
traceback; the exit status says it failed."""

from __future__ import annotations

import pytest

from licensebot.cli import app as cli
from licensebot.config import ConfigError, SecretMissing
from licensebot.errors import LicensebotError
from licensebot.mail.sources import MailboxError
from licensebot.mail.templates import TemplateError
from licensebot.worker.la import LaError
from licensebot.worker.runner import TemplateCheckFailed


def test_every_root_of_the_tree_is_under_licensebot_error() -> None:
    for error in (ConfigError, SecretMissing, MailboxError, TemplateError, TemplateCheckFailed):
        assert issubclass(error, LicensebotError), error
    assert issubclass(LaError, LicensebotError)


def test_an_uncaught_error_of_the_bot_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def publish_twice() -> None:
        raise LaError(
            "version 2027 is already registered with a different text:\n"
            "  publish the new text under a new --id"
        )

    monkeypatch.setattr(cli, "app", publish_twice)
    with pytest.raises(SystemExit) as exit_:
        cli.main()
    assert exit_.value.code == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "error: version 2027 is already registered with a different text: publish" in err


def test_other_errors_are_not_hidden(monkeypatch: pytest.MonkeyPatch) -> None:
    def bug() -> None:
        raise KeyError("a bug shows its traceback")

    monkeypatch.setattr(cli, "app", bug)
    with pytest.raises(KeyError):
        cli.main()


def test_brackets_in_a_message_are_printed_as_they_are(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Rich markup once swallowed `[[version]]` from an instruction to the admin."""

    def hand_edit() -> None:
        raise LaError("add its [[version]] entry to versions.toml, [bold]as is[/bold]")

    monkeypatch.setattr(cli, "app", hand_edit)
    with pytest.raises(SystemExit):
        cli.main()
    err = capsys.readouterr().err
    assert "add its [[version]] entry to versions.toml, [bold]as is[/bold]" in err
