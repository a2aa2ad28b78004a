"""`licensebot la publish / list / status` on a SQLite database, sending to a directory."""

from __future__ import annotations

from datetime import date, timedelta
from functools import partial
from pathlib import Path

from typer.testing import CliRunner

from licensebot.cli.app import app
from licensebot.store.db import make_engine
from tests.la_support import LA_2023, la_2027, seed_licensees
from tests.support import CONFIG_DIR, bot_env


def test_publish_list_and_status_from_the_command_line(tmp_path: Path) -> None:
    la = tmp_path / "la"
    la.mkdir()
    (la / "2023.md").write_text(LA_2023, encoding="utf-8")
    (la / "versions.toml").write_text(
        '[[version]]\nid = "2023"\neffective = 2023-01-01\nfile = "2023.md"\n', encoding="utf-8"
    )
    cfg = tmp_path / "licensebot.toml"
    cfg.write_text(
        f"""
[dataset]
la_dir = "la"
templates_dir = "{CONFIG_DIR / "templates"}"
[storage]
data_dir = "data"
[[mailbox]]
name = "m"
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
[la]
new_applications_from = "publication"
""",
        encoding="utf-8",
    )
    run = partial(CliRunner().invoke, env=bot_env({}))
    assert run(app, ["db", "upgrade", "-c", str(cfg)]).exit_code == 0
    seed_licensees(make_engine(f"sqlite:///{tmp_path / 'data' / 'licensebot.sqlite3'}"), 3)
    new = tmp_path / "new.md"
    new.write_text(la_2027(), encoding="utf-8")
    effective = (date.today() + timedelta(days=10)).isoformat()

    first = run(app, ["la", "publish", str(new), "--effective", effective, "-c", str(cfg)])
    assert first.exit_code == 0, first.output
    assert f"version {effective} published" in first.output
    assert "notices: 3 queued now, 3 in all" in first.output
    again = run(app, ["la", "publish", str(new), "--effective", effective, "-c", str(cfg)])
    assert "already published; resumed" in again.output and "0 queued now" in again.output
    clash = run(app, ["la", "publish", str(cfg), "--effective", effective, "-c", str(cfg)])
    assert clash.exit_code == 1

    listed = run(app, ["la", "list", "-c", str(cfg)]).output.splitlines()
    assert listed[0].startswith("2023 ") and "<-" not in listed[0]
    assert listed[1].startswith(f"{effective} ") and listed[1].endswith("<- new applications")

    status = run(app, ["la", "status", "-c", str(cfg)])
    assert status.exit_code == 0
    assert "notices: 3, done 0 (0.0%)" in status.output
    assert run(app, ["poll", "--once", "-c", str(cfg)]).exit_code == 0
    done = run(app, ["la", "status", effective, "-c", str(cfg)]).output
    assert "notices: 3, done 3 (100.0%)" in done and "sent      3" in done
    assert len(list((tmp_path / "sent").glob("*.eml"))) == 3
