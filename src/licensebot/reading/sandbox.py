"""Read an untrusted PDF in a separate process with a time limit and resource limits.

Each call runs `read_pdf` in a fresh child forked from a multiprocessing fork server (a small,
thread-free process that has already imported the readers, so a call costs a fork, not a Python
start-up). The child becomes its own process group, sets RLIMIT_AS / RLIMIT_CPU / RLIMIT_FSIZE /
RLIMIT_NOFILE on itself (inherited by Tesseract), reads, and sends back the plain `ReadForm`.
The parent waits at most `limits.time_limit` seconds, then kills the whole group. A crash, a
kill or a timeout comes back as a `ReadForm` with `error` set; nothing is raised, and the caller
(a worker thread, many times over) carries on.

A batch (`licensebot check` over many files) may instead use a `ReaderPool`: a few long-lived
readers from the same fork server, each reading one PDF after another under the same limits
(the address space, file size and descriptor caps set once; the CPU cap re-armed before each
PDF; the wall clock kept by the parent, which kills and replaces a reader on a timeout or a
crash). That saves the fork per PDF (a child starts with a cold heap: about 20 ms of CPU), at
the price of isolation between the PDFs of one batch: a reader that a hostile PDF took over
would read the next ones. The worker, which reads mail from strangers, keeps a fresh child
per PDF.
"""

from __future__ import annotations

import contextlib
import io
import math
import multiprocessing as mp
import os
import queue
import resource
import signal
import sys
import threading
import time
import types
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing import forkserver, popen_forkserver, reduction, spawn, util
from multiprocessing.connection import Connection
from multiprocessing.context import ForkServerProcess, set_spawning_popen
from pathlib import Path
from time import perf_counter
from typing import Any, TypeVar

from licensebot.core.form import ReadForm
from licensebot.core.la import LaVersion
from licensebot.core.message import Attachment, IncomingMessage
from licensebot.reading.filekind import not_pdf_reason
from licensebot.reading.mime import MimeLimits
from licensebot.reading.pdf import ReadLimits, error_form, read_pdf

_PRELOAD = [
    "licensebot.reading._one_arena",  # first: before any thread allocates (`heap.one_arena`)
    "licensebot.reading.pdf",
    "licensebot.reading.mime",
    "licensebot.core.assess",
    "licensebot.reading._warm",
    "licensebot.reading._warm_la",
]
#: The environment variable that names the LA versions' directory to the fork server's
#: `_warm_la` (`start_readers(la_dir=...)`).
READERS_LA_DIR = "_LICENSEBOT_READERS_LA_DIR"
T = TypeVar("T")
_lock = threading.Lock()
_context: mp.context.ForkServerContext | None = None


def main_script_modules() -> list[str]:
    """The modules a main *script* imported at its top (`licensebot.cli.app` for the
    `licensebot` console script), to preload in the fork server.

    Every forkserver child re-runs the parent's main script before it runs `_child` (and the
    `"__main__"` preload cannot prevent that: CPython 3.11 never passes it the script's path).
    With the script's imports already in the fork server, that re-run finds them imported;
    without, each PDF paid for importing the whole CLI again (about a second on a busy
    machine). A main run as a module (`python -m licensebot`) is not re-run at all."""
    main = sys.modules.get("__main__")
    if main is None or getattr(main, "__spec__", None) is not None:
        return []
    if not getattr(main, "__file__", None):
        return []
    names: set[str] = set()
    for value in vars(main).values():
        name = (
            value.__name__
            if isinstance(value, types.ModuleType)
            else getattr(value, "__module__", None)
        )
        if isinstance(name, str) and name in sys.modules and not name.startswith("_"):
            names.add(name)
    return sorted(names)


def _ctx() -> mp.context.ForkServerContext:
    global _context
    with _lock:
        if _context is None:
            ctx = mp.get_context("forkserver")
            ctx.set_forkserver_preload([*_PRELOAD, *main_script_modules()])
            _context = ctx
        return _context


def start_readers(*, spares: bool = True, la_dir: Path | None = None) -> None:
    """Start the fork server now, its modules and OCR models loaded (seconds), so that the
    first message after a (re)start is not the one that waits for it: a worker killed while
    it loaded them again and again would count each kill against that message. With
    `la_dir`, the server also reads samples with those LA versions (`_warm_la`), so that no
    reader builds their tables again; it has no effect on a fork server already running.

    With `spares` (the worker), every later read or confined call also finds its child forked
    ahead of need: a single-use child, confined and waiting for its one input, and a new one
    is forked behind it once it is taken (see `_refill`). The fork and the child's start (tens
    of milliseconds, more on a busy machine) leave the message's path; the isolation stays, as
    each child still reads one input and exits."""
    global _spares_on
    if la_dir is not None:
        # the fork server is started with this process's environment, and reads it once
        os.environ[READERS_LA_DIR] = str(la_dir)
    _ctx()
    forkserver.ensure_running()
    _spares_on = spares


def stop_spares() -> None:
    """No more children forked ahead; those waiting leave (the worker's stop)."""
    global _spares_on, _epoch
    _spares_on = False
    with _spares_cond:
        _epoch += 1  # a refill forking now discards its spare (see `_refill`)
        waiting = [spare for spares in _spares.values() for spare in spares]
        _spares.clear()
        _wanted.clear()
        _backlog.clear()
        _spares_cond.notify_all()
    for spare in waiting:
        spare.discard()


class _Spare:
    """A single-use child forked ahead of need, and the parent's end of its pipe. `key`
    says what it was forked for (its target and the arguments it was given then)."""

    def __init__(
        self,
        key: tuple[Any, ...],
        target: Callable[..., None],
        args: tuple[Any, ...],
        *,
        warm: float | None = None,
    ) -> None:
        ctx = _ctx()
        self.key = key
        self.born = time.monotonic()
        self.conn, child_end = ctx.Pipe(duplex=True)
        # `warm`: forked before its input exists, it warms up first if the input has not come
        # within that many seconds (0: at once); None: forked for an input at hand
        self.proc = _Process(target=target, args=(child_end, warm, *args), daemon=True)
        self.proc.start()
        child_end.close()

    def discard(self) -> None:
        self.conn.close()  # it sees EOF and leaves
        self.proc.join(2)
        if self.proc.is_alive():
            _kill(self.proc)
            self.proc.join(5)
        self.proc.close()


_spares_on = False
#: The spares waiting, by slot, the oldest first (never an empty list).
_spares: dict[str, list[_Spare]] = {}
#: Spares that may wait in one slot: as many as reads the worker runs at once
#: (`schedule.readers`, 2), so that two reads at once in a backlog each find a child forked
#: ahead, and the refills that two reads start are both kept (with one, the second replaced
#: the first, forked for nothing, and every other read forked its child on the spot).
SPARES_PER_SLOT = 2
_generation = 0  # children asked for so far: a refill waits until it stops moving
_epoch = 0  # times the spares were stopped: a spare forked across a stop is not kept
_wanted: dict[str, tuple[tuple[Any, ...], Callable[..., None], tuple[Any, ...]]] = {}
#: How long no child must be asked for before the next spares are forked.
QUIET_SECONDS = 0.25
#: A spare that waited this long for its input ends a backlog (see `_refill`).
IDLE_SECONDS = 1.0
_backlog: set[str] = set()  # slots asked for faster than their spares were forked
_spares_lock = threading.Lock()
_spares_cond = threading.Condition(_spares_lock)


def _child_for(
    slot: str, key: tuple[Any, ...], target: Callable[..., None], args: tuple[Any, ...]
) -> _Spare:
    """The spare of `slot` if one was forked for the same `key`, else a child forked now; with
    spares on, the next spare of `slot` is forked behind it (`_refill`)."""
    global _generation
    with _spares_lock:
        waiting = _spares.get(slot)
        spare = waiting.pop(0) if waiting else None
        if not waiting:
            _spares.pop(slot, None)
        _generation += 1
        start_refill = _spares_on and slot not in _wanted
        if _spares_on:
            _wanted[slot] = (key, target, args)  # the latest wins
            if spare is None:
                _backlog.add(slot)  # none was waiting: the next is forked at once
                _spares_cond.notify_all()
            elif time.monotonic() - spare.born > IDLE_SECONDS:
                _backlog.discard(slot)
    if spare is not None and (spare.key != key or not spare.proc.is_alive()):
        _in_background(spare.discard)
        spare = None
    if start_refill:
        _in_background(lambda: _refill(slot))
    return spare or _Spare(key, target, args)


def _refill(slot: str) -> None:
    """Fork the next spare of `slot`. One refill per slot is pending at a time.

    Between messages (its spare was waiting when asked for), once no child has been asked for
    during `QUIET_SECONDS`: not while the rest of this message needs the CPU (the fork would
    slow its reader down); the spare warms up at once. In a backlog (asked for and none was
    waiting), at once: the fork server forks while this message is read, and the next message
    finds its child forked; that spare reads cold unless its input keeps it waiting
    `QUIET_SECONDS`, so no warm-up competes with the readers at work. A spare that waited
    `IDLE_SECONDS` ends the backlog."""
    with _spares_cond:
        while _spares_on and slot not in _backlog:
            seen = _generation
            _spares_cond.wait(QUIET_SECONDS)
            if seen == _generation:
                break
        hurry = slot in _backlog
        wanted = _wanted.pop(slot, None)
        epoch = _epoch
    if wanted is None or not _spares_on:
        return
    try:
        spare = _Spare(*wanted, warm=QUIET_SECONDS if hurry else 0.0)
    except Exception:  # the next read forks its own child
        return
    old: _Spare | None
    with _spares_lock:
        if epoch != _epoch:  # the spares were stopped while it forked: it is not wanted
            old = spare
        else:
            waiting = _spares.setdefault(slot, [])
            waiting.append(spare)
            old = waiting.pop(0) if len(waiting) > SPARES_PER_SLOT else None
    if old is not None:
        old.discard()


def _in_background(work: Callable[[], None]) -> None:
    """Work off a message's path: forking the next spare, waiting for a used child's exit
    (tearing down an address space of a gigabyte takes tens of milliseconds)."""
    threading.Thread(target=work, name="reader-spare", daemon=True).start()


class _Popen(popen_forkserver.Popen):
    """The fork server's Popen, minus re-running the caller's `__main__` in every child.

    multiprocessing makes each child re-import the parent's main module (a script, or the
    whole CLI) so that functions defined there can be unpickled; ours live in this module, and
    that import would cost more than the read. Python 3.11's `_launch`, one change.
    """

    def _launch(self, process_obj: Any) -> None:
        prep_data = spawn.get_preparation_data(process_obj._name)
        prep_data.pop("init_main_from_path", None)
        prep_data.pop("init_main_from_name", None)
        buf = io.BytesIO()
        set_spawning_popen(self)
        try:
            reduction.dump(prep_data, buf)
            reduction.dump(process_obj, buf)
        finally:
            set_spawning_popen(None)
        self.sentinel, w = forkserver.connect_to_new_process(self._fds)  # type: ignore[attr-defined]
        _parent_w = os.dup(w)
        closer = util.close_fds  # type: ignore[attr-defined]
        self.finalizer = util.Finalize(self, closer, (_parent_w, self.sentinel))
        with open(w, "wb", closefd=True) as f:
            f.write(buf.getbuffer())
        self.pid = forkserver.read_signed(self.sentinel)


class _Process(ForkServerProcess):
    @staticmethod
    def _Popen(process_obj: Any) -> _Popen:
        return _Popen(process_obj)


def _limit(kind: int, value: int) -> None:
    _soft, hard = resource.getrlimit(kind)
    cap = value if hard == resource.RLIM_INFINITY else min(value, hard)
    resource.setrlimit(kind, (cap, cap if kind != resource.RLIMIT_CPU else hard))


def _address_space() -> int:
    """This process's address space now (VmSize), in bytes."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[0]) * resource.getpagesize()


def _confine_process(memory_bytes: int) -> None:
    """A sandboxed child's own process group and limits (inherited by what it runs).

    The address-space cap is what the child may add to what it was forked with (the fork
    server's engines and models: about 1 GB of address space, mostly shared), so the budget
    means the same whatever the fork server preloaded. The child also asks to be the kernel's
    first choice when the service's cgroup runs out of memory (`oom_score_adj`), so an OOM
    kill takes a reader, never the worker (docs/memory.md)."""
    os.setpgrp()  # the parent kills the whole group (Tesseract too) on timeout
    _limit(resource.RLIMIT_AS, _address_space() + memory_bytes)
    _limit(resource.RLIMIT_FSIZE, 64 * 1024 * 1024)
    _limit(resource.RLIMIT_NOFILE, 256)
    try:
        with open("/proc/self/oom_score_adj", "w") as f:
            f.write("1000")
    except OSError:  # no /proc: the rlimits still hold
        pass


def _confine(limits: ReadLimits, *, memory_bytes: int | None = None) -> None:
    """A PDF reader's process group and limits (inherited by Tesseract); `memory_bytes`
    instead of the limits' own budget when given."""
    _confine_process(limits.memory_bytes if memory_bytes is None else memory_bytes)
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = limits.max_render_pixels
    warnings.simplefilter("error", Image.DecompressionBombWarning)


def _read_confined(
    data: bytes, versions: Sequence[LaVersion], limits: ReadLimits
) -> tuple[ReadForm, bool]:
    """(the form, whether the reader ran out of memory and must not read again)."""
    try:
        return read_pdf(data, versions=versions, limits=limits), False
    except MemoryError:
        return error_form("too_large", "reading needed more memory than allowed"), True


def _read_once(
    conn: Connection, warm: float | None, versions: Sequence[LaVersion], limits: ReadLimits
) -> None:
    """A single-use reader: forked ahead of need and not given its PDF within `warm` seconds,
    it warms up on a sample of ours (the lazy set-up and the heap pages a read touches:
    copy-on-write faults of a fresh fork); then it is confined, waits for one PDF, reads it,
    answers and exits. Nothing of the PDF is read before the confinement."""
    if warm is not None and not _input_within(conn, warm):
        _warm_up(lambda: read_pdf(_warm_pdf(), versions=versions, limits=limits))
    _confine(limits)
    try:
        data = conn.recv_bytes()
    except (EOFError, OSError):
        os._exit(0)  # never used (the worker stopped, or the spare was discarded)
    # RLIMIT_CPU counts the process's whole life, the wait included: `cpu_limit` from now
    _limit(resource.RLIMIT_CPU, math.ceil(_cpu_used()) + limits.cpu_limit)
    form, _ = _read_confined(data, versions, limits)
    conn.send(form)
    conn.close()
    os._exit(0)  # skip interpreter teardown: nothing to flush, and it costs ~100 ms


def _cpu_used() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _serve(conn: Connection, versions: Sequence[LaVersion], limits: ReadLimits) -> None:
    """A long-lived reader: PDFs in, `ReadForm`s out, until the parent closes the pipe."""
    _confine(limits)
    while True:
        try:
            data = conn.recv_bytes()
        except (EOFError, OSError):
            break
        # RLIMIT_CPU counts the process's whole life: allow this PDF `cpu_limit` more seconds
        _limit(resource.RLIMIT_CPU, math.ceil(_cpu_used()) + limits.cpu_limit)
        form, spent = _read_confined(data, versions, limits)
        conn.send((form, spent))
        if spent:
            break  # after a MemoryError the heap is no place to read the next PDF in
    conn.close()
    os._exit(0)


def read_pdf_sandboxed(
    data: bytes, *, versions: Sequence[LaVersion], limits: ReadLimits | None = None
) -> ReadForm:
    """`read_pdf` in a child process with limits; errors come back as `ReadForm.error`."""
    limits = limits or ReadLimits()
    start = perf_counter()
    # cheap checks first: no process for something that is not a PDF at all
    if (why := not_pdf_reason(data)) is not None:
        return error_form("not_pdf", why)
    if len(data) > limits.max_bytes:
        return error_form("too_large", f"{len(data)} bytes > {limits.max_bytes}")
    child = _child_for("pdf", (id(versions), limits), _read_once, (list(versions), limits))
    proc, conn = child.proc, child.conn
    answered = False
    try:
        try:
            conn.send_bytes(data)
        except OSError:  # the spare died while it waited: this PDF had nothing to do with it
            _reap(proc, conn)
            child = _Spare(child.key, _read_once, (list(versions), limits))
            proc, conn = child.proc, child.conn
            conn.send_bytes(data)
        if conn.poll(limits.time_limit):
            try:
                form: ReadForm = conn.recv()
                answered = True
            except (EOFError, OSError):
                form = _died(proc, limits)
        else:
            _kill(proc)
            form = error_form("timeout", f"reading took more than {limits.time_limit:.0f} s")
    finally:
        _finish(proc, conn, answered=answered)
    timings = dict(form.timings)
    timings["sandbox_total"] = perf_counter() - start
    return _with_timings(form, timings)


def _finish(proc: mp.process.BaseProcess, conn: Connection, *, answered: bool) -> None:
    """A child that answered is leaving on its own: wait for it off the message's path. One
    that did not (killed, dead) is reaped before the caller goes on."""
    if answered:
        _in_background(lambda: _reap(proc, conn))
    else:
        _reap(proc, conn)


def _reap(proc: mp.process.BaseProcess, recv: Connection) -> None:
    """The child gone, whatever it did: its pipe closed, joined (killed if it lingers)."""
    recv.close()
    proc.join(5)
    if proc.is_alive():
        _kill(proc)
        proc.join(5)
    proc.close()


def _kill(proc: mp.process.BaseProcess) -> None:
    if proc.pid is None:
        return
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()


def _death(proc: mp.process.BaseProcess, cpu_limit: int) -> tuple[str, str]:
    """(error code, detail) for a child that died without answering. A SIGKILL the parent did
    not send is the kernel's OOM killer (the service's cgroup ran out of memory and the child,
    by its `oom_score_adj`, went first): the input needed too much memory."""
    proc.join(5)
    code = proc.exitcode
    if code == -signal.SIGXCPU:
        return "timeout", f"reading used more than {cpu_limit} s of CPU"
    if code == -signal.SIGKILL:
        return "too_large", "the reader was killed for memory (the service's memory budget)"
    if code is not None and code < 0:
        return "crashed", f"the reader was killed by signal {-code}"
    return "crashed", f"the reader exited with status {code}"


def _died(proc: mp.process.BaseProcess, limits: ReadLimits) -> ReadForm:
    return error_form(*_death(proc, limits.cpu_limit))


def _with_timings(form: ReadForm, timings: dict[str, float]) -> ReadForm:
    from dataclasses import replace

    return replace(form, timings=timings)


@dataclass(frozen=True, slots=True)
class Failure:
    """A confined call that gave no answer: `code` is timeout, too_large or crashed."""

    code: str
    detail: str


def _input_within(conn: Connection, seconds: float) -> bool:
    """Whether the input (or the parent's EOF) is there within `seconds`; nothing is read."""
    try:
        return conn.poll(seconds)
    except (EOFError, OSError):
        return True


def _warm_up(work: Callable[[], object]) -> None:
    """Run our own sample through the code a child is about to run (before it is confined:
    the input it waits for then has all of its budget)."""
    with contextlib.suppress(Exception):  # a warm-up that fails only leaves the child cold
        work()


def _warm_pdf() -> bytes:
    """The sample a child warms up on: the blank LA the fork server read with the worker's
    versions (`_warm_la`), which touches what a typed LA's read touches, else a small one."""
    from licensebot.reading._warm import _sample
    from licensebot.reading._warm_la import SAMPLE_LA

    return SAMPLE_LA or _sample()


def _call_once(
    conn: Connection,
    warm_after: float | None,
    memory: int,
    cpu: int,
    warm: tuple[Callable[..., Any], tuple[Any, ...]] | None,
) -> None:
    """A single-use confined child: forked ahead of need and not given its call within
    `warm_after` seconds, it warms up (`warm`: a call on a sample of ours); then it is
    confined, waits for one (target, args), runs it, answers and exits."""
    if warm_after is not None and warm is not None and not _input_within(conn, warm_after):
        _warm_up(lambda: warm[0](*warm[1]))
    _confine_process(memory)
    try:
        target, args = conn.recv()
    except (EOFError, OSError):
        os._exit(0)
    _limit(resource.RLIMIT_CPU, math.ceil(_cpu_used()) + cpu)
    try:
        answer: tuple[str, Any] = ("ok", target(*args))
    except MemoryError:
        answer = ("too_large", "needed more memory than allowed")
    conn.send(answer)
    conn.close()
    os._exit(0)


def call_confined(
    target: Callable[..., T],
    *args: Any,
    time_limit: float,
    cpu_limit: int,
    memory_bytes: int,
    warm: tuple[Callable[..., Any], tuple[Any, ...]] | None = None,
) -> T | Failure:
    """`target(*args)` in a fresh child from the readers' fork server, confined as a PDF
    reader is (its own process group, `memory_bytes` of address space over what it was forked
    with, `cpu_limit` CPU seconds, `time_limit` seconds of wall clock, first in line for the
    OOM killer): the result, or a `Failure`. `target` is pickled by name: a module-level
    function of a module the fork server can import. Used for the MIME read
    (`licensebot.reading.mime.read_message_confined`)."""
    key = (memory_bytes, cpu_limit, warm[0] if warm else None)
    child = _child_for("call", key, _call_once, (memory_bytes, cpu_limit, warm))
    proc, conn = child.proc, child.conn
    result: T | Failure
    answered = False
    try:
        try:
            conn.send((target, args))
        except OSError:  # the spare died while it waited
            _reap(proc, conn)
            child = _Spare(key, _call_once, (memory_bytes, cpu_limit, warm))
            proc, conn = child.proc, child.conn
            conn.send((target, args))
        if conn.poll(time_limit):
            try:
                status, value = conn.recv()
                answered = True
                result = value if status == "ok" else Failure(status, str(value))
            except (EOFError, OSError):
                result = Failure(*_death(proc, cpu_limit))
        else:
            _kill(proc)
            result = Failure("timeout", f"took more than {time_limit:g} s")
    finally:
        _finish(proc, conn, answered=answered)
    return result


@dataclass(frozen=True, slots=True)
class MailRead:
    """One message read in one single-use child: the MIME read (or the `Failure` it came to),
    the attachment chosen as the LA (None: none to read) and its reading (None when it was not
    read: none chosen, or one over the size cap)."""

    message: IncomingMessage | Failure
    pdf: Attachment | None = None
    form: ReadForm | None = None


#: A message whose MIME read left more than this of address space behind (a large message)
#: has its PDF read in a reader of its own: the PDF gets its whole budget, and no reader holds
#: more than the largest of the two budgets (docs/memory.md).
MESSAGE_RESIDUE_BYTES = 64 * 1024 * 1024


def _read_mail_once(
    conn: Connection,
    warm: float | None,
    versions: Sequence[LaVersion],
    limits: ReadLimits,
    message_limits: MimeLimits,
    warm_read: tuple[Callable[..., Any], tuple[Any, ...]] | None,
) -> None:
    """A single-use reader of one message and its LA: forked ahead of need and not given its
    message within `warm` seconds, it warms up on samples of ours; then it is confined, waits
    for one message, reads its MIME structure under the MIME read's limits and answers; then
    reads the attachment `choose` picks under the PDF reader's limits and answers again, and
    exits. The two reads share a process, never two messages do.

    The address space's hard cap is the larger of the two budgets over what the child was
    forked with, and each read runs under a soft cap of its own budget (over the same base:
    what the MIME read left behind counts against the PDF's, so a large message's PDF goes to
    a reader of its own, `MESSAGE_RESIDUE_BYTES`). RLIMIT_CPU is re-armed for each read."""
    if warm is not None and not _input_within(conn, warm):
        if warm_read is not None:
            _warm_up(lambda: warm_read[0](*warm_read[1]))
        _warm_up(lambda: read_pdf(_warm_pdf(), versions=versions, limits=limits))
    base = _address_space()
    _confine(limits, memory_bytes=max(limits.memory_bytes, message_limits.memory_bytes))
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (min(hard, base + message_limits.memory_bytes), hard))
    try:
        raw, read, choose = conn.recv()
    except (EOFError, OSError):
        os._exit(0)  # never used
    _limit(resource.RLIMIT_CPU, math.ceil(_cpu_used()) + message_limits.cpu_limit)
    try:
        msg = read(raw)
    except MemoryError:
        conn.send(("too_large", "needed more memory than allowed"))
        os._exit(0)
    conn.send(("ok", msg))
    pdf = choose(msg)
    if pdf is None or pdf.oversized:
        os._exit(0)  # nothing more to read: the parent knows it from the same choice
    data = pdf.data
    del raw, msg, pdf
    if _address_space() - base > MESSAGE_RESIDUE_BYTES:
        conn.send(("elsewhere", "the message's read left too much behind"))
        os._exit(0)
    resource.setrlimit(resource.RLIMIT_AS, (min(hard, base + limits.memory_bytes), hard))
    _limit(resource.RLIMIT_CPU, math.ceil(_cpu_used()) + limits.cpu_limit)
    if (why := not_pdf_reason(data)) is not None:
        form = error_form("not_pdf", why)
    elif len(data) > limits.max_bytes:
        form = error_form("too_large", f"{len(data)} bytes > {limits.max_bytes}")
    else:
        form, _ = _read_confined(data, versions, limits)
    conn.send(("form", form))
    conn.close()
    os._exit(0)


def read_mail_sandboxed(
    raw: bytes,
    *,
    read: Callable[[bytes], IncomingMessage],
    choose: Callable[[IncomingMessage], Attachment | None],
    versions: Sequence[LaVersion],
    limits: ReadLimits | None = None,
    message_limits: MimeLimits | None = None,
    warm: tuple[Callable[..., Any], tuple[Any, ...]] | None = None,
) -> MailRead:
    """One message and its LA read in one fresh confined child (`_read_mail_once`): `read`
    turns the raw bytes into the message, `choose` picks the attachment to read as the LA
    (both pickled by name: module-level functions, or partials of them); the child reads the
    message under `message_limits`, then the chosen PDF under `limits`, as `call_confined` and
    `read_pdf_sandboxed` would in two children, one fork fewer.

    The parent keeps each read's wall clock. A MIME read that fails gives a `Failure` and no
    PDF read; a PDF read that fails (a timeout, a crash, a bomb) gives the message and an
    error form, as `read_pdf_sandboxed` would. `warm` is the MIME read of a sample, for a child
    forked ahead of need. Never raises for what the input does."""
    limits = limits or ReadLimits()
    message_limits = message_limits or MimeLimits()
    start = perf_counter()
    key = (id(versions), limits, message_limits, warm[0] if warm else None)
    spawn_args = (list(versions), limits, message_limits, warm)
    child = _child_for("mail", key, _read_mail_once, spawn_args)
    proc, conn = child.proc, child.conn
    answered = False
    try:
        try:
            conn.send((raw, read, choose))
        except OSError:  # the spare died while it waited: not this message's doing
            _reap(proc, conn)
            child = _Spare(key, _read_mail_once, spawn_args)
            proc, conn = child.proc, child.conn
            try:
                conn.send((raw, read, choose))
            except OSError:  # a fresh child died taking it (over its memory, say): its doing
                return MailRead(Failure(*_death(proc, message_limits.cpu_limit)))
        message = _answer(proc, conn, message_limits.time_limit, message_limits.cpu_limit)
        if isinstance(message, Failure):
            return MailRead(message)
        pdf = choose(message)
        if pdf is None or pdf.oversized:
            answered = True  # it leaves by itself
            return MailRead(message, pdf)
        start = perf_counter()
        got = _answer(proc, conn, limits.time_limit, limits.cpu_limit)
        answered = not isinstance(got, Failure)
    finally:
        _finish(proc, conn, answered=answered)
    if got is _ELSEWHERE:  # the message left too much behind: the PDF gets a reader of its own
        return MailRead(
            message, pdf, read_pdf_sandboxed(pdf.data, versions=versions, limits=limits)
        )
    if isinstance(got, Failure):
        detail = got.detail
        if got.code == "timeout" and detail.startswith("took"):
            detail = f"reading took more than {limits.time_limit:.0f} s"
        form = error_form(got.code, detail)
    else:
        form = got
    timings = dict(form.timings)
    timings["sandbox_total"] = perf_counter() - start
    return MailRead(message, pdf, _with_timings(form, timings))


_ELSEWHERE = object()  # the child's answer "read this PDF in a reader of its own"


def _answer(
    proc: mp.process.BaseProcess, conn: Connection, time_limit: float, cpu_limit: int
) -> Any:
    """The child's next answer within `time_limit` seconds: the value, `_ELSEWHERE`, or a
    `Failure` (the child is killed on a timeout)."""
    if not conn.poll(time_limit):
        _kill(proc)
        return Failure("timeout", f"took more than {time_limit:g} s")
    try:
        status, value = conn.recv()
    except (EOFError, OSError):
        return Failure(*_death(proc, cpu_limit))
    if status in ("ok", "form"):
        return value
    if status == "elsewhere":
        return _ELSEWHERE
    return Failure(status, str(value))


class _Gone(Exception):
    """The reader was dead before it was given the PDF."""


class _PooledReader:
    """One long-lived reader process (see `_serve`) and the parent's end of its pipe."""

    def __init__(self, versions: Sequence[LaVersion], limits: ReadLimits) -> None:
        ctx = _ctx()
        self.conn, child_end = ctx.Pipe(duplex=True)
        self.proc = _Process(target=_serve, args=(child_end, list(versions), limits), daemon=True)
        self.proc.start()
        child_end.close()
        self.limits = limits
        self.reads = 0
        self.alive = True

    def read(self, data: bytes) -> ReadForm:
        """The form; on a timeout or a crash the reader is killed and `alive` turns False."""
        limits = self.limits
        self.reads += 1
        try:
            self.conn.send_bytes(data)
        except OSError:
            self.close()  # it had died while idle: not this PDF's doing
            raise _Gone from None
        try:
            if self.conn.poll(limits.time_limit):
                form, spent = self.conn.recv()
                if spent:
                    self.close()  # it ran out of memory and is leaving (see `_serve`)
                return form  # type: ignore[no-any-return]
        except (EOFError, OSError):
            self.close()
            return _died(self.proc, limits)
        self.close(kill=True)
        return error_form("timeout", f"reading took more than {limits.time_limit:.0f} s")

    def close(self, *, kill: bool = False) -> None:
        """End the reader: close its pipe (it leaves), or kill its group at once."""
        self.alive = False
        if kill:
            _kill(self.proc)
        self.conn.close()
        self.proc.join(2)
        if self.proc.is_alive():
            _kill(self.proc)
            self.proc.join(5)


class ReaderPool:
    """Up to `size` long-lived sandboxed readers shared by threads: `read` takes an idle one
    (starting one when fewer than `size` exist), reads, and gives it back. A reader that timed
    out, crashed or ran out of memory is replaced by a fresh one on the next read; each is
    also replaced after `max_reads` PDFs, so no long batch runs in one old heap."""

    def __init__(
        self,
        versions: Sequence[LaVersion],
        limits: ReadLimits | None = None,
        *,
        size: int = 1,
        max_reads: int = 200,
    ) -> None:
        self.versions = list(versions)
        self.limits = limits or ReadLimits()
        self.size = max(1, size)
        self.max_reads = max_reads
        self._idle: queue.LifoQueue[_PooledReader] = queue.LifoQueue()
        self._started = 0
        self._lock = threading.Lock()
        self._closed = False

    def _take(self) -> _PooledReader:
        """An idle reader, a new one while fewer than `size` exist, else the next one freed."""
        while True:
            try:
                return self._idle.get_nowait()
            except queue.Empty:
                pass
            with self._lock:
                if self._closed:
                    raise RuntimeError("the reader pool is closed")
                if self._started < self.size:
                    self._started += 1
                    break
            try:  # all busy: wait for one (a reader that died frees its place instead)
                return self._idle.get(timeout=0.1)
            except queue.Empty:
                continue
        try:
            return _PooledReader(self.versions, self.limits)
        except BaseException:
            with self._lock:
                self._started -= 1
            raise

    def _give_back(self, reader: _PooledReader) -> None:
        if reader.alive and reader.reads < self.max_reads and not self._closed:
            self._idle.put(reader)
            return
        reader.close()
        with self._lock:
            self._started -= 1

    def read(self, data: bytes) -> ReadForm:
        """`read_pdf` in one of the pool's readers; errors come back as `ReadForm.error`."""
        start = perf_counter()
        if (why := not_pdf_reason(data)) is not None:
            return error_form("not_pdf", why)
        if len(data) > self.limits.max_bytes:
            return error_form("too_large", f"{len(data)} bytes > {self.limits.max_bytes}")
        for attempt in (1, 2):
            reader = self._take()
            try:
                form = reader.read(data)
                break
            except _Gone:
                if attempt == 2:
                    raise RuntimeError("no sandboxed reader could be started") from None
            finally:
                self._give_back(reader)
        timings = dict(form.timings)
        timings["sandbox_total"] = perf_counter() - start
        return _with_timings(form, timings)

    def close(self) -> None:
        self._closed = True
        while True:
            try:
                reader = self._idle.get_nowait()
            except queue.Empty:
                return
            reader.close()

    def __enter__(self) -> ReaderPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
