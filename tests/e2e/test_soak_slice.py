"""A seeded slice of `bench/soak.py` in the suite: `licensebot run` killed with SIGKILL at
random moments while mail arrives, on SQLite and PostgreSQL, then one clean worker; every
application answered exactly once, nothing lost, set aside or stuck. (The full figures, with
hundreds of kills, the SMTP outage and IMAP cuts mid-FETCH: bench/results/soak.md.)"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from bench.soak import Desk, Traffic, kill_runs, settle, verify

from tests.servers.dovecot import DovecotServer
from tests.servers.smtp import SmtpServer
from tests.support import SMTP_PASSWORD, SMTP_USER

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

KILLS = 2


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest) -> str:
    return "" if request.param == "sqlite" else str(request.getfixturevalue("postgres_url"))


def test_random_kills_lose_nothing_and_answer_each_application_once(
    tmp_path: Path,
    dovecot: DovecotServer,
    smtp_factory: Callable[..., SmtpServer],
    database_url: str,
) -> None:
    smtp = smtp_factory(implicit_tls=True, username=SMTP_USER, password=SMTP_PASSWORD)
    desk = Desk(tmp_path, dovecot, smtp, database_url)
    rng = random.Random(f"soak-slice-{bool(database_url)}")
    traffic = Traffic(dovecot, rng, "slice")
    try:
        stats = kill_runs(
            desk,
            traffic,
            rng,
            runs=KILLS,
            mean_kill_seconds=1.5,
            max_kill_seconds=3.0,
            before=2,
            during=1,
            logs=tmp_path / "logs",
        )
        code, _ = settle(desk, traffic, tmp_path / "logs" / "final.log", timeout=120)
        result = verify(desk, traffic)
    finally:
        desk.engine.dispose()
    assert len(stats.delays) == KILLS
    # one kill counted from the process start, one from `worker.started` (mail being handled)
    anchors = Counter(k.split("|")[0] for k in stats.by_anchor.elements())
    assert anchors == {"start": 1, "worker.started": 1} and stats.never_started == 0
    assert code == 0, (tmp_path / "logs" / "final.log").read_text()[-3000:]
    assert result["wanting_reply"] > 0
    assert result["lost"] == [] and result["set_aside"] == []
    assert result["different_replies"] == [] and result["auto_answered"] == []
    assert result["answered_once"] == result["wanting_reply"]
    assert not any(result["stuck"].values()), result["stuck"]
