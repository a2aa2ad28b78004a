"""Whether a file is a PDF, decided by its whole structure, the same way for `licensebot parse`
and for an attachment in the mail: `%PDF-` near the start (as PDF readers accept it) and no
archive around it, neither at its start (a ZIP whose first member is a stored PDF, tar, RAR,
7z, gzip) nor at its end (a ZIP's central directory after a PDF, a PDF/ZIP polyglot)."""

from __future__ import annotations

import io
import zipfile

_CONTAINER_MAGIC = {
    b"PK\x03\x04": "a ZIP archive",
    b"PK\x05\x06": "a ZIP archive",
    b"Rar!": "a RAR archive",
    b"7z\xbc\xaf": "a 7z archive",
    b"\x1f\x8b": "a gzip file",
}


def _zip_members(data: bytes) -> int:
    """How many members a ZIP central directory at the end of `data` lists (0: none)."""
    if b"PK\x05\x06" not in data[-(65_536 + 22) :]:
        return 0
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return len(archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError):
        return 0


def not_pdf_reason(data: bytes) -> str | None:
    """Why `data` is not a PDF (one line), or None when it is one."""
    head = data[:1024]
    for magic, kind in _CONTAINER_MAGIC.items():
        if head.startswith(magic):
            return f"{kind}, not a PDF (send the PDF itself, not an archive)"
    if head[257:262] == b"ustar":
        return "a tar archive, not a PDF (send the PDF itself, not an archive)"
    if b"%PDF-" not in head:
        return "the file does not start like a PDF (%PDF-)"
    if _zip_members(data):
        return "a PDF with a ZIP archive attached to its end (a polyglot file), not a plain PDF"
    return None


def is_pdf(data: bytes) -> bool:
    """Decided by the bytes, never by a name or a declared type."""
    return not_pdf_reason(data) is None
