"""End-to-end: the `licensebot` command as a subprocess against Dovecot and the SMTP server."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from licensebot.cli.app import app
from tests.servers.dovecot import DovecotServer
from tests.servers.smtp import SmtpServer
from tests.support import SMTP_PASSWORD, SMTP_USER, bot_env, mailbox_block, write_config

PW = "bot-password"
BOXES = {"sirui": "sirui@dataset.test", "iamthy": "iamthy@dataset.test"}


@dataclass
class Deployment:
    """Two mailboxes on one Dovecot, an SMTP server, a config, and a way to run the CLI."""

    dovecot: DovecotServer
    smtp: SmtpServer
    config: Path
    env: dict[str, str]
    logs: Path

    def cli(
        self, *args: str, fault: str | None = None, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        env = dict(self.env)
        if fault:
            env["LICENSEBOT_FAULT"] = fault
        return subprocess.run(
            [sys.executable, "-m", "licensebot", *args, "--config", str(self.config)],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def cli_in_process(self, *args: str) -> Result:
        """A command that needs no process of its own (`db upgrade`), in this one: the same
        code as `cli`, without paying the interpreter's start-up (about a second) for it."""
        return CliRunner().invoke(app, [*args, "--config", str(self.config)], env=self.env)

    def start(self, *args: str) -> subprocess.Popen[bytes]:
        log = open(self.logs, "ab")  # noqa: SIM115 - handed to the child
        return subprocess.Popen(
            [sys.executable, "-m", "licensebot", *args, "--config", str(self.config)],
            env=self.env,
            stdout=log,
            stderr=log,
        )

    def wait_log(self, text: str, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.logs.exists() and text in self.logs.read_text(errors="replace"):
                return
            time.sleep(0.05)
        raise AssertionError(f"{text!r} not logged in {timeout}s:\n{self.logs.read_text()[-3000:]}")


@pytest.fixture
def deployment(
    tmp_path: Path,
    dovecot: DovecotServer,
    smtp_factory: Callable[..., SmtpServer],
    request: pytest.FixtureRequest,
) -> Iterator[Callable[..., Deployment]]:
    def make(**kw: object) -> Deployment:
        """`upgrade_subprocess=True`: `licensebot db upgrade` as its own process, as an operator
        runs it (by default in this process: the same command, a second less per test)."""
        upgrade_subprocess = bool(kw.pop("upgrade_subprocess", False))
        for user in BOXES:
            dovecot.add_user(user, PW)
        smtp = smtp_factory(implicit_tls=True, username=SMTP_USER, password=SMTP_PASSWORD)
        idle = bool(kw.pop("idle", True))
        blocks = [mailbox_block(dovecot, u, name=u, address=a, idle=idle) for u, a in BOXES.items()]
        cfg = write_config(tmp_path, mailboxes=blocks, smtp=smtp, **kw)  # type: ignore[arg-type]
        env = {k: v for k, v in os.environ.items() if not k.startswith("LICENSEBOT_")}
        env.update(bot_env(dict.fromkeys(BOXES, PW)))
        env["LICENSEBOT_LOG_LEVEL"] = "DEBUG" if request.config.getoption("verbose") > 1 else "INFO"
        d = Deployment(dovecot, smtp, cfg, env, tmp_path / "worker.log")
        if upgrade_subprocess:
            result = d.cli("db", "upgrade")
            assert result.returncode == 0, result.stderr
            assert "database at revision" in result.stdout, result.stdout
        else:
            done = d.cli_in_process("db", "upgrade")
            assert done.exit_code == 0, done.output
        return d

    yield make
