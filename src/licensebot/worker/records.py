"""The records maintainers take away: licensees and their members as CSV, and one licensee's
history told from the append-only event log."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Engine, or_
from sqlmodel import Session, col, select

from licensebot.core.digest import to_csv
from licensebot.store.models import Application, DecisionRecord, Event, Licensee

EXPORT_HEADER = (
    "licensee_id",
    "role",
    "name",
    "email",
    "registered_id",
    "affiliation",
    "la_version",
    "state",
    "case",
    "since",
)


def export_licensees(engine: Engine) -> bytes:
    """One row per licensee (role `licensee`), then one per member they signed for."""
    rows: list[tuple[object, ...]] = []
    with Session(engine) as s:
        for lic in s.exec(select(Licensee).order_by(col(Licensee.id))).all():
            common = (lic.affiliation, lic.la_version, lic.state, lic.application_id)
            rows.append((lic.id, "licensee", lic.name, lic.email, "", *common, lic.created_at))
            for m in lic.members:
                rows.append(
                    (
                        lic.id,
                        "member",
                        m.get("name") or "",
                        m.get("email") or "",
                        m.get("registered_id") or "",
                        *common,
                        lic.created_at,
                    )
                )
    return to_csv(EXPORT_HEADER, rows)


@dataclass(frozen=True, slots=True)
class LicenseeHistory:
    licensee: Licensee
    application: Application | None
    decisions: list[DecisionRecord]
    events: list[Event]  # every event about its case or naming the licensee, oldest first


def licensee_histories(engine: Engine, key: str) -> list[LicenseeHistory]:
    """The licensee(s) with id `key`, or with email address `key` (every licence it held)."""
    with Session(engine) as s:
        q = select(Licensee).order_by(col(Licensee.id))
        if key.strip().isdigit():
            q = q.where(Licensee.id == int(key))
        else:
            q = q.where(col(Licensee.email).ilike(key.strip()))
        out = []
        for lic in s.exec(q).all():
            out.append(
                LicenseeHistory(
                    lic,
                    s.get(Application, lic.application_id),
                    list(
                        s.exec(
                            select(DecisionRecord)
                            .where(DecisionRecord.application_id == lic.application_id)
                            .order_by(col(DecisionRecord.id))
                        ).all()
                    ),
                    _events(s, lic),
                )
            )
        return out


def _events(s: Session, lic: Licensee) -> list[Event]:
    data = col(Event.data)
    return list(
        s.exec(
            select(Event)
            .where(
                or_(
                    col(Event.application_id) == lic.application_id,
                    data["licensee_id"].as_integer() == lic.id,
                )
            )
            .order_by(col(Event.id))
        ).all()
    )


def describe(events: Sequence[Event]) -> list[str]:
    """One line per event: when, what, who, and the evidence it carries."""
    lines = []
    for e in events:
        facts = ", ".join(f"{k}={v}" for k, v in e.data.items() if v not in (None, "", [], {}))
        lines.append(
            f"{e.at:%Y-%m-%d %H:%M} {e.kind} by {e.actor}" + (f": {facts}" if facts else "")
        )
    return lines
