"""Shared test helpers: a licensebot config pointing at the test servers, and database peeks."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tests.servers.dovecot import DovecotServer
from tests.servers.smtp import SmtpServer

REPO = Path(__file__).resolve().parent.parent
CONFIG_DIR = REPO / "config"
SMTP_USER = "bot-smtp"
SMTP_PASSWORD = "smtp-secret"
ACCESS_CODE = "test-access-code"


def mailbox_block(
    dovecot: DovecotServer,
    user: str,
    *,
    name: str,
    address: str,
    folder: str = "INBOX",
    after: str = "move",
    idle: bool = True,
) -> str:
    return f"""
[[mailbox]]
name = "{name}"
address = "{address}"
kind = "imap"
host = "127.0.0.1"
port = {dovecot.imaps_port}
security = "tls"
username = "{user}"
secret_env = "LICENSEBOT_TEST_IMAP_{name.upper()}"
ca_file = "{dovecot.ca_file}"
timeout_seconds = 10
folder = "{folder}"
after = "{after}"
idle = {str(idle).lower()}
"""


def write_config(
    directory: Path,
    *,
    mailboxes: Sequence[str],
    smtp: SmtpServer | None,
    database_url: str = "",
    extra: str = "",
    schedule: dict[str, Any] | None = None,
    outbox: dict[str, Any] | None = None,
    la_dir: Path | None = None,
) -> Path:
    """A complete TOML for the bot, on the test servers; secrets come from `bot_env`."""
    sched = {"poll_seconds": 300, "outbox_seconds": 1, "idle_renew_seconds": 60, "fetch_batch": 5}
    sched.update(schedule or {})
    ob = {"lease_seconds": 1, "ambiguous_delay_seconds": 0, "backoff_initial_seconds": 0.2}
    ob.update(outbox or {})
    if smtp is not None:
        smtp_block = f"""
[smtp]
kind = "smtp"
host = "127.0.0.1"
port = {smtp.port}
security = "tls"
username = "{SMTP_USER}"
secret_env = "LICENSEBOT_TEST_SMTP"
ca_file = "{smtp.ca_file}"
from_address = "desk@dataset.test"
from_name = "DFME License Desk"
timeout_seconds = 10
"""
    else:
        smtp_block = f"""
[smtp]
kind = "directory"
directory = "{directory / "outbox"}"
from_address = "desk@dataset.test"
"""
    text = f"""
[dataset]
instance_id = "licensebot-test"
la_dir = "{la_dir or CONFIG_DIR / "la"}"
templates_dir = "{CONFIG_DIR / "templates"}"

[storage]
data_dir = "{directory / "data"}"
database_url = "{database_url}"

{"".join(mailboxes)}
{smtp_block}

[approval]
download_instructions = "Open https://data.dataset.test/dfme and enter the access code."

[auth]
trusted_authserv_ids = ["mx.dataset.test"]

[maintainers]
addresses = ["keeper@dataset.test"]

[schedule]
{_kv(sched)}

[outbox]
{_kv(ob)}
{extra}
"""
    path = directory / "licensebot.toml"
    path.write_text(text, encoding="utf-8")
    return path


def bot_env(passwords: dict[str, str]) -> dict[str, str]:
    env = {f"LICENSEBOT_TEST_IMAP_{name.upper()}": pw for name, pw in passwords.items()}
    env["LICENSEBOT_TEST_SMTP"] = SMTP_PASSWORD
    env["LICENSEBOT_ACCESS_CODE"] = ACCESS_CODE
    return env


def _kv(values: dict[str, Any]) -> str:
    return "\n".join(
        f"{k} = {v!r}" if isinstance(v, str) else f"{k} = {v}" for k, v in values.items()
    )


def la_dir_with_older_version(directory: Path) -> Path:
    """config/la plus an older registered version (the factory's 2021 text), for outdated_form."""
    import shutil

    from licensebot.reading.la_versions import load_versions
    from tests.forms.factory import older_version

    target = directory / "la"
    shutil.copytree(CONFIG_DIR / "la", target)
    old = older_version(load_versions(target)[-1])
    (target / f"{old.id}.md").write_text(old.text, encoding="utf-8")
    with (target / "versions.toml").open("a", encoding="utf-8") as f:
        f.write(
            f'\n[[version]]\nid = "{old.id}"\neffective = {old.effective.isoformat()}\n'
            f'title = "older"\nfile = "{old.id}.md"\n'
        )
    return target
