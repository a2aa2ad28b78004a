"""`licensebot config check --connect`: what can only be known by connecting. Every IMAP
mailbox is logged in to (TLS verified, as the worker does), its folder selected and the
authserv-ids on its newest messages compared with `auth.trusted_authserv_ids`; the SMTP
server is logged in to (TLS verified); the database is migrated. Each line names a mailbox
by its address."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from pathlib import Path

from licensebot.config import Mailbox, SecretMissing, Settings, read_secret
from licensebot.errors import LicensebotError

#: How many of a folder's newest messages are looked at for their Authentication-Results.
NEWEST = 20
_HOSTNAME = re.compile(r"^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$", re.I)


@dataclass(frozen=True)
class Finding:
    ok: bool
    text: str


def connect_findings(settings: Settings, *, environ: dict[str, str] | None = None) -> list[Finding]:
    """One finding per thing checked, in the order a person would fix them."""
    from licensebot.store.db import migration_problem

    found: list[Finding] = []
    for authserv in settings.auth.trusted_authserv_ids:
        if not _HOSTNAME.match(authserv):
            found.append(
                Finding(
                    False,
                    f"auth.trusted_authserv_ids: {authserv!r} is not a host name; it is the "
                    "name your receiving server writes first in Authentication-Results",
                )
            )
    for box in settings.mailbox:
        found.extend(_mailbox(settings, box, environ))
    found.append(_smtp(settings, environ))
    problem = migration_problem(settings.storage.url())
    found.append(Finding(problem is None, problem or "database: migrated to the newest revision"))
    return found


def _mailbox(settings: Settings, box: Mailbox, environ: dict[str, str] | None) -> list[Finding]:
    who = f"mailbox {box.address}"
    if box.kind == "maildir":
        ok = Path(box.path).is_dir()
        return [Finding(ok, f"{who}: Maildir {box.path} " + ("is there" if ok else "is missing"))]
    from licensebot.mail.imap import CONNECTION_ERRORS, open_imap

    refused: tuple[type[BaseException], ...] = (LicensebotError, *CONNECTION_ERRORS)
    try:
        secret = read_secret(box.secret_env, environ=environ)
        with open_imap(box, secret) as session:
            uids = session.client.search(["ALL"])
            newest = sorted(uids)[-NEWEST:]
            ids = _authserv_ids(session.client, newest)
    except SecretMissing as exc:
        return [Finding(False, f"{who}: {exc}")]
    except refused as exc:
        return [Finding(False, f"{who}: {exc}")]
    security = "TLS" if box.security == "tls" else "STARTTLS"
    found = [
        Finding(
            True,
            f"{who}: logged in to {box.host}:{box.port} ({security}, certificate verified) as "
            f"{box.username}; {box.folder} holds {len(uids)} message(s)",
        )
    ]
    trusted = {t.lower() for t in settings.auth.trusted_authserv_ids}
    if not newest:
        found.append(Finding(True, f"{who}: no message yet to check the trusted authserv-id on"))
    elif not ids & trusted:
        seen = ", ".join(sorted(ids)) or "none"
        found.append(
            Finding(
                False,
                f"{who}: the newest {len(newest)} message(s) carry Authentication-Results from "
                f"{seen}, none from {', '.join(sorted(trusted)) or 'a trusted authserv-id'}: set "
                "auth.trusted_authserv_ids to the name your receiving server stamps",
            )
        )
    else:
        found.append(
            Finding(True, f"{who}: its server stamps {', '.join(sorted(ids & trusted))} (trusted)")
        )
    return found


def _authserv_ids(client: object, uids: list[int]) -> set[str]:
    """The authserv-ids (the first word of each Authentication-Results) on `uids`."""
    if not uids:
        return set()
    key = b"BODY[HEADER.FIELDS (AUTHENTICATION-RESULTS)]"
    fetched = client.fetch(uids, ["BODY.PEEK[HEADER.FIELDS (AUTHENTICATION-RESULTS)]"])  # type: ignore[attr-defined]
    ids: set[str] = set()
    for data in fetched.values():
        block = data.get(key, b"").decode("ascii", "replace")
        for header in re.split(r"\r?\n(?=\S)", block):
            _, sep, value = header.partition(":")
            if sep and value.strip():
                ids.add(value.strip().split(";")[0].split()[0].lower())
    return ids


def _smtp(settings: Settings, environ: dict[str, str] | None) -> Finding:
    smtp = settings.smtp
    if smtp.kind == "directory":
        ok = Path(smtp.directory).is_dir() or Path(smtp.directory).parent.is_dir()
        return Finding(ok, f"smtp: replies are written to {smtp.directory} (nothing is sent)")
    import aiosmtplib

    from licensebot.mail.transport import SmtpTransport

    where = f"smtp {smtp.host}:{smtp.port}"
    try:
        secret = None if smtp.auth == "none" else read_secret(smtp.secret_env, environ=environ)
        asyncio.run(SmtpTransport(smtp, secret).probe())
    except SecretMissing as exc:
        return Finding(False, f"smtp: {exc}")
    except aiosmtplib.SMTPAuthenticationError as exc:
        return Finding(
            False,
            f"{where}: login as {smtp.username} refused ({exc.code}): check {smtp.secret_env}",
        )
    except (aiosmtplib.SMTPException, OSError) as exc:
        if "CERTIFICATE_VERIFY_FAILED" in str(exc):
            return Finding(
                False,
                f"{where}: the server's certificate is not trusted ({exc}); set smtp.ca_file "
                "if it uses a private CA",
            )
        return Finding(False, f"{where}: cannot connect or log in ({exc})")
    security = {
        "tls": "TLS, certificate verified",
        "starttls": "STARTTLS, certificate verified",
        "none": "no TLS: a relay on this machine",
    }[smtp.security]
    login = "no login" if smtp.auth == "none" else f"logged in as {smtp.username}"
    return Finding(True, f"{where}: connected ({security}), {login}")
