"""`licensebot demo`: the production pipeline on a throwaway local setup. Two Maildir mailboxes
stand in for the IMAP ones, a directory stands in for the SMTP server, SQLite holds the records;
sample applications are delivered, one poll runs, and a table shows what happened."""

from __future__ import annotations

import dataclasses
import importlib.util
import sys
import tempfile
from email.message import EmailMessage
from email.utils import format_datetime, localtime, make_msgid
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlmodel import Session, col, select

from licensebot.config import load_settings
from licensebot.mail.transport import eml_name
from licensebot.store.db import make_engine, upgrade
from licensebot.store.models import (
    Application,
    DecisionRecord,
    InboundMessage,
    InboundState,
    OutboxMessage,
    OutboxState,
)

DEMO_TOML = """\
# Written by `licensebot demo`: the same pipeline as production, on local stand-ins.
[dataset]
name = "DFME"
case_tag = "DFME-LA"
instance_id = "licensebot-demo"
la_dir = "{config_dir}/la"
templates_dir = "{config_dir}/templates"

[storage]
data_dir = "{root}/data"

[[mailbox]]
name = "sirui"
address = "sirui@mail.ustc.edu.cn"
kind = "maildir"
path = "{root}/mail/sirui"

[[mailbox]]
name = "iamthy"
address = "iamthy@mail.ustc.edu.cn"
kind = "maildir"
path = "{root}/mail/iamthy"

[smtp]
kind = "directory"
directory = "{root}/outbox"
from_address = "sirui@mail.ustc.edu.cn"
from_name = "DFME License Desk"

[approval]
download_instructions = "(demo) Open the DFME download page and enter the access code."
access_code_env = "LICENSEBOT_DEMO_ACCESS_CODE"

[auth]
trusted_authserv_ids = ["mail.ustc.edu.cn"]

[maintainers]
addresses = ["sirui@mail.ustc.edu.cn"]
"""


def run_demo(
    directory: Path | None,
    *,
    config_dir: Path | None = None,
    samples: list[tuple[tuple[str, ...], bytes]] | None = None,
) -> int:
    """Deliver `samples` (default: `sample_messages`), poll once, print what happened and the
    commands to look further, each runnable as printed."""
    console = Console(width=max(Console().width, 150))
    config_dir = (config_dir or Path("config")).resolve()
    if not (config_dir / "templates").is_dir():
        console.print(f"[red]no templates in {config_dir}: run the demo from the repository[/red]")
        return 2
    root = (directory or Path(tempfile.mkdtemp(prefix="licensebot-demo-"))).resolve()
    root.mkdir(parents=True, exist_ok=True)
    toml = root / "licensebot.toml"
    toml.write_text(DEMO_TOML.format(root=root, config_dir=config_dir), encoding="utf-8")
    settings = load_settings(toml)
    engine = make_engine(settings.storage.url(), data_dir=settings.storage.data_dir)
    upgrade(engine)

    import mailbox as stdlib_mailbox

    (root / "mail").mkdir(exist_ok=True)
    boxes = {m.name: stdlib_mailbox.Maildir(m.path, create=True) for m in settings.mailbox}
    for box_names, raw in sample_messages(config_dir) if samples is None else samples:
        for name in box_names:
            boxes[name].add(raw)

    from licensebot.worker.runner import Worker

    console.print(f"[bold]licensebot demo[/bold] in {root}")
    console.print(f"config {toml}; mailboxes {root / 'mail'}; replies {root / 'outbox'}\n")
    report = Worker(settings, environ={"LICENSEBOT_DEMO_ACCESS_CODE": "DEMO-ONLY"}).poll_once()
    outbox = Path(settings.smtp.directory)
    table = Table(title="What came in, what was decided, and the reply written for each")
    for header in ("mailbox", "from", "case", "decision", "reasons", "reply"):
        table.add_column(header, overflow="fold")
    table.add_column("reply file (in the replies directory)", no_wrap=True)
    review_cases: list[int] = []
    with Session(engine) as s:
        rows = s.exec(select(InboundMessage).order_by(col(InboundMessage.id))).all()
        for row in rows:
            app = s.get(Application, row.application_id) if row.application_id else None
            dec = (
                s.exec(
                    select(DecisionRecord)
                    .where(DecisionRecord.application_id == app.id)
                    .order_by(col(DecisionRecord.id))
                ).first()
                if app
                else None
            )
            out = (
                s.exec(select(OutboxMessage).where(OutboxMessage.application_id == app.id)).first()
                if app
                else None
            )
            file = "-"
            if row.state is InboundState.DUPLICATE:
                reply = "none (the same application as the other mailbox's copy)"
            elif out:
                state = "written" if out.state is OutboxState.SENT else out.state.value
                reply = f"{out.kind.removeprefix('applicant.')} to {out.recipient} ({state})"
                if (outbox / eml_name(out.message_id)).is_file():
                    file = eml_name(out.message_id)
            else:
                reply = "none"
            if dec and dec.decision == "review" and app and app.id and app.id not in review_cases:
                review_cases.append(app.id)
            table.add_row(
                row.mailbox,
                row.from_address or "?",
                f"#{app.id}" if app else "-",
                (dec.decision if dec else row.state)
                + (" (copy)" if row.state is InboundState.DUPLICATE else ""),
                ", ".join(dec.reasons) if dec and dec.reasons else "-",
                reply,
                file,
            )
    console.print(table)
    o = report.outbox
    console.print(f"\nreplies: {o.sent} written to {outbox} (nothing was sent)")
    lb, cfg = _command(), f"--config {toml}"
    console.print("\nLook further (each line runs as it is):", highlight=False)
    hints = [
        (f"less {outbox}/*.eml", "read the replies"),
        (f"{lb} explain 1 {cfg}", "why case 1 was decided as it was"),
        (f"{lb} review list {cfg}", "the review queue (cases waiting for a person)"),
    ]
    if review_cases:
        case = review_cases[0]
        hints += [
            (f"{lb} review show {case} {cfg}", "one case under review"),
            (
                f"{lb} digest --dry-run --eml {root}/digest.eml {cfg}",
                "the maintainers' digest (the .eml holds its HTML and first-page images)",
            ),
            (
                f"LICENSEBOT_DEMO_ACCESS_CODE=DEMO-ONLY {lb} review approve {case} {cfg}",
                "settle it (the approval is written to the replies directory, not sent)",
            ),
        ]
    for command, what in hints:
        console.print(f"  {command}", markup=False, highlight=False, soft_wrap=True)
        console.print(f"      {what}", style="dim", highlight=False)
    return 0


def _command() -> str:
    """How the user ran licensebot, so that the hints run as printed: `licensebot` when that
    is what the shell finds, else the script's path (`.venv/bin/licensebot`, as `make demo`
    runs it), else `python -m licensebot` with this interpreter."""
    import shutil

    script = Path(sys.argv[0])
    if script.name == "licensebot" and script.is_file():
        found = shutil.which("licensebot")
        if found and Path(found).resolve() == script.resolve():
            return "licensebot"
        try:
            return str(script.resolve().relative_to(Path.cwd().resolve()))
        except ValueError:
            return str(script.resolve())
    python = Path(sys.executable)
    try:
        return f"{python.relative_to(Path.cwd())} -m licensebot"
    except ValueError:
        return f"{python} -m licensebot"


def sample_messages(config_dir: Path, *, scans: bool = True) -> list[tuple[tuple[str, ...], bytes]]:
    """Sample traffic: (which mailboxes receive it, raw bytes). The LAs come from the test
    suite's form factory (rendered, printed-and-scanned or digital, signed or not); with
    `scans=False` every form is digital (no OCR: quick, for the demo's own test)."""
    factory = _form_factory(config_dir)
    from licensebot.core.la import current_version
    from licensebot.reading.la_versions import load_versions

    la = current_version(load_versions(config_dir / "la"))

    def form(seed: int, title: str = "", **choices: Any) -> tuple[dict[str, str], bytes]:
        spec = factory.make_spec(seed, la, **choices)
        if title:
            written = {**spec.written, "signer_title": title}
            spec = dataclasses.replace(spec, written=written, truth={**spec.truth, **written})
        return spec.truth, factory.render(spec)

    def application(
        truth: dict[str, str],
        pdf: bytes,
        *,
        sender: str = "",
        headers: dict[str, str] | None = None,
    ) -> bytes:
        name = truth["signer_name"]
        return _mail(
            f"{name} <{sender or truth['work_email']}>",
            "DFME license agreement",
            "Dear DFME team, please find my signed License Agreement attached.",
            attachment=(f"DFME_License_Agreement_{'_'.join(name.split())}.pdf", pdf),
            headers=headers,
        )

    def unverified(truth: dict[str, str]) -> dict[str, str]:
        """The receiving server says the sender's domain failed DMARC: a person looks."""
        domain = truth["work_email"].rpartition("@")[2]
        return {
            "Authentication-Results": f"mail.ustc.edu.cn; dkim=fail header.d={domain}; "
            f"spf=fail smtp.mailfrom={domain}; dmarc=fail header.from={domain}"
        }

    both = ("sirui", "iamthy")
    common: dict[str, Any] = {"hand": "typed", "layout": "word", "dpi": 200, "angle": 0.6}
    scan: dict[str, Any] = {"medium": "scan", **common} if scans else {"medium": "digital"}
    good, good_pdf = form(11, signature="ink", name_style="western", **scan)
    digital, digital_pdf = form(12, medium="digital", signature="none", name_style="accented")
    student, student_pdf = form(
        13, title="PhD student", signature="ink", name_style="western", **scan
    )
    doubtful, doubtful_pdf = form(14, signature="ink", name_style="western", **scan)
    return [
        (both, application(good, good_pdf)),
        (("sirui",), application(digital, digital_pdf, sender="applicant.demo@gmail.com")),
        (("iamthy",), application(student, student_pdf)),
        (("sirui",), application(doubtful, doubtful_pdf, headers=unverified(doubtful))),
        (
            ("sirui",),
            _mail(
                "Maria Garcia <m.garcia@upm.es>",
                "Request for the DFME database",
                "Hello, I would like to download the DFME database for my research.",
            ),
        ),
        (
            ("iamthy",),
            _mail(
                "Li Si <lisi@tsinghua.edu.cn>",
                "Automatic reply: DFME",
                "I am out of the office until Monday.",
                headers={"Auto-Submitted": "auto-replied"},
            ),
        ),
    ]


def _form_factory(config_dir: Path) -> Any:
    """tests/forms/factory.py of the checkout the demo runs in."""
    path = config_dir.parent / "tests" / "forms" / "factory.py"
    spec = importlib.util.spec_from_file_location("licensebot_demo_factory", path)
    if spec is None or spec.loader is None:
        raise FileNotFoundError(f"{path}: the demo generates its samples with the form factory")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _mail(
    sender: str,
    subject: str,
    body: str,
    *,
    attachment: tuple[str, bytes] | None = None,
    headers: dict[str, str] | None = None,
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "sirui@mail.ustc.edu.cn, iamthy@mail.ustc.edu.cn"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(localtime())
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2].rstrip(">"))
    for k, v in (headers or {}).items():
        msg[k] = v
    msg.set_content(body)
    if attachment:
        msg.add_attachment(
            attachment[1], maintype="application", subtype="pdf", filename=attachment[0]
        )
    return msg.as_bytes()
