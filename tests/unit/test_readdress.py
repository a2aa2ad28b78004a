"""Broadcast copies: one composed notice, many recipients, each under its own Message-ID."""

from __future__ import annotations

import email
import email.policy

from licensebot.mail.compose import FileAttachment, compose, readdress
from licensebot.worker.la_notices import _readdressed

PLACEHOLDER = ("someone@invalid", "<placeholder@invalid>")


def template() -> bytes:
    return compose(
        from_address="desk@dataset.test",
        from_name="Desk",
        to=PLACEHOLDER[0],
        subject="New LA / 新协议",
        body="Dear licensee,\n尊敬的被许可人：\n",
        message_id=PLACEHOLDER[1],
        instance_id="t",
        attachments=(FileAttachment("LA.md", "条款\n".encode(), "text", "markdown", "utf-8"),),
    )


def test_a_copy_changes_only_the_recipient_and_the_message_id() -> None:
    raw = template()
    copy = readdress(
        raw, to="a.b@uni.edu", message_id="<licensebot.1@dataset.test>", placeholder=PLACEHOLDER
    )
    assert copy is not None
    msg = email.message_from_bytes(copy, policy=email.policy.default)
    assert (msg["To"], msg["Message-ID"]) == ("a.b@uni.edu", "<licensebot.1@dataset.test>")
    original = email.message_from_bytes(raw, policy=email.policy.default)
    assert msg["Subject"] == original["Subject"] == "New LA / 新协议"
    assert copy.split(b"\r\n\r\n", 1)[1] == raw.split(b"\r\n\r\n", 1)[1]
    assert PLACEHOLDER[0].encode() not in copy and PLACEHOLDER[1].encode() not in copy


def test_an_address_that_needs_encoding_is_not_patched_in_the_bytes() -> None:
    raw = template()
    assert readdress(raw, to="张三@uni.edu", message_id="<a@b>", placeholder=PLACEHOLDER) is None
    assert readdress(raw, to="x@y.edu\n", message_id="<a@b>", placeholder=PLACEHOLDER) is None
    full = _readdressed(raw, "张三@uni.edu", "<licensebot.2@dataset.test>")
    msg = email.message_from_bytes(full, policy=email.policy.default)
    assert msg["To"] == "张三@uni.edu" and msg["Message-ID"] == "<licensebot.2@dataset.test>"
    assert len(msg.get_all("To") or []) == 1
