"""Typed settings, grouped by concern, loaded from one TOML file plus the environment.

The TOML file (`config/licensebot.toml` for DFME) holds every non-secret setting, documented in
place. Secrets never live in it: a setting names an environment variable (`secret_env`), and the
secret is read from that variable or from the file named by `<VAR>_FILE` (systemd credentials,
docker secrets). `LICENSEBOT_DATABASE_URL` and `LICENSEBOT_DATA_DIR` override the storage section,
`LICENSEBOT_HEALTH_PORT` the health port (the container image turns it on).
"""

from __future__ import annotations

import os
import tomllib
from datetime import time
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from licensebot.core.address import address_problem
from licensebot.errors import LicensebotError

DEFAULT_CONFIG = Path("config/licensebot.toml")


class ConfigError(LicensebotError):
    """The configuration cannot be used; the message says exactly what to fix."""


def _address(value: str) -> str:
    problem = address_problem(value)
    if problem:
        raise ValueError(f"{value!r} is not an email address: {problem}")
    return value


#: An email address, checked by email-validator (syntax only: no DNS lookups).
Address = Annotated[str, AfterValidator(_address)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Dataset(_Section):
    name: str = "DFME"
    case_tag: str = "DFME-LA"
    instance_id: str = "licensebot"
    file_prefix: str = "DFME_License_Agreement_"
    la_dir: str = "la"
    templates_dir: str = "templates"
    citation: str = ""


class Approval(_Section):
    """What an approved applicant receives: how to download, and the access code (a secret)."""

    # Per language (`{ en = "...", zh = "..." }`); a plain string is the English text, and the
    # Chinese half of the approval then points to it instead of quoting English.
    download_instructions: str | dict[Literal["en", "zh"], str] = ""
    access_code_env: str = "LICENSEBOT_ACCESS_CODE"

    def instructions(self) -> dict[str, str]:
        """The download instructions by language ("" where none is written)."""
        given = self.download_instructions
        texts = {"en": given} if isinstance(given, str) else dict(given)
        return {lang: texts.get(lang, "").strip() for lang in ("en", "zh")}


class Storage(_Section):
    data_dir: Path = Path("/var/lib/licensebot")
    database_url: str = ""

    def url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'licensebot.sqlite3'}"


class Mailbox(_Section):
    name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")]
    address: Address
    kind: Literal["imap", "maildir"] = "imap"
    host: str = ""
    port: int = 993
    security: Literal["tls", "starttls"] = "tls"
    username: str = ""
    auth: Literal["password", "xoauth2"] = "password"
    secret_env: str = ""
    ca_file: str = ""
    timeout_seconds: float = 60.0
    folder: str = "INBOX"
    processed_folder: str = "licensebot/processed"
    failed_folder: str = "licensebot/failed"
    after: Literal["move", "flag"] = "move"
    processed_flag: str = "$LicensebotProcessed"
    idle: bool = True
    path: str = ""  # Maildir root, for kind = "maildir"

    @model_validator(mode="after")
    def _complete(self) -> Mailbox:
        if self.kind == "imap":
            missing = [k for k in ("host", "username", "secret_env") if not getattr(self, k)]
            if missing:
                raise ValueError(f"an IMAP mailbox needs {', '.join(missing)}")
        elif not self.path:
            raise ValueError("a maildir mailbox needs path")
        return self


class Smtp(_Section):
    kind: Literal["smtp", "directory"] = "smtp"
    host: str = ""
    port: int = 465
    # "none" (no TLS) only for a relay on this machine (127.0.0.1, ::1, localhost)
    security: Literal["tls", "starttls", "none"] = "tls"
    username: str = ""
    auth: Literal["password", "xoauth2", "none"] = "password"
    secret_env: str = ""
    ca_file: str = ""
    from_address: Address
    from_name: str = ""
    envelope_from: Address | Literal[""] = ""
    timeout_seconds: float = 120.0
    directory: str = ""

    @model_validator(mode="after")
    def _complete(self) -> Smtp:
        if self.security == "none" and self.host not in ("127.0.0.1", "::1", "localhost"):
            raise ValueError('security = "none" is only for a relay on this machine (127.0.0.1)')
        if self.kind == "smtp":
            need = ["host"] + (["username", "secret_env"] if self.auth != "none" else [])
            missing = [k for k in need if not getattr(self, k)]
            if missing:
                raise ValueError(f"SMTP sending needs {', '.join(missing)}")
        elif not self.directory:
            raise ValueError('smtp.kind = "directory" needs directory')
        return self


class Domains(_Section):
    """Overrides of the public lists of webmail, disposable and academic domains."""

    allow: tuple[str, ...] = ()  # work-address domains a list gets wrong (a company's domain)
    deny: tuple[str, ...] = ()  # never accepted as a work address (counted as free webmail)


class Auth(_Section):
    trusted_authserv_ids: tuple[str, ...] = ()


class Maintainers(_Section):
    addresses: tuple[Address, ...] = ()
    # "immediately": a notice per case that needs a person, as soon as it does (once per case);
    # "digest": only the daily digest's review queue.
    notify: Literal["immediately", "digest"] = "digest"


class Schedule(_Section):
    timezone: str = "UTC"
    poll_seconds: float = 60.0
    idle_renew_seconds: float = 540.0
    outbox_seconds: float = 15.0
    digest_time: time = time(8, 30)
    fetch_batch: Annotated[int, Field(ge=1, le=500)] = 20
    # Messages read at once, each in a single-use sandboxed reader of its own: the next ones
    # are read while one is judged, recorded and answered (each reader may take
    # ReadLimits.memory_bytes: docs/memory.md).
    readers: Annotated[int, Field(ge=1, le=8)] = 2

    @field_validator("idle_renew_seconds")
    @classmethod
    def _below_29_minutes(cls, v: float) -> float:
        if not 1 <= v < 29 * 60:
            raise ValueError("must be at least 1 s and well below 29 minutes (RFC 2177)")
        return v


AmbiguousPolicy = Literal["resend", "hold"]


def _notices_held() -> dict[str, AmbiguousPolicy]:
    return {"licensee.la_change": "hold"}


class Outbox(_Section):
    max_attempts: Annotated[int, Field(ge=1)] = 10
    backoff_initial_seconds: float = 30.0
    backoff_max_seconds: float = 3600.0
    lease_seconds: float = 300.0
    ambiguous_policy: AmbiguousPolicy = "resend"
    # Per outbox kind, overriding ambiguous_policy. A broadcast promises "nothing sent twice".
    ambiguous_policy_by_kind: dict[str, AmbiguousPolicy] = Field(default_factory=_notices_held)
    ambiguous_delay_seconds: float = 900.0
    batch: Annotated[int, Field(ge=1)] = 50
    # SMTP connections a flush uses at once (each sends its own claimed batch).
    connections: Annotated[int, Field(ge=1, le=32)] = 1
    # The worker keeps its SMTP sessions open between flushes for this long idle (0: a new
    # session, TLS and login for every flush).
    hold_seconds: Annotated[float, Field(ge=0)] = 60.0


class La(_Section):
    """LA versions: which form new applications use, and the change-notice broadcast."""

    new_applications_from: Literal["publication", "effective"] = "effective"
    notices_per_minute: Annotated[int, Field(ge=0)] = 0  # 0: no limit
    notice_chunk: Annotated[int, Field(ge=1, le=10000)] = 500


class Limits(_Section):
    max_message_bytes: int = 30 * 1024 * 1024
    replies_per_address_per_day: int = 5


LicenseeDetail = Literal["name", "title", "affiliation", "members", "signed_pdf"]
LICENSEE_DETAILS: tuple[LicenseeDetail, ...] = (
    "name",
    "title",
    "affiliation",
    "members",
    "signed_pdf",
)


class Retention(_Section):
    """How long personal data is kept (docs/retention.md). Days count from a case's latest
    decision; a case waiting for review keeps everything until a person decides it.

    The purge runs daily at `purge_time` (schedule.timezone) in the worker, and on demand
    with `licensebot purge` (`--dry-run` shows what would go)."""

    # The raw messages (.eml, which hold the attachments too), the messages' subjects and
    # sender addresses, the replies' stored text and the rules' recorded facts of a case with a
    # final decision (approved, rejected, ignored); also of messages that are no application
    # (maintainers' commands, delivery reports, messages set aside), counted from receipt.
    raw_mail_days: Annotated[int, Field(ge=0)] = 90
    # The stored PDF of a case with a final decision (an approved case's PDF stays while the
    # licence lives when licensee_keeps has "signed_pdf").
    pdf_days: Annotated[int, Field(ge=0)] = 90
    # A rejected application is deleted entirely (its rows and files; the event log keeps only
    # that it existed) this long after its latest decision.
    rejected_days: Annotated[int, Field(ge=0)] = 365
    # The same for ignored messages (auto-replies, delivery reports to the desk, ...).
    ignored_days: Annotated[int, Field(ge=0)] = 30
    # What a licensee record keeps while the licence lives, beyond the email address, the LA
    # version and the dates (always kept: change notices go to that address). A detail not
    # listed is cleared with the raw mail, raw_mail_days after the approval.
    licensee_keeps: tuple[LicenseeDetail, ...] = LICENSEE_DETAILS
    # A licence that ended (voided: opted out of a new LA) keeps only a tombstone (id, case,
    # LA version, dates, state) this long after it ended. `licensebot licensee erase ID` makes
    # the tombstone at once.
    ended_licence_days: Annotated[int, Field(ge=0)] = 365
    # Also delete the purged messages from the bot's own folders on the mail server
    # (processed_folder and failed_folder of mailboxes with after = "move"; never the inbox).
    mailbox: bool = True
    # When the daily purge runs (local time in schedule.timezone).
    purge_time: time = time(3, 15)


class Health(_Section):
    """The worker's `/healthz` and `/metrics` on a local port (off while `port` is 0), and
    what counts as unhealthy."""

    port: Annotated[int, Field(ge=0, le=65535)] = 0  # 0: off
    address: str = "127.0.0.1"
    # A mailbox without a working IMAP session for longer than this (reconnecting) is red.
    imap_down_seconds: Annotated[float, Field(gt=0)] = 300.0
    # A reply still unsent this long after it was queued: the outbox is stuck (SMTP down).
    outbox_stuck_seconds: Annotated[float, Field(gt=0)] = 900.0
    # The scheduler's heartbeat (and systemd's watchdog ping, under Type=notify).
    heartbeat_seconds: Annotated[float, Field(gt=0)] = 10.0


class Push(_Section):
    """Wake-ups pushed by the mail server (Dovecot's push_notification plugin, its `ox`
    driver: deploy/README.md) to an HTTP listener on a local port (off while `port` is 0).
    A push only starts the sync of the mailbox it names at once, as an IDLE notice does; it
    carries no trust and nothing in it is recorded. IDLE and polling go on as without it."""

    port: Annotated[int, Field(ge=0, le=65535)] = 0  # 0: off
    address: str = "127.0.0.1"
    # The URL path Dovecot PUTs (or POSTs) to; any other path is answered 404.
    path: Annotated[str, Field(pattern=r"^/[A-Za-z0-9._~/-]*$")] = "/push"
    # A longer body is refused (413) unread; Dovecot's payload is a few hundred bytes.
    max_body_bytes: Annotated[int, Field(ge=256, le=1024 * 1024)] = 64 * 1024


class Settings(_Section):
    """Everything the bot needs, except secrets (see `Secrets`)."""

    dataset: Dataset = Dataset()
    storage: Storage = Storage()
    mailbox: tuple[Mailbox, ...]
    smtp: Smtp
    auth: Auth = Auth()
    maintainers: Maintainers = Maintainers()
    schedule: Schedule = Schedule()
    outbox: Outbox = Outbox()
    limits: Limits = Limits()
    approval: Approval = Approval()
    domains: Domains = Domains()
    la: La = La()
    retention: Retention = Retention()
    health: Health = Health()
    push: Push = Push()
    config_dir: Path = Path("config")

    @model_validator(mode="after")
    def _unique_mailboxes(self) -> Settings:
        names = [m.name for m in self.mailbox]
        if len(set(names)) != len(names):
            raise ValueError("mailbox names must be unique")
        if not names:
            raise ValueError("at least one [[mailbox]] is needed")
        return self

    @property
    def own_addresses(self) -> tuple[str, ...]:
        addrs = {m.address.lower() for m in self.mailbox}
        addrs.add(self.smtp.from_address.lower())
        if self.smtp.envelope_from:
            addrs.add(self.smtp.envelope_from.lower())
        return tuple(sorted(addrs))

    def path(self, relative: str) -> Path:
        """A path from the config file, relative to the config directory."""
        p = Path(relative)
        return p if p.is_absolute() else self.config_dir / p


def load_settings(path: Path | None = None, *, environ: dict[str, str] | None = None) -> Settings:
    """Read the TOML file (`LICENSEBOT_CONFIG` or config/licensebot.toml) and env overrides."""
    env = os.environ if environ is None else environ
    path = path or Path(env.get("LICENSEBOT_CONFIG", str(DEFAULT_CONFIG)))
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"config file {path} not found: pass --config or set LICENSEBOT_CONFIG"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    storage = dict(raw.get("storage", {}))
    if env.get("LICENSEBOT_DATABASE_URL"):
        storage["database_url"] = env["LICENSEBOT_DATABASE_URL"]
    if env.get("LICENSEBOT_DATA_DIR"):
        storage["data_dir"] = env["LICENSEBOT_DATA_DIR"]
    raw["storage"] = storage
    if env.get("LICENSEBOT_HEALTH_PORT"):
        raw["health"] = {**raw.get("health", {}), "port": env["LICENSEBOT_HEALTH_PORT"]}
    raw["config_dir"] = str(path.resolve().parent)
    try:
        settings = Settings.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{path}:\n{_describe(exc, raw)}") from None
    return _resolve_relative(settings)


def _resolve_relative(settings: Settings) -> Settings:
    """Relative paths in the file are relative to the config directory, not the cwd."""
    boxes = tuple(
        m.model_copy(update={"path": str(settings.path(m.path))}) if m.path else m
        for m in settings.mailbox
    )
    smtp = settings.smtp
    if smtp.directory:
        smtp = smtp.model_copy(update={"directory": str(settings.path(smtp.directory))})
    storage = settings.storage
    if not storage.data_dir.is_absolute():
        storage = storage.model_copy(update={"data_dir": settings.path(str(storage.data_dir))})
    return settings.model_copy(update={"mailbox": boxes, "smtp": smtp, "storage": storage})


def _describe(exc: ValidationError, raw: dict[str, object]) -> str:
    """Each error where it is; a mailbox by its address (`mailbox sirui@...`), not `mailbox.0`."""
    boxes = raw.get("mailbox")
    lines = []
    for err in exc.errors():
        loc = list(err["loc"])
        if len(loc) >= 2 and loc[0] == "mailbox" and isinstance(loc[1], int):
            box = boxes[loc[1]] if isinstance(boxes, list) and loc[1] < len(boxes) else None
            name = box.get("address") or box.get("name") if isinstance(box, dict) else None
            rest = ".".join(str(p) for p in loc[2:])
            lines.append(
                f"  - mailbox {name or loc[1] + 1}{', ' + rest if rest else ''}: {err['msg']}"
            )
            continue
        where = ".".join(str(p) for p in loc) or "(top level)"
        lines.append(f"  - {where}: {err['msg']}")
    return "\n".join(lines)


class SecretMissing(ConfigError):
    """A secret the configuration names is not set."""


def read_secret(name: str, *, environ: dict[str, str] | None = None) -> str:
    """The value of secret `name`: from the variable itself or the file `<name>_FILE` names."""
    env = os.environ if environ is None else environ
    value = env.get(name)
    if value:
        return value
    file_var = f"{name}_FILE"
    if env.get(file_var):
        p = Path(env[file_var])
        try:
            text = p.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise SecretMissing(f"{file_var}={p}: cannot read it ({exc.strerror})") from None
        if text:
            return text
        raise SecretMissing(f"{file_var}={p}: the file is empty")
    raise SecretMissing(f"secret {name} is not set: set {name} or {file_var} in the environment")


def check_settings(settings: Settings, *, environ: dict[str, str] | None = None) -> list[str]:
    """Every problem that would stop the bot, as sentences; empty when all is well."""
    problems: list[str] = []
    secrets = [(f"mailbox {m.address}", m.secret_env) for m in settings.mailbox if m.kind == "imap"]
    if settings.smtp.kind == "smtp" and settings.smtp.auth != "none":
        secrets.append(("smtp", settings.smtp.secret_env))
    secrets.append(("approval", settings.approval.access_code_env))
    for who, name in secrets:
        try:
            read_secret(name, environ=environ)
        except SecretMissing as exc:
            problems.append(f"{who}: {exc}")
    if not settings.approval.instructions()["en"]:
        problems.append(
            "approval.download_instructions is empty (its English text): approved applicants "
            "would not learn how to download the data"
        )
    for m in settings.mailbox:
        if m.kind == "imap" and m.ca_file and not Path(m.ca_file).is_file():
            problems.append(f"mailbox {m.address}: ca_file {m.ca_file} does not exist")
        if m.kind == "imap" and m.security == "tls" and m.port == 143:
            problems.append(f"mailbox {m.address}: port 143 is plain IMAP; implicit TLS is 993")
    if settings.smtp.kind == "smtp":
        if settings.smtp.security == "tls" and settings.smtp.port == 587:
            problems.append('smtp: port 587 is STARTTLS: set security = "starttls"')
        if settings.smtp.security == "starttls" and settings.smtp.port == 465:
            problems.append('smtp: port 465 is implicit TLS: set security = "tls"')
    for d in (settings.dataset.templates_dir, settings.dataset.la_dir):
        if not settings.path(d).is_dir():
            problems.append(f"dataset: directory {settings.path(d)} does not exist")
    if settings.maintainers.notify == "immediately" and not settings.maintainers.addresses:
        problems.append(
            'maintainers.notify = "immediately" but maintainers.addresses is empty: nobody '
            "would get the notices"
        )
    if not settings.auth.trusted_authserv_ids:
        problems.append(
            "auth.trusted_authserv_ids is empty: no Authentication-Results header would be "
            "trusted and every maintainer command would be ignored"
        )
    try:
        from zoneinfo import ZoneInfo

        ZoneInfo(settings.schedule.timezone)
    except Exception:
        problems.append(f"schedule.timezone {settings.schedule.timezone!r} is not a known zone")
    return problems
