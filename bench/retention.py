"""How long the retention purge takes on a desk with 10,000 stored applications.

    .venv/bin/python bench/retention.py --count 10000 [--postgres]

Writes bench/results/retention.md. The applications are stored as the intake stores them (a
raw message file and an `inbound_message` row each, the PDF file, the rules' decision, the
reply in the outbox as sent, a licence for each approval), spread evenly over the two years
before today: 35 % approved, 35 % rejected, 20 % under review, 10 % ignored; a tenth of the
licences voided. Then, under the default `[retention]` policy, `Retention.plan()` (what
`licensebot purge --dry-run` computes) and `Retention.purge()` (the daily job) are timed, and
a second purge right after (nothing due: the daily cost on a settled desk).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, insert, select  # noqa: E402

from licensebot.config import Retention as RetentionSettings  # noqa: E402
from licensebot.store.db import make_engine, upgrade  # noqa: E402
from licensebot.store.files import Blobs  # noqa: E402
from licensebot.store.models import (  # noqa: E402
    Application,
    DecisionRecord,
    InboundMessage,
    Licensee,
    OutboxMessage,
)
from licensebot.worker.retention import Retention  # noqa: E402

KINDS = ["approve"] * 35 + ["reject"] * 35 + ["review"] * 20 + ["ignore"] * 10


def seed(engine: Engine, blobs: Blobs, count: int, now: datetime) -> None:
    span = timedelta(days=730)
    apps, inbound, decisions, outbox, licences = [], [], [], [], []
    for i in range(1, count + 1):
        at = now - span + span * i / count
        decision = KINDS[(i * 37) % len(KINDS)]
        sender = f"applicant{i}@uni{i % 97}.edu"
        raw = f"From: {sender}\r\nSubject: DFME {i}\r\n\r\nLA attached {i}\r\n".encode()
        _, raw_path = blobs.put(raw, kind="messages", suffix=".eml")
        pdf = (
            None
            if decision == "ignore"
            else blobs.put(b"%PDF-1.4 " + raw, kind="pdf", suffix=".pdf")
        )
        apps.append(
            {
                "id": i,
                "dedup_key": f"bench-{i}",
                "message_id": f"<bench-{i}@uni.edu>",
                "sender": sender,
                "subject": f"DFME license agreement {i}",
                "created_at": at,
                "updated_at": at,
                "decision": decision,
                "pdf_sha256": pdf[0] if pdf else None,
                "pdf_path": str(pdf[1]) if pdf else None,
                "pdf_filename": f"DFME_License_Agreement_Signer_{i}.pdf" if pdf else None,
            }
        )
        inbound.append(
            {
                "mailbox": "sirui",
                "folder": "INBOX",
                "uidvalidity": "1",
                "uid": str(i),
                "message_id": f"<bench-{i}@uni.edu>",
                "size": len(raw),
                "sha256": "",
                "raw_path": str(raw_path),
                "from_address": sender,
                "subject": f"DFME license agreement {i}",
                "received_at": at,
                "state": "processed",
                "attempts": 1,
                "application_id": i,
                "post_action_done": True,
            }
        )
        decisions.append(
            {
                "application_id": i,
                "decision": decision,
                "reasons": [] if decision == "approve" else ["not_signed"],
                "rule_results": [{"rule": "free_email", "hit": False, "facts": {"domain": "x"}}],
                "fields": {"signer_name": f"Signer {i}", "work_email": sender},
                "decided_by": "rules",
                "created_at": at,
                "dedup_key": f"bench-{i}",
            }
        )
        if decision != "ignore":
            outbox.append(
                {
                    "idempotency_key": f"reply:{i}",
                    "application_id": i,
                    "kind": f"applicant.{decision}",
                    "message_id": f"<reply-{i}@dataset.test>",
                    "recipient": sender,
                    "envelope_from": "desk@dataset.test",
                    "raw": b"To: " + sender.encode() + b"\r\n\r\nYour application" * 20,
                    "state": "sent",
                    "attempts": 1,
                    "next_attempt_at": at,
                    "created_at": at,
                    "sent_at": at,
                }
            )
        if decision == "approve":
            licences.append(
                {
                    "application_id": i,
                    "email": sender,
                    "name": f"Signer {i}",
                    "title": "Professor",
                    "affiliation": f"University {i % 97}",
                    "la_version": "2023",
                    "state": "voided" if i % 10 == 0 else "active",
                    "members": [{"name": f"Student {i}"}],
                    "created_at": at,
                    "updated_at": at,
                }
            )
    with engine.begin() as c:
        for table, rows in (
            (Application, apps),
            (InboundMessage, inbound),
            (DecisionRecord, decisions),
            (OutboxMessage, outbox),
            (Licensee, licences),
        ):
            for start in range(0, len(rows), 1000):
                c.execute(insert(table), rows[start : start + 1000])


def measure(url: str, data_dir: Path, count: int) -> dict[str, object]:
    engine = make_engine(url, data_dir=data_dir)
    upgrade(engine)
    now = datetime.now(UTC)
    t0 = time.perf_counter()
    seed(engine, Blobs(data_dir), count, now)
    seeded = time.perf_counter() - t0
    retention = Retention(settings=RetentionSettings(), engine=engine)
    t0 = time.perf_counter()
    p = retention.plan(now)
    planned = time.perf_counter() - t0
    t0 = time.perf_counter()
    result = retention.purge(now)
    purged = time.perf_counter() - t0
    t0 = time.perf_counter()
    second = retention.purge(now)
    again = time.perf_counter() - t0
    with engine.connect() as c:
        left = len(c.execute(select(Application.id)).all())
    engine.dispose()
    return {
        "seed": seeded,
        "plan": planned,
        "purge": purged,
        "again": again,
        "counts": p.counts(),
        "files": result.files,
        "events": result.events,
        "left": left,
        "second_empty": second.plan.empty,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=10_000)
    ap.add_argument(
        "--postgres",
        action="store_true",
        help="also on the local PostgreSQL (a throw-away schema, as the tests use)",
    )
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "retention.md")
    args = ap.parse_args()
    load_before = os.getloadavg()[0]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "sqlite"
        data.mkdir()
        url = f"sqlite:///{data / 'licensebot.sqlite3'}"
        rows.append(("SQLite", measure(url, data, args.count)))
        print(rows[-1], flush=True)
        if args.postgres:
            from tests.servers.postgres import postgres_schema

            pdata = Path(tmp) / "pg"
            pdata.mkdir()
            with postgres_schema("lb_bench") as pg_url:
                rows.append(("PostgreSQL", measure(pg_url, pdata, args.count)))
            print(rows[-1], flush=True)
    load_after = os.getloadavg()[0]
    out = [
        "# Retention purge run time",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; load average {load_before:.1f} before, "
        f"{load_after:.1f} after. The machine is shared with other agents' work while this ran: "
        "the figures are upper bounds.",
        f"Generated by `bench/retention.py --count {args.count}` on "
        f"{datetime.now(UTC):%Y-%m-%d}: {args.count} applications stored as the intake stores "
        "them (raw message file, inbound row, PDF file, the rules' decision, the reply as sent, "
        "a licence per approval), spread over the two years before today: 35 % approved, "
        "35 % rejected, 20 % under review, 10 % ignored; a tenth of the licences voided. The "
        "default `[retention]` policy (raw mail and PDFs 90 days after the decision, rejected "
        "365 days, ignored 30 days, ended licences 365 days).",
        "",
        "| database | plan (`purge --dry-run`) | purge | purge again (nothing due) | "
        "files removed | events | applications left |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, r in rows:
        out.append(
            f"| {name} | {r['plan']:.2f} s | {r['purge']:.1f} s | {r['again']:.2f} s | "
            f"{r['files']} | {r['events']} | {r['left']} |"
        )
    counts = rows[0][1]["counts"]
    assert isinstance(counts, dict)
    out += ["", "What the first purge removed:", ""]
    out += [f"- {k}: {v}" for k, v in counts.items()]
    args.out.write_text("\n".join(out) + "\n", encoding="utf-8")
    print("\n".join(out))


if __name__ == "__main__":
    main()
