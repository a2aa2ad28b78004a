"""`licensebot demo`: the production pipeline on a throwaway local setup. Two Maildir mailboxes
stand in for the IMAP ones, a directory stands in for the SMTP server, SQLite holds the records;
sample applications are delivered, one poll runs, and a table shows what happened."""

from __future__ import annotations

import tempfile
from email.message import EmailMessage
from email.utils import format_datetime, localtime, make_msgid
from pathlib import Path

from rich.console import Console
from rich.table import Table
from sqlmodel import Session, col, select

from licensebot.config import load_settings
from licensebot.store.db import make_engine, upgrade
from licensebot.store.models import Application, DecisionRecord, InboundMessage, OutboxMessage

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


def run_demo(directory: Path | None, *, config_dir: Path | None = None) -> int:
    console = Console()
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
    for box_names, raw in sample_messages():
        for name in box_names:
            boxes[name].add(raw)

    from licensebot.worker.runner import Worker

    console.print(f"[bold]licensebot demo[/bold] in {root}")
    console.print(f"config {toml}; mailboxes {root / 'mail'}; replies {root / 'outbox'}\n")
    report = Worker(settings, environ={"LICENSEBOT_DEMO_ACCESS_CODE": "DEMO-ONLY"}).poll_once()
    table = Table(title="What came in, what was decided, where the replies went")
    for header in ("mailbox", "from", "subject", "case", "decision", "reasons", "reply"):
        table.add_column(header, overflow="fold")
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
            if row.state == "duplicate":
                reply = "none (same application as the other mailbox's copy)"
            elif out:
                reply = f"{out.kind} -> {out.recipient} [{out.state}]"
            else:
                reply = "none"
            table.add_row(
                row.mailbox,
                row.from_address or "?",
                row.subject[:40],
                f"#{app.id}" if app else "-",
                (dec.decision if dec else row.state)
                + (" (copy)" if row.state == "duplicate" else ""),
                ", ".join(dec.reasons) if dec and dec.reasons else "-",
                reply,
            )
    console.print(table)
    o = report.outbox
    console.print(f"\nreplies: {o.sent} written to {settings.smtp.directory}")
    console.print(
        "[yellow]Note:[/yellow] decisions are what the code knows today. The LA reader and the "
        "judging rules are not wired in yet, so every application that carries a PDF goes to a "
        "person (review); nothing is approved on a guess."
    )
    return 0


def sample_messages() -> list[tuple[tuple[str, ...], bytes]]:
    """Sample traffic: (which mailboxes receive it, raw bytes)."""
    out: list[tuple[tuple[str, ...], bytes]] = []
    both = ("sirui", "iamthy")
    la = demo_pdf(['License Agreement "DFME Database"', "The Signer's Name: San Zhang"])
    out.append(
        (
            both,
            _mail(
                "San Zhang <san.zhang@mail.ustc.edu.cn>",
                "DFME license agreement",
                "Dear DFME team, please find my signed LA attached.",
                attachment=("DFME_License_Agreement_San_Zhang.pdf", la),
            ),
        )
    )
    out.append(
        (
            ("sirui",),
            _mail(
                "Maria Garcia <m.garcia@upm.es>",
                "Request for the DFME database",
                "Hello, I would like to download the DFME database for my research.",
            ),
        )
    )
    out.append(
        (
            ("iamthy",),
            _mail(
                "Li Si <lisi@tsinghua.edu.cn>",
                "Automatic reply: DFME",
                "I am out of the office until Monday.",
                headers={"Auto-Submitted": "auto-replied"},
            ),
        )
    )
    return out


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


def demo_pdf(lines: list[str]) -> bytes:
    """A minimal valid one-page PDF with a few lines of text."""
    text = (
        "BT /F1 12 Tf 72 720 Td 16 TL "
        + " ".join(
            "(" + ln.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ") '"
            for ln in lines
        )
        + " ET"
    )
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(text) + text.encode("latin-1") + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)
