"""`licensebot la publish` to 1,000 licensees, the sender SIGKILLed half-way through the
broadcast and restarted, opt-out replies and bounces arriving in Dovecot meanwhile: every
licensee gets exactly one notice (counted at the SMTP server), opt-outs are voided and
confirmed, bounces are marked and never answered."""

from __future__ import annotations

import signal
import sqlite3
import time
from collections import Counter
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest

from licensebot.store.db import make_engine
from tests.e2e.conftest import BOXES, Deployment
from tests.la_support import LA_2023, la_2027, licensee_address, seed_licensees
from tests.mailgen import build_bounce
from tests.support import CONFIG_DIR

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

LICENSEES = 1000
SUBJECT = "DFME License Agreement: new version 2027"


def own_la_dir(d: Deployment, tmp_path: Path) -> None:
    """Publishing writes into `la_dir`: point it at a copy, never at the repository."""
    la = tmp_path / "la"
    la.mkdir()
    (la / "2023.md").write_text(LA_2023, encoding="utf-8")
    (la / "versions.toml").write_text(
        '[[version]]\nid = "2023"\neffective = 2023-01-01\nfile = "2023.md"\n', encoding="utf-8"
    )
    text = d.config.read_text(encoding="utf-8")
    d.config.write_text(text.replace(str(CONFIG_DIR / "la"), str(la)), encoding="utf-8")


def opt_out(n: int, notice_id: str, body: str) -> bytes:
    return "\r\n".join(
        [
            f"From: Licensee {n} <{licensee_address(n)}>",
            f"To: {BOXES['sirui']}",
            f"Subject: Re: {SUBJECT}",
            f"Message-ID: <optout-{n}@uni.edu>",
            "Date: Tue, 01 Dec 2026 10:00:00 +0800",
            f"In-Reply-To: {notice_id}",
            f"References: {notice_id}",
            "Content-Type: text/plain; charset=utf-8",
            "",
            body,
            "",
            "On Mon, 30 Nov 2026, DFME License Desk wrote:",
            "> If you do not accept the new version, reply with the words OPT OUT (or 退出).",
        ]
    ).encode()


def test_a_broadcast_killed_half_way_and_resumed_sends_each_notice_once(
    deployment: Callable[..., Deployment], tmp_path: Path
) -> None:
    d = deployment(outbox={"batch": 50})
    own_la_dir(d, tmp_path)
    db = d.config.parent / "data" / "licensebot.sqlite3"
    seed_licensees(make_engine(f"sqlite:///{db}"), LICENSEES)
    new = tmp_path / "LA_2027.md"
    new.write_text(la_2027(), encoding="utf-8")
    effective = (date.today() + timedelta(days=2)).isoformat()

    t0 = time.monotonic()
    published = d.cli("la", "publish", str(new), "--effective", effective, "--id", "2027")
    assert published.returncode == 0, published.stderr[-2000:]
    assert f"notices: {LICENSEES} queued now, {LICENSEES} in all" in published.stdout

    t1 = time.monotonic()
    killed = d.cli("poll", "--once", fault="after_claim:11")
    t2 = time.monotonic()
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    first = list(d.smtp.messages)
    assert len(first) == 500  # ten batches of 50 sent, the eleventh claimed when it died

    # Answers to the first notices arrive before the broadcast is finished.
    by_rcpt = {m.rcpt_tos[0]: m for m in first}
    opted = list(range(0, 40, 4))  # 10 opt-outs, half of them in Chinese
    bounced = list(range(1, 41, 4))  # 10 bounces
    for n in opted:
        notice_id = by_rcpt[licensee_address(n)].message["Message-ID"]
        d.dovecot.append("sirui", "INBOX", opt_out(n, notice_id, "OPT OUT" if n % 8 else "退出"))
    for n in bounced:
        raw = build_bounce(
            original=by_rcpt[licensee_address(n)].raw,
            recipient=licensee_address(n),
            to="desk@dataset.test",
        )
        d.dovecot.append("sirui", "INBOX", raw)
    thanks = by_rcpt[licensee_address(2)].message["Message-ID"]
    d.dovecot.append("sirui", "INBOX", opt_out(2, thanks, "Thanks, noted."))

    time.sleep(1.1)  # the killed sender's lease runs out
    t3 = time.monotonic()
    again = d.cli("poll", "--once")
    assert again.returncode == 0, again.stderr[-2000:]
    t4 = time.monotonic()
    print(f"publish {t1 - t0:.1f} s, killed run {t2 - t1:.1f} s, resumed run {t4 - t3:.1f} s")

    notices = [m for m in d.smtp.messages if m.message["Subject"].startswith(SUBJECT)]
    per_licensee = Counter(m.rcpt_tos[0] for m in notices)
    assert len(per_licensee) == LICENSEES and set(per_licensee.values()) == {1}
    assert len({m.message["Message-ID"] for m in notices}) == LICENSEES

    confirmations = [
        m
        for m in d.smtp.messages
        if m.message["In-Reply-To"] in {f"<optout-{n}@uni.edu>" for n in opted}
    ]
    assert sorted(m.rcpt_tos[0] for m in confirmations) == sorted(
        licensee_address(n) for n in opted
    )
    assert not any("mailer-daemon" in m.rcpt_tos[0].lower() for m in d.smtp.messages)

    with sqlite3.connect(db) as conn:
        states = dict(conn.execute("SELECT email, state FROM licensee").fetchall())
        notice_states = Counter(r[0] for r in conn.execute("SELECT state FROM la_notice"))
    assert {a for a, s in states.items() if s == "voided"} == {licensee_address(n) for n in opted}
    assert notice_states == Counter(queued=LICENSEES - 20, opted_out=10, bounced=10)

    status = d.cli("la", "status")
    assert status.returncode == 0, status.stderr
    lines = {
        line.split()[0]: line.split()[-1] for line in status.stdout.splitlines() if line.strip()
    }
    assert (lines["sent"], lines["bounced"], lines["queued"]) == ("990", "10", "0")
    assert f"notices: {LICENSEES}, done {LICENSEES} (100.0%)" in status.stdout
    assert "opted out: 10" in status.stdout
