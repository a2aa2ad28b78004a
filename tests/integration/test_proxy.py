"""The fault-injecting TCP proxy the soak puts between the worker and its servers: a cut
delivers exactly the bytes it was armed for and then resets; `down` refuses, `up` accepts again
on the same port."""

from __future__ import annotations

import socket
import socketserver
import threading
from collections.abc import Iterator

import pytest

from tests.servers.proxy import TcpProxy

PAYLOAD = bytes(range(256)) * 400  # 100 kB


class _Sender(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        self.request.recv(16)
        self.request.sendall(PAYLOAD)


@pytest.fixture
def proxy() -> Iterator[TcpProxy]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Sender)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with TcpProxy("127.0.0.1", server.server_address[1]) as p:
        yield p
    server.shutdown()
    server.server_close()


def fetch(port: int) -> tuple[bytes, bool]:
    """(what arrived, whether the connection was reset rather than closed)."""
    got = b""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(b"go")
        try:
            while chunk := sock.recv(65536):
                got += chunk
        except ConnectionResetError:
            return got, True
    return got, False


def test_relays_everything_until_a_cut_then_exactly_the_armed_bytes(proxy: TcpProxy) -> None:
    assert fetch(proxy.port) == (PAYLOAD, False)
    proxy.cut_after(30_001)
    got, reset = fetch(proxy.port)
    assert got == PAYLOAD[:30_001] and reset
    assert [c.server_bytes for c in proxy.cuts] == [30_001]
    assert fetch(proxy.port) == (PAYLOAD, False)  # one cut, one connection


def test_down_refuses_and_up_accepts_again_on_the_same_port(proxy: TcpProxy) -> None:
    port = proxy.port
    proxy.down()
    with pytest.raises(ConnectionRefusedError):
        fetch(port)
    proxy.up()
    assert proxy.port == port
    assert fetch(port) == (PAYLOAD, False)
