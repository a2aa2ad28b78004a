"""Read an untrusted PDF in a separate process with a time limit and resource limits.

Each call runs `read_pdf` in a fresh child forked from a multiprocessing fork server (a small,
thread-free process that has already imported the readers, so a call costs a fork, not a Python
start-up). The child becomes its own process group, sets RLIMIT_AS / RLIMIT_CPU / RLIMIT_FSIZE /
RLIMIT_NOFILE on itself (inherited by Tesseract), reads, and sends back the plain `ReadForm`.
The parent waits at most `limits.time_limit` seconds, then kills the whole group. A crash, a
kill or a timeout comes back as a `ReadForm` with `error` set; nothing is raised, and the caller
(a worker thread, many times over) carries on.
"""

from __future__ import annotations

import io
import multiprocessing as mp
import os
import resource
import signal
import sys
import threading
import types
import warnings
from collections.abc import Sequence
from multiprocessing import forkserver, popen_forkserver, reduction, spawn, util
from multiprocessing.connection import Connection
from multiprocessing.context import ForkServerProcess, set_spawning_popen
from time import perf_counter
from typing import Any

from licensebot.core.form import ReadForm
from licensebot.core.la import LaVersion
from licensebot.reading.pdf import ReadLimits, error_form, is_pdf, read_pdf

_PRELOAD = ["licensebot.reading.pdf", "licensebot.reading._warm"]
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


def _child(
    conn: Connection, data: bytes, versions: Sequence[LaVersion], limits: ReadLimits
) -> None:
    os.setpgrp()  # the parent kills the whole group (Tesseract too) on timeout
    _limit(resource.RLIMIT_AS, limits.memory_bytes)
    _limit(resource.RLIMIT_CPU, limits.cpu_limit)
    _limit(resource.RLIMIT_FSIZE, 64 * 1024 * 1024)
    _limit(resource.RLIMIT_NOFILE, 256)
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = limits.max_render_pixels
    warnings.simplefilter("error", Image.DecompressionBombWarning)
    try:
        form = read_pdf(data, versions=versions, limits=limits)
    except MemoryError:
        form = error_form("too_large", "reading needed more memory than allowed")
    conn.send(form)
    conn.close()
    os._exit(0)  # skip interpreter teardown: nothing to flush, and it costs ~100 ms


def read_pdf_sandboxed(
    data: bytes, *, versions: Sequence[LaVersion], limits: ReadLimits | None = None
) -> ReadForm:
    """`read_pdf` in a child process with limits; errors come back as `ReadForm.error`."""
    limits = limits or ReadLimits()
    start = perf_counter()
    # cheap checks first: no process for something that is not a PDF at all
    if not is_pdf(data):
        return error_form("not_pdf", "the file does not start like a PDF (%PDF-)")
    if len(data) > limits.max_bytes:
        return error_form("too_large", f"{len(data)} bytes > {limits.max_bytes}")
    ctx = _ctx()
    recv, send = ctx.Pipe(duplex=False)
    proc = _Process(target=_child, args=(send, data, list(versions), limits), daemon=True)
    proc.start()
    send.close()
    try:
        if recv.poll(limits.time_limit):
            try:
                form: ReadForm = recv.recv()
            except (EOFError, OSError):
                form = _died(proc, limits)
        else:
            _kill(proc)
            form = error_form("timeout", f"reading took more than {limits.time_limit:.0f} s")
    finally:
        recv.close()
        proc.join(5)
        if proc.is_alive():
            _kill(proc)
            proc.join(5)
        proc.close()
    timings = dict(form.timings)
    timings["sandbox_total"] = perf_counter() - start
    return _with_timings(form, timings)


def _kill(proc: mp.process.BaseProcess) -> None:
    if proc.pid is None:
        return
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()


def _died(proc: mp.process.BaseProcess, limits: ReadLimits) -> ReadForm:
    proc.join(5)
    code = proc.exitcode
    if code in (-signal.SIGXCPU, -signal.SIGKILL):
        return error_form("timeout", f"reading used more than {limits.cpu_limit} s of CPU")
    if code is not None and code < 0:
        return error_form("crashed", f"the reader was killed by signal {-code}")
    return error_form("crashed", f"the reader exited with status {code}")


def _with_timings(form: ReadForm, timings: dict[str, float]) -> ReadForm:
    from dataclasses import replace

    return replace(form, timings=timings)
