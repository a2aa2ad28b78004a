"""Flate bombs found before a PDF library decodes anything: each stream of the file is inflated
into a counter (never into memory) and one that grows past the cap makes the PDF `too_large`.

Why here and not by the sandbox's memory cap alone: pdfium allocates a stream's decoded size
and aborts the process when that fails (SIGABRT, no Python exception), which the sandbox could
only report as a crash. Measuring first turns a bomb into the answer it deserves.
"""

from __future__ import annotations

import re
import zlib

_STREAM = re.compile(rb"(?<!end)stream\r?\n")
_CHUNK_IN = 1 << 16
_CHUNK_OUT = 1 << 22


def _inflated(data: bytes, start: int, end: int, cap: int) -> int:
    """How many bytes the zlib data in `data[start:end]` inflates to, counted up to `cap + 1`;
    0 when it is no zlib data (DCT, JBIG2, CCITT, plain text)."""
    if end - start < 2 or (data[start] & 0x0F) != 8 or (data[start] * 256 + data[start + 1]) % 31:
        return 0  # not a zlib header (CMF/FLG check of RFC 1950)
    inflater = zlib.decompressobj()
    total = 0
    pos = start
    pending = b""
    while total <= cap:
        if not pending:
            if pos >= end:
                break
            pending = data[pos : min(pos + _CHUNK_IN, end)]
            pos += len(pending)
        try:
            out = inflater.decompress(pending, _CHUNK_OUT)
        except zlib.error:
            break  # damaged or not zlib after all: the PDF library will say what it thinks
        total += len(out)
        pending = inflater.unconsumed_tail
        if inflater.eof:
            break
    return total


def flate_bomb(data: bytes, *, cap: int) -> str | None:
    """Why the PDF is a decompression bomb (a stream that inflates past `cap` bytes), or None."""
    for match in _STREAM.finditer(data):
        start = match.end()
        end = data.find(b"endstream", start)
        if end < 0:
            end = len(data)
        size = _inflated(data, start, end, cap)
        if size > cap:
            return f"a compressed stream at byte {start} inflates to more than {cap} bytes"
    return None
