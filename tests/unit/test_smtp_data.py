"""What the SMTP transport hands over after DATA: a message split into its own header and a
shared body (a broadcast's notices) goes out exactly as aiosmtplib would send it whole."""

from __future__ import annotations

import asyncio
from pathlib import Path

from aiosmtplib.protocol import PERIOD_REGEX, normalize_message_line_endings
from hypothesis import given
from hypothesis import strategies as st

from licensebot.config import Smtp
from licensebot.mail.transport import DirectoryTransport, SmtpTransport

# Lines with the characters that matter on the wire: dots, bare CR and LF, CRLF.
_LINE = st.lists(st.sampled_from([b".", b"a", b"\r", b"\n", b"\r\n", b"..", b" "]), max_size=8)
_TEXT = st.lists(_LINE, max_size=6).map(lambda lines: b"".join(b"".join(x) for x in lines))


def transport() -> SmtpTransport:
    return SmtpTransport(
        Smtp(host="127.0.0.1", security="none", auth="none", from_address="d@x.test"), None
    )


def as_aiosmtplib_sends(message: bytes) -> bytes:
    return PERIOD_REGEX.sub(b"..", normalize_message_line_endings(message)) + b".\r\n"


@given(head=_TEXT, body=_TEXT)
def test_header_and_shared_body_go_out_as_the_whole_message_would(head: bytes, body: bytes) -> None:
    t = transport()
    for raw in (head + b"\r\n", head):  # split at a line end, and not
        assert b"".join(t._content(raw, body)) == as_aiosmtplib_sends(raw + body)


def test_a_shared_body_is_prepared_once_and_reused() -> None:
    t = transport()
    body = b"line\r\n.starts with a dot\r\n" * 100
    first = t._content(b"To: a@x\r\n\r\n", body)
    second = t._content(b"To: b@x\r\n\r\n", body)
    assert first[1] is second[1]  # the same prepared bytes, not prepared again
    assert b"\r\n..starts with a dot\r\n" in first[1]


def test_a_dry_run_writes_the_whole_message_header_and_shared_body(tmp_path: Path) -> None:
    async def nothing() -> None:
        return None

    async def send() -> None:
        async with DirectoryTransport(tmp_path) as t:
            await t.send(
                envelope_from="d@x.test",
                recipient="a@uni.edu",
                raw=b"To: a@uni.edu\r\nMessage-ID: <n1@x.test>\r\n\r\n",
                body=b"The new LA is attached.\r\n",
                on_data=nothing,
            )

    asyncio.run(send())
    [written] = tmp_path.iterdir()
    assert written.read_bytes().endswith(
        b"Message-ID: <n1@x.test>\r\n\r\nThe new LA is attached.\r\n"
    )
