"""The readers' heap (glibc's malloc), kept within the readers' cap on address space.

A reader runs under `RLIMIT_AS` (`ReadLimits.memory_bytes` over what it was forked with), which
counts address space, not memory used. Two habits of glibc spent it without using it: every
thread that allocates gets an arena of its own, 64 MB of address space each (the body pages'
thread, ONNX Runtime's), and memory freed at the heap's top stays mapped. After a few wide
cells (a long affiliation's line, 1,600 px, through RapidOCR) a scan's reader had taken some
600 MB of address space for 150 MB of memory, and the next cell's detection failed for want
of it: the value went unread. The fork server takes `one_arena` before anything is loaded
(every reader forked from it inherits it), and the second engine hands freed memory back
after each cell (`trim`).
"""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import cache
from typing import Any

#: `mallopt`'s parameters (glibc's malloc.h): the number of arenas; the size from which an
#: allocation is a mapping of its own, given back to the system when freed.
M_ARENA_MAX = -8
M_MMAP_THRESHOLD = -3
#: A page image's rows, a tensor of RapidOCR's: mapped apart from the heap, from this size.
MMAP_FROM = 1 << 20


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
    return (
        libc is not None
        and bool(libc.mallopt(M_ARENA_MAX, 1))
        and bool(libc.mallopt(M_MMAP_THRESHOLD, MMAP_FROM))
    )


def trim() -> None:
    """The heap's free memory given back to the system (a millisecond)."""
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)
