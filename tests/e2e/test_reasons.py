"""Every reason code shown by a real .eml going through the real pipeline: APPENDed to Dovecot,
judged by `licensebot poll --once` (the PDF read in the sandbox, OCR for scans), answered
through the SMTP server; each reply's text is checked in English and Chinese."""

from __future__ import annotations

import dataclasses
import json
import re
import sqlite3
from collections.abc import Callable
from email.message import EmailMessage
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from licensebot.core.la import LaVersion, current_version
from licensebot.reading.la_versions import load_versions
from tests.e2e.conftest import BOXES, Deployment
from tests.forms.factory import make_spec, not_la_pdf, older_version, render
from tests.mailgen import build_application, build_auto_reply
from tests.support import ACCESS_CODE, CONFIG_DIR, la_dir_with_older_version
from tests.unit.reading.test_flate_bomb import content_bomb

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
TRUSTED = "mx.dataset.test"  # tests/support.py trusts this authserv-id


@cache
def la() -> LaVersion:
    return current_version(load_versions(CONFIG_DIR / "la"))


def form(
    seed: int, *, written: dict[str, str] | None = None, **choices: Any
) -> tuple[dict[str, str], bytes]:
    choices = {"hand": "typed", "signature": "ink", "name_style": "western", **choices}
    spec = make_spec(seed, la(), **choices)
    if written:
        spec = dataclasses.replace(spec, written={**spec.written, **written})
    return spec.written, render(spec)


def message(
    n: int,
    written: dict[str, str],
    pdf: bytes | None,
    *,
    sender: str | None = None,
    filename: str | None = None,
    auth: str = "pass",
) -> bytes:
    addr = sender or written["work_email"]
    name = "_".join(written["signer_name"].split())
    domain = addr.rpartition("@")[2]
    a_r = (
        f"{TRUSTED}; dkim=pass header.d={domain}; dmarc=pass header.from={domain}"
        if auth == "pass"
        else f"{TRUSTED}; dkim=fail header.d={domain}; spf=fail; dmarc=fail header.from={domain}"
    )
    return build_application(
        client=("gmail", "outlook", "foxmail", "thunderbird", "apple_mail")[n % 5],
        sender=addr,
        sender_name=written["signer_name"],
        to=list(BOXES.values()),
        filename=filename or f"DFME_License_Agreement_{name}.pdf",
        pdf=pdf,
        subject=f"DFME license agreement {n}",
        message_id=f"<reason-{n}@example.org>",
        trace_headers=[("Authentication-Results", a_r)],
    )


def body(msg: EmailMessage) -> str:
    part = msg.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def cases() -> dict[int, tuple[bytes, str, str, list[str], set[str]]]:
    """n -> (raw, decision, reply kind, texts in the reply, reasons that must be reported)."""
    out: dict[int, tuple[bytes, str, str, list[str], set[str]]] = {}
    good, good_pdf = form(1, medium="scan", dpi=200, angle=0.5, layout="word")
    out[1] = (
        message(1, good, good_pdf),
        "approve",
        "applicant.approved",
        [ACCESS_CODE, "004, 010", "Zhao S, Tang H", "访问码", "Your License Agreement"],
        set(),
    )
    hand, hand_pdf = form(2, medium="scan", dpi=200, hand="handwritten", layout="word")
    out[2] = (
        message(2, hand, hand_pdf),
        "review",
        "applicant.review",
        ["could not be read with confidence", "无法可靠识别"],
        {"unreadable"},
    )
    digital, _ = form(3, medium="digital")
    out[3] = (
        build_application(
            client="outlook",
            sender="someone@uni3.edu",
            to=list(BOXES.values()),
            filename=None,
            pdf=None,
            subject="DFME access",
            message_id="<reason-3@example.org>",
        ),
        "reject",
        "applicant.no_attachment",
        ["did not carry the License Agreement", "没有以 PDF 附件形式"],
        {"no_attachment"},
    )
    out[4] = (
        message(4, digital, not_la_pdf(4)),
        "reject",
        "applicant.rejected",
        ["is not the DFME License Agreement", "不是 DFME 许可协议"],
        {"not_la"},
    )
    old_spec = make_spec(5, older_version(la()), medium="digital", hand="typed", signature="ink")
    out[5] = (
        message(5, old_spec.written, render(old_spec)),
        "reject",
        "applicant.rejected",
        ["older version", "旧版本", "never printed and scanned", "没有经过打印和扫描"],
        {"outdated_form", "not_scanned"},
    )
    w6, pdf6 = form(6, medium="digital")
    out[6] = (
        message(6, w6, pdf6, filename="my_signed_LA.pdf"),
        "reject",
        "applicant.rejected",
        ["does not follow the rule", "文件名"],
        {"bad_filename"},
    )
    w7, pdf7 = form(7, medium="digital")
    out[7] = (
        message(7, w7, pdf7, sender="dfme.applicant@gmail.com"),
        "reject",
        "applicant.rejected",
        ["public email provider (gmail.com)", "公共免费邮箱", "but the form gives"],
        {"free_email", "sender_mismatch"},
    )
    w8, pdf8 = form(8, medium="digital")
    out[8] = (
        message(8, w8, pdf8, sender="throwaway@guerrillamail.com"),
        "reject",
        "applicant.rejected",
        ["disposable email address", "一次性临时邮箱"],
        {"disposable_email"},
    )
    w9, pdf9 = form(9, medium="digital", written={"address": ""})
    out[9] = (
        message(9, w9, pdf9),
        "reject",
        "applicant.rejected",
        ["fields of the form are blank: Detail Address", "表格中以下栏目为空：单位详细地址"],
        {"missing_fields"},
    )
    w10, pdf10 = form(10, medium="digital", signature="none")
    out[10] = (
        message(10, w10, pdf10),
        "reject",
        "applicant.rejected",
        ["no handwritten signature", "没有亲笔签名"],
        {"not_signed"},
    )
    w11, pdf11 = form(11, medium="digital", written={"signer_title": "PhD student"})
    out[11] = (
        message(11, w11, pdf11),
        "reject",
        "applicant.rejected",
        ["must be signed by your supervisor", "导师"],
        {"student_signer"},
    )
    w12, pdf12 = form(
        12,
        medium="digital",
        written={"work_email": "s.li@ustc.edu.cn", "affiliation": "Peking University"},
    )
    out[12] = (
        message(12, w12, pdf12),
        "reject",
        "applicant.rejected",
        ["does not obviously match your email domain", "不明显一致"],
        {"affiliation_mismatch", "not_scanned"},
    )
    w13, pdf13 = form(13, medium="digital")
    out[13] = (
        message(13, w13, pdf13, auth="fail"),
        "review",
        "applicant.review",
        ["could not verify that the message really came from", "无法验证该邮件确实来自"],
        {"sender_unverified"},
    )
    out[14] = (
        re.sub(
            rb"(?im)^Message-ID:.*$",
            b"Message-ID: <reason-14@example.org>",
            build_auto_reply(sender="away@uni14.edu", to=list(BOXES.values()), subject="Away"),
            count=1,
        ),
        "ignore",
        "",
        [],
        {"auto_generated"},
    )
    w15, _ = form(15, medium="digital")
    out[15] = (
        message(15, w15, content_bomb(300)),  # 300 MB in one Flate stream: over the reader's cap
        "reject",
        "applicant.rejected",
        ["too large for us to read", "send that smaller scan", "文件太大"],
        {"pdf_too_large"},
    )
    w16, pdf16 = form(16, medium="digital")
    hostile = message(16, w16, pdf16).replace(
        b"\r\nSubject:", b"\r\nCc: " + b" ".join([b"=?utf-8?q?x?="] * 8000) + b"\r\nSubject:", 1
    )
    out[16] = (
        hostile,
        "review",
        "applicant.review",
        ["will read it in person", "人工阅读"],
        {"message_too_complex"},
    )
    return out


def test_every_reason_code_reaches_the_applicant_in_a_reply(
    deployment: Callable[..., Deployment], tmp_path: Path
) -> None:
    d = deployment(la_dir=la_dir_with_older_version(tmp_path))
    all_cases = cases()
    for raw, *_ in all_cases.values():
        d.dovecot.append("sirui", "INBOX", raw)

    result = d.cli("poll", "--once", timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]

    replies = {m.message["In-Reply-To"]: m.message for m in d.smtp.messages}

    db = d.config.parent / "data" / "licensebot.sqlite3"
    with sqlite3.connect(db) as conn:
        recorded = {
            mid: (decision, set(json.loads(reasons)))
            for mid, decision, reasons in conn.execute(
                "SELECT a.message_id, d.decision, d.reasons FROM application a "
                "JOIN decision d ON d.application_id = a.id"
            )
        }
    seen_reasons: set[str] = set()
    for n, (_, decision, kind, texts, reasons) in all_cases.items():
        mid = f"<reason-{n}@example.org>"
        assert mid in recorded, (mid, sorted(map(str, recorded)))
        got_decision, got_reasons = recorded[mid]
        assert got_decision == decision, (n, got_decision, got_reasons)
        assert reasons <= got_reasons, (n, reasons, got_reasons)
        seen_reasons |= got_reasons
        if not kind:
            assert mid not in replies
            continue
        reply = replies[mid]
        text = body(reply)
        for t in texts:
            assert t in text, (n, t, text[:2000])
        if kind in ("applicant.rejected", "applicant.no_attachment"):
            names = [p.get_filename() for p in reply.iter_attachments()]
            assert names == ["DFME_License_Agreement_blank_2023.pdf"], names
    every = {
        "no_attachment", "not_la", "outdated_form", "bad_filename", "free_email",
        "disposable_email", "sender_mismatch", "missing_fields", "not_signed", "not_scanned",
        "student_signer", "unreadable", "affiliation_mismatch", "sender_unverified",
        "auto_generated", "pdf_too_large", "message_too_complex",
    }  # fmt: skip
    assert every <= seen_reasons, every - seen_reasons
