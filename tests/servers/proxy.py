"""A TCP proxy that injects network faults between the bot and a real server (no pytest needed).

    with TcpProxy("127.0.0.1", dovecot.imaps_port) as proxy:   # listens on proxy.port
        proxy.cut_after(50_000)   # the next connection that carries 50 kB from the server dies
        proxy.down()              # new connections refused, open ones reset
        proxy.up()                # accepting again, on the same port

It relays bytes without looking at them, so it works under TLS: a cut after N bytes from the
server lands wherever the N-th byte falls (inside a FETCH of message bodies when N is beyond what
the greeting, TLS handshake, login and SEARCH take). A cut or a `down()` closes both sides with
a TCP reset (SO_LINGER 0), as a dropped link or a restarted middlebox does.
"""

from __future__ import annotations

import contextlib
import select
import socket
import struct
import threading
import time
from dataclasses import dataclass
from types import TracebackType


@dataclass(frozen=True)
class Cut:
    """One connection the proxy cut: how many bytes the server had sent on it, and when."""

    server_bytes: int
    at: float


def _reset(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.close()


class TcpProxy:
    """127.0.0.1:<port> -> target, one thread per connection; faults on demand."""

    def __init__(self, target_host: str, target_port: int, *, host: str = "127.0.0.1") -> None:
        self.target = (target_host, target_port)
        self.host = host
        self.port = 0
        self.connections = 0  # accepted so far
        self.cuts: list[Cut] = []
        self._armed: list[int] = []
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._open: set[socket.socket] = set()
        self._stopped = threading.Event()
        self._accepting = threading.Event()
        self._thread: threading.Thread | None = None

    # --- lifecycle ---------------------------------------------------------------------
    def start(self) -> TcpProxy:
        self._bind()
        self._thread = threading.Thread(target=self._accept_loop, name="proxy", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        self.down()
        if self._thread is not None:
            self._thread.join(5)

    def __enter__(self) -> TcpProxy:
        return self.start() if self._thread is None else self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # --- faults ------------------------------------------------------------------------
    def down(self) -> None:
        """Refuse new connections (the port is closed) and reset every open one."""
        with self._lock:
            listener, self._listener = self._listener, None
            self._accepting.clear()
            open_now, self._open = set(self._open), set()
        if listener is not None:
            # shutdown first: it stops the listening at once (and wakes a blocked accept);
            # close alone waits for the accept in progress to return
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                listener.close()
        for sock in open_now:
            _reset(sock)

    def up(self) -> None:
        """Accept again on the same port."""
        with self._lock:
            if self._listener is not None:
                return
        self._bind()

    def cut_after(self, server_bytes: int) -> None:
        """Arm one cut: the next connection on which the server has sent `server_bytes` is
        reset at that byte (several calls queue several cuts, one connection each)."""
        with self._lock:
            self._armed.append(max(1, server_bytes))

    @property
    def armed(self) -> int:
        with self._lock:
            return len(self._armed)

    # --- internals ---------------------------------------------------------------------
    def _bind(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        for attempt in range(50):  # the old listener's port may linger a moment
            try:
                sock.bind((self.host, self.port))
                break
            except OSError:
                if attempt == 49:
                    raise
                time.sleep(0.1)
        sock.listen(64)
        sock.settimeout(0.2)
        self.port = sock.getsockname()[1]
        with self._lock:
            self._listener = sock
            self._accepting.set()

    def _accept_loop(self) -> None:
        while not self._stopped.is_set():
            if not self._accepting.wait(0.2):
                continue
            with self._lock:
                listener = self._listener
            if listener is None:
                continue
            try:
                client, _ = listener.accept()
            except (TimeoutError, OSError):
                continue
            try:
                server = socket.create_connection(self.target, timeout=5)
            except OSError:
                _reset(client)
                continue
            with self._lock:
                self.connections += 1
                self._open.update((client, server))
            threading.Thread(
                target=self._pump, args=(client, server), name="proxy-conn", daemon=True
            ).start()

    def _pump(self, client: socket.socket, server: socket.socket) -> None:
        sent_by_server = 0
        socks = [client, server]
        graceful = False  # one side closed: close the other one the same way, no reset
        try:
            while True:
                try:
                    ready, _, _ = select.select(socks, [], [], 0.5)
                except (OSError, ValueError):
                    return
                if self._stopped.is_set():
                    return
                for sock in ready:
                    try:
                        data = sock.recv(65536)
                    except OSError:
                        return
                    if not data:
                        graceful = True
                        return
                    other = server if sock is client else client
                    if sock is server:
                        cut_at = self._take_cut(sent_by_server, len(data))
                        if cut_at is not None:
                            with contextlib.suppress(OSError):
                                other.sendall(data[: cut_at - sent_by_server])
                            with self._lock:
                                self.cuts.append(Cut(cut_at, time.time()))
                            return
                        sent_by_server += len(data)
                    try:
                        other.sendall(data)
                    except OSError:
                        return
        finally:
            with self._lock:
                self._open.discard(client)
                self._open.discard(server)
            for sock in (client, server):
                if graceful:
                    with contextlib.suppress(OSError):
                        sock.close()
                else:
                    _reset(sock)

    def _take_cut(self, before: int, size: int) -> int | None:
        with self._lock:
            if self._armed and before + size >= self._armed[0]:
                return max(before, self._armed.pop(0))
        return None
