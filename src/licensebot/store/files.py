"""Raw messages and PDFs on disk: content-addressed, written atomically, readable by the bot's
user only (directories 0700, files 0600)."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path


def atomic_write(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Write `data` to `path` so that a crash leaves either no file or the whole new one."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class Blobs:
    """Files stored under their SHA-256: writing the same bytes twice is a no-op."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def put(self, data: bytes, *, kind: str, suffix: str) -> tuple[str, Path]:
        digest = hashlib.sha256(data).hexdigest()
        path = self.root / kind / digest[:2] / f"{digest}{suffix}"
        if not path.exists():
            for d in (self.root, self.root / kind, path.parent):
                d.mkdir(exist_ok=True, mode=0o700)
            atomic_write(path, data)
        return digest, path

    def get(self, path: str) -> bytes:
        return Path(path).read_bytes()
