"""`licensebot demo` as a newcomer meets it: the table names the reply file written for each
message, includes a case under review, says "written" (nothing is sent), and the hints it
prints run as they are typed."""

from __future__ import annotations

import re
import shlex
import sys
from pathlib import Path

import pytest

from licensebot.cli import app as cli
from licensebot.cli.demo import _command, run_demo, sample_messages
from tests.support import CONFIG_DIR


def test_the_demo_shows_the_whole_desk_and_its_hints_run_as_typed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LICENSEBOT_LOG_LEVEL", "WARNING")
    monkeypatch.setenv("COLUMNS", "250")  # a wide terminal: no cell folds across lines
    every = sample_messages(CONFIG_DIR, scans=False)  # digital forms: no OCR in this test
    # to both mailboxes, the one under review, the one without a PDF, the auto-reply
    samples = [every[0], every[3], every[4], every[5]]
    assert every[0][0] == ("sirui", "iamthy") and b"dmarc=fail" in every[3][1]
    assert run_demo(tmp_path / "demo", config_dir=CONFIG_DIR, samples=samples) == 0
    shown = capsys.readouterr().out
    outbox = tmp_path / "demo" / "outbox"
    written = sorted(p.name for p in outbox.glob("*.eml"))
    assert len(written) == 3  # every application but the copy and the auto-reply
    table = shown.replace("│", " ").replace("\n", " ")
    squeezed = re.sub(r"\s+", "", table)
    for name in written:  # each reply file is named in the table, whole, as `less` takes it
        assert name in shown, name
    assert "review" in table and "sender_unverified" in squeezed
    assert "(written)" in squeezed and "(sent)" not in squeezed
    assert f"3 written to {outbox} (nothing was sent)" in shown

    hints = [
        line.strip()
        for line in shown.split("Look further")[1].splitlines()
        if line.startswith("  ") and "-m licensebot" in line
    ]
    review = re.search(r"review show (\d+) --config", shown)  # mailboxes list in any order
    assert review is not None
    assert [h.split("-m licensebot ")[1].split(" --config ")[0] for h in hints][:3] == [
        "explain 1",
        "review list",
        f"review show {review[1]}",
    ]
    # each as the shell would run it: its variables set, then this interpreter's licensebot
    for hint in hints:
        words = shlex.split(hint)
        while "=" in words[0]:
            name, _, value = words.pop(0).partition("=")
            monkeypatch.setenv(name, value)
        assert Path(words[0]).resolve() == Path(sys.executable).resolve(), hint
        assert words[1:3] == ["-m", "licensebot"], hint
        monkeypatch.setattr(sys, "argv", ["licensebot", *words[3:]])
        with pytest.raises(SystemExit) as done:
            cli.main()
        assert done.value.code in (0, None), (hint, capsys.readouterr())
    ran = capsys.readouterr().out
    assert f"case {review[1]}: review" in ran and "done: " in ran
    assert (tmp_path / "demo" / "digest.eml").is_file()
    assert len(list(outbox.glob("*.eml"))) == 4  # and the approval was written there


def test_the_hints_name_the_command_as_it_was_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = tmp_path / ".venv" / "bin" / "licensebot"  # `make demo` runs .venv/bin/licensebot
    script.parent.mkdir(parents=True)
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", [str(script), "demo"])
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    assert _command() == ".venv/bin/licensebot"
    monkeypatch.setenv("PATH", f"{script.parent}:/usr/bin:/bin")  # an activated venv
    assert _command() == "licensebot"
    monkeypatch.setattr(sys, "argv", ["/somewhere/licensebot/__main__.py"])
    assert _command().endswith(" -m licensebot")
