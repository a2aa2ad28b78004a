"""`licensebot la publish / list / status` on a SQLite database, sending to a directory."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import date, timedelta
from functools import partial
from pathlib import Path

import pytest
from sqlmodel import Session, func, select
from typer.testing import CliRunner

from licensebot.cli.app import app
from licensebot.store.db import make_engine
from licensebot.store.models import LaNotice, LaVersionRecord, OutboxMessage
from tests.la_support import LA_2023, la_2027, seed_licensees
from tests.support import CONFIG_DIR, bot_env


def _setting(tmp_path: Path) -> Path:
    """A config with LA 2023 registered in a writable `la/`, sending to a directory."""
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
    return cfg


def test_publish_list_and_status_from_the_command_line(tmp_path: Path) -> None:
    cfg = _setting(tmp_path)
    run = partial(CliRunner().invoke, env=bot_env({}))
    assert run(app, ["db", "upgrade", "-c", str(cfg)]).exit_code == 0
    seed_licensees(make_engine(f"sqlite:///{tmp_path / 'data' / 'licensebot.sqlite3'}"), 3)
    new = tmp_path / "new.md"
    new.write_text(la_2027(), encoding="utf-8")
    effective = (date.today() + timedelta(days=10)).isoformat()

    publish = ["la", "publish", str(new), "--effective", effective, "-c", str(cfg)]
    dry = run(app, [*publish, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert f"dry run: version {effective} (new), effective {effective}, previous 2023" in dry.output
    assert "notices it would queue: 3 (3 on 2023)" in dry.output
    assert "Subject: " in dry.output and "OPT OUT" in dry.output  # one notice, rendered
    assert dry.output.rstrip().endswith("nothing was written, registered or queued")
    assert "2023 " in run(app, ["la", "list", "-c", str(cfg)]).output
    assert f"{effective} " not in run(app, ["la", "list", "-c", str(cfg)]).output
    assert sorted(p.name for p in (tmp_path / "la").iterdir()) == ["2023.md", "versions.toml"]

    first = run(app, ["la", "publish", str(new), "--effective", effective, "-c", str(cfg)])
    assert first.exit_code == 0, first.output
    assert "notices queued: 3 in " in first.stderr  # the progress's summary line
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


def test_publish_is_refused_before_anything_when_config_la_is_read_only(tmp_path: Path) -> None:
    """As in the compose deploy, which mounts config/ read-only: the old code registered the
    version and queued its notices, then asked for a hand edit of versions.toml."""
    cfg = _setting(tmp_path)
    env = {**os.environ, **bot_env({}), "LICENSEBOT_LOG_LEVEL": "WARNING"}
    assert CliRunner().invoke(app, ["db", "upgrade", "-c", str(cfg)], env=env).exit_code == 0
    engine = make_engine(f"sqlite:///{tmp_path / 'data' / 'licensebot.sqlite3'}")
    seed_licensees(engine, 2)
    new = tmp_path / "new.md"
    new.write_text(la_2027(), encoding="utf-8")
    la = tmp_path / "la"
    effective = (date.today() + timedelta(days=10)).isoformat()
    cmd = [sys.executable, "-m", "licensebot", "la", "publish", str(new)]
    cmd += ["--effective", effective, "-c", str(cfg)]
    if os.geteuid() == 0:  # root writes through file modes: a read-only bind mount instead
        if shutil.which("unshare") is None:
            pytest.skip("needs unshare(1) to mount config/la read-only as root")
        script = f'mount --bind -o ro "{la}" "{la}" && exec "$@"'
        cmd = ["unshare", "-rm", "sh", "-c", script, "sh", *cmd]
    else:
        la.chmod(0o555)
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    if done.returncode != 1 and ("unshare" in done.stderr or "mount" in done.stderr):
        pytest.skip(f"no read-only mount here: {done.stderr.strip()}")  # no user namespaces
    la.chmod(0o755)
    assert done.returncode == 1, done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith(f"error: cannot publish: {la} is not writable")
    assert "nothing was registered or queued" in done.stderr
    with Session(engine) as s:
        assert [r.id for r in s.exec(select(LaVersionRecord)).all()] == ["2023"]
        assert s.exec(select(func.count()).select_from(LaNotice)).one() == 0
        assert s.exec(select(func.count()).select_from(OutboxMessage)).one() == 0
    assert sorted(p.name for p in la.iterdir()) == ["2023.md", "versions.toml"]
