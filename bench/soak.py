"""Soak of the worker under faults (not a test): `licensebot run` against a private Dovecot, the
aiosmtpd SMTP server (implicit TLS, AUTH) and SQLite and/or PostgreSQL.

1. kill -9 at random moments: the worker is started, mail arrives before and while it runs,
   and it is SIGKILLed after a random delay, counted from the process start in half the runs
   and from its `worker.started` (start-up done, mail being handled) in the other half; the
   delay is exponential (mean --mean-kill-seconds, cut at --max-kill-seconds): kills at
   random moments with the same chance in every instant, wherever the worker is by then;
   again and again (--runs per database). Right after each kill the store is read to see what was in
   flight (a message between its two commits, a reply claimed or being handed over). At the
   end one clean worker runs until everything settles, then the whole history is checked:
   every application answered exactly once, no second different reply, nothing stuck.
2. SMTP server down: the worker runs, the SMTP server's port refuses connections for
   --outage-minutes of *simulated* time (every outbox and schedule interval divided by
   --time-scale, so the retry clock runs that much faster), applications arrive meanwhile and
   after: every reply delivered once, intake never stopped.
3. IMAP connection dropped mid-FETCH: a TCP proxy between the worker and Dovecot resets the
   connection after a random number of bytes from the server (beyond the greeting, TLS and
   login, i.e. inside the FETCH of message bodies), --cuts times: every application answered
   once, intake resumes.

Usage: python bench/soak.py [--runs 100] [--db sqlite,postgres] [--seed 1] [--mean-kill-seconds 3]
       [--outage-minutes 10] [--time-scale 60] [--cuts 6] [--only kill,smtp,imap] [--out FILE]
Writes bench/results/soak.md (or --out); exits 1 when any check failed. Logs of each worker run
are kept under --keep DIR when given.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache, partial
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "src"), str(REPO)]

from sqlalchemy import text  # noqa: E402

from licensebot.core.la import current_version  # noqa: E402
from licensebot.reading.la_versions import load_versions  # noqa: E402
from licensebot.store.db import make_engine  # noqa: E402
from tests.forms.factory import make_spec, render  # noqa: E402
from tests.mailgen import CLIENTS, build_application, build_auto_reply, tiny_pdf  # noqa: E402
from tests.servers.dovecot import DovecotServer  # noqa: E402
from tests.servers.postgres import postgres_schema  # noqa: E402
from tests.servers.proxy import TcpProxy  # noqa: E402
from tests.servers.smtp import SmtpServer  # noqa: E402
from tests.servers.tls import TestCA  # noqa: E402
from tests.support import (  # noqa: E402
    CONFIG_DIR,
    SMTP_PASSWORD,
    SMTP_USER,
    bot_env,
    mailbox_block,
    write_config,
)

PW = "soak-password"
BOXES = {"sirui": "sirui@dataset.test", "iamthy": "iamthy@dataset.test"}
MAINTAINER = "keeper@dataset.test"
UNSETTLED_OUTBOX = ("pending", "sending", "data")


# ---- traffic --------------------------------------------------------------------------------


@cache
def forms() -> tuple[bytes, ...]:
    """Typed digital LAs from the test factory (read from their text layer: no OCR)."""
    la = current_version(load_versions(CONFIG_DIR / "la"))
    return tuple(
        render(make_spec(seed, la, medium="digital", hand="typed", signature="ink"))
        for seed in range(6)
    )


@dataclass
class Sent:
    n: int
    message_id: str
    kind: str  # form | tiny | none | auto
    copies: int  # 1, or 2 when sent to both addresses

    @property
    def wants_reply(self) -> bool:
        return self.kind != "auto"


@dataclass
class Traffic:
    """Applications in a seeded mix: factory LAs, tiny PDFs, no attachment, out-of-office
    replies (never answered), one in ten sent to both addresses."""

    dovecot: DovecotServer
    rng: random.Random
    tag: str
    weights: tuple[int, int, int, int] = (60, 15, 15, 10)  # form, tiny, none, auto
    sent: list[Sent] = field(default_factory=list)

    def deliver(self) -> Sent:
        n = len(self.sent) + 1
        kind = self.rng.choices(["form", "tiny", "none", "auto"], self.weights)[0]
        both = kind != "auto" and self.rng.random() < 0.1
        mid = f"<soak-{self.tag}-{n}@uni{n}.edu>"
        sender = f"applicant{n}@uni{n}.edu"
        if kind == "auto":
            raw = build_auto_reply(
                sender=sender, to=BOXES["sirui"], subject=f"license {n}", style="vacation"
            )
            raw = raw.replace(b"Message-ID: <oof.", f"Message-ID: <oof.{self.tag}.{n}.".encode())
            mid = _header_value(raw, "Message-ID")
        else:
            pdf = None
            if kind == "form":
                pdf = self.rng.choice(forms())
            elif kind == "tiny":
                pdf = tiny_pdf(f"LA {n}")
            raw = build_application(
                client=self.rng.choice(CLIENTS),
                sender=sender,
                sender_name=f"Applicant {n}",
                to=list(BOXES.values()),
                filename=f"DFME_License_Agreement_Applicant_{n}.pdf" if pdf else None,
                pdf=pdf,
                subject=f"DFME license agreement {n}",
                message_id=mid,
            )
        boxes = ["sirui", "iamthy"] if both else [self.rng.choice(["sirui", "iamthy"])]
        for box in boxes:
            self.dovecot.append(box, "INBOX", raw)
        item = Sent(n, mid, kind, len(boxes))
        self.sent.append(item)
        return item


def _header_value(raw: bytes, name: str) -> str:
    for line in raw.split(b"\r\n"):
        if line.lower().startswith(name.lower().encode() + b":"):
            return line.split(b":", 1)[1].strip().decode()
    raise ValueError(name)


# ---- one deployment -------------------------------------------------------------------------


@dataclass
class _Endpoint:
    """What write_config needs of an SMTP server (a proxy's port, the real server's CA)."""

    port: int
    ca_file: Path


class Desk:
    """Dovecot (two mailboxes), the SMTP server, a database and the worker's config."""

    def __init__(
        self,
        work: Path,
        dovecot: DovecotServer,
        smtp: SmtpServer,
        database_url: str,
        *,
        imap_port: int | None = None,
        smtp_port: int | None = None,
        schedule: dict[str, Any] | None = None,
        outbox: dict[str, Any] | None = None,
    ) -> None:
        self.work = work
        self.dovecot = dovecot
        self.smtp = smtp
        for user in BOXES:
            dovecot.add_user(user, PW)
        blocks = []
        for user, address in BOXES.items():
            block = mailbox_block(dovecot, user, name=user, address=address)
            if imap_port is not None:
                block = block.replace(f"port = {dovecot.imaps_port}", f"port = {imap_port}")
            blocks.append(block)
        endpoint = _Endpoint(smtp_port or smtp.port, smtp.ca_file)
        self.config = write_config(
            work,
            mailboxes=blocks,
            smtp=endpoint,  # type: ignore[arg-type]
            database_url=database_url,
            schedule={"poll_seconds": 5, **(schedule or {})},
            outbox=outbox,
            extra="[limits]\nreplies_per_address_per_day = 1000000\n",
        )
        self.url = database_url or f"sqlite:///{work / 'data' / 'licensebot.sqlite3'}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("LICENSEBOT_")}
        env.update(bot_env(dict.fromkeys(BOXES, PW)))
        env["LICENSEBOT_LOG_FORMAT"] = "json"
        env["LICENSEBOT_LOG_LEVEL"] = "INFO"
        env["PYTHONPATH"] = os.pathsep.join(
            [str(REPO / "src"), str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])]
        )
        env.setdefault("OMP_THREAD_LIMIT", "1")
        self.env = env
        subprocess.run(self._cmd("db", "upgrade"), env=env, check=True, capture_output=True)
        self.engine = make_engine(self.url)

    def _cmd(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "licensebot", *args, "--config", str(self.config)]

    def start(self, log: Path) -> subprocess.Popen[bytes]:
        with open(log, "ab") as out:
            return subprocess.Popen(
                self._cmd("run"), env=self.env, stdout=out, stderr=out, start_new_session=True
            )

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        with self.engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql))]

    def counts(self, table: str) -> Counter[str]:
        return Counter(dict(self.query(f"SELECT state, count(*) FROM {table} GROUP BY state")))  # noqa: S608

    def inbox_left(self) -> int:
        return sum(len(self.dovecot.uids(user, "INBOX")) for user in BOXES)


def kill(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the worker, then what it left in its process group (as systemd would)."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


def stop(proc: subprocess.Popen[bytes], timeout: float = 30) -> int:
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill(proc)
        return -9


def events(log: Path) -> list[dict[str, Any]]:
    out = []
    if not log.exists():
        return out
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            with contextlib.suppress(ValueError):
                out.append(json.loads(line))
    return out


def settle(desk: Desk, traffic: Traffic, log: Path, timeout: float) -> tuple[int, float]:
    """One clean worker until every copy is recorded and moved and the outbox is empty;
    (its exit status, seconds it took)."""
    start = time.monotonic()
    proc = desk.start(log)
    copies = sum(s.copies for s in traffic.sent)
    try:
        while time.monotonic() - start < timeout:
            time.sleep(0.5)
            inbound = desk.counts("inbound_message")
            outbox = desk.counts("outbox")
            if (
                sum(inbound.values()) >= copies
                and inbound.get("received", 0) == 0
                and not any(outbox.get(s, 0) for s in UNSETTLED_OUTBOX)
                and desk.inbox_left() == 0
            ):
                time.sleep(1.0)  # anything more would show up now
                break
    finally:
        code = stop(proc)
    return code, time.monotonic() - start


def verify(desk: Desk, traffic: Traffic) -> dict[str, Any]:
    """The whole history against what was delivered."""
    replies: dict[str, list[str]] = {}
    alerts = 0
    for m in desk.smtp.messages:
        if m.message["To"] == MAINTAINER:
            alerts += 1
            continue
        replies.setdefault(str(m.message["In-Reply-To"]), []).append(str(m.message["Message-ID"]))
    ids = {s.message_id for s in traffic.sent}
    failed_rows = desk.query("SELECT message_id, error FROM inbound_message WHERE state = 'failed'")
    set_aside = {mid for mid, _ in failed_rows}
    wanted = [s for s in traffic.sent if s.wants_reply]
    once = sum(1 for s in wanted if len(set(replies.get(s.message_id, []))) == 1)
    different = [s.message_id for s in wanted if len(set(replies.get(s.message_id, []))) > 1]
    resent = sum(
        len(replies[s.message_id]) - 1
        for s in wanted
        if len(set(replies.get(s.message_id, []))) == 1 and len(replies[s.message_id]) > 1
    )
    unanswered = [s.message_id for s in wanted if s.message_id not in replies]
    lost = [mid for mid in unanswered if mid not in set_aside]
    auto_answered = [
        s.message_id for s in traffic.sent if not s.wants_reply and s.message_id in replies
    ]
    strangers = [k for k in replies if k not in ids]
    inbound = desk.counts("inbound_message")
    outbox = desk.counts("outbox")
    apps = desk.query("SELECT count(*) FROM application")[0][0]
    # the poison counter's margin: how many runs took each copy up past its reads
    taken_up = {
        str(n): c
        for n, c in desk.query(
            "SELECT attempts, count(*) FROM inbound_message GROUP BY attempts ORDER BY attempts"
        )
    }
    stuck = {
        "inbound received": inbound.get("received", 0),
        "outbox unsent": sum(outbox.get(s, 0) for s in UNSETTLED_OUTBOX),
        "outbox ambiguous (held)": outbox.get("ambiguous", 0),
        "outbox failed": outbox.get("failed", 0),
        "left in INBOX": desk.inbox_left(),
        "copies not recorded": max(0, sum(s.copies for s in traffic.sent) - sum(inbound.values())),
    }
    return {
        "delivered": len(traffic.sent),
        "copies": sum(s.copies for s in traffic.sent),
        "wanting_reply": len(wanted),
        "answered_once": once,
        "identical_resends": resent,
        "different_replies": different,
        "lost": lost,
        "set_aside": sorted(set_aside & ids),
        "set_aside_errors": Counter(str(e)[:90] for _, e in failed_rows),
        "auto_answered": auto_answered,
        "strangers": strangers,
        "alerts": alerts,
        "applications": apps,
        "taken_up": taken_up,
        "inbound": dict(inbound),
        "outbox": dict(outbox),
        "stuck": stuck,
        "ok": not (
            different
            or lost
            or set_aside
            or auto_answered
            or strangers
            or any(stuck.values())
            or once != len(wanted)
        ),
    }


@contextlib.contextmanager
def database(kind: str) -> Iterator[str]:
    if kind == "sqlite":
        yield ""
    else:
        with postgres_schema("lb_soak") as url:
            yield url


@contextlib.contextmanager
def servers(ca: TestCA) -> Iterator[tuple[DovecotServer, SmtpServer]]:
    with (
        DovecotServer({"bot": PW}, ca=ca) as dovecot,
        SmtpServer(implicit_tls=True, username=SMTP_USER, password=SMTP_PASSWORD, ca=ca) as smtp,
    ):
        yield dovecot, smtp


# ---- 1. kill -9 at random moments -----------------------------------------------------------


@dataclass
class KillStats:
    """Where the kills landed: the worker's last logged event, and what the store held half-done."""

    last_events: Counter[str] = field(default_factory=Counter)
    in_flight: Counter[str] = field(default_factory=Counter)
    delays: list[float] = field(default_factory=list)
    #: (what the delay was counted from, the last event) -> runs
    by_anchor: Counter[str] = field(default_factory=Counter)
    never_started: int = 0


#: What a kill's delay is counted from: the process start (start-up included) or the worker's
#: `worker.started` (start-up done: the kill lands in the handling of mail).
ANCHORS = ("start", "worker.started")


def _started(log: Path) -> bool:
    return log.exists() and b'"worker.started"' in log.read_bytes()


def kill_runs(
    desk: Desk,
    traffic: Traffic,
    rng: random.Random,
    *,
    runs: int,
    mean_kill_seconds: float,
    max_kill_seconds: float,
    before: int,
    during: int,
    logs: Path,
    progress: str = "",
) -> KillStats:
    """`runs` times: mail before and during a run of the worker, SIGKILL at a random moment."""
    stats = KillStats()
    logs.mkdir(parents=True, exist_ok=True)
    for run in range(runs):
        for _ in range(rng.randint(0, before)):
            traffic.deliver()
        log = logs / f"run-{run:04d}.log"
        before_run = _half_done(desk)
        anchor = ANCHORS[run % 2]
        kill_at = min(rng.expovariate(1 / mean_kill_seconds), max_kill_seconds)
        arrivals = sorted(rng.uniform(0, kill_at) for _ in range(rng.randint(0, during)))
        proc = desk.start(log)
        t0 = time.monotonic()
        try:
            if anchor == "worker.started":
                if not wait_until(partial(_started, log), 120, step=0.02):
                    stats.never_started += 1
                t0 = time.monotonic()
            for at in arrivals:
                time.sleep(max(0.0, t0 + at - time.monotonic()))
                traffic.deliver()
            time.sleep(max(0.0, t0 + kill_at - time.monotonic()))
        finally:
            kill(proc)
        stats.delays.append(kill_at)
        evs = [e.get("event", "?") for e in events(log)]
        last = evs[-1] if evs else "(nothing logged yet)"
        stats.last_events[last] += 1
        stats.by_anchor[f"{anchor}|{last}"] += 1
        _attribute(stats.in_flight, before_run, _half_done(desk))
        if progress:
            print(
                f"[{progress}] run {run + 1}/{runs}: killed {kill_at:.2f} s after {anchor}, "
                f"after {last}; {len(traffic.sent)} delivered",
                flush=True,
            )
    return stats


def _half_done(desk: Desk) -> dict[str, dict[int, int]]:
    """Rows a kill can leave half-done, with their attempt counters (which a run's work
    raises: a message's each time it is taken up, a reply's each time it is claimed)."""
    return {
        "received": dict(
            desk.query("SELECT id, attempts FROM inbound_message WHERE state = 'received'")
        ),
        "sending": dict(desk.query("SELECT id, attempts FROM outbox WHERE state = 'sending'")),
        "data": dict(desk.query("SELECT id, attempts FROM outbox WHERE state = 'data'")),
        "claimable": dict(desk.query("SELECT id, attempts FROM outbox WHERE state != 'sent'")),
    }


def _attribute(
    flight: Counter[str], before: dict[str, dict[int, int]], after: dict[str, dict[int, int]]
) -> None:
    """What *this* run was in the middle of when it was killed (rows whose counters it raised),
    apart from what earlier kills left and this run had not yet taken up."""

    def raised(state: str, base: str) -> bool:
        return any(n > before[base].get(i, 0) for i, n in after[state].items())

    own = False
    if raised("received", "received"):
        flight["judging a message (between its two commits)"] += 1
        own = True
    if raised("sending", "claimable"):
        flight["a reply claimed, not yet handed over"] += 1
        own = True
    if raised("data", "claimable"):
        flight["a reply's DATA being handed over"] += 1
        own = True
    if not own:
        left = any(after[k] for k in ("received", "sending", "data"))
        flight["nothing of its own half-done" + (" (an earlier kill's left)" if left else "")] += 1


def kill_soak(db: str, root: Path, ca: TestCA, args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(f"{args.seed}-kill-{db}")
    work = root / f"kill-{db}"
    work.mkdir()
    logs = work / "logs"
    t_start = time.monotonic()
    with servers(ca) as (dovecot, smtp), database(db) as url:
        desk = Desk(work, dovecot, smtp, url)
        traffic = Traffic(dovecot, rng, f"{db}{args.seed}")
        stats = kill_runs(
            desk,
            traffic,
            rng,
            runs=args.runs,
            mean_kill_seconds=args.mean_kill_seconds,
            max_kill_seconds=args.max_kill_seconds,
            before=args.before,
            during=args.during,
            logs=logs,
            progress=db if args.progress else "",
        )
        code, settle_s = settle(desk, traffic, logs / "final.log", args.settle_timeout)
        result = verify(desk, traffic)
        desk.engine.dispose()
        if args.keep:
            shutil.copytree(logs, Path(args.keep) / f"kill-{db}", dirs_exist_ok=True)
    result.update(
        db=db,
        runs=args.runs,
        final_exit=code,
        settle_seconds=settle_s,
        last_events=stats.last_events,
        by_anchor=stats.by_anchor,
        never_started=stats.never_started,
        kill_delay_mean=sum(stats.delays) / max(1, len(stats.delays)),
        in_flight=stats.in_flight,
        kill_delay_range=(min(stats.delays, default=0), max(stats.delays, default=0)),
        minutes=(time.monotonic() - t_start) / 60,
    )
    result["ok"] = result["ok"] and code == 0
    return result


# ---- 2. SMTP server down --------------------------------------------------------------------


def scaled(scale: float) -> tuple[dict[str, Any], dict[str, Any]]:
    """The shipped schedule and outbox intervals, `scale` times faster."""
    schedule = {"poll_seconds": 60 / scale, "outbox_seconds": max(0.2, 15 / scale)}
    outbox = {
        "backoff_initial_seconds": 30 / scale,
        "backoff_max_seconds": 3600 / scale,
        "lease_seconds": 300 / scale,
        "ambiguous_delay_seconds": 900 / scale,
    }
    return schedule, outbox


def wait_until(cond: Any, timeout: float, step: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(step)
    return bool(cond())


def smtp_outage(db: str, root: Path, ca: TestCA, args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(f"{args.seed}-smtp-{db}")
    work = root / f"smtp-{db}"
    work.mkdir()
    scale = args.time_scale
    down_for = args.outage_minutes * 60 / scale
    schedule, outbox = scaled(scale)
    with (
        servers(ca) as (dovecot, smtp),
        database(db) as url,
        TcpProxy("127.0.0.1", smtp.port) as proxy,
    ):
        desk = Desk(
            work, dovecot, smtp, url, smtp_port=proxy.port, schedule=schedule, outbox=outbox
        )
        traffic = Traffic(dovecot, rng, f"smtp{db}{args.seed}")
        log = work / "worker.log"
        proc = desk.start(log)
        try:
            wait_until(lambda: any(e.get("event") == "idle.watching" for e in events(log)), 60)
            before = [traffic.deliver() for _ in range(3)]
            wait_until(lambda: len(desk.smtp.messages) >= sum(s.wants_reply for s in before), 60)
            proxy.down()
            t_down = time.monotonic()
            during = []
            for _ in range(args.outage_apps):
                during.append(traffic.deliver())
                time.sleep(down_for / (args.outage_apps + 1))
            decided_while_down = wait_until(
                lambda: desk.query("SELECT count(*) FROM decision")[0][0] >= len(traffic.sent),
                max(0.0, t_down + down_for - time.monotonic()),
            )
            got_while_down = len(desk.smtp.messages)
            time.sleep(max(0.0, t_down + down_for - time.monotonic()))
            proxy.up()
            t_up = time.monotonic()
            want = sum(s.wants_reply for s in traffic.sent)
            delivered = wait_until(lambda: len(desk.smtp.messages) >= want, 3600 / scale * 2)
            t_all = time.monotonic()
            after = [traffic.deliver() for _ in range(3)]
            want = sum(s.wants_reply for s in traffic.sent)
            resumed = wait_until(lambda: len(desk.smtp.messages) >= want, 60)
            time.sleep(2.0)
        finally:
            code = stop(proc)
        result = verify(desk, traffic)
        retries = desk.query("SELECT count(*) FROM event WHERE kind = 'reply.retry'")[0][0]
        attempts = desk.query("SELECT max(attempts) FROM outbox")[0][0]
        desk.engine.dispose()
    result.update(
        db=db,
        scale=scale,
        down_real_s=down_for,
        sent_while_down=got_while_down - sum(s.wants_reply for s in before),
        decided_while_down=decided_while_down,
        delivered_after_up=delivered,
        last_reply_sim_min_after_down=(t_all - t_down) * scale / 60,
        last_reply_sim_min_after_up=(t_all - t_up) * scale / 60,
        resumed=resumed,
        retries=retries,
        max_attempts=attempts,
        during=len(during),
        after=len(after),
        final_exit=code,
    )
    result["ok"] = (
        result["ok"]
        and decided_while_down
        and delivered
        and resumed
        and result["sent_while_down"] == 0
        and code == 0
    )
    return result


# ---- 3. IMAP connection dropped mid-FETCH ---------------------------------------------------


def imap_cuts(db: str, root: Path, ca: TestCA, args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(f"{args.seed}-imap-{db}")
    work = root / f"imap-{db}"
    work.mkdir()
    with (
        servers(ca) as (dovecot, smtp),
        database(db) as url,
        TcpProxy("127.0.0.1", dovecot.imaps_port) as proxy,
    ):
        desk = Desk(work, dovecot, smtp, url, imap_port=proxy.port, schedule={"fetch_batch": 5})
        # messages carrying a factory LA (~70 kB each): a FETCH batch is a few hundred kB
        traffic = Traffic(dovecot, rng, f"imap{db}{args.seed}", weights=(1, 0, 0, 0))
        first = [traffic.deliver() for _ in range(args.imap_apps)]
        thresholds = [rng.randint(args.cut_min_bytes, args.cut_max_bytes) for _ in range(args.cuts)]
        for t in thresholds:
            proxy.cut_after(t)
        log = work / "worker.log"
        proc = desk.start(log)
        try:
            want = sum(s.wants_reply for s in first)
            answered = wait_until(lambda: len(desk.smtp.messages) >= want, args.settle_timeout)
            after = [traffic.deliver() for _ in range(3)]
            want = sum(s.wants_reply for s in traffic.sent)
            resumed = wait_until(lambda: len(desk.smtp.messages) >= want, args.settle_timeout)
            wait_until(lambda: desk.inbox_left() == 0, 30)
            time.sleep(2.0)
        finally:
            code = stop(proc)
        result = verify(desk, traffic)
        errors = Counter(
            e.get("event", "?")
            for e in events(log)
            if e.get("event") in ("idle.reconnect", "mailbox.error", "idle.gave_up")
        )
        desk.engine.dispose()
        cuts = [c.server_bytes for c in proxy.cuts]
    result.update(
        db=db,
        cuts_armed=len(thresholds),
        cuts_made=len(cuts),
        cut_bytes=cuts,
        reconnect_events=errors,
        answered=answered,
        resumed=resumed,
        after=len(after),
        final_exit=code,
        connections=proxy.connections,
    )
    result["ok"] = (
        result["ok"] and answered and resumed and len(cuts) == len(thresholds) and code == 0
    )
    return result


# ---- report ---------------------------------------------------------------------------------


def _verdict(r: dict[str, Any]) -> str:
    """The asserted figures in one line, then pass or FAIL."""
    stuck = sum(r["stuck"].values())
    text = (
        f"{len(r['lost'])} lost, {len(r['different_replies'])} answered twice, {stuck} stuck, "
        f"{len(r['set_aside'])} set aside"
    )
    return f"{text}: {'**pass**' if r['ok'] else '**FAIL**'}"


def _outcome_rows(r: dict[str, Any]) -> list[str]:
    return [
        f"| applications and auto-replies delivered (copies) | {r['delivered']} ({r['copies']}) |",
        f"| wanting a reply / answered exactly once | {r['wanting_reply']} / "
        f"{r['answered_once']} |",
        f"| lost (no reply, not recorded as set aside) | {len(r['lost'])} |",
        f"| set aside for a person (poison counter) | {len(r['set_aside'])} |",
        f"| a second, different reply to one application | {len(r['different_replies'])} |",
        f"| the same reply resent (same Message-ID, `ambiguous_policy = resend`) | "
        f"{r['identical_resends']} |",
        f"| auto-replies answered | {len(r['auto_answered'])} |",
        f"| stuck at the end (unsent outbox, unjudged, left in INBOX) | "
        f"{sum(v for k, v in r['stuck'].items())} |",
        "| copies by the runs that took them up past their reads (the poison counter; "
        "set aside past 3) | "
        + (", ".join(f"{n} runs: {c}" for n, c in r.get("taken_up", {}).items()) or "-")
        + " |",
    ]


def report(
    results: dict[str, list[dict[str, Any]]], args: argparse.Namespace, argv: str = ""
) -> str:
    lines = [
        "# Soak: kill -9 at random moments, SMTP down, IMAP dropped mid-FETCH",
        "",
        f"Generated by `bench/soak.py {argv or ' '.join(sys.argv[1:])}` on "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; machine: {platform.machine()}, "
        f"{os.cpu_count()} cores (shared), Python {platform.python_version()}. Real Dovecot "
        "(IMAPS, IDLE), aiosmtpd (implicit TLS, AUTH), the worker as `licensebot run` "
        "subprocesses; what is checked and how to re-run: [docs/soak_and_fuzz.md]"
        "(../../docs/soak_and_fuzz.md).",
        "",
    ]
    if results.get("kill"):
        lines += [
            "## kill -9 of `licensebot run` at random moments",
            "",
            f"Each run: 0-{args.before} applications delivered before the worker starts, "
            f"0-{args.during} while it runs, SIGKILL after a random delay: exponential with "
            f"mean {args.mean_kill_seconds:g} s (cut at {args.max_kill_seconds:g} s), so a kill "
            "is as likely in any instant whatever the worker has reached by then; counted from "
            "the process start in every other run (start-up included: the worker starts its "
            "readers' fork server, OCR models and all, before it takes a message) and from its "
            "`worker.started` in the others (start-up done: mail is being read, judged, "
            "answered). After the last kill one worker runs until "
            "everything settles; then every application's replies are counted at the SMTP "
            "server and the store is checked.",
            "",
        ]
        for r in results["kill"]:
            lines += [
                f"### {r['db']}: {r['runs']} kills; {_verdict(r)}",
                "",
                f"{r['minutes']:.1f} min; the final worker settled in {r['settle_seconds']:.0f} s "
                f"and exited with status {r['final_exit']}.",
                "",
                "| | |",
                "| --- | ---: |",
                *_outcome_rows(r),
                "",
                "What the killed run was in the middle of (from the store: rows whose attempt "
                "counters that run had raised and left half-done; one run may count twice; a "
                "message is counted once its confined reads are done, so a kill during a read "
                "leaves nothing of its own half-done):",
                "",
                "| in flight at the kill | runs |",
                "| --- | ---: |",
                *(f"| {k} | {v} |" for k, v in r["in_flight"].most_common()),
                "",
                "The worker's last logged event before the kill, by what the delay was counted "
                f"from (mean delay {r.get('kill_delay_mean', 0):.2f} s):",
                "",
                "| last event | runs | from the start | from `worker.started` |",
                "| --- | ---: | ---: | ---: |",
                *(
                    f"| `{k}` | {v} | "
                    + " | ".join(str(r.get("by_anchor", {}).get(f"{a}|{k}", 0)) for a in ANCHORS)
                    + " |"
                    for k, v in r["last_events"].most_common()
                ),
                "",
            ]
            if r["set_aside"]:
                lines += [
                    "Set aside (each one recorded, moved to the failed folder, maintainers "
                    "alerted; the applicant got no answer):",
                    "",
                    *(f"- {e} ({n})" for e, n in r["set_aside_errors"].items()),
                    "",
                ]
            listed = {k: v for k, v in _brief(r).items() if k not in ("set_aside", "stuck")}
            if listed:
                lines += ["Details: `" + json.dumps(listed, default=str)[:3000] + "`", ""]
    if results.get("smtp"):
        lines += [
            f"## SMTP server down for {args.outage_minutes} minutes (simulated)",
            "",
            f"Every outbox and schedule interval of the shipped config divided by "
            f"{args.time_scale:g} (backoff from 30 s doubling to at most 1 h, lease 300 s, "
            "poll 60 s, outbox 15 s), so the retry clock runs that much faster; the SMTP "
            "server's port refuses connections (a TCP proxy closed) meanwhile.",
            "",
        ]
        for r in results["smtp"]:
            lines += [
                f"### {r['db']}: {_verdict(r)}",
                "",
                "| | |",
                "| --- | ---: |",
                *_outcome_rows(r),
                f"| applications arriving while down / all decided before it came back | "
                f"{r['during']} / {'yes' if r['decided_while_down'] else 'no'} |",
                f"| replies that got through while down | {r['sent_while_down']} |",
                f"| retries recorded (`reply.retry`) / most attempts for one reply | "
                f"{r['retries']} / {r['max_attempts']} |",
                f"| last queued reply delivered, simulated minutes after the outage began | "
                f"{r['last_reply_sim_min_after_down']:.1f} |",
                f"| applications after the outage answered | {'yes' if r['resumed'] else 'no'} |",
                "",
            ]
    if results.get("imap"):
        lines += [
            "## IMAP connection dropped mid-FETCH",
            "",
            f"A TCP proxy between the worker and Dovecot resets a connection once the server "
            f"has sent a random {args.cut_min_bytes:,}-{args.cut_max_bytes:,} bytes on it "
            "(beyond the greeting, TLS handshake, login and SEARCH: inside the FETCH of message "
            f"bodies, each carrying a factory LA), {args.cuts} times in a row.",
            "",
        ]
        for r in results["imap"]:
            lines += [
                f"### {r['db']}: {_verdict(r)}",
                "",
                "| | |",
                "| --- | ---: |",
                *_outcome_rows(r),
                f"| cuts made / armed | {r['cuts_made']} / {r['cuts_armed']} |",
                f"| server bytes at each cut | {', '.join(f'{b:,}' for b in r['cut_bytes'])} |",
                f"| worker's reconnect / error events | "
                f"{', '.join(f'{k} {v}' for k, v in r['reconnect_events'].items()) or '-'} |",
                f"| IMAP connections through the proxy | {r['connections']} |",
                f"| applications after the cuts answered | {'yes' if r['resumed'] else 'no'} |",
                "",
            ]
    return "\n".join(lines)


def _brief(r: dict[str, Any]) -> dict[str, Any]:
    keys = ("lost", "different_replies", "auto_answered", "strangers", "set_aside")
    out = {k: r[k] for k in keys if r.get(k)}
    if any(r["stuck"].values()):
        out["stuck"] = {k: v for k, v in r["stuck"].items() if v}
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=100, help="kills per database")
    ap.add_argument("--db", default="sqlite,postgres", help="sqlite, postgres or both")
    ap.add_argument("--only", default="kill,smtp,imap", help="which parts to run")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--mean-kill-seconds", type=float, default=3.0)
    ap.add_argument("--max-kill-seconds", type=float, default=15.0)
    ap.add_argument("--before", type=int, default=3, help="most applications before a run")
    ap.add_argument("--during", type=int, default=3, help="most applications during a run")
    ap.add_argument("--settle-timeout", type=float, default=300.0)
    ap.add_argument("--outage-minutes", type=float, default=10.0)
    ap.add_argument("--time-scale", type=float, default=60.0)
    ap.add_argument("--outage-apps", type=int, default=6)
    ap.add_argument("--cuts", type=int, default=6)
    ap.add_argument("--cut-min-bytes", type=int, default=20_000)
    ap.add_argument("--cut-max-bytes", type=int, default=300_000)
    ap.add_argument("--imap-apps", type=int, default=20)
    ap.add_argument("--out", default=str(REPO / "bench" / "results" / "soak.md"))
    ap.add_argument("--json", help="also write the raw results here")
    ap.add_argument("--keep", help="copy the workers' logs here")
    ap.add_argument("--progress", action="store_true")
    ap.add_argument("--render", help="only write the report again from a --json file")
    ap.add_argument("--notes", help="a Markdown file appended to the report (with --render)")
    args = ap.parse_args()
    if args.render:
        saved = json.loads(Path(args.render).read_text(encoding="utf-8"))
        for rs in saved.values():
            for r in rs:
                for key in (
                    "last_events",
                    "by_anchor",
                    "in_flight",
                    "set_aside_errors",
                    "reconnect_events",
                ):
                    if key in r:
                        r[key] = Counter(r[key])
        argv = saved.pop("argv", "")
        text_out = report(saved, args, argv)
        if args.notes:
            text_out += "\n" + Path(args.notes).read_text(encoding="utf-8")
        Path(args.out).write_text(text_out + "\n", encoding="utf-8")
        print(text_out)
        return 0
    dbs = [d.strip() for d in args.db.split(",") if d.strip()]
    parts = {p.strip() for p in args.only.split(",")}
    results: dict[str, list[dict[str, Any]]] = {"kill": [], "smtp": [], "imap": []}
    with tempfile.TemporaryDirectory(prefix="lb-soak-") as tmp:
        root = Path(tmp)
        ca = TestCA.create(root / "ca")
        for name, fn in (("kill", kill_soak), ("smtp", smtp_outage), ("imap", imap_cuts)):
            if name not in parts:
                continue
            for db in dbs:
                r = fn(db, root, ca, args)
                results[name].append(r)
                print(f"{name} {db}: {'pass' if r['ok'] else 'FAIL'} {_brief(r)}", flush=True)
    text_out = report(results, args)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(text_out + "\n", encoding="utf-8")
    if args.json:
        saved = {"argv": " ".join(sys.argv[1:]), **results}
        Path(args.json).write_text(json.dumps(saved, default=str, indent=1), encoding="utf-8")
    print(text_out)
    return 0 if all(r["ok"] for rs in results.values() for r in rs) else 1


if __name__ == "__main__":
    sys.exit(main())
