"""Benchmark of the mail loop on real servers (not a test): a private Dovecot and an aiosmtpd
server on loopback, SQLite, the real worker.

1. Throughput: N applications APPENDed, then one `poll_once` in-process: messages per second
   through fetch -> record -> judge -> commit -> move -> reply sent.
2. Latency: `licensebot run` as a subprocess idling on the mailbox; K messages APPENDed one at
   a time; seconds from APPEND to the reply reaching the SMTP server.

3. Where the time goes: the worker in-process, each step of one message's path timed.

Usage: .venv/bin/python bench/mail_loop.py [--messages 300] [--latency 50] [--profile 20]
Writes bench/results/mail_loop.md.

With `--push`, only the push wake-up is measured: `licensebot run` idling as in 2, each message
delivered through Dovecot's LDA (as an MTA delivers), seconds from the delivery's start to the
reply at the SMTP server, without and with the push wake-up (Dovecot's push_notification
plugin, `ox` driver, to the worker's `[push]` listener), `--rounds` times each, alternately.
Appends a section to bench/results/mail_loop.md (the rest of the file is kept).

With `--scanned K`, only scanned LAs are measured: K messages, each carrying a typed, signed LA
of the independent source (tests/forms/independent.py) on development seeds (`--scanned-start`
on, tests/forms/split.py), printed and scanned by a copier or a phone scanner app, one in five
photographed on a desk instead; all made before the worker starts. As in 2, `licensebot run`
idles on the mailbox and the messages are APPENDed one at a time: seconds from APPEND to the
reply to the applicant accepted by the SMTP server, p50 / p95 / max, and the pages of each
document. Then the same messages through the worker in-process as in 3, each step timed: the
split of those seconds into IDLE's wake-up, the read (the message and its LA in one sandboxed
child) and the rest. Writes its own section of bench/results/mail_loop.md (the same section of
an earlier run replaced, the rest of the file kept).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from licensebot.cli.logs import configure_logging  # noqa: E402
from licensebot.config import Settings, load_settings  # noqa: E402
from licensebot.core.la import current_version  # noqa: E402
from licensebot.reading.la_versions import load_versions  # noqa: E402
from licensebot.reading.sandbox import call_confined, start_readers, stop_spares  # noqa: E402
from licensebot.store.db import make_engine, upgrade  # noqa: E402
from licensebot.worker.runner import Worker  # noqa: E402
from tests.forms.factory import make_spec, render  # noqa: E402
from tests.mailgen import CLIENTS, build_application  # noqa: E402
from tests.servers.dovecot import DovecotServer, free_port  # noqa: E402
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

PW = "bench-password"
RESULTS = REPO / "bench" / "results" / "mail_loop.md"
#: The heading of `--scanned`'s section of the results (a run replaces the one before).
SCANNED_HEADING = "## Scanned LAs: APPEND to reply"


@cache
def forms() -> list[tuple[dict[str, str], bytes]]:
    """A few typed, digital LAs (text layer: the reader needs no OCR; scans are measured in
    bench/results/reading.md)."""
    la = current_version(load_versions(CONFIG_DIR / "la"))
    out = []
    for seed in range(5):
        spec = make_spec(seed, la, medium="digital", hand="typed", signature="ink")
        out.append((spec.truth, render(spec)))
    return out


@dataclass(frozen=True)
class Scanned:
    """A message carrying a scanned LA: its bytes, the applicant (whom the reply goes to),
    the LA's seed, category and pages."""

    raw: bytes
    applicant: str
    seed: int
    category: str
    pages: int


def scanned_messages(k: int, start: int) -> list[Scanned]:
    """`k` applications, each with a scanned LA of the independent source on the development
    seeds from `start` on: typed, signed, the current LA; every fifth photographed on a desk,
    the others scanned (`make_many(..., medium="scan", kind="typed")`)."""
    import pypdfium2

    from tests.forms.independent import make_many
    from tests.forms.split import DEV, seeds

    drawn = seeds(DEV, k, start)
    photos = drawn[4::5]
    made = {
        spec.seed: (pdf, spec)
        for medium, group in (("scan", [s for s in drawn if s not in photos]), ("photo", photos))
        if group
        for pdf, spec in make_many(group, medium=medium, kind="typed")
    }
    out = []
    for n, seed in enumerate(drawn):
        pdf, spec = made[seed]
        applicant = str(spec.truth["work_email"])
        doc = pypdfium2.PdfDocument(pdf)
        pages = len(doc)
        doc.close()
        raw = build_application(
            client=CLIENTS[n % len(CLIENTS)],
            sender=applicant,
            to=["sirui@dataset.test"],
            filename=f"DFME_License_Agreement_{applicant.split('@')[0]}.pdf",
            pdf=pdf,
            subject=f"DFME license agreement {n}",
            message_id=f"<bench-scan-{n}-{time.time_ns()}@uni.edu>",
        )
        out.append(Scanned(raw, applicant, seed, spec.category, pages))
    return out


def wait_reply(smtp: SmtpServer, to: str, seen: int, timeout: float) -> None:
    """Until a message to `to` is accepted beyond the first `seen` (the reply to an
    applicant; a maintainer's notice the same decision queued is not it)."""
    deadline = time.monotonic() + timeout
    while True:
        if any(to in m.rcpt_tos for m in smtp.messages[seen:]):
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"no reply to {to} within {timeout:g} s")
        time.sleep(0.005)


def warm_up(dovecot: DovecotServer, smtp: SmtpServer) -> None:
    """One typed application through the worker, not timed: the first message after a start
    finds the worker's first sync, not IDLE, and readers still being forked."""
    seen = len(smtp.messages)
    dovecot.append("sirui", "INBOX", message(1))
    smtp.wait_for(seen + 1, timeout=120)
    time.sleep(2)  # the spares forked and warmed


def message(n: int) -> bytes:
    truth, pdf = forms()[n % len(forms())]
    name = "_".join(str(truth["signer_name"]).split())
    return build_application(
        client=CLIENTS[n % len(CLIENTS)],
        sender=truth["work_email"],
        to=["sirui@dataset.test"],
        filename=f"DFME_License_Agreement_{name}.pdf" if n % 5 else None,
        pdf=pdf if n % 5 else None,
        subject=f"DFME license agreement {n}",
        message_id=f"<bench-{n}-{time.time_ns()}@uni.edu>",
    )


@contextmanager
def desk(
    work: Path, ca: TestCA, schedule: dict[str, int], *, push_port: int = 0
) -> Iterator[tuple[DovecotServer, SmtpServer, Path]]:
    """Dovecot and the SMTP server up, and a config of the desk's one mailbox written for
    them: (dovecot, smtp, config path). With `push_port`, Dovecot pushes deliveries to the
    worker's push listener on that port."""
    push_url = f"http://127.0.0.1:{push_port}/push" if push_port else None
    with (
        DovecotServer({"sirui": PW}, ca=ca, push_url=push_url) as dovecot,
        SmtpServer(implicit_tls=True, username=SMTP_USER, password=SMTP_PASSWORD, ca=ca) as smtp,
    ):
        blocks = [mailbox_block(dovecot, "sirui", name="sirui", address="sirui@dataset.test")]
        cfg = write_config(
            work,
            mailboxes=blocks,
            smtp=smtp,
            schedule=schedule,
            # five signers send everything here: the per-address daily cap must not bite
            extra="[limits]\nreplies_per_address_per_day = 1000000\n"
            + (f"[push]\nport = {push_port}\n" if push_port else ""),
        )
        yield dovecot, smtp, cfg


def throughput(
    work: Path, ca: TestCA, n: int, *, decisions: Path | None = None
) -> dict[str, float]:
    """A backlog of `n` messages through one sync, then one flush of the outbox; with
    `decisions`, what was decided for each message is written there (JSON), so that two
    versions of the code can be compared on the same messages."""
    with desk(work, ca, {"fetch_batch": 20}) as (dovecot, smtp, cfg):
        for i in range(n):
            dovecot.append("sirui", "INBOX", message(i))
        settings = load_settings(cfg)
        upgrade(make_engine(settings.storage.url()))
        worker = Worker(settings, environ=bot_env({"sirui": PW}))
        worker.check_templates()
        # as `licensebot run` and `poll` do: the fork server up (its models loaded) and
        # readers forked ahead, before the clock starts
        start_readers(la_dir=settings.path(settings.dataset.la_dir))
        call_confined(os.getpid, time_limit=60, cpu_limit=60, memory_bytes=1 << 28)
        time.sleep(1)  # the spares forked and warmed, as when a backlog lands on an idle worker
        cpu0 = cpu_seconds(dovecot)
        t0 = time.perf_counter()
        [report] = [worker.sync_box(b) for b in settings.mailbox]
        t1 = time.perf_counter()
        cpu1 = cpu_seconds(dovecot)
        flushed = worker.flush()
        t2 = time.perf_counter()
        stop_spares()
        smtp.wait_for(flushed.sent, timeout=60)
        assert report.processed == n, report
        assert len(dovecot.uids("sirui", "INBOX")) == 0
        if decisions is not None:
            decisions.write_text(json.dumps(decided(settings), indent=1, sort_keys=True))
    return {
        **{f"cpu_{k}": cpu1[k] - cpu0[k] for k in cpu0},
        "messages": n,
        "intake_s": t1 - t0,
        "send_s": t2 - t1,
        "replies": flushed.sent,
        "loop_msgs_per_s": n / (t2 - t0),
        "intake_msgs_per_s": n / (t1 - t0),
        "send_replies_per_s": flushed.sent / (t2 - t1),
    }


def latency(
    work: Path,
    ca: TestCA,
    k: int,
    *,
    push: bool | None = None,
    scanned: Sequence[Scanned] = (),
) -> list[float]:
    """Seconds from APPEND to the reply; with `push` set, from the start of a delivery
    through Dovecot's LDA (with or without the push wake-up) instead. With `scanned`, those
    messages (`k` is their number), each timed to the reply to its applicant."""
    push_port = free_port() if push else 0
    with desk(work, ca, {"poll_seconds": 3600}, push_port=push_port) as (dovecot, smtp, cfg):
        env = {k: v for k, v in os.environ.items() if not k.startswith("LICENSEBOT_")}
        env.update(bot_env({"sirui": PW}))
        cmd = [sys.executable, "-m", "licensebot"]
        subprocess.run([*cmd, "db", "upgrade", "--config", str(cfg)], env=env, check=True)
        log = work / "worker.log"
        with open(log, "wb") as out:
            proc = subprocess.Popen([*cmd, "run", "--config", str(cfg)], env=env, stderr=out)
        try:
            deadline = time.monotonic() + 30
            while "idle.watching" not in log.read_text() and time.monotonic() < deadline:
                time.sleep(0.05)
            if scanned:
                warm_up(dovecot, smtp)
            out_times = []
            for i in range(k):
                time.sleep(0.5)  # back in IDLE
                seen = len(smtp.messages)
                t0 = time.perf_counter()
                if scanned:
                    dovecot.append("sirui", "INBOX", scanned[i].raw)
                    wait_reply(smtp, scanned[i].applicant, seen, timeout=180)
                elif push is None:
                    dovecot.append("sirui", "INBOX", message(1000 + i))
                    smtp.wait_for(i + 1, timeout=60)
                else:
                    dovecot.deliver("sirui", message(1000 + i))
                    smtp.wait_for(i + 1, timeout=60)
                out_times.append(time.perf_counter() - t0)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
    return out_times


def cpu_seconds(dovecot: DovecotServer) -> dict[str, float]:
    """CPU seconds used so far (user + system) by this process (the worker and, in threads,
    the SMTP server), by the readers' fork server itself (its forks), by the readers it forked
    and reaped (their reads and exits), and by Dovecot's processes."""
    from multiprocessing import forkserver

    tick = os.sysconf("SC_CLK_TCK")

    def stat(pid: int) -> list[int]:
        with open(f"/proc/{pid}/stat") as f:
            return [int(x) for x in f.read().rsplit(")", 1)[1].split()[11:15]]

    me = os.times()
    server = forkserver._forkserver._forkserver_pid  # type: ignore[attr-defined]
    utime, stime, cutime, cstime = stat(server) if server else [0, 0, 0, 0]
    return {
        "worker": me.user + me.system,
        "fork_server": (utime + stime) / tick,
        "readers": (cutime + cstime) / tick,
        "dovecot": sum(sum(stat(pid)) for pid in dovecot_pids(dovecot)) / tick,
    }


def dovecot_pids(dovecot: DovecotServer) -> list[int]:
    """The processes of this Dovecot (its master and what it started), by their parentage."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
            children.setdefault(ppid, []).append(int(entry))
    assert dovecot._process is not None
    todo, found = [dovecot._process.pid], []
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def decided(settings: Settings) -> dict[str, object]:
    """Each message's decision, reasons, fields and every rule's result, and the kinds of the
    replies queued for it, by the message's number (its subject)."""
    from sqlmodel import Session, select

    from licensebot.store.models import Application, DecisionRecord, OutboxMessage

    out: dict[str, object] = {}
    with Session(make_engine(settings.storage.url())) as s:
        rows = s.exec(
            select(Application, DecisionRecord).where(
                DecisionRecord.application_id == Application.id
            )
        ).all()
        kinds: dict[int | None, list[str]] = {}
        for app_id, kind in s.exec(select(OutboxMessage.application_id, OutboxMessage.kind)):
            kinds.setdefault(app_id, []).append(kind)
        for app, record in rows:
            out[app.subject.rsplit(" ", 1)[-1]] = {
                "decision": record.decision.value,
                "reasons": record.reasons,
                "fields": record.fields,
                "rules": record.rule_results,
                "replies": sorted(kinds.get(app.id, [])),
            }
    return out


def floor(work: Path, ca: TestCA, n: int) -> dict[str, float]:
    """The floor of a typed application's handling, per message, in this process, no sandbox
    and no judging: the messages fetched as the worker fetches them (`schedule.fetch_batch` at
    a time, BODY.PEEK[]), the MIME read (`read_message`), the LA's text layer (pypdfium2, the
    reader's `Document.text_pages`), one transaction (an inbound row inserted and committed)
    and one SMTP send of a reply of the size the bot sends (the blank form attached) over a
    session kept open. Mean seconds per message of each step, and of all."""
    from email.message import EmailMessage

    from sqlmodel import Session

    from licensebot.core.assess import la_to_read
    from licensebot.mail.imap import open_imap
    from licensebot.mail.transport import SmtpTransport
    from licensebot.reading.blank_form import render_blank_form
    from licensebot.reading.document import Document
    from licensebot.reading.mime import read_message
    from licensebot.reading.pdf import ReadLimits
    from licensebot.store.models import InboundMessage

    steps = {"fetch": 0.0, "mime": 0.0, "text_layer": 0.0, "transaction": 0.0, "smtp_send": 0.0}
    with desk(work, ca, {"fetch_batch": 20}) as (dovecot, smtp, cfg):
        for i in range(n):
            dovecot.append("sirui", "INBOX", message(i))
        settings = load_settings(cfg)
        engine = make_engine(settings.storage.url())
        upgrade(engine)
        [box] = settings.mailbox
        la = current_version(load_versions(settings.path(settings.dataset.la_dir)))
        reply = EmailMessage()
        reply["From"], reply["To"], reply["Subject"] = "desk@dataset.test", "a@uni.edu", "Re"
        reply.set_content("Your application ... " * 200)
        reply.add_attachment(
            render_blank_form(la, fillable=True), "application", "pdf", filename="blank.pdf"
        )
        reply_raw = reply.as_bytes()
        transport = SmtpTransport(settings.smtp, SMTP_PASSWORD)
        loop = asyncio.new_event_loop()
        limits = ReadLimits()

        async def nothing() -> None:
            return None

        def send() -> None:
            sent = loop.run_until_complete(
                transport.send(
                    envelope_from="desk@dataset.test",
                    recipient="a@uni.edu",
                    raw=reply_raw,
                    on_data=nothing,
                )
            )
            assert sent.outcome == "sent", sent

        send()  # the session opened (the worker keeps one open), not counted
        with Session(engine) as s:  # the engine's first connection, not counted
            s.exec(select_one())
        t_all = time.perf_counter()
        with open_imap(box, PW) as session:
            keys = session.candidates(0)
            batch = settings.schedule.fetch_batch
            for start in range(0, len(keys), batch):
                t = time.perf_counter()
                fetched = iter(session.fetch(keys[start : start + batch]))
                while True:
                    item = next(fetched, None)
                    t = _step(steps, "fetch", t)
                    if item is None:
                        break
                    key, raw = item
                    msg = read_message(
                        raw,
                        trusted_authserv_ids=settings.auth.trusted_authserv_ids,
                        own_addresses=settings.own_addresses,
                    )
                    t = _step(steps, "mime", t)
                    pdf = la_to_read(msg, prefix=settings.dataset.file_prefix)
                    if pdf is not None:
                        with Document(pdf.data, limits) as doc:
                            assert doc.text_pages()
                    t = _step(steps, "text_layer", t)
                    with Session(engine) as s:
                        s.add(
                            InboundMessage(
                                mailbox=box.name,
                                folder=box.folder,
                                uidvalidity="1",
                                uid=key,
                                message_id=msg.message_id,
                                size=len(raw),
                                sha256="",
                                raw_path="",
                            )
                        )
                        s.commit()
                    t = _step(steps, "transaction", t)
                    send()
                    t = _step(steps, "smtp_send", t)
        total = time.perf_counter() - t_all
        loop.run_until_complete(transport.__aexit__(None, None, None))
        loop.close()
        smtp.wait_for(n + 1, timeout=60)
    return {**{k: v / n for k, v in steps.items()}, "total": total / n}


def select_one():  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    return text("select 1")


def _step(steps: dict[str, float], name: str, since: float) -> float:
    now = time.perf_counter()
    steps[name] += now - since
    return now


#: The path of one message, in order: each stage ends when its mark is stamped.
STAGES = (
    ("idle_wake", "APPEND -> IDLE reports EXISTS"),
    ("fetched", "UID SEARCH, sizes, FETCH BODY.PEEK[]"),
    ("read", "raw stored + the message and its LA read in one single-use sandboxed child"),
    ("recorded", "inbound row, the attempt counted (commit 1)"),
    ("judged", "rules, decision"),
    ("committed", "application + decision + reply (commit 2)"),
    ("claimed", "relay woken, lease recovery, claim"),
    ("accepted", "data mark committed, MAIL, RCPT, DATA accepted"),
)


def profile(
    work: Path, ca: TestCA, k: int, *, scanned: Sequence[Scanned] = ()
) -> dict[str, list[float]]:
    """The worker in-process, IDLE on the mailbox, its steps timed by wrappers: seconds spent
    in each of `STAGES` per message (same code path as `licensebot run`); with `scanned`,
    those messages (`k` is their number), each to the reply to its applicant."""
    import threading

    from licensebot.mail import imap as imap_module
    from licensebot.store import outbox as outbox_module

    marks: dict[str, float] = {}

    def stamp(name: str) -> None:
        marks.setdefault(name, time.perf_counter())

    def after(fn, name):  # type: ignore[no-untyped-def]
        def wrapped(*a, **kw):  # type: ignore[no-untyped-def]
            out = fn(*a, **kw)
            stamp(name)
            return out

        return wrapped

    real_wait = imap_module.ImapSession.wait
    real_fetch = imap_module.ImapSession.fetch
    real_claim = outbox_module.claim

    def wait(self, timeout, stop, *rest):  # type: ignore[no-untyped-def]
        woke = real_wait(self, timeout, stop, *rest)
        if woke:
            stamp("idle_wake")
        return woke

    def fetch(self, keys):  # type: ignore[no-untyped-def]
        for item in real_fetch(self, keys):
            stamp("fetched")
            yield item

    def claim(*a, **kw):  # type: ignore[no-untyped-def]
        rows = real_claim(*a, **kw)
        if rows:
            stamp("claimed")
        return rows

    imap_module.ImapSession.wait = wait  # type: ignore[method-assign]
    imap_module.ImapSession.fetch = fetch  # type: ignore[method-assign]
    outbox_module.claim = claim
    stages: dict[str, list[float]] = {name: [] for name, _ in STAGES}
    try:
        with desk(work, ca, {"poll_seconds": 3600}) as (dovecot, smtp, cfg):
            settings = load_settings(cfg)
            upgrade(make_engine(settings.storage.url()))
            worker = Worker(settings, environ=bot_env({"sirui": PW}))
            intake = worker.bot.intake
            intake._record = after(intake._record, "recorded")  # type: ignore[method-assign]
            intake.read = after(intake.read, "read")
            intake.assess = after(intake.assess, "judged")
            intake._decide = after(intake._decide, "committed")  # type: ignore[method-assign]
            runner = threading.Thread(target=worker.run, daemon=True)
            runner.start()
            deadline = time.monotonic() + 60
            while not worker.health.checks()["mailbox:sirui"].ok:
                assert time.monotonic() < deadline, "the worker never connected"
                time.sleep(0.05)
            if scanned:
                warm_up(dovecot, smtp)
            for i in range(k):
                time.sleep(0.5 if scanned else 0.3)  # back in IDLE
                marks.clear()
                seen = len(smtp.messages)
                t0 = time.perf_counter()
                if scanned:
                    dovecot.append("sirui", "INBOX", scanned[i].raw)
                    wait_reply(smtp, scanned[i].applicant, seen, timeout=180)
                else:
                    dovecot.append("sirui", "INBOX", message(1000 + 5 * i + 1))  # always a PDF
                    smtp.wait_for(i + 1, timeout=60)
                marks["accepted"] = time.perf_counter()
                prev = t0
                for name, _ in STAGES:
                    at = marks.get(name, prev)
                    stages[name].append(at - prev)
                    prev = at
            worker.stop.set()
            runner.join(timeout=30)
    finally:
        imap_module.ImapSession.wait = real_wait  # type: ignore[method-assign]
        imap_module.ImapSession.fetch = real_fetch  # type: ignore[method-assign]
        outbox_module.claim = real_claim
    return stages


def percentile(xs: list[float], p: float) -> float:
    """The p-th percentile (nearest rank)."""
    ordered = sorted(xs)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=300)
    ap.add_argument("--latency", type=int, default=50)
    ap.add_argument("--profile", type=int, default=20, help="messages timed step by step")
    ap.add_argument("--push", action="store_true", help="delivery to reply, without/with push")
    ap.add_argument("--rounds", type=int, default=1, help="with --push: runs of each, alternately")
    ap.add_argument(
        "--floor", type=int, default=0, help="messages through the floor's steps alone (first)"
    )
    ap.add_argument("--decisions", type=Path, help="write each message's decision here (JSON)")
    ap.add_argument(
        "--scanned", type=int, default=0, help="only this many messages with a scanned LA"
    )
    ap.add_argument(
        "--scanned-start", type=int, default=0, help="with --scanned: the first development seed"
    )
    args = ap.parse_args()
    configure_logging("WARNING")
    if args.push:
        compare_push(args.latency, args.rounds)
        return
    if args.scanned:
        measure_scanned(args.scanned, args.scanned_start)
        return
    with tempfile.TemporaryDirectory(prefix="lb-bench-") as tmp:
        root = Path(tmp)
        ca = TestCA.create(root / "ca")
        fl: dict[str, float] = {}
        if args.floor:
            (root / "f").mkdir()
            before = os.getloadavg()[0]
            fl = floor(root / "f", ca, args.floor)
            print(
                f"floor ({args.floor} messages, load {before:.2f} -> {os.getloadavg()[0]:.2f}): "
                + ", ".join(f"{k} {1000 * v:.1f} ms" for k, v in fl.items())
            )
        (root / "t").mkdir()
        (root / "l").mkdir()
        before = os.getloadavg()[0]
        tp = (
            throughput(root / "t", ca, args.messages, decisions=args.decisions)
            if args.messages
            else None
        )
        if tp is not None:
            print(
                f"throughput ({args.messages} messages, load {before:.2f} -> "
                f"{os.getloadavg()[0]:.2f}): intake {1000 * tp['intake_s'] / tp['messages']:.1f}"
                f" ms a message, replies {1000 * tp['send_s'] / tp['messages']:.1f} ms a message,"
                f" whole loop {1000 / tp['loop_msgs_per_s']:.1f} ms a message; CPU a message: "
                + ", ".join(
                    f"{k[4:]} {1000 * v / tp['messages']:.1f} ms"
                    for k, v in tp.items()
                    if k.startswith("cpu_")
                )
            )
        lat = latency(root / "l", ca, args.latency) if args.latency else []
        (root / "p").mkdir()
        stages = profile(root / "p", ca, args.profile) if args.profile else {}
    for name, what in STAGES:
        if stages:
            xs = stages[name]
            print(f"{name:10} {what:45} median {1000 * statistics.median(xs):7.1f} ms")
    if lat:
        print("latency:", " ".join(f"{x:.3f}" for x in lat))
    if tp is None or not lat or not stages:
        return
    load = os.getloadavg()
    busy = (
        f"**Caveat: the machine was shared with other agents' builds and tests (load average "
        f"{load[0]:.1f} on {os.cpu_count()} cores when this ended), so the figures are larger "
        "than a quiet machine's; compare runs only at similar load.**"
        if load[0] > 1.5
        else "The machine was quiet."
    )
    total = [sum(v) for v in zip(*stages.values(), strict=True)]
    bot = [t - w for t, w in zip(total, stages["idle_wake"], strict=True)]
    lines = [
        "# Mail loop benchmark",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; Dovecot and aiosmtpd (implicit TLS, AUTH) "
        "on loopback; SQLite (WAL).",
        f"Generated by `bench/mail_loop.py --floor {args.floor} --messages {args.messages} "
        f"--latency {args.latency} --profile {args.profile}` on {time.strftime('%Y-%m-%d')}, "
        f"load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} at the end on "
        f"{os.cpu_count()} cores.",
        "",
        busy,
        "",
        "Four messages in five carry a typed, digital LA (read from its text layer in the "
        "sandbox, judged by every rule; rejected as not scanned, so the reply carries the blank "
        "form); one in five has no attachment. Scanned LAs add their OCR time, measured in "
        "`bench/results/reading.md`.",
        "",
        "## Throughput (one sync over a full inbox, the readers started as `run` starts them)",
        "",
        "| messages | intake (fetch, record, judge, commit, move) | replies sent | whole loop |",
        "| ---: | ---: | ---: | ---: |",
        f"| {tp['messages']} | {tp['intake_s']:.2f} s = {tp['intake_msgs_per_s']:.0f} msg/s "
        f"| {tp['replies']:.0f} in {tp['send_s']:.2f} s = {tp['send_replies_per_s']:.0f}/s "
        f"| **{tp['loop_msgs_per_s']:.0f} msg/s** |",
        "",
        f"Per message: {1000 * tp['intake_s'] / tp['messages']:.0f} ms of intake.",
        "",
        *(
            [
                f"The floor (`--floor {args.floor}`: the same messages fetched, their MIME read, "
                "their LA's text layer, one transaction and one SMTP send of a reply of the bot's "
                "size each, in one process, no sandbox, no judging): "
                f"{1000 * fl['total']:.1f} ms a message ("
                + ", ".join(f"{k} {1000 * v:.1f}" for k, v in fl.items() if k != "total")
                + f" ms); intake ÷ floor = {tp['intake_s'] / tp['messages'] / fl['total']:.1f}.",
                "",
            ]
            if fl
            else []
        ),
        "## APPEND to reply at the SMTP server, worker in IDLE",
        "",
        f"`licensebot run` as a subprocess; {len(lat)} messages, one at a time: "
        f"p50 **{percentile(lat, 50):.2f} s**, p95 **{percentile(lat, 95):.2f} s**, "
        f"max {max(lat):.2f} s (poll interval 1 h, so IDLE alone explains it).",
        "",
        "## Where the time goes",
        "",
        f"The same path in-process, each step timed by wrappers ({len(total)} messages with a "
        "typed LA, one at a time; median and p95 per step):",
        "",
        "| step | what | p50 | p95 |",
        "| --- | --- | ---: | ---: |",
        *(
            f"| {name} | {what} | {1000 * percentile(stages[name], 50):.0f} ms "
            f"| {1000 * percentile(stages[name], 95):.0f} ms |"
            for name, what in STAGES
        ),
        f"| **total** | APPEND to reply accepted | {1000 * percentile(total, 50):.0f} ms "
        f"| {1000 * percentile(total, 95):.0f} ms |",
        f"| **the bot's share** | EXISTS to reply accepted | {1000 * percentile(bot, 50):.0f} ms "
        f"| {1000 * percentile(bot, 95):.0f} ms |",
        "",
        "Reading the table:",
        "",
        "- `idle_wake` is Dovecot's, not the bot's: its mailbox watcher tells IDLE clients of a "
        "change 0.5 s after it (`NOTIFY_DELAY_MSECS 500` in its source), so with Dovecot no "
        "APPEND is answered in less than half a second; another server (Coremail) has its own "
        "delay. What the bot controls is the rest, *the bot's share*.",
        "- `read` runs in a single-use sandboxed child that the worker forks ahead of need and "
        "warms on samples of its own (docs/reading.md): the message's MIME read, then the read "
        "of its LA, each under its own limits; the child reads that one message and exits. "
        "What is left is the reads themselves: the MIME structure, the text layer (pypdfium2), "
        "the form page's image at 150 dpi around the cells looked at (the signature's ink, empty "
        "cells), the table's rules and cells, the labels, the LA version from the text, and the "
        "fresh child's own cost (its copy-on-write faults, its exit).",
        "- `claimed` is short because the relay is woken by the commit that queues the reply "
        "(no polling); `accepted` is the commit that marks the reply as being handed over, then "
        "MAIL, RCPT and DATA over the SMTP session the worker keeps open between flushes "
        "(`outbox.hold_seconds`): no connection, TLS handshake or login.",
        "",
    ]
    out = RESULTS
    out.parent.mkdir(parents=True, exist_ok=True)
    # the sections this run does not write (earlier sessions', `--push`'s, `--scanned`'s) stay
    ours = {line for line in lines if line.startswith("## ")}
    kept = [s for s in sections(out) if s.splitlines()[0] not in ours] if out.exists() else []
    out.write_text("\n".join(lines) + "".join("\n" + s for s in kept), encoding="utf-8")
    print("\n".join(lines))


def sections(path: Path) -> list[str]:
    """The `## ` sections of a results file, each with its text up to the next one."""
    parts: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines(keepends=True):
        if line.startswith("## "):
            parts.append(line)
        elif parts:
            parts[-1] += line
    return parts


def write_section(path: Path, heading: str, text: str) -> None:
    """`text` (starting with a line that starts with `heading`) in place of the section of the
    same heading, else at the end; the rest of the file kept."""
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    start = old.find("\n" + heading)
    if start < 0:
        path.write_text(old.rstrip("\n") + "\n\n" + text, encoding="utf-8")
        return
    end = old.find("\n## ", start + 1)
    rest = old[end:] if end >= 0 else ""
    path.write_text(old[: start + 1] + text + rest, encoding="utf-8")


def measure_scanned(k: int, start: int) -> None:
    """`--scanned`: APPEND to reply for `k` messages with a scanned LA, and where the time
    goes; the results' section of it written."""
    t = time.perf_counter()
    messages = scanned_messages(k, start)
    made = time.perf_counter() - t
    print(f"{k} messages made in {made:.0f} s", flush=True)
    with tempfile.TemporaryDirectory(prefix="lb-bench-") as tmp:
        root = Path(tmp)
        ca = TestCA.create(root / "ca")
        (root / "l").mkdir()
        (root / "p").mkdir()
        load0 = os.getloadavg()
        lat = latency(root / "l", ca, k, scanned=messages)
        load1 = os.getloadavg()
        print("latency:", " ".join(f"{x:.2f}" for x in lat), flush=True)
        stages = profile(root / "p", ca, k, scanned=messages)
        load2 = os.getloadavg()
    wake, read = stages["idle_wake"], stages["read"]
    total = [sum(v) for v in zip(*stages.values(), strict=True)]
    rest = [t - w - r for t, w, r in zip(total, wake, read, strict=True)]
    pages = [m.pages for m in messages]
    categories = sorted({m.category for m in messages})
    kinds = {c: sum(m.category == c for m in messages) for c in categories}

    def row(name: str, xs: list[float]) -> str:
        return (
            f"| {name} | {percentile(xs, 50):.2f} s | {percentile(xs, 95):.2f} s "
            f"| {max(xs):.2f} s |"
        )

    lines = [
        f"{SCANNED_HEADING} ({time.strftime('%Y-%m-%d')})",
        "",
        f"Generated by `bench/mail_loop.py --scanned {k} --scanned-start {start}` on "
        f"{platform.machine()}, {os.cpu_count()} cores; load average (1 / 5 / 15 min) "
        f"{load0[0]:.1f} / {load0[1]:.1f} / {load0[2]:.1f} at the start, "
        f"{load1[0]:.1f} / {load1[1]:.1f} / {load1[2]:.1f} after the latency run, "
        f"{load2[0]:.1f} / {load2[1]:.1f} / {load2[2]:.1f} at the end"
        + (
            " (the machine shared with other work: figures are upper bounds)."
            if max(load0[0], load1[0], load2[0]) > 1.5
            else "."
        ),
        "",
        f"{k} messages, each with a typed, signed current LA of the independent source "
        f"(tests/forms/independent.py) on development seeds {start}-{start + k - 1}: "
        + ", ".join(f"{n} {c}" for c, n in kinds.items())
        + f"; {sum(pages)} pages, {min(pages)}-{max(pages)} a document "
        f"(median {statistics.median(pages):g}). All made before the worker started "
        f"({made:.0f} s). Both OCR engines (Tesseract, RapidOCR) read them.",
        "",
        "`licensebot run` as a subprocess idling on the mailbox (poll interval 1 h), the "
        "messages APPENDed one at a time, each timed to the reply to its applicant accepted by "
        "the SMTP server:",
        "",
        "| | p50 | p95 | max |",
        "| --- | ---: | ---: | ---: |",
        row("**APPEND to reply**", lat),
        "",
        "Where the time goes: the same messages through the worker in-process (the path of "
        "`licensebot run`, each step timed by wrappers, as in *Where the time goes* above):",
        "",
        "| step | p50 | p95 | max |",
        "| --- | ---: | ---: | ---: |",
        row("IDLE wake (APPEND to EXISTS: Dovecot's)", wake),
        row("the read (the message and its LA in one sandboxed child)", read),
        row("the rest (fetch, commits, judging, the reply sent)", rest),
        row("total", total),
        "",
        "Per message (seed, category, pages, APPEND to reply in the subprocess run; read in "
        "the in-process run):",
        "",
        "| seed | category | pages | APPEND to reply | read |",
        "| ---: | --- | ---: | ---: | ---: |",
        *(
            f"| {m.seed} | {m.category} | {m.pages} | {x:.2f} s | {r:.2f} s |"
            for m, x, r in zip(messages, lat, read, strict=True)
        ),
        "",
    ]
    text = "\n".join(lines)
    write_section(RESULTS, SCANNED_HEADING, text)
    print(text)


def compare_push(k: int, rounds: int) -> None:
    """Delivery to reply without and with the push wake-up, alternately; a section appended
    to the results file."""
    runs: list[tuple[bool, tuple[float, float], tuple[float, float], list[float]]] = []
    with tempfile.TemporaryDirectory(prefix="lb-bench-") as tmp:
        root = Path(tmp)
        ca = TestCA.create(root / "ca")
        for n in range(2 * rounds):
            push = n % 2 == 1
            work = root / f"run{n}"
            work.mkdir()
            before = os.getloadavg()[:2]
            lat = latency(work, ca, k, push=push)
            runs.append((push, before, os.getloadavg()[:2], lat))
            print(
                f"push={push}: p50 {percentile(lat, 50):.3f} p95 {percentile(lat, 95):.3f} "
                f"max {max(lat):.3f} (load {before[0]:.2f} -> {os.getloadavg()[0]:.2f})"
            )
            print("latency:", " ".join(f"{x:.3f}" for x in lat))
    load = os.getloadavg()
    lines = [
        "",
        f"## Push wake-up: delivery to reply, without and with push ({time.strftime('%Y-%m-%d')})",
        "",
        f"Generated by `bench/mail_loop.py --push --latency {k} --rounds {rounds}` on "
        f"{platform.machine()}, {os.cpu_count()} cores, load average {load[0]:.1f} / "
        f"{load[1]:.1f} / {load[2]:.1f} at the end. `licensebot run` as a subprocess idling on "
        f"the mailbox (poll interval 1 h); {k} messages (four in five with a typed LA) "
        "delivered one at a time through Dovecot's LDA, as an MTA delivers; seconds from the "
        "LDA's start to the reply accepted by the SMTP server. *With push*: Dovecot's "
        "push_notification plugin (`ox` driver) PUTs each delivery to the worker's `[push]` "
        "listener, which ends the IDLE wait at once; *without*: the worker learns of the "
        "delivery from Dovecot's IDLE notice. Runs in the order made, back to back.",
        "",
        "| run | load average (1 min, start → end) | p50 | p95 | max |",
        "| --- | ---: | ---: | ---: | ---: |",
        *(
            f"| {'**with push**' if push else 'without push'} | {b[0]:.2f} → {e[0]:.2f} "
            f"| {percentile(lat, 50):.2f} s | {percentile(lat, 95):.2f} s | {max(lat):.2f} s |"
            for push, b, e, lat in runs
        ),
        "",
        "",
    ]
    out = RESULTS
    with out.open("a", encoding="utf-8") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
