"""Recorded cases for the maintainers' desk (digest, review, records), written straight into
the database the way the intake records them: an application, its rule decision, its event and
the stored PDF. Used by the desk's integration tests and `bench/digest.py`."""

from __future__ import annotations

import io
import random
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from licensebot.store.files import Blobs
from licensebot.store.models import Application, DecisionRecord, Event, Licensee
from tests.mailgen import tiny_pdf


def scan_like_pdf(text: str, *, seed: int = 0) -> bytes:
    """A one-page PDF holding a greyscale raster image, like a scanner's output."""
    from PIL import Image, ImageDraw

    rng = random.Random(seed)
    img = Image.new("L", (1240, 1754), 235)
    draw = ImageDraw.Draw(img)
    draw.text((120, 120), "DFME License Agreement", fill=20)
    for i, line in enumerate([text, "Signer's Name", "Affiliation", "Work email", "Date"]):
        draw.text((120, 300 + 90 * i), line, fill=30)
        draw.line((420, 320 + 90 * i, 1100, 320 + 90 * i), fill=60, width=2)
    for _ in range(2000):  # scanner speckle, so the image does not compress to nothing
        x, y = rng.randrange(1240), rng.randrange(1754)
        draw.point((x, y), fill=rng.randrange(120, 220))
    out = io.BytesIO()
    img.save(out, format="PDF", resolution=150)
    return out.getvalue()


def add_case(
    engine: Engine,
    blobs: Blobs,
    *,
    n: int,
    at: datetime,
    decision: str = "review",
    sender: str | None = None,
    reasons: Sequence[str] = ("unreadable",),
    fields: dict[str, Any] | None = None,
    pdf: bytes | None = None,
    message_id: str | None = None,
) -> int:
    """One application as the intake records it; returns its case number."""
    sender = sender or f"applicant{n}@uni{n % 40}.edu"
    pdf = tiny_pdf(f"LA {n}") if pdf is None else pdf
    sha, path = blobs.put(pdf, kind="pdf", suffix=".pdf")
    fields = fields or {
        "signer_name": f"Signer {n}",
        "signer_title": "Professor",
        "affiliation": f"University {n % 40}",
        "work_email": sender,
        "date": "2026-11-20",
        "signed": True,
        "members": [{"name": f"Student {n}", "registered_id": f"MEGC-{n:04d}"}],
    }
    with Session(engine) as s:
        app = Application(
            dedup_key=f"case-{n}-{sha}",
            message_id=message_id or f"<case-{n}@uni.edu>",
            sender=sender,
            subject=f"DFME license agreement {n}",
            created_at=at,
            updated_at=at,
            decision=decision,
            pdf_sha256=sha,
            pdf_path=str(path),
            pdf_filename=f"DFME_License_Agreement_Signer_{n}.pdf",
        )
        s.add(app)
        s.flush()
        app_id = app.id or 0
        s.add(
            DecisionRecord(
                application_id=app_id,
                decision=decision,
                reasons=list(reasons) if decision != "approve" else [],
                fields=fields,
                created_at=at,
            )
        )
        s.add(
            Event(
                kind="decision.made",
                at=at,
                application_id=app_id,
                data={"decision": decision, "reasons": list(reasons)},
            )
        )
        if decision == "approve":
            s.add(
                Licensee(
                    application_id=app_id,
                    email=sender,
                    name=str(fields.get("signer_name", "")),
                    affiliation=str(fields.get("affiliation", "")),
                    members=list(fields.get("members") or []),
                    created_at=at,
                )
            )
        s.commit()
    return app_id


def seed(
    engine: Engine, blobs: Blobs, *, cases: int, end: datetime, scans: bool = False
) -> list[int]:
    """`cases` applications spread over the 30 days before `end`, a third of them in the last
    day; roughly 40 % review, 35 % approve, 25 % reject."""
    rng = random.Random(cases)
    ids = []
    for n in range(1, cases + 1):
        recent = n % 3 == 0
        ago = timedelta(hours=rng.uniform(0, 23) if recent else 24 * rng.uniform(1, 29))
        roll = rng.random()
        decision = "review" if roll < 0.4 else "approve" if roll < 0.75 else "reject"
        reasons = {"review": ("unreadable",), "approve": (), "reject": ("free_email",)}[decision]
        pdf = scan_like_pdf(f"Signer {n}", seed=n) if scans else None
        ids.append(
            add_case(engine, blobs, n=n, at=end - ago, decision=decision, reasons=reasons, pdf=pdf)
        )
    return ids
