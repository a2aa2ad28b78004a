"""The Message-ID the worker reads itself (the first record, the IMAP metadata), from raw
header bytes without the email library: the same value the MIME read would give for real
mail, and bounded work and output for hostile headers."""

from __future__ import annotations

import time
from pathlib import Path

from licensebot.config import Mailbox
from licensebot.mail.sources import MAX_HEADER_READ, MESSAGE_ID_BYTES, MaildirSession, message_id_of


def test_the_first_message_id_field_unfolded() -> None:
    raw = (
        b"From: a@b.example\r\nmessage-ID:\r\n <abc.123@host.example>\r\n"
        b"Message-ID: <second@host.example>\r\nSubject: x\r\n\r\nMessage-ID: <body@x>\r\n"
    )
    assert message_id_of(raw) == "<abc.123@host.example>"
    assert message_id_of(b"Message-Id: <lf@only>\nSubject: x\n\nbody") == "<lf@only>"


def test_none_when_absent_or_only_in_the_body() -> None:
    assert message_id_of(b"Subject: x\r\n\r\nMessage-ID: <body@x>\r\n") is None
    assert message_id_of(b"Message-ID:   \r\n\r\n") is None
    assert message_id_of(b"") is None


def test_a_hostile_message_id_is_read_in_bounded_time_and_size() -> None:
    huge = b"Message-ID: <" + b"\r\n x" * 2_000_000 + b"@h>\r\n"  # 8 MB, folded 2M times
    many = b"".join(b"Message-ID: <%d@h>\r\n" % n for n in range(200_000))  # 3.6 MB
    for raw in (huge + b"\r\nbody", many + b"\r\nbody", huge * 3):
        start = time.perf_counter()
        mid = message_id_of(raw)
        took = time.perf_counter() - start
        assert mid is not None and len(mid) <= 998
        assert took < 0.5, took  # a scan of the bytes, not a parse (tens of ms)
    assert message_id_of(many) == "<0@h>"
    assert 998 + len("Message-ID: ") <= MESSAGE_ID_BYTES


def test_a_maildir_message_is_read_only_as_far_as_its_header_allows(tmp_path: Path) -> None:
    box = Mailbox(
        name="desk", address="desk@dataset.test", kind="maildir", path=str(tmp_path / "md")
    )
    session = MaildirSession(box)
    session.md.add(b"Subject: 1\nMessage-ID: <m1@x>\n\n" + b"x" * 1_000_000)
    session.md.add(b"X-Pad: " + b"p" * MAX_HEADER_READ + b"\nMessage-ID: <far@x>\n\nbody\n")
    metas = session.fetch_meta(session.all_keys())
    assert sorted(m.message_id or "-" for m in metas.values()) == ["-", "<m1@x>"]
