"""Every command in a broken setting (no config file, no secrets, a database never migrated, a
file that is not there), run through the `licensebot` entry point as a user runs it: never a
traceback, each error one line that says what to do, exit 2 for the configuration and 1
otherwise, and a command refused on an unmigrated database creates nothing on the way."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from licensebot.cli import app as cli
from tests.support import CONFIG_DIR

# Every command a user can type, with arguments that make it do its real work.
COMMANDS: list[list[str]] = [
    ["config", "check"],
    ["run"],
    ["poll", "--once"],
    ["check", "{missing}.eml"],
    ["parse", "{missing}.pdf"],
    ["form", "-o", "{tmp}/form.pdf"],
    ["explain", "1"],
    ["explain", "1", "--json"],
    ["digest", "--dry-run"],
    ["review", "list"],
    ["review", "show", "1"],
    ["review", "approve", "1"],
    ["review", "reject", "1", "not", "signed"],
    ["review", "note", "1", "called", "them"],
    ["export", "-o", "{tmp}/licensees.csv"],
    ["licensee", "show", "someone@example.org"],
    ["la", "publish", "{missing}.md", "--effective", "2099-01-01"],
    ["la", "status"],
    ["la", "list"],
    ["replay", "--json"],
    ["purge", "--dry-run"],
    ["licensee", "erase", "1", "--yes"],
    ["health"],
]

# What a command needs of the setting, to know which exit status is right.
NEEDS_DB = {
    "run",
    "poll",
    "explain",
    "digest",
    "review",
    "export",
    "licensee",
    "la",
    "replay",
    "purge",
}
NEEDS_SECRETS = {("run",), ("poll", "--once"), ("review", "approve")}

TOML = f"""
[dataset]
la_dir = "{CONFIG_DIR / "la"}"
templates_dir = "{CONFIG_DIR / "templates"}"
[storage]
data_dir = "data"
[[mailbox]]
name = "desk"
address = "desk@dataset.test"
kind = "maildir"
path = "maildir"
[smtp]
kind = "directory"
directory = "sent"
from_address = "desk@dataset.test"
[approval]
download_instructions = "Open the download page."
[auth]
trusted_authserv_ids = ["mx.dataset.test"]
"""


def _run(
    args: list[str], tmp: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    argv = [a.format(missing=tmp / "not-there", tmp=tmp) for a in args]
    monkeypatch.setattr(sys, "argv", ["licensebot", *argv])
    with pytest.raises(SystemExit) as done:
        cli.main()  # anything but SystemExit escaping here is a traceback for the user
    code = done.value.code
    out, err = capsys.readouterr()
    return (code if isinstance(code, int) else (0 if code is None else 1)), out, err


def _messages(err: str) -> list[str]:
    """stderr without the structured log lines (event=...)."""
    return [x for x in err.splitlines() if x.strip() and "event=" not in x]


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    import os

    for k in list(os.environ):
        if k.startswith("LICENSEBOT_") and k not in ("LICENSEBOT_LOG_LEVEL",):
            monkeypatch.delenv(k)
    monkeypatch.setenv("LICENSEBOT_LOG_LEVEL", "WARNING")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _assert_one_line_errors(args: list[str], code: int, err: str) -> None:
    assert "Traceback" not in err, (args, err)
    lines = _messages(err)
    if code == 0:
        return
    assert lines, (args, "failed without saying why")
    for line in lines:
        assert line.startswith(("error:", "configuration error:", "✗", "{")), (args, line)
    if not lines[0].startswith("✗"):
        assert len(lines) == 1, (args, lines)


def test_without_a_config_file_every_command_says_where_it_looked(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for args in COMMANDS:
        code, _, err = _run(args, clean_env, monkeypatch, capsys)
        _assert_one_line_errors(args, code, err)
        if any("{missing}" in a for a in args) and code == 1:
            assert "No such file or directory" in err  # the file was looked at first
            continue
        assert code == 2, (args, code, err)
        assert "config/licensebot.toml not found: pass --config" in err, (args, err)


def test_an_unmigrated_database_is_refused_and_nothing_is_created(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (clean_env / "licensebot.toml").write_text(TOML, encoding="utf-8")
    monkeypatch.setenv("LICENSEBOT_CONFIG", str(clean_env / "licensebot.toml"))
    monkeypatch.setenv("LICENSEBOT_ACCESS_CODE", "code")
    for args in COMMANDS:
        code, _, err = _run(args, clean_env, monkeypatch, capsys)
        _assert_one_line_errors(args, code, err)
        if args[0] in NEEDS_DB and "{missing}.md" not in args:
            assert code == 2, (args, code, err)
            assert "run `licensebot db upgrade`" in err, (args, err)
        assert not (clean_env / "data").exists(), (args, "created the data directory")
    # a database file that is there but was never migrated is no better, and stays as it was
    import sqlite3

    (clean_env / "data").mkdir()
    sqlite3.connect(clean_env / "data" / "licensebot.sqlite3").close()
    code, _, err = _run(["poll", "--once"], clean_env, monkeypatch, capsys)
    assert code == 2 and "has no tables yet: run `licensebot db upgrade` first" in err
    assert sorted(p.name for p in (clean_env / "data").iterdir()) == ["licensebot.sqlite3"]


def test_without_secrets_and_with_missing_files_each_error_is_one_line(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (clean_env / "licensebot.toml").write_text(TOML, encoding="utf-8")
    monkeypatch.setenv("LICENSEBOT_CONFIG", str(clean_env / "licensebot.toml"))
    code, out, _ = _run(["db", "upgrade"], clean_env, monkeypatch, capsys)
    assert code == 0 and "database at revision" in out
    for args in COMMANDS:
        code, out, err = _run(args, clean_env, monkeypatch, capsys)
        _assert_one_line_errors(args, code, err)
        if tuple(args[:2]) in NEEDS_SECRETS or tuple(args[:1]) in NEEDS_SECRETS:
            assert code == 2, (args, code, err)
            assert "LICENSEBOT_ACCESS_CODE is not set: set LICENSEBOT_ACCESS_CODE" in err
        elif any("{missing}" in a for a in args):
            assert code == 1, (args, code, err)
            assert "not-there" in out + err and "No such file or directory" in out + err
            assert not out.lstrip().startswith("{"), (args, "JSON without --json", out)
    assert not (clean_env / "sent").exists(), "an approval went out without the access code"


def test_every_command_takes_config_and_the_broken_setting_test_covers_them_all() -> None:
    from typing import Any

    import typer.main

    def leaves(cmd: Any, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
        if hasattr(cmd, "commands"):  # a group
            return [
                leaf for name, sub in cmd.commands.items() for leaf in leaves(sub, (*path, name))
            ]
        return [path]

    root = typer.main.get_command(cli.app)
    covered = {
        tuple(a for a in args if not a.startswith(("-", "{")) and not a.isdigit())[:2]
        for args in COMMANDS
    }
    without_config = {("version",), ("demo",), ("db", "upgrade")}
    for path in leaves(root):
        cmd: Any = root
        for name in path:
            cmd = cmd.commands[name]
        options = {o for p in cmd.params for o in getattr(p, "opts", [])}
        if path not in {("version",), ("demo",)}:
            assert "--config" in options, path
        assert path in without_config or path[:2] in covered, (
            f"{path} is not run in the broken settings"
        )
