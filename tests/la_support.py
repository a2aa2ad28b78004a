"""LA test data: licensees seeded straight into the database, and LA texts derived from the
published one with a few clauses changed (generated, no real personal data)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, insert, select

from licensebot.store.models import Application, Licensee, utcnow

REPO = Path(__file__).resolve().parent.parent
#: A short LA in the published one's shape (numbered `###` and `##` clauses).
LA_2023 = """\
## License Agreement “DFME Database”

By signing this license agreement document (the ‘LA’), the user agrees to all the following terms:

### 1. Purpose of use

Usage of the **DFME** for any commercial purpose is **strictly forbidden**.

### 2. The user

The user must have one fixed email associated with his/her working place.

### 3. Citations

When reporting results, the user should cite the DFME paper.

## 5. Redistribution

The user may not redistribute the data.

## 6. Data right and potential changes

The LA may change; users are told beforehand and may opt out.
"""


def la_2027(old: str = LA_2023) -> str:
    """A next version: clause 1 reworded, clause 3 renamed, clause 5 removed, clause 9 added."""
    new = old.replace("**strictly forbidden**", "**forbidden without written permission**")
    new = new.replace("### 3. Citations", "### 3. Citation")
    start = new.index("## 5. Redistribution")
    end = new.index("## 6.")
    new = new[:start] + new[end:]
    return new + "\n## 9. Data retention\n\nDelete the data within 30 days after use.\n"


def licensee_address(n: int) -> str:
    return f"licensee{n}@uni{n % 97}.edu"


def seed_licensees(engine: Engine, n: int, *, version: str = "2023", start: int = 0) -> None:
    """`n` active licensees on `version`, each with the application that made them one."""
    now = utcnow()
    apps = [
        {
            "dedup_key": f"seed-{i}",
            "message_id": f"<seed-{i}@uni.edu>",
            "sender": licensee_address(i),
            "subject": "DFME license agreement",
            "created_at": now,
            "updated_at": now,
            "decision": "approve",
        }
        for i in range(start, start + n)
    ]
    with engine.begin() as conn:
        conn.execute(insert(Application.__table__), apps)  # type: ignore[attr-defined]
        table = Application.__table__  # type: ignore[attr-defined]
        rows = conn.execute(
            select(table.c.id, table.c.sender)
            .where(table.c.dedup_key.startswith("seed-"))
            .order_by(table.c.id)
        ).fetchall()
        known = {r[0] for r in conn.exec_driver_sql("SELECT application_id FROM licensee")}
        conn.execute(
            insert(Licensee.__table__),  # type: ignore[attr-defined]
            [
                {
                    "application_id": app_id,
                    "email": sender,
                    "name": f"Licensee {sender.split('@')[0][8:]}",
                    "affiliation": "University",
                    "la_version": version,
                    "state": "active",
                    "members": [],
                    "created_at": now,
                    "updated_at": now,
                }
                for app_id, sender in rows
                if app_id not in known
            ],
        )
