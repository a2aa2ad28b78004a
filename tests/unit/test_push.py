"""The pure parts of the push wake-up: what a push says, which mailboxes it names, and the
doorbell an IDLE wait polls beside its socket."""

from __future__ import annotations

import json
import select

import pytest

from licensebot.config import Mailbox, Push
from licensebot.mail.sources import Wake
from licensebot.worker.push import BadPush, PushNote, mailboxes_for, read_push

#: What Dovecot 2.3's `ox` driver PUTs for a delivery (tests/servers/dovecot.py sees the same).
OX_BODY = (
    b'{"user":"sirui@dataset.test","event":"messageNew","folder":"INBOX",'
    b'"imap-uidvalidity":1796525124,"imap-uid":2,"from":"a@uni.edu","subject":"LA",'
    b'"snippet":"Dear team","unseen":2}'
)


def imap_box(name: str, username: str, folder: str = "INBOX") -> Mailbox:
    return Mailbox(
        name=name,
        address=f"{name}@dataset.test",
        host="mail.dataset.test",
        username=username,
        secret_env="X",
        folder=folder,
    )


def test_an_ox_push_is_read_as_its_user_and_folder_only() -> None:
    assert read_push(OX_BODY) == PushNote("sirui@dataset.test", "INBOX")
    assert read_push(b'{"user": " bot "}') == PushNote("bot", "")


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"user=bot",
        b"\xff\xfe",
        b'["bot"]',
        b"{}",
        b'{"user": ""}',
        b'{"user": 7}',
        b'{"user": "bot", "folder": ["INBOX"]}',
        json.dumps({"user": "x" * 1001}).encode(),
    ],
)
def test_anything_else_is_not_a_push(body: bytes) -> None:
    with pytest.raises(BadPush):
        read_push(body)


def test_a_push_names_the_mailboxes_of_its_user_and_folder() -> None:
    boxes = [
        imap_box("sirui", "sirui@dataset.test"),
        imap_box("iamthy", "iamthy@dataset.test"),
        imap_box("apply", "sirui@dataset.test", folder="INBOX/apply"),
        Mailbox(name="local", address="local@dataset.test", kind="maildir", path="/m"),
    ]
    assert mailboxes_for(PushNote("sirui@dataset.test", "INBOX"), boxes) == ["sirui"]
    # logins in another case (a server that lower-cases them), INBOX in any case
    assert mailboxes_for(PushNote("SIRUI@dataset.test", "inbox"), boxes) == ["sirui"]
    # a server whose hierarchy separator is "."
    assert mailboxes_for(PushNote("sirui@dataset.test", "INBOX.apply"), boxes) == ["apply"]
    # no folder: every mailbox of the user
    assert mailboxes_for(PushNote("sirui@dataset.test"), boxes) == ["sirui", "apply"]
    assert mailboxes_for(PushNote("someone@dataset.test", "INBOX"), boxes) == []
    assert mailboxes_for(PushNote("iamthy@dataset.test", "Sent"), boxes) == []
    assert mailboxes_for(PushNote("local@dataset.test"), boxes) == []


def readable(wake: Wake) -> bool:
    return bool(select.select([wake], [], [], 0)[0])


def test_the_doorbell_is_readable_from_a_ring_to_the_take_and_rings_count_once() -> None:
    wake = Wake()
    try:
        assert not readable(wake) and not wake.take()
        wake.ring()
        wake.ring()
        assert readable(wake)
        assert wake.take()
        assert not readable(wake) and not wake.take()
        wake.ring()
        assert wake.take()
    finally:
        wake.close()


def test_the_push_listener_is_off_by_default_and_refuses_odd_paths() -> None:
    assert Push().port == 0
    with pytest.raises(ValueError):
        Push(path="push")
    with pytest.raises(ValueError):
        Push(max_body_bytes=10)
