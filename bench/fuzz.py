"""Fuzz campaign of the reading path (not a test): mutated mail and mutated PDFs, drawn by
Hypothesis from the test factory's seeds (`tests/mutate.py`), through

- the **worker's path**: the functions `licensebot run` wires in its composition root
  (`worker.app.build`): `intake.read` (the message and its LA in one single-use sandboxed
  reader; the MIME campaign reads the message alone, `read_message`, and each distinct PDF
  once, see below), the routes' `claims` (and the delivery-report reader for a bounce),
  `intake.assess` (the judge);
- **`licensebot check --json`** itself, as a subprocess over a shard of .eml files (its
  long-lived sandboxed readers).

Each shard runs in a child process of its own group. The driver watches every example (a line
before and after it): an example that runs past --hang-seconds is a hang (the shard's group is
killed, the example kept, the shard goes on with a fresh child); a child that dies is a parent
crash (likewise); a process other than a sandboxed reader growing past --parent-rss-mb is
killed and counted as a crash too. The resident memory of the whole process tree is sampled
every half second (peak recorded). Every example ends as a decision (approve, reject, review,
ignore), a route (a bounce, an opt-out, a maintainer's command), or an exception from the
reading path (the worker records those as failed messages and alerts the maintainers;
`licensebot check` would stop at one), and the reader's error codes are counted.

The MIME campaign reads each distinct PDF once per child (a memo in front of the reader), and
a PDF its mutations changed in a long-lived sandboxed reader (as `licensebot check` does)
rather than a fresh fork: the PDF campaign is the one that reads every mutated PDF the
worker's way. So the MIME campaign costs about what the MIME and header path costs.

Usage: python bench/fuzz.py [--mime 100000] [--pdf 10000] [--jobs 2] [--seed 1]
       [--check-share-mime 0.1] [--check-share-pdf 0.5] [--hang-seconds 90] [--out FILE]
Writes bench/results/fuzz.md (or --out); exits 1 on a hang or a parent crash.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import platform
import select
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "src"), str(REPO)]

MIME_SHARD = 2000
#: A MIME example slower than this is kept under --findings (the confined read's clock is 20 s).
SLOW_SECONDS = 10.0
PDF_SHARD = 100


# ---- examples -------------------------------------------------------------------------------


def examples(
    campaign: str, shard_seed: int, count: int, args: argparse.Namespace
) -> Iterator[tuple[int, bytes, str]]:
    """`count` mutated messages, (index, bytes, how they were made), drawn by Hypothesis."""
    from tests import mutate

    if campaign == "mime":
        seeds = mutate.mime_seeds()
        strategy = mutate.plans(len(seeds), mutate.MIME_OPS, max_size=args.max_flood)
    else:
        seeds = mutate.pdf_seeds(scan=args.scan_weight > 0)
        weights = [10] * len(seeds)
        if args.scan_weight > 0:
            weights[mutate.scan_seed_index()] = args.scan_weight
        strategy = mutate.plans(
            len(seeds), mutate.PDF_OPS, max_size=args.max_flood, seed_weights=weights
        )

    def make(plan: mutate.Plan, n: int) -> bytes:
        base = seeds[plan.seed]
        if campaign == "mime":
            return mutate.apply_mime(base, plan, seeds, max_bytes=args.max_bytes)
        pdf = mutate.apply_pdf(base, plan, seeds, max_bytes=args.max_bytes)
        return mutate.wrap_pdf(pdf, n)

    made = 0
    round_seed = shard_seed
    while made < count:
        batch = _draw(strategy, round_seed, min(count - made, 500))
        round_seed += 7919
        for plan in batch:
            yield made, make(plan, made), plan.describe()
            made += 1


def _draw(strategy: Any, round_seed: int, n: int) -> list[Any]:
    """Up to `n` plans that Hypothesis draws from `strategy` under `round_seed` (generation
    only: nothing fails, so nothing is shrunk)."""
    from hypothesis import HealthCheck, Phase, given, seed, settings

    plans: list[Any] = []

    @settings(
        max_examples=n,
        database=None,
        phases=[Phase.generate],
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @seed(round_seed)
    @given(strategy)
    def draw(plan: Any) -> None:
        if len(plans) < n:
            plans.append(plan)

    draw()
    return plans


# ---- the child: one shard -------------------------------------------------------------------


def _emit(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def child_worker(args: argparse.Namespace) -> None:
    """The worker's reading path, in this process, as `licensebot run` wires it."""
    from licensebot.config import load_settings
    from licensebot.reading.dsn import read_delivery_report
    from licensebot.store.db import make_engine, upgrade
    from licensebot.worker.app import build

    settings = load_settings(Path(args.config))
    upgrade(make_engine(settings.storage.url()))
    bot = build(settings, environ={"LICENSEBOT_ACCESS_CODE": "fuzz"})
    read = bot.read_message
    read_mail = bot.intake.read
    assess = bot.intake.assess
    routes = bot.intake.routes
    judge = getattr(assess, "__self__", None)
    last_error: list[str | None] = [None]
    if judge is not None and hasattr(judge, "read_pdf"):
        real = judge.read_pdf
        memo: dict[str, Any] = {}
        if args.campaign == "mime":
            # PDFs the mutations changed are read by a long-lived sandboxed reader (check's),
            # not a fresh fork each: the PDF campaign is the one that measures those
            from licensebot.reading.la_versions import load_versions
            from licensebot.reading.pdf import ReadLimits
            from licensebot.reading.sandbox import ReaderPool

            pool = ReaderPool(load_versions(settings.path(settings.dataset.la_dir)), ReadLimits())
            real = pool.read

        def read_pdf(data: bytes) -> Any:
            key = hashlib.sha256(data).hexdigest()
            form = memo.get(key) if args.campaign == "mime" else None
            if form is None:
                form = real(data)
                if args.campaign == "mime" and len(memo) < 2000:
                    memo[key] = form
            last_error[0] = getattr(form, "error", None)
            return form

        judge.read_pdf = read_pdf
    scratch = Path(args.scratch)
    current = scratch / f"current-{os.getpid()}.eml"
    saved: Counter[str] = Counter()
    for i, data, how in examples(args.campaign, args.shard_seed, args.count, args):
        current.write_bytes(data)
        _emit(f"B {i} {json.dumps(how)}")
        start = time.perf_counter()
        last_error[0] = None
        try:
            if args.campaign == "pdf":  # the worker's read: the message and its LA, one child
                msg, reading = read_mail(data)
                last_error[0] = reading.form.error if reading.form is not None else None
            else:
                msg, reading = read(data), None
            route = next((r for r in routes if r.claims(msg)), None)
            if route is not None:
                if route.name == "bounce":
                    read_delivery_report(data)
                outcome = f"route:{route.name}"
            else:
                outcome = f"decision:{assess(msg, reading).decision}"
        except Exception as exc:  # what the worker records as a failed message
            outcome = f"exception:{type(exc).__name__}"
            if saved[outcome] < 3:
                saved[outcome] += 1
                keep = scratch / "findings" / f"{outcome.replace(':', '-')}-{saved[outcome]}.eml"
                keep.parent.mkdir(exist_ok=True)
                keep.write_bytes(data)
                keep.with_suffix(".txt").write_text(f"{how}\n{exc!r}\n"[:5000])
        if last_error[0]:
            outcome += f" read_error:{last_error[0]}"
        took = time.perf_counter() - start
        if took > SLOW_SECONDS and saved["slow"] < 5:
            # a read past the limits' clock is a finding too: keep it to reproduce
            saved["slow"] += 1
            keep = scratch / "findings" / f"slow-{args.shard_seed}-{i}.eml"
            keep.parent.mkdir(exist_ok=True)
            keep.write_bytes(data)
            keep.with_suffix(".txt").write_text(f"{how}\n{took:.1f} s {outcome}\n")
        _emit(f"E {i} {took * 1000:.1f} {outcome}")
    _emit("D")


def child_check(args: argparse.Namespace) -> None:
    """`licensebot check --json` over the shard's messages, restarted after the file it died
    or hung on; every file gets an outcome line."""
    scratch = Path(args.scratch) / f"check-{os.getpid()}"
    scratch.mkdir(parents=True)
    files: list[Path] = []
    hows: list[str] = []
    for i, data, how in examples(args.campaign, args.shard_seed, args.count, args):
        path = scratch / f"{i:06d}.eml"
        path.write_bytes(data)
        files.append(path)
        hows.append(how)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / "src"), str(REPO)])
    env["LICENSEBOT_LOG_LEVEL"] = "ERROR"
    nxt = 0
    try:
        while nxt < len(files):
            cmd = [sys.executable, "-m", "licensebot", "check", "--json", "--jobs", "1"]
            cmd += ["--config", args.config, *map(str, files[nxt:])]
            err = scratch / "stderr.txt"
            with open(err, "wb") as err_out:
                proc = subprocess.Popen(
                    cmd, stdout=subprocess.PIPE, stderr=err_out, env=env, start_new_session=True
                )
            assert proc.stdout is not None
            _emit(f"P {proc.pid}")
            _emit(f"B {nxt} {json.dumps(hows[nxt])}")
            start = time.perf_counter()
            first = True
            while nxt < len(files):
                ready, _, _ = select.select([proc.stdout], [], [], args.hang_seconds)
                if not ready:
                    # a file the CLI did not answer in time: a hang of `licensebot check`
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(proc.pid, signal.SIGKILL)
                    _keep(scratch, files[nxt], "hang", hows[nxt])
                    _emit(f"E {nxt} {(time.perf_counter() - start) * 1000:.1f} hang")
                    nxt += 1
                    break
                line = proc.stdout.readline()
                if not line:
                    proc.wait()
                    tail = err.read_text(errors="replace")[-1500:]
                    _keep(scratch, files[nxt], "crash", f"{hows[nxt]}\n{tail}")
                    _emit(f"E {nxt} {(time.perf_counter() - start) * 1000:.1f} crash")
                    nxt += 1
                    break
                try:
                    decision = json.loads(line).get("decision") or "error"
                except ValueError:
                    decision = "unparsable-line"
                ms = (time.perf_counter() - start) * 1000
                # the first answer includes the CLI's start-up; not the message's own time
                _emit(f"E {nxt} {0.0 if first else ms:.1f} decision:{decision}")
                first = False
                nxt += 1
                start = time.perf_counter()
                if nxt < len(files):
                    _emit(f"B {nxt} {json.dumps(hows[nxt])}")
            else:
                proc.wait()
    finally:
        for f in files:
            f.unlink(missing_ok=True)
    _emit("D")


def _keep(scratch: Path, path: Path, what: str, how: str) -> None:
    target = scratch.parent / "findings"
    target.mkdir(exist_ok=True)
    shutil.copy(path, target / f"check-{what}-{path.name}")
    (target / f"check-{what}-{path.stem}.txt").write_text(how)


# ---- the driver -----------------------------------------------------------------------------


@dataclass
class Shard:
    campaign: str
    path: str  # worker | check
    seed: int
    count: int
    restarts: int = 0


@dataclass
class Running:
    shard: Shard
    proc: subprocess.Popen[bytes]
    buf: bytes = b""
    current: int | None = None
    how: str = ""
    since: float = 0.0
    done: int = 0
    killed_for: str = ""
    cli_pid: int | None = None  # `licensebot check`, in a session of its own


@dataclass
class Tally:
    outcomes: Counter[str] = field(default_factory=Counter)
    times_ms: list[float] = field(default_factory=list)
    hangs: list[str] = field(default_factory=list)
    crashes: list[str] = field(default_factory=list)
    slow: list[tuple[float, str]] = field(default_factory=list)
    seconds: float = 0.0


class Memory:
    """Samples the resident memory of the driver's whole process tree."""

    def __init__(self, cap_mb: float, on_cap: Callable[[int, str], None]) -> None:
        self.peak_tree = 0
        self.peak_parent = 0
        self.peak_reader = 0
        self.cap = int(cap_mb * 1024 * 1024)
        self.on_cap = on_cap
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Memory:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self.thread.join(2)

    def _run(self) -> None:
        me = os.getpid()
        page = os.sysconf("SC_PAGE_SIZE")
        while not self._stop.wait(0.5):
            parents: dict[int, int] = {}
            rss: dict[int, int] = {}
            for entry in os.scandir("/proc"):
                if not entry.name.isdigit():
                    continue
                try:
                    with open(f"/proc/{entry.name}/stat", "rb") as f:
                        stat = f.read().rsplit(b")", 1)[1].split()
                    with open(f"/proc/{entry.name}/statm", "rb") as f:
                        rss[int(entry.name)] = int(f.read().split()[1]) * page
                    parents[int(entry.name)] = int(stat[1])
                except (OSError, IndexError, ValueError):
                    continue
            tree = {me}
            grew = True
            while grew:
                grew = False
                for pid, ppid in parents.items():
                    if ppid in tree and pid not in tree:
                        tree.add(pid)
                        grew = True
            self.peak_tree = max(self.peak_tree, sum(rss.get(p, 0) for p in tree))
            for pid in tree - {me}:
                try:
                    cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
                except OSError:
                    continue
                size = rss.get(pid, 0)
                if b"forkserver" in cmd:
                    self.peak_reader = max(self.peak_reader, size)
                    continue
                self.peak_parent = max(self.peak_parent, size)
                if size > self.cap:
                    self.on_cap(pid, f"{size / 2**20:.0f} MB resident")


def run_campaign(
    campaign: str, total: int, args: argparse.Namespace, scratch: Path, config: Path
) -> dict[str, Tally]:
    shard_size = args.mime_shard if campaign == "mime" else args.pdf_shard
    share = args.check_share_mime if campaign == "mime" else args.check_share_pdf
    queue: list[Shard] = []
    n_shards = max(1, -(-total // shard_size))
    check_every = round(1 / share) if share > 0 else 0
    for k in range(n_shards):
        count = min(shard_size, total - k * shard_size)
        path = "check" if check_every and k % check_every == check_every - 1 else "worker"
        queue.append(Shard(campaign, path, args.seed * 1_000_003 + k * 101, count))
    tallies: dict[str, Tally] = defaultdict(Tally)
    running: dict[int, Running] = {}
    started = {p: 0.0 for p in ("worker", "check")}
    lock = threading.Lock()

    memory_kills: list[str] = []

    def cap_hit(pid: int, why: str) -> None:
        # the process that parses the mail grew past the cap: killed as the kernel or systemd
        # would; its shard notices (a crash at the example in hand) and goes on
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
            memory_kills.append(f"pid {pid}: {why}")

    t0 = time.monotonic()
    done_examples = 0
    last_print = 0.0
    with Memory(args.parent_rss_mb, cap_hit) as memory:
        while queue or running:
            while queue and len(running) < args.jobs:
                shard = queue.pop(0)
                cmd = [sys.executable, str(Path(__file__).resolve()), "--child", shard.path]
                cmd += ["--campaign", shard.campaign, "--shard-seed", str(shard.seed)]
                cmd += ["--count", str(shard.count), "--config", str(config)]
                cmd += ["--scratch", str(scratch), *_passthrough(args)]
                log = open(scratch / "children.log", "ab")  # noqa: SIM115 - handed to the child
                env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO / "src"), str(REPO)]))
                env["OMP_THREAD_LIMIT"] = "1"
                proc = subprocess.Popen(
                    cmd, stdout=subprocess.PIPE, stderr=log, env=env, start_new_session=True
                )
                log.close()
                assert proc.stdout is not None
                with lock:
                    running[proc.stdout.fileno()] = Running(shard, proc)
            fds = list(running)
            ready, _, _ = select.select(fds, [], [], 0.5)
            now = time.monotonic()
            for fd in ready:
                r = running[fd]
                chunk = os.read(fd, 65536)
                if not chunk:
                    _finish(r, tallies, queue, scratch, args)
                    with lock:
                        del running[fd]
                    continue
                r.buf += chunk
                *lines, r.buf = r.buf.split(b"\n")
                for raw in lines:
                    done_examples += _line(r, raw.decode(errors="replace"), tallies, now)
            for r in list(running.values()):
                if r.current is not None and now - r.since > args.hang_seconds + 15:
                    # the child's own watch (check) or none (worker) did not answer: kill it
                    r.killed_for = r.killed_for or "hang"
                    for group in (r.proc.pid, r.cli_pid):
                        with contextlib.suppress(ProcessLookupError, TypeError):
                            os.killpg(group, signal.SIGKILL)  # type: ignore[arg-type]
            for r in running.values():
                started[r.shard.path] = started[r.shard.path] or now
            if args.progress and now - last_print > 30:
                last_print = now
                rate = done_examples / max(1e-9, now - t0)
                print(
                    f"[{campaign}] {done_examples}/{total} ({rate:.1f}/s), "
                    f"tree peak {memory.peak_tree / 2**20:.0f} MB",
                    flush=True,
                )
        elapsed = time.monotonic() - t0
        for tally in tallies.values():
            tally.seconds = elapsed
        tallies["_memory"] = Tally(
            outcomes=Counter(
                tree=memory.peak_tree, parent=memory.peak_parent, reader=memory.peak_reader
            ),
            crashes=memory_kills,
            seconds=elapsed,
        )
    return tallies


def _passthrough(args: argparse.Namespace) -> list[str]:
    return [
        "--max-flood", str(args.max_flood),
        "--max-bytes", str(args.max_bytes),
        "--scan-weight", str(args.scan_weight),
        "--hang-seconds", str(args.hang_seconds),
    ]  # fmt: skip


def _line(r: Running, line: str, tallies: dict[str, Tally], now: float) -> int:
    kind, _, rest = line.partition(" ")
    tally = tallies[f"{r.shard.campaign}/{r.shard.path}"]
    if kind == "P":
        r.cli_pid = int(rest)
        return 0
    if kind == "B":
        index, _, how = rest.partition(" ")
        r.current, r.since = int(index), now
        with contextlib.suppress(ValueError):
            r.how = json.loads(how)
        return 0
    if kind == "E":
        _, ms, outcome = rest.split(" ", 2)
        r.current = None
        r.done += 1
        base = outcome.split(" ")
        tally.outcomes[base[0]] += 1
        for extra in base[1:]:
            tally.outcomes[extra] += 1
        if base[0] == "hang":
            tally.hangs.append(r.how)
        elif base[0] == "crash":
            tally.crashes.append(r.how)
        t = float(ms)
        if t > 0:
            tally.times_ms.append(t)
        if t > 5000:
            tally.slow.append((t, r.how))
        return 1
    return 0


def _finish(
    r: Running,
    tallies: dict[str, Tally],
    queue: list[Shard],
    scratch: Path,
    args: argparse.Namespace,
) -> None:
    code = r.proc.wait()
    tally = tallies[f"{r.shard.campaign}/{r.shard.path}"]
    if r.current is None and r.done >= r.shard.count:
        return
    # died or was killed: the example in hand is a finding, the rest goes on in a fresh child
    what = r.killed_for or f"parent died (exit {code})"
    index = r.current
    if index is not None:
        tally.outcomes["hang" if what == "hang" else "crash"] += 1
        (tally.hangs if what == "hang" else tally.crashes).append(f"{what}: {r.how}")
        kept = scratch / "findings"
        kept.mkdir(exist_ok=True)
        for cur in (
            scratch / f"current-{r.proc.pid}.eml",
            scratch / f"check-{r.proc.pid}" / f"{index:06d}.eml",
        ):
            if cur.exists():
                shutil.copy(cur, kept / f"{what.split()[0]}-{r.shard.seed}-{index}.eml")
                (kept / f"{what.split()[0]}-{r.shard.seed}-{index}.txt").write_text(r.how)
        r.done += 1
    else:
        tally.crashes.append(f"{what} between examples (shard {r.shard.seed})")
    left = r.shard.count - r.done
    if left > 0 and r.shard.restarts < 20:
        queue.insert(
            0,
            Shard(r.shard.campaign, r.shard.path, r.shard.seed + 17, left, r.shard.restarts + 1),
        )


# ---- report ---------------------------------------------------------------------------------


def _q(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def report(results: dict[str, dict[str, Tally]], args: argparse.Namespace) -> tuple[str, bool]:
    ok = True
    lines = [
        "# Fuzz: mutated mail and PDFs through the reading path",
        "",
        f"Generated by `bench/fuzz.py {' '.join(sys.argv[1:])}` on "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; machine: {platform.machine()}, "
        f"{os.cpu_count()} cores (shared with other work), Python {platform.python_version()}, "
        f"{args.jobs} shards at a time. Mutations drawn by Hypothesis from the test factory's "
        "seeds (`tests/mutate.py`); the worker's path is `worker.app.build`'s "
        "`read_message`, routes and `assess` (a fresh sandboxed reader per PDF), the check path "
        "is the `licensebot check --json` command. What is asserted and how to re-run: "
        "[docs/soak_and_fuzz.md](../../docs/soak_and_fuzz.md).",
        "",
    ]
    for campaign, tallies in results.items():
        memory = tallies.get("_memory")
        paths = {k: v for k, v in tallies.items() if not k.startswith("_")}
        n = sum(
            sum(c for o, c in v.outcomes.items() if not o.startswith("read_error"))
            for v in paths.values()
        )
        hangs = sum(len(v.hangs) for v in paths.values())
        crashes = sum(len(v.crashes) for v in paths.values())
        memory_kills = memory.crashes if memory else []
        ok = ok and hangs == 0 and crashes == 0
        secs = memory.seconds if memory else 0.0
        title = "MIME messages" if campaign == "mime" else "PDFs (each in an application email)"
        lines += [
            f"## {n:,} mutated {title}: {hangs} hangs, {crashes} parent crashes",
            "",
            f"{secs / 60:.1f} min, **{n / max(secs, 1e-9):.1f} messages/s** overall.",
        ]
        if memory:
            mo = memory.outcomes
            lines += [
                f"Peak resident memory: the whole process tree {mo['tree'] / 2**20:,.0f} MB; "
                f"the largest parent process (the one that parses the mail: a shard's child or "
                f"`licensebot check`) {mo['parent'] / 2**20:,.0f} MB; the largest sandboxed "
                f"reader or fork server {mo['reader'] / 2**20:,.0f} MB.",
            ]
        lines += ["", "| path | messages | outcome | count |", "| --- | ---: | --- | ---: |"]
        for path, t in sorted(paths.items()):
            count = sum(c for o, c in t.outcomes.items() if not o.startswith("read_error"))
            for o, c in sorted(t.outcomes.items(), key=lambda kv: (-kv[1], kv[0])):
                lines.append(f"| {path} | {count:,} | `{o}` | {c:,} |")
        lines += [
            "",
            "| path | median | p99 | max | over 5 s |",
            "| --- | ---: | ---: | ---: | ---: |",
        ]
        for path, t in sorted(paths.items()):
            ts = t.times_ms
            med = statistics.median(ts) if ts else 0.0
            lines.append(
                f"| {path} | {med:.0f} ms | {_q(ts, 0.99):.0f} ms | {max(ts, default=0):.0f} ms "
                f"| {len(t.slow)} |"
            )
        findings = [(p, h) for p, t in paths.items() for h in t.hangs + t.crashes]
        slow = sorted((s for t in paths.values() for s in t.slow), reverse=True)[:5]
        if memory_kills:
            lines += ["", "Killed at the parent memory cap (--parent-rss-mb):", ""]
            lines += [f"- {k}" for k in memory_kills[:30]]
        if findings:
            lines += ["", "Hangs and crashes (reproducers kept under --findings):", ""]
            lines += [f"- {p}: {h}" for p, h in findings[:30]]
        if slow:
            lines += ["", "Slowest examples:", ""]
            lines += [f"- {ms / 1000:.1f} s: {how}" for ms, how in slow]
        lines.append("")
    return "\n".join(lines), ok


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mime", type=int, default=100_000, help="mutated MIME messages")
    ap.add_argument("--pdf", type=int, default=10_000, help="mutated PDFs")
    ap.add_argument("--jobs", type=int, default=2, help="shards at a time")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--check-share-mime", type=float, default=0.1)
    ap.add_argument("--check-share-pdf", type=float, default=0.5)
    ap.add_argument("--hang-seconds", type=float, default=90.0)
    ap.add_argument("--mime-shard", type=int, default=MIME_SHARD, help="messages per child")
    ap.add_argument("--pdf-shard", type=int, default=PDF_SHARD, help="PDFs per child")
    ap.add_argument("--parent-rss-mb", type=float, default=4000.0)
    ap.add_argument("--max-flood", type=int, default=2000, help="most encoded-words etc.")
    ap.add_argument("--max-bytes", type=int, default=2_000_000, help="largest mutated input")
    ap.add_argument("--scan-weight", type=int, default=1, help="weight of the scanned seed")
    ap.add_argument("--out", default=str(REPO / "bench" / "results" / "fuzz.md"))
    ap.add_argument("--json", help="also write the raw tallies here")
    ap.add_argument("--findings", default="/tmp/lb-fuzz-findings")
    ap.add_argument("--progress", action="store_true")
    # internal: one shard in a child process
    ap.add_argument("--child", choices=["worker", "check"], help=argparse.SUPPRESS)
    ap.add_argument("--campaign", choices=["mime", "pdf"], help=argparse.SUPPRESS)
    ap.add_argument("--shard-seed", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--count", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--config", help=argparse.SUPPRESS)
    ap.add_argument("--scratch", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child == "worker":
        child_worker(args)
        return 0
    if args.child == "check":
        child_check(args)
        return 0
    results: dict[str, dict[str, Tally]] = {}
    with tempfile.TemporaryDirectory(prefix="lb-fuzz-") as tmp:
        root = Path(tmp)
        from tests.mutate import fuzz_config

        config = fuzz_config(root)
        for campaign, total in (("mime", args.mime), ("pdf", args.pdf)):
            if total > 0:
                results[campaign] = run_campaign(campaign, total, args, root, config)
        if (root / "findings").exists():
            shutil.copytree(root / "findings", args.findings, dirs_exist_ok=True)
    text, ok = report(results, args)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(text, encoding="utf-8")
    if args.json:
        raw = {
            c: {
                p: {"outcomes": t.outcomes, "hangs": t.hangs, "crashes": t.crashes}
                for p, t in ts.items()
            }
            for c, ts in results.items()
        }
        Path(args.json).write_text(json.dumps(raw, indent=1, default=str), encoding="utf-8")
    print(text)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
