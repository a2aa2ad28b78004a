"""Benchmark of the mail loop on real servers (not a test): a private Dovecot and an aiosmtpd
server on loopback, SQLite, the real worker.

1. Throughput: N applications APPENDed, then one `poll_once` in-process: messages per second
   through fetch -> record -> judge -> commit -> move -> reply sent.
2. Latency: `licensebot run` as a subprocess idling on the mailbox; K messages APPENDed one at
   a time; seconds from APPEND to the reply reaching the SMTP server.

Usage: .venv/bin/python bench/mail_loop.py [--messages 300] [--latency 10]
Writes bench/results/mail_loop.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from functools import cache
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from licensebot.cli.logs import configure_logging  # noqa: E402
from licensebot.config import load_settings  # noqa: E402
from licensebot.core.la import current_version  # noqa: E402
from licensebot.reading.la_versions import load_versions  # noqa: E402
from licensebot.store.db import make_engine, upgrade  # noqa: E402
from licensebot.worker.runner import Worker  # noqa: E402
from tests.forms.factory import make_spec, render  # noqa: E402
from tests.mailgen import CLIENTS, build_application  # noqa: E402
from tests.servers.dovecot import DovecotServer  # noqa: E402
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


def throughput(work: Path, ca: TestCA, n: int) -> dict[str, float]:
    with (
        DovecotServer({"sirui": PW}, ca=ca) as dovecot,
        SmtpServer(implicit_tls=True, username=SMTP_USER, password=SMTP_PASSWORD, ca=ca) as smtp,
    ):
        for i in range(n):
            dovecot.append("sirui", "INBOX", message(i))
        blocks = [mailbox_block(dovecot, "sirui", name="sirui", address="sirui@dataset.test")]
        cfg = write_config(
            work,
            mailboxes=blocks,
            smtp=smtp,
            schedule={"fetch_batch": 20},
            # five signers send everything here: the per-address daily cap must not bite
            extra="[limits]\nreplies_per_address_per_day = 1000000\n",
        )
        settings = load_settings(cfg)
        upgrade(make_engine(settings.storage.url()))
        worker = Worker(settings, environ=bot_env({"sirui": PW}))
        worker.check_templates()
        t0 = time.perf_counter()
        [report] = [worker.sync_box(b) for b in settings.mailbox]
        t1 = time.perf_counter()
        flushed = worker.flush()
        t2 = time.perf_counter()
        smtp.wait_for(flushed.sent, timeout=60)
        assert report.processed == n, report
        assert len(dovecot.uids("sirui", "INBOX")) == 0
    return {
        "messages": n,
        "intake_s": t1 - t0,
        "send_s": t2 - t1,
        "replies": flushed.sent,
        "loop_msgs_per_s": n / (t2 - t0),
        "intake_msgs_per_s": n / (t1 - t0),
        "send_replies_per_s": flushed.sent / (t2 - t1),
    }


def latency(work: Path, ca: TestCA, k: int) -> list[float]:
    with (
        DovecotServer({"sirui": PW}, ca=ca) as dovecot,
        SmtpServer(implicit_tls=True, username=SMTP_USER, password=SMTP_PASSWORD, ca=ca) as smtp,
    ):
        blocks = [mailbox_block(dovecot, "sirui", name="sirui", address="sirui@dataset.test")]
        cfg = write_config(work, mailboxes=blocks, smtp=smtp, schedule={"poll_seconds": 3600})
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
            out_times = []
            for i in range(k):
                time.sleep(0.5)  # back in IDLE
                t0 = time.perf_counter()
                dovecot.append("sirui", "INBOX", message(1000 + i))
                smtp.wait_for(i + 1, timeout=60)
                out_times.append(time.perf_counter() - t0)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
    return out_times


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=300)
    ap.add_argument("--latency", type=int, default=10)
    args = ap.parse_args()
    configure_logging("WARNING")
    with tempfile.TemporaryDirectory(prefix="lb-bench-") as tmp:
        root = Path(tmp)
        ca = TestCA.create(root / "ca")
        (root / "t").mkdir()
        (root / "l").mkdir()
        tp = throughput(root / "t", ca, args.messages)
        lat = latency(root / "l", ca, args.latency)
    q = statistics.quantiles(lat, n=20) if len(lat) >= 2 else lat
    lines = [
        "# Mail loop benchmark",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; Dovecot and aiosmtpd (implicit TLS, AUTH) "
        "on loopback; SQLite (WAL).",
        f"Generated by `bench/mail_loop.py --messages {args.messages} --latency {args.latency}` "
        f"on {time.strftime('%Y-%m-%d')}.",
        "",
        "Four messages in five carry a typed, digital LA (read from its text layer in the "
        "sandbox, judged by every rule; rejected as not scanned, so the reply carries the blank "
        "form); one in five has no attachment. Scanned LAs add their OCR time, measured in "
        "`bench/results/reading.md`.",
        "",
        "## Throughput (one `poll --once` over a full inbox)",
        "",
        "| messages | intake (fetch, record, judge, commit, move) | replies sent | whole loop |",
        "| ---: | ---: | ---: | ---: |",
        f"| {tp['messages']} | {tp['intake_s']:.2f} s = {tp['intake_msgs_per_s']:.0f} msg/s "
        f"| {tp['replies']:.0f} in {tp['send_s']:.2f} s = {tp['send_replies_per_s']:.0f}/s "
        f"| **{tp['loop_msgs_per_s']:.0f} msg/s** |",
        "",
        "## APPEND to reply at the SMTP server, worker in IDLE",
        "",
        f"{len(lat)} messages, one at a time: median **{statistics.median(lat):.2f} s**, "
        f"p95 {q[-1]:.2f} s, max {max(lat):.2f} s (poll interval set to 1 h, so IDLE alone "
        "explains it).",
        "",
    ]
    out = REPO / "bench" / "results" / "mail_loop.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
