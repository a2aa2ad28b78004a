"""How much work `licensebot check` does per typed-PDF message once it has started.

    .venv/bin/python bench/check_speed.py --count 100 [--jobs 1 --jobs 2] [--repeat 3]

Writes bench/results/check_speed.md. The messages are the judging corpus's typed digital PDFs
(`tests.corpus`, every client style). `licensebot check --json` runs as a real process over
one message and over all of them; the difference divided by the extra messages is the cost per
message after start-up, as wall-clock time and as CPU time. CPU time counts every process the
command starts (the fork server, the sandboxed readers): this script makes itself a child
subreaper, so orphaned descendants are reparented to it and reaped, and their CPU time lands in
its RUSAGE_CHILDREN.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.corpus import Case, make_corpus, write_cases, write_config  # noqa: E402

PR_SET_CHILD_SUBREAPER = 36


def _subreaper() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")


def _reap_all() -> None:
    """Wait for every descendant (the fork server outlives the command by a moment)."""
    while True:
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return


def _cpu_children() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_check(
    paths: list[Path], config: Path, jobs: int, exe: Path | None = None
) -> tuple[float, float, list[dict[str, Any]]]:
    """One `licensebot check --json` process: (wall s, CPU s of it and all its descendants)."""
    exe = exe or Path(sys.executable).with_name("licensebot")
    cmd = [str(exe), "check", *map(str, paths), "--json", "--config", str(config)]
    if jobs:  # 0: the command's default
        cmd += ["--jobs", str(jobs)]
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    cpu0 = _cpu_children()
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    wall = time.perf_counter() - start
    _reap_all()
    cpu = _cpu_children() - cpu0
    if proc.returncode != 0:
        sys.exit(f"licensebot check failed ({proc.returncode}): {proc.stderr[-2000:]}")
    lines = [json.loads(x) for x in proc.stdout.splitlines() if x.strip()]
    return wall, cpu, lines


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=100, help="typed-PDF messages")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument(
        "--jobs", type=int, action="append", help="readers (repeatable); 0: the default"
    )
    ap.add_argument(
        "--baseline",
        type=Path,
        help="another `licensebot` executable (an older checkout's) to run the same way, "
        "without --jobs, as a first row",
    )
    ap.add_argument("--repeat", type=int, default=3, help="runs of each; the median counts")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "check_speed.md")
    args = ap.parse_args()
    jobs_list = args.jobs or [1, 2]
    _subreaper()

    cases: list[Case] = []
    n = args.count * 2
    while len(cases) < args.count:
        cases = [c for c in make_corpus(n, args.seed, scanned_share=0.0) if c.typed_digital]
        n *= 2
    cases = cases[: args.count]
    load_before = os.getloadavg()[0]
    rows: list[tuple[str, float, float, float, float, float, float]] = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        config = write_config(tmp / "config")
        paths = write_cases(cases, tmp / "mail")
        expected = {c.name: (c.decision, list(c.reasons)) for c in cases}
        runs: list[tuple[str, int, Path | None]] = [(str(j), j, None) for j in jobs_list]
        if args.baseline:
            runs.insert(0, ("baseline", 0, args.baseline))
        for label, jobs, exe in runs:
            ones, alls = [], []
            for _ in range(args.repeat):
                ones.append(run_check(paths[:1], config, jobs, exe)[:2])
                wall, cpu, lines = run_check(paths, config, jobs, exe)
                alls.append((wall, cpu))
                got = {Path(x["file"]).stem: (x["decision"], x["reasons"]) for x in lines}
                right = sum(got.get(k) == v for k, v in expected.items())
                print(f"{label}: {wall:.2f} s wall, {cpu:.2f} s CPU, {right}/{len(cases)} exact")
            w1 = statistics.median(w for w, _ in ones)
            c1 = statistics.median(c for _, c in ones)
            wn = statistics.median(w for w, _ in alls)
            cn = statistics.median(c for _, c in alls)
            extra = len(cases) - 1
            rows.append((label, w1, c1, wn, cn, (wn - w1) / extra * 1000, (cn - c1) / extra * 1000))
    load_after = os.getloadavg()[0]

    out = [
        "# `licensebot check` speed",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; load average {load_before:.1f} before, "
        f"{load_after:.1f} after (a machine shared with other work: upper bounds).",
        f"Generated by `bench/check_speed.py --count {args.count}` on "
        f"{datetime.now(UTC):%Y-%m-%d}: {len(cases)} typed digital LA messages from the judging "
        "corpus (`tests.corpus`, every client style), each run "
        f"{args.repeat} times (median). Per message = (time over all − time over one) ÷ "
        f"{len(cases) - 1}: the work after start-up. CPU counts the command and every process "
        "it starts (fork server, sandboxed readers)."
        + (
            f" `baseline`: `{args.baseline}` run the same way (its own default)."
            if args.baseline
            else ""
        ),
        "",
        "| readers (`--jobs`) | one message: wall / CPU | "
        f"{len(cases)} messages: wall / CPU | per message: wall | per message: CPU |",
        "| ---: | ---: | ---: | ---: | ---: |",
    ]
    for label, w1, c1, wn, cn, wpm, cpm in rows:
        out.append(
            f"| {label} | {w1:.2f} s / {c1:.2f} s | {wn:.2f} s / {cn:.2f} s | "
            f"{wpm:.0f} ms | {cpm:.0f} ms |"
        )
    args.out.write_text("\n".join(out) + "\n", encoding="utf-8")
    print("\n".join(out))


if __name__ == "__main__":
    main()
