"""Postfix's `smtp-sink` as the benchmarks' local MTA: a C server that accepts SMTP (with
PIPELINING) as fast as a client can send, so a benchmark measures the client, not the server.

`smtp-sink` comes from Debian's `postfix` package. When it is not on PATH, `binary()` fetches
the package with `apt-get download` (no installation, no daemon) and extracts it with `dpkg -x`
into a cache directory; the binary then runs from there with the package's own libraries.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "licensebot-bench"


@dataclass(frozen=True)
class SinkBinary:
    path: Path
    env: dict[str, str]  # LD_LIBRARY_PATH when it runs from an extracted package


def binary(cache: Path = CACHE) -> SinkBinary:
    found = shutil.which("smtp-sink") or next(
        (p for p in ("/usr/sbin/smtp-sink", "/usr/lib/postfix/sbin/smtp-sink") if Path(p).exists()),
        None,
    )
    if found:
        return SinkBinary(Path(found), {})
    root = cache / "postfix"
    exe = root / "usr" / "sbin" / "smtp-sink"
    if not exe.exists():
        download = cache / "deb"
        download.mkdir(parents=True, exist_ok=True)
        for old in download.glob("postfix_*.deb"):
            old.unlink()
        subprocess.run(["apt-get", "download", "postfix"], cwd=download, check=True)
        deb = next(download.glob("postfix_*.deb"))
        subprocess.run(["dpkg", "-x", str(deb), str(root)], check=True)
    return SinkBinary(exe, {"LD_LIBRARY_PATH": str(root / "usr" / "lib" / "postfix")})


class SmtpSink:
    """`smtp-sink` on 127.0.0.1:`port`, dumping each transaction into its own file under
    `dump_dir` (`-d`; put it on a tmpfs: disk latency would be measured otherwise)."""

    def __init__(self, port: int, dump_dir: Path, *, dump: bool = True) -> None:
        self.port = port
        self.dump_dir = dump_dir
        self.dump = dump
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> SmtpSink:
        b = binary()
        self.dump_dir.mkdir(parents=True, exist_ok=True)
        args = [str(b.path)]
        if os.geteuid() == 0:
            args += ["-u", "root"]  # it refuses to run as root without a user to switch to
        if self.dump:
            args += ["-d", str(self.dump_dir / "%H%M%S.")]
        args += ["-m", "512", f"127.0.0.1:{self.port}", "512"]
        self.proc = subprocess.Popen(
            args, env={**os.environ, **b.env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode() if self.proc.stderr else ""
                raise RuntimeError(f"smtp-sink exited: {err}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("smtp-sink did not start")

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)

    def messages(self) -> Iterator[bytes]:
        for f in self.dump_dir.rglob("*"):
            if f.is_file():
                yield f.read_bytes()


_RCPT = re.compile(rb"^X-Rcpt-Args: <([^>]*)>", re.MULTILINE)
_MSGID = re.compile(rb"^Message-ID: (<[^>]+>)", re.MULTILINE | re.IGNORECASE)


def envelope(dump: bytes) -> tuple[list[bytes], bytes]:
    """The RCPT TO addresses and the Message-ID of one dumped transaction."""
    head = dump.split(b"\n\n", 1)[0]
    m = _MSGID.search(head)
    return _RCPT.findall(head), m.group(1) if m else b""
