"""The readers' heap (glibc's malloc), kept within the readers' cap on address space.

A reader runs under `RLIMIT_AS` (`ReadLimits.memory_bytes` over what it was forked with), which
counts address space, not memory used. Two habits of glibc spent it without using it: every
thread that allocates gets an arena of its own, 64 MB of address space each (the body pages'
thread, ONNX Runtime's), and memory freed at the heap's top stays mapped. After a few wide
cells (a long affiliation's line, 1,600 px, through RapidOCR) a scan's reader had taken some
600 MB of address space for 150 MB of memory, and the next cell's detection failed for want
of it: the value went unread. The fork server takes `one_arena` before anything is loaded
(every reader forked from it inherits it), and the second engine hands freed memory back
after each cell (`trim`) and recognises a cell's lines one at a time (`rapid`).
"""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import cache
from typing import Any

#: `mallopt`'s parameter for the number of arenas (glibc's malloc.h). (Mapping every
#: allocation of 1 MB or more apart from the heap kept the address space lower still, but a
#: forked reader then faulted in fresh pages for every page image and tensor: a scanned LA's
#: read took 5.1 s instead of 3.0 at the median, bench/results/mail_loop.md.)
M_ARENA_MAX = -8


@cache
def _libc() -> Any:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None
    # glibc only (musl and others have neither function): without them, nothing changes
    return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None


def one_arena() -> bool:
    """Every thread of this process (and of the processes it forks) allocates from the one
    heap; whether glibc took it. Before the process starts its threads: an arena made before
    stays."""
    libc = _libc()
    return libc is not None and bool(libc.mallopt(M_ARENA_MAX, 1))


def trim() -> None:
    """The heap's free memory given back to the system (a millisecond)."""
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)
