"""Benchmark of an LA change broadcast (not a test): 10,000 licensees in SQLite (WAL), one
`la publish` (notices queued), then one outbox flush with the rate limit off, to an aiosmtpd
server on loopback (implicit TLS, in its own process so it does not share the sender's GIL).

Usage: .venv/bin/python bench/broadcast.py [--licensees 10000] [--connections 1 4]
Writes bench/results/broadcast.md.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import platform
import re
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from licensebot.cli.logs import configure_logging  # noqa: E402
from licensebot.config import Settings  # noqa: E402
from licensebot.store.db import upgrade  # noqa: E402
from licensebot.worker.app import build  # noqa: E402
from licensebot.worker.la import markdown_attachment  # noqa: E402
from tests.la_support import LA_2023, la_2027, seed_licensees  # noqa: E402
from tests.servers.smtp import _free_port  # noqa: E402
from tests.servers.tls import TestCA  # noqa: E402
from tests.support import bot_env  # noqa: E402

_MSGID = re.compile(rb"^Message-ID: (<[^>]+>)", re.MULTILINE | re.IGNORECASE)


def serve(port: int, ca_dir: str, stop: Any, result: Any, tls: bool = True) -> None:
    """A lean SMTP sink: accepts everything, keeps each Message-ID, reports them at the end."""
    from aiosmtpd.controller import Controller

    ids: list[bytes] = []

    class Sink:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            m = _MSGID.search(envelope.original_content or envelope.content)
            ids.append(m.group(1) if m else b"")
            return "250 2.0.0 OK"

    ca = TestCA.create(Path(ca_dir))
    ctx = ca.issue(Path(ca_dir) / "tls").server_context()
    controller = Controller(
        Sink(),
        hostname="127.0.0.1",
        port=port,
        ssl_context=ctx if tls else None,
        server_hostname="localhost",
    )
    controller.start()
    result.put(("ready", str(ca.ca_file)))
    stop.wait()
    controller.stop()
    result.put(("ids", ids))


async def bare_client(
    port: int, ca_file: str, raws: list[bytes], connections: int, tls: bool = True
) -> None:
    """The same messages through aiosmtplib alone (no database): the client's ceiling here."""
    import aiosmtplib

    from licensebot.mail.transport import tls_context

    async def one(part: list[bytes]) -> None:
        smtp = aiosmtplib.SMTP(
            hostname="127.0.0.1",
            port=port,
            use_tls=tls,
            start_tls=False,
            tls_context=tls_context(ca_file) if tls else None,
        )
        await smtp.connect()
        for i, raw in enumerate(part):
            await smtp.mail("desk@dataset.test")
            await smtp.rcpt(f"ceiling{i}@uni.edu")
            await smtp.data(raw)
        await smtp.quit()

    await asyncio.gather(*(one(raws[k::connections]) for k in range(connections)))


def run(
    work: Path, n: int, connections: int, batch: int, *, tls: bool, attachment: str
) -> dict[str, Any]:
    port = _free_port()
    ctx = mp.get_context("spawn")
    stop, result = ctx.Event(), ctx.Queue()
    server = ctx.Process(target=serve, args=(port, str(work / "ca"), stop, result, tls))
    server.start()
    _, ca_file = result.get(timeout=30)
    la_dir = work / "la"
    la_dir.mkdir()
    (la_dir / "2023.md").write_text(LA_2023, encoding="utf-8")
    (la_dir / "versions.toml").write_text(
        '[[version]]\nid = "2023"\neffective = 2023-01-01\nfile = "2023.md"\n', encoding="utf-8"
    )
    settings = Settings.model_validate(
        {
            "dataset": {"la_dir": str(la_dir), "templates_dir": str(REPO / "config/templates")},
            "storage": {"data_dir": str(work / "data")},
            "mailbox": [
                {"name": "m", "address": "desk@dataset.test", "kind": "maildir", "path": "x"}
            ],
            "smtp": {
                "host": "127.0.0.1",
                "port": port,
                "auth": "none",
                "security": "tls" if tls else "none",
                "ca_file": ca_file,
                "from_address": "desk@dataset.test",
            },
            "outbox": {"batch": batch, "connections": connections},
            "la": {"notices_per_minute": 0},
            "config_dir": str(work),
        }
    )
    bot = build(
        settings,
        environ=bot_env({}),
        la_attachment=markdown_attachment if attachment == "markdown" else None,
    )
    upgrade(bot.engine)
    seed_licensees(bot.engine, n)
    assert bot.la is not None
    t0 = time.perf_counter()
    report = bot.la.publish(
        la_2027(), effective=date.today() + timedelta(days=30), version_id="2027"
    )
    t1 = time.perf_counter()
    flushed = asyncio.run(bot.relay.flush_async())
    t2 = time.perf_counter()
    with bot.engine.connect() as conn:
        sample = [r[0] for r in conn.exec_driver_sql("SELECT raw FROM outbox LIMIT 2000")]
    t3 = time.perf_counter()
    size = sum(len(r) for r in sample) / max(1, len(sample))
    asyncio.run(bare_client(port, ca_file, sample, connections, tls))
    t4 = time.perf_counter()
    stop.set()
    kind, ids = result.get(timeout=60)
    server.join(timeout=30)
    assert report.queued == n and flushed.sent == n, (report, flushed)
    assert kind == "ids" and len(ids) == n + len(sample), len(ids)
    assert len(set(ids[:n])) == n, len(set(ids[:n]))
    st = bot.la.status("2027")
    assert st.delivery["sent"] == n
    return {
        "licensees": n,
        "transport": "implicit TLS" if tls else "plain (loopback relay)",
        "attachment": f"{attachment} ({size / 1024:.0f} kB message)",
        "connections": connections,
        "batch": batch,
        "publish_s": t1 - t0,
        "send_s": t2 - t1,
        "per_s": n / (t2 - t1),
        "queue_per_s": n / (t1 - t0),
        "bare_per_s": len(sample) / (t4 - t3),
        "load": os.getloadavg()[0],
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--licensees", type=int, default=10_000)
    ap.add_argument("--connections", type=int, nargs="+", default=[1, 4])
    ap.add_argument("--batch", type=int, default=200)
    ap.add_argument("--transport", nargs="+", default=["tls", "plain"], choices=["tls", "plain"])
    ap.add_argument(
        "--attachment", nargs="+", default=["pdf", "markdown"], choices=["pdf", "markdown"]
    )
    args = ap.parse_args()
    configure_logging("WARNING")
    rows = []
    for transport in args.transport:
        for attachment in args.attachment:
            for c in args.connections:
                with tempfile.TemporaryDirectory(prefix="lb-broadcast-") as tmp:
                    r = run(
                        Path(tmp),
                        args.licensees,
                        c,
                        args.batch,
                        tls=transport == "tls",
                        attachment=attachment,
                    )
                print(r, flush=True)
                rows.append(r)
    lines = [
        "# LA change broadcast benchmark",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; SQLite (WAL, synchronous=NORMAL); aiosmtpd sink "
        "(no AUTH) in its own process on loopback; logs at WARNING.",
        f"Generated by `bench/broadcast.py --licensees {args.licensees} --connections "
        f"{' '.join(map(str, args.connections))} --batch {args.batch} --transport "
        f"{' '.join(args.transport)} --attachment {' '.join(args.attachment)}` on "
        f"{time.strftime('%Y-%m-%d')}. Every run checks that the server received each notice "
        "exactly once (distinct Message-IDs) and that `la status` counts them all as sent.",
        "",
        "Publishing renders and composes the notice (new LA attached) once per previous "
        "version, copies it per licensee (own To and Message-ID) and queues the notices "
        f"{settings_note()}; sending is one outbox flush with `la.notices_per_minute = 0`. "
        "*bare aiosmtplib* sends 2,000 of the same notices over as many connections with "
        "no database at all: the ceiling of the SMTP client on this machine at that moment. "
        "*load* is the 1-minute load average after the run (the machine is shared).",
        "",
        "The production default attaches the new LA as its fillable PDF form; the hook "
        "(`build(la_attachment=...)`) can attach the Markdown text instead.",
        "",
        "| licensees | transport | attachment | SMTP connections | batch "
        "| publish (queue notices) | send | notices/s sent | bare aiosmtplib | load |",
        "| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        lines.append(
            f"| {r['licensees']} | {r['transport']} | {r['attachment']} | {r['connections']} "
            f"| {r['batch']} | {r['publish_s']:.1f} s "
            f"({r['queue_per_s']:.0f}/s) | {r['send_s']:.1f} s | **{r['per_s']:.0f}** "
            f"| {r['bare_per_s']:.0f}/s | {r['load']:.1f} |"
        )
    lines.append("")
    out = REPO / "bench" / "results" / "broadcast.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


def settings_note() -> str:
    return "500 per transaction (`la.notice_chunk`)"


if __name__ == "__main__":
    main()
