"""How fast `licensebot replay` judges the stored archive again.

    .venv/bin/python bench/replay.py --count 1000 [--jobs 1] [--jobs 2]

Writes bench/results/replay.md. The messages are the judging corpus's typed digital LA messages
(`tests.corpus`, every client style), stored as the intake stores them (the raw bytes in the
data directory, an `inbound_message` row, the application and the rules' decision as the corpus
expects it) in a SQLite database; then `licensebot replay --json` runs as a real process over
all of them, and over one, and the difference divided by the extra messages is the cost per
message after start-up.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlmodel import Session  # noqa: E402

from licensebot.config import load_settings  # noqa: E402
from licensebot.store.db import make_engine, upgrade  # noqa: E402
from licensebot.store.files import Blobs  # noqa: E402
from licensebot.store.models import (  # noqa: E402
    Application,
    DecisionRecord,
    InboundMessage,
    InboundState,
)
from tests.corpus import Case, make_corpus, write_config  # noqa: E402


def typed_cases(count: int, seed: int) -> list[Case]:
    cases: list[Case] = []
    n = count * 2
    while len(cases) < count:
        cases = [c for c in make_corpus(n, seed, scanned_share=0.0) if c.typed_digital]
        n *= 2
    return cases[:count]


def store(config: Path, cases: list[Case]) -> None:
    """Each message as the intake records it: raw bytes, the inbound row, the application and
    the rules' decision (the corpus's expected one)."""
    settings = load_settings(config, environ={})
    engine = make_engine(settings.storage.url(), data_dir=settings.storage.data_dir)
    upgrade(engine)
    blobs = Blobs(settings.storage.data_dir)
    start = datetime.now(UTC) - timedelta(days=len(cases))
    with Session(engine) as s:
        for i, case in enumerate(cases):
            at = start + timedelta(days=i)
            sha, path = blobs.put(case.eml, kind="messages", suffix=".eml")
            inbound = InboundMessage(
                mailbox="sirui",
                folder="INBOX",
                uidvalidity="1",
                uid=str(i + 1),
                message_id=f"<bench-{i}@example.org>",
                size=len(case.eml),
                sha256=sha,
                raw_path=str(path),
                received_at=at,
                state=InboundState.PROCESSED,
            )
            app = Application(
                dedup_key=f"bench-{i}", decision=case.decision, created_at=at, updated_at=at
            )
            s.add_all([inbound, app])
            s.flush()
            inbound.application_id = app.id
            s.add(
                DecisionRecord(
                    application_id=app.id or 0,
                    decision=case.decision,
                    reasons=list(case.reasons),
                    dedup_key=f"bench-{i}",
                    inbound_id=inbound.id,
                    created_at=at,
                )
            )
        s.commit()
    engine.dispose()


def run_replay(config: Path, jobs: int, cases: list[int] | None = None) -> tuple[float, dict]:
    exe = Path(sys.executable).with_name("licensebot")
    cmd = [str(exe), "replay", "--json", "--jobs", str(jobs), "--config", str(config)]
    for c in cases or ():
        cmd += ["--case", str(c)]
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"licensebot replay failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return wall, json.loads(proc.stdout)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--jobs", type=int, action="append")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "replay.md")
    ap.add_argument(
        "--cache", type=Path, help="keep the generated messages here (pickle) for the next run"
    )
    args = ap.parse_args()
    jobs_list = args.jobs or [1]
    t0 = time.perf_counter()
    if args.cache and args.cache.exists():
        cases = pickle.loads(args.cache.read_bytes())[: args.count]  # noqa: S301 - our own file
    else:
        cases = typed_cases(args.count, args.seed)
        if args.cache:
            args.cache.write_bytes(pickle.dumps(cases))
    made = time.perf_counter() - t0
    print(f"{len(cases)} typed messages generated in {made:.0f} s", flush=True)
    load_before = os.getloadavg()[0]
    rows = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        config = write_config(tmp / "config")
        text = config.read_text(encoding="utf-8").replace(
            'data_dir = "/var/lib/licensebot"', f'data_dir = "{tmp / "data"}"'
        )
        config.write_text(text, encoding="utf-8")
        store(config, cases)
        for jobs in jobs_list:
            one, _ = run_replay(config, jobs, cases=[1])
            wall, data = run_replay(config, jobs)
            per = (wall - one) / max(1, data["examined"] - 1) * 1000
            rows.append((jobs, one, wall, per, data))
            print(
                f"jobs {jobs}: one {one:.2f} s, all {wall:.2f} s, {per:.0f} ms/message, "
                f"{data['changed']} changed, {data['skipped']} skipped",
                flush=True,
            )
    load_after = os.getloadavg()[0]
    out = [
        "# `licensebot replay` speed",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; load average {load_before:.1f} before, "
        f"{load_after:.1f} after. The machine is shared with other agents' work while this ran: "
        "the figures are upper bounds.",
        f"Generated by `bench/replay.py --count {args.count}` on {datetime.now(UTC):%Y-%m-%d}: "
        f"{len(cases)} typed digital LA messages of the judging corpus (`tests.corpus`, every "
        "client style), stored as the intake stores them in SQLite (raw bytes on disk, the "
        "inbound row, the application, the rules' decision as the corpus expects it). "
        "`licensebot replay --json` runs as a real process over one case and over all; per "
        "message = (all − one) ÷ (messages − 1): the work after start-up (MIME read in the "
        "sandbox, the PDF's text layer in a sandboxed reader, every rule, the comparison).",
        "",
        "| readers (`--jobs`) | one case | all messages | per message | changed | skipped |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for jobs, one, wall, per, data in rows:
        out.append(
            f"| {jobs} | {one:.2f} s | {wall:.1f} s ({data['examined']}) | {per:.0f} ms | "
            f"{data['changed']} | {data['skipped']} |"
        )
    changed = rows[0][4]
    out += [
        "",
        "Changes found (the corpus's expected decision against today's reader and rules: each is "
        "a reader miss on this corpus, or a label the corpus gets wrong): "
        + (", ".join(f"{k}: {v}" for k, v in changed["counts"].items()) or "none")
        + ".",
    ]
    args.out.write_text("\n".join(out) + "\n", encoding="utf-8")
    print("\n".join(out))


if __name__ == "__main__":
    main()
