"""Mutated mail and PDFs for the fuzz campaign (`bench/fuzz.py`) and its slice in the suite.

Seeds come from the test factory: application emails in six client styles (`tests/mailgen`),
forwards, a bounce and an out-of-office reply, carrying LAs drawn by `tests/forms/factory`
(typed, handwritten, fillable, a scan) or a tiny PDF. A Hypothesis strategy draws a *plan*:
which seed, which mutations with which sizes and positions, and a seed for the bulk random bytes;
`apply_mime` / `apply_pdf` turn a plan into bytes. Mutations know the formats: header floods
(RFC 2047 encoded-words, address lists, RFC 2231 continuations), broken MIME structure (nesting,
boundaries, transfer encodings, line ends), and for PDFs number and name tokens, delimiters,
nesting, cross-reference tables, incremental updates and the content of Flate streams (inflated,
mutated, deflated again with the right /Length), besides plain byte flips and splices.
"""

from __future__ import annotations

import base64
import random
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from hypothesis import strategies as st

from licensebot.core.la import current_version
from licensebot.reading.la_versions import load_versions
from tests.forms.factory import make_spec, not_la_pdf, render
from tests.mailgen import (
    CLIENTS,
    build_application,
    build_auto_reply,
    build_bounce,
    build_forward,
    tiny_pdf,
)
from tests.support import CONFIG_DIR, write_config

TO = ["sirui@dataset.test", "iamthy@dataset.test"]
MIME_SEEDS = len(CLIENTS) + 4  # see mime_seeds
PDF_SEEDS = 6  # see pdf_seeds, without the scan


# ---- seeds ----------------------------------------------------------------------------------


@cache
def pdf_seeds(scan: bool = True) -> tuple[bytes, ...]:
    """LAs from the factory (digital typed, handwritten, fillable; one scan when `scan`), a
    document that is not the LA, and a tiny PDF."""
    la = current_version(load_versions(CONFIG_DIR / "la"))
    out = [
        render(make_spec(1, la, medium="digital", hand="typed", layout="word")),
        render(make_spec(2, la, medium="digital", hand="handwritten", layout="compact")),
        render(make_spec(3, la, medium="digital", fillable=True, layout="retyped")),
        render(make_spec(4, la, medium="digital", hand="typed", name_style="chinese")),
        not_la_pdf(5),
        tiny_pdf("DFME License Agreement"),
    ]
    assert len(out) == PDF_SEEDS
    if scan:
        out.append(render(make_spec(6, la, medium="scan", hand="typed", dpi=150, turn=0)))
    return tuple(out)


def scan_seed_index() -> int:
    return PDF_SEEDS


def fuzz_config(directory: Path) -> Path:
    """A bot config for reading only: one Maildir mailbox, replies to a directory, SQLite."""
    maildir = directory / "maildir"
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True, exist_ok=True)
    block = f"""
[[mailbox]]
name = "sirui"
address = "sirui@dataset.test"
kind = "maildir"
path = "{maildir}"
"""
    return write_config(directory, mailboxes=[block], smtp=None)


def wrap_pdf(pdf: bytes, n: int) -> bytes:
    """A mutated PDF as an application email (the LA attached as applicants do)."""
    return build_application(
        client=CLIENTS[n % len(CLIENTS)],
        sender=f"applicant{n % 97}@uni{n % 13}.edu",
        to=TO,
        filename=f"DFME_License_Agreement_Applicant_{n % 97}.pdf",
        pdf=pdf,
        subject="DFME license agreement",
    )


@cache
def mime_seeds() -> tuple[bytes, ...]:
    """Application emails (every client style; tiny PDF, a factory LA, none), a forward as
    message/rfc822 and as an .eml file, a bounce, an out-of-office reply."""
    la_pdf = pdf_seeds(scan=False)[0]
    out = []
    for i, client in enumerate(CLIENTS):
        pdf = (tiny_pdf(f"LA {i}"), la_pdf, None)[i % 3]
        out.append(
            build_application(
                client=client,
                sender=f"Zhang.Wei{i}@ustc.edu.cn",
                sender_name="张伟" if i % 2 else "Zhang Wei",
                to=TO,
                cc=["supervisor@ustc.edu.cn"] if i % 2 else (),
                filename=None if pdf is None else f"DFME_License_Agreement_张伟_{i}.pdf",
                pdf=pdf,
                subject="DFME 数据集 license agreement" if i % 2 else "DFME license agreement",
                trace_headers=[
                    ("Return-Path", f"<Zhang.Wei{i}@ustc.edu.cn>"),
                    (
                        "Authentication-Results",
                        "mx.dataset.test; dkim=pass header.d=ustc.edu.cn; dmarc=pass "
                        "header.from=ustc.edu.cn",
                    ),
                ],
            )
        )
    app = out[0]
    out.append(build_forward(sender="fwd@uni.edu", to=TO, original=app))
    out.append(build_forward(sender="fwd@uni.edu", to=TO, original=app, as_eml_file=True))
    out.append(build_bounce(original=app, recipient="gone@uni.edu", to=TO[0]))
    out.append(build_auto_reply(sender="away@uni.edu", to=TO[0], subject="DFME"))
    assert len(out) == MIME_SEEDS
    return tuple(out)


# ---- plans ----------------------------------------------------------------------------------

MIME_OPS = (
    "ew_flood", "addr_flood", "long_header", "dup_header", "rfc2231", "content_type", "cte",
    "boundary", "nest", "truncate", "bytes", "splice", "newlines", "blank_line", "controls",
    "auth", "auto", "b64_body", "charset",
)  # fmt: skip
PDF_OPS = (
    "flip", "chunk", "truncate", "number", "name", "delimiter", "deep", "stream", "xref",
    "splice", "incremental",
)  # fmt: skip


@dataclass(frozen=True)
class Plan:
    seed: int  # index into the seeds
    ops: tuple[tuple[str, int, int], ...]  # (mutation, size parameter, position parameter)
    noise: int  # seeds the random bytes a mutation needs

    def describe(self) -> str:
        return f"seed {self.seed}: " + ", ".join(f"{op}({a},{b})" for op, a, b in self.ops)


def _sizes(limit: int) -> st.SearchStrategy[int]:
    """Mostly small, one in five up to `limit` (floods and nesting grow with it)."""
    small = st.integers(0, 16)
    return st.one_of(small, small, st.integers(0, 64), st.integers(0, 256), st.integers(0, limit))


def plans(
    n_seeds: int,
    ops: Sequence[str],
    *,
    max_size: int,
    max_ops: int = 4,
    seed_weights: Sequence[int] | None = None,
) -> st.SearchStrategy[Plan]:
    choose_seed: st.SearchStrategy[int]
    if seed_weights:
        pool = [i for i, w in enumerate(seed_weights) for _ in range(w)]
        choose_seed = st.sampled_from(pool)
    else:
        choose_seed = st.integers(0, n_seeds - 1)
    op = st.tuples(st.sampled_from(list(ops)), _sizes(max_size), st.integers(0, 2**31 - 1))
    return st.builds(
        Plan,
        choose_seed,
        st.lists(op, min_size=1, max_size=max_ops).map(tuple),
        st.integers(0, 2**32 - 1),
    )


# ---- MIME mutations -------------------------------------------------------------------------

HEADERS = (
    "From", "To", "Cc", "Reply-To", "Subject", "Message-ID", "In-Reply-To", "References",
    "Date", "Return-Path", "Content-Type", "Content-Disposition", "Authentication-Results",
    "Auto-Submitted", "Received", "Sender", "List-Id", "Content-Transfer-Encoding",
)  # fmt: skip
CHARSETS = (
    "utf-8", "gb2312", "GBK", "gb18030", "big5", "iso-2022-jp", "iso-8859-1", "windows-1252",
    "koi8-r", "utf-16", "utf-7", "x-unknown", "", "utf-8*en", "unicode-1-1-utf-7", "ascii",
)  # fmt: skip
CONTENT_TYPES = (
    "multipart/mixed", "multipart/mixed; boundary=", 'multipart/alternative; boundary="x"',
    "message/rfc822", "message/global", "multipart/report; report-type=delivery-status",
    "message/delivery-status", "text/plain; charset=x-bogus", "text/html; charset=utf-16",
    "application/pdf", "application/octet-stream; name==?utf-8?B?YS5wZGY=?=", "image/jpeg",
    "multipart/digest; boundary=abc", "text/plain; format=flowed; delsp=yes",
    "application/zip", ";;;", "multipart/mixed; boundary*0=a; boundary*1=b",
)  # fmt: skip
CTES = ("base64", "quoted-printable", "7bit", "8bit", "binary", "x-uuencode", "bogus", "")
_WORDS = ("张伟", "Zhang", "Ünïcødé", "日本語", "x" * 40, "=?=", "<a@b>", '"q"', "\\", "@")


def _split(raw: bytes) -> tuple[bytes, bytes, bytes]:
    """(headers, separator, body) of a message or part."""
    for sep in (b"\r\n\r\n", b"\n\n"):
        at = raw.find(sep)
        if at >= 0:
            return raw[:at], sep, raw[at + len(sep) :]
    return raw, b"", b""


def _encoded_word(rng: random.Random) -> str:
    charset = rng.choice(CHARSETS) or "utf-8"
    text = rng.choice(_WORDS)
    try:
        data = text.encode(charset.split("*")[0] if charset != "x-unknown" else "utf-8")
    except (LookupError, UnicodeEncodeError):
        data = text.encode("utf-8", "replace")
    if rng.random() < 0.5:
        payload = base64.b64encode(data).decode()
        if rng.random() < 0.2:
            payload = payload[: rng.randrange(len(payload) + 1)] + rng.choice(["", "=", "*", "?"])
        return f"=?{charset}?B?{payload}?="
    payload = "".join(
        chr(b) if 33 <= b < 127 and chr(b) not in "=?_" else f"={b:02X}" for b in data
    )
    if rng.random() < 0.2:
        payload += rng.choice(["=", "=Z", "=4", "?"])
    return f"=?{charset}?Q?{payload}?="


def _address(rng: random.Random, i: int) -> str:
    local = rng.choice(["a", "Zhang.Wei", '"quoted@local"', "x+tag", "", "a..b", "用户"])
    domain = rng.choice(
        ["uni.edu", "ustc.edu.cn", "[127.0.0.1]", "xn--fiq228c.cn", "", "例子.中国"]
    )
    form = rng.randrange(8)
    addr = f"{local}{i}@{domain}"
    if form == 0:
        return addr
    if form == 1:
        return f"{_encoded_word(rng)} <{addr}>"
    if form == 2:
        return f"group{i}: {addr}, <{addr}>;"
    if form == 3:
        return f"{addr} (comment {rng.choice(_WORDS)} (nested))"
    if form == 4:
        return f'"{rng.choice(_WORDS)}" <@route.example:{addr}>'
    if form == 5:
        return f"<{addr}"
    if form == 6:
        return f"{rng.choice(_WORDS)} {addr} <{addr}>"
    return f'"{addr}" <{addr}>'


def _fold(value: str, rng: random.Random) -> str:
    if rng.random() < 0.3:
        return value  # one long line
    out, line = [], ""
    for token in value.split(" "):
        if len(line) + len(token) > 76 and line:
            out.append(line)
            line = ""
        line = f"{line} {token}" if line else token
    out.append(line)
    return "\r\n ".join(out)


def _header_value(name: str, size: int, rng: random.Random, kind: str) -> str:
    if kind == "ew_flood":
        return _fold(" ".join(_encoded_word(rng) for _ in range(size + 1)), rng)
    if kind == "addr_flood":
        return _fold(", ".join(_address(rng, i) for i in range(size + 1)), rng)
    if kind == "rfc2231":
        charset = rng.choice(CHARSETS)
        parts = [
            f"filename*{i}*={charset}''%E5%BC%A0{rng.choice(['%', '%G1', '%20', 'x'])}"
            if i == 0
            else f"filename*{rng.choice([i, i, i + 1, 99999])}*=%E4%BC%9F{'a' * (i % 7)}"
            for i in range(size + 1)
        ]
        return "attachment; " + _fold("; ".join(parts), rng)
    raw = bytes(rng.randrange(1, 256) for _ in range(size * 8 + 1))
    return raw.decode("latin-1")


def _mutate_headers(raw: bytes, rng: random.Random, fn: object) -> bytes:
    head, sep, body = _split(raw)
    lines = head.split(b"\r\n") if b"\r\n" in head else head.split(b"\n")
    new = fn(lines)  # type: ignore[operator]
    return b"\r\n".join(new) + (sep or b"\r\n\r\n") + body


def _part_starts(raw: bytes) -> list[int]:
    """Where each MIME part's headers start (after a boundary line), and 0."""
    starts = [0]
    for m in re.finditer(rb"\r?\n--[^\r\n]{1,200}\r?\n", raw):
        starts.append(m.end())
    return starts


def apply_mime(seed: bytes, plan: Plan, others: Sequence[bytes], *, max_bytes: int) -> bytes:
    data = seed
    rng = random.Random(plan.noise)
    for op, size, where in plan.ops:
        data = _mime_op(data, op, size, where, rng, others)
        if len(data) > max_bytes:
            data = data[:max_bytes]
    return data


def _mime_op(
    data: bytes, op: str, size: int, where: int, rng: random.Random, others: Sequence[bytes]
) -> bytes:
    starts = _part_starts(data)
    at = starts[where % len(starts)]
    head, rest = data[:at], data[at:]
    name = HEADERS[where % len(HEADERS)]
    if op in ("ew_flood", "addr_flood", "long_header", "rfc2231"):
        if op == "rfc2231":
            name = "Content-Disposition"
        value = _header_value(name, size, rng, op)
        line = f"{name}: {value}".encode("utf-8", "surrogateescape")

        def replace(lines: list[bytes]) -> list[bytes]:
            kept = [ln for ln in lines if not ln.lower().startswith(name.lower().encode() + b":")]
            kept.insert(rng.randrange(len(kept) + 1), line)
            return kept

        return head + _mutate_headers(rest, rng, replace)
    if op == "dup_header":

        def dup(lines: list[bytes]) -> list[bytes]:
            if not lines:
                return lines
            pick = lines[where % len(lines)]
            return lines + [pick] * min(size, 2000)

        return head + _mutate_headers(rest, rng, dup)
    if op in ("content_type", "cte", "auth", "auto", "charset"):
        value = {
            "content_type": rng.choice(CONTENT_TYPES),
            "cte": rng.choice(CTES),
            "auth": rng.choice(["mx.dataset.test", "mail.ustc.edu.cn", "evil.example", ""])
            + "; "
            + rng.choice(["dmarc=pass", "dkim=pass header.d=uni.edu", "spf=fail", "none", ";;"])
            + " header.from="
            + rng.choice(["uni.edu", "ustc.edu.cn", ""]),
            "auto": rng.choice(["auto-replied", "auto-generated", "no", "", "bulk", "list"]),
            "charset": f"text/plain; charset={rng.choice(CHARSETS)}",
        }[op]
        header = {
            "content_type": "Content-Type",
            "cte": "Content-Transfer-Encoding",
            "auth": "Authentication-Results",
            "auto": rng.choice(["Auto-Submitted", "Precedence", "List-Id", "X-Autoreply"]),
            "charset": "Content-Type",
        }[op]

        def set_one(lines: list[bytes]) -> list[bytes]:
            kept = [
                ln
                for ln in lines
                if op in ("auth", "auto") or not ln.lower().startswith(header.lower().encode())
            ]
            kept.insert(rng.randrange(len(kept) + 1), f"{header}: {value}".encode())
            return kept

        return head + _mutate_headers(rest, rng, set_one)
    if op == "boundary":
        bounds = re.findall(rb'boundary="?([^";\r\n]+)"?', data)
        if not bounds:
            return data
        b = bounds[where % len(bounds)]
        choice = size % 4
        if choice == 0:
            return data.replace(b"--" + b + b"--", b"")
        if choice == 1:
            return data.replace(b, b[: max(0, len(b) - 1)], 1)
        if choice == 2:
            return data.replace(b"--" + b, b"--" + b + b"\r\n--" + b, 1)
        return data.replace(b"--" + b, b"--" + b[:1], 1)
    if op == "nest":
        depth = min(size, 200) + 1
        inner = data
        for i in range(depth):
            if (i + where) % 2:
                inner = (
                    b"Content-Type: message/rfc822\r\n\r\n" + inner
                    if i % 3
                    else b"MIME-Version: 1.0\r\nContent-Type: message/rfc822\r\n\r\n" + inner
                )
            else:
                bnd = f"n{i}".encode()
                inner = (
                    b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="'
                    + bnd
                    + b'"\r\n\r\n--'
                    + bnd
                    + b"\r\n"
                    + inner
                    + b"\r\n--"
                    + bnd
                    + b"--\r\n"
                )
        return b"From: nest@uni.edu\r\n" + inner
    if op == "truncate":
        return data[: where % (len(data) + 1)]
    if op == "bytes":
        out = bytearray(data)
        for _ in range(min(size, 64) + 1):
            if not out:
                break
            pos = rng.randrange(len(out))
            kind = rng.randrange(3)
            if kind == 0:
                out[pos] = rng.randrange(256)
            elif kind == 1:
                del out[pos : pos + rng.randrange(1, 16)]
            else:
                out[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 16)))
        return bytes(out)
    if op == "splice":
        other = others[where % len(others)]
        a = rng.randrange(len(other) + 1)
        chunk = other[a : a + size * 16 + 1]
        pos = rng.randrange(len(data) + 1)
        return data[:pos] + chunk + data[pos:]
    if op == "newlines":
        mode = size % 4
        if mode == 0:
            return data.replace(b"\r\n", b"\n")
        if mode == 1:
            return data.replace(b"\r\n", b"\r")
        if mode == 2:
            return data.replace(b"\r\n", b"\n\r")
        return b"".join(ln + rng.choice([b"\r\n", b"\n", b"\r"]) for ln in data.split(b"\r\n"))
    if op == "blank_line":
        h, sep, b = _split(rest)
        if size % 2:
            return head + h + b"\r\n" + b  # headers run into the body
        lines = h.split(b"\r\n")
        cut = where % (len(lines) + 1)
        return head + b"\r\n".join(lines[:cut]) + b"\r\n\r\n" + b"\r\n".join(lines[cut:]) + sep + b
    if op == "controls":
        h, sep, b = _split(rest)
        junk = bytes(
            rng.choice([0, 1, 8, 11, 12, 27, 127, 0x80, 0xA0, 0xFF, 0xC0, 0xE5])
            for _ in range(size % 32 + 1)
        )
        pos = rng.randrange(len(h) + 1)
        return head + h[:pos] + junk + h[pos:] + sep + b
    if op == "b64_body":
        h, sep, b = _split(rest)
        out = bytearray(b)
        for _ in range(min(size, 32) + 1):
            if not out:
                break
            out[rng.randrange(len(out))] = rng.choice(b"=*!-_ \t\r\nA/+")
        return head + h + sep + bytes(out)
    raise ValueError(op)


# ---- PDF mutations --------------------------------------------------------------------------

NAMES = (
    b"/Type", b"/Page", b"/Pages", b"/Catalog", b"/Kids", b"/Count", b"/Contents",
    b"/Resources", b"/Font", b"/XObject", b"/Image", b"/Length", b"/Filter", b"/FlateDecode",
    b"/DCTDecode", b"/ASCIIHexDecode", b"/LZWDecode", b"/RunLengthDecode", b"/JBIG2Decode",
    b"/CCITTFaxDecode", b"/Parent", b"/Annots", b"/AcroForm", b"/Fields", b"/V", b"/T",
    b"/FT", b"/Encrypt", b"/ObjStm", b"/XRef", b"/Width", b"/Height", b"/BitsPerComponent",
    b"/ColorSpace", b"/Indexed", b"/ICCBased", b"/N", b"/Root", b"/Size", b"/Prev",
    b"/DecodeParms", b"/Predictor", b"/MediaBox", b"/Rotate", b"/Subtype", b"/Widget",
)  # fmt: skip
NUMBERS = (0, -1, 1, 2, 7, 255, 65535, 65536, 2**31 - 1, 2**31, 2**32, 2**63, 10**12, 99999999)
DELIMS = (b"endobj", b"endstream", b">>", b"<<", b"]", b"[", b"(", b")", b"obj", b"stream\n", b"R")
_NUMBER = re.compile(rb"(?<![\w./])-?\d+(?![\w.])")
_NAME = re.compile(rb"/[A-Za-z][A-Za-z0-9]*")
_STREAM = re.compile(rb"stream\r?\n")


def apply_pdf(seed: bytes, plan: Plan, others: Sequence[bytes], *, max_bytes: int) -> bytes:
    data = seed
    rng = random.Random(plan.noise)
    for op, size, where in plan.ops:
        data = _pdf_op(data, op, size, where, rng, others)
        if len(data) > max_bytes:
            data = data[:max_bytes]
    return data


def _nth(matches: list[re.Match[bytes]], where: int) -> re.Match[bytes] | None:
    return matches[where % len(matches)] if matches else None


def _pdf_op(
    data: bytes, op: str, size: int, where: int, rng: random.Random, others: Sequence[bytes]
) -> bytes:
    n = len(data)
    if n == 0:
        return data
    pos = where % n
    if op == "flip":
        out = bytearray(data)
        for _ in range(min(size, 64) + 1):
            out[rng.randrange(n)] = rng.randrange(256)
        return bytes(out)
    if op == "chunk":
        length = min(size * 16 + 1, 8192)
        kind = where % 3
        if kind == 0:
            return data[:pos] + data[pos + length :]
        if kind == 1:
            return data[:pos] + data[pos : pos + length] * 2 + data[pos + length :]
        dest = rng.randrange(n)
        piece = data[pos : pos + length]
        rest = data[:pos] + data[pos + length :]
        return rest[:dest] + piece + rest[dest:]
    if op == "truncate":
        return data[: max(8, pos)]
    if op == "number":
        m = _nth(list(_NUMBER.finditer(data, max(0, pos - 4096), pos + 4096)), size)
        if m is None:
            return data
        value = rng.choice(NUMBERS) if size % 3 else rng.randrange(-(10**6), 10**6)
        return data[: m.start()] + str(value).encode() + data[m.end() :]
    if op == "name":
        m = _nth(list(_NAME.finditer(data, max(0, pos - 4096), pos + 4096)), size)
        if m is None:
            return data
        return data[: m.start()] + rng.choice(NAMES) + data[m.end() :]
    if op == "delimiter":
        token = DELIMS[size % len(DELIMS)]
        found = data.find(token, pos)
        if found >= 0 and size % 2:
            return data[:found] + data[found + len(token) :]  # remove the next one
        return data[:pos] + b" " + token + b" " + data[pos:]
    if op == "deep":
        depth = min(size, 20000) + 1
        opener = rng.choice([b"[", b"<<", b"<< /A ["])
        at = data.find(b"<<", pos)
        at = at + 2 if at >= 0 else pos
        return data[:at] + b" /Deep " + opener * depth + b" " + data[at:]
    if op == "stream":
        return _mutate_stream(data, size, where, rng)
    if op == "xref":
        kind = size % 4
        if kind == 0:
            return re.sub(rb"startxref\s+\d+", b"startxref\n" + str(where).encode(), data)
        if kind == 1:
            return re.sub(rb"xref\r?\n[\s\S]*?trailer", b"trailer", data, count=1)
        if kind == 2:
            return data.replace(b"trailer", b"trailer << /Prev 0 >>", 1)
        return re.sub(rb"\d{10} \d{5} n", b"0000000000 65535 n", data, count=size % 50 + 1)
    if op == "splice":
        other = others[where % len(others)]
        objs = list(re.finditer(rb"\d+ 0 obj[\s\S]{1,20000}?endobj", other))
        if objs:
            chunk = objs[size % len(objs)].group(0)
        else:
            a = rng.randrange(len(other) + 1)
            chunk = other[a : a + size * 16 + 1]
        at = rng.randrange(n + 1)
        return data[:at] + b"\n" + chunk + b"\n" + data[at:]
    if op == "incremental":
        target = size % 12 + 1
        body = rng.choice(
            [
                b"<< /Type /Page /Parent 2 0 R /Contents 999 0 R >>",
                b"<< /Type /Pages /Kids [1 0 R 1 0 R] /Count 99999 >>",
                b"<< /Type /Catalog /Pages 1 0 R >>",
                b"<< /Length 10 /Filter /FlateDecode >>\nstream\nxxxxxxxxxx\nendstream",
                b"<< /Type /XObject /Subtype /Image /Width 100000 /Height 100000 "
                b"/BitsPerComponent 8 /ColorSpace /DeviceRGB /Length 1 >>\nstream\nx\nendstream",
                b"(" + b"\\" * 64 + b")",
            ]
        )
        start = n + 1
        update = b"\n%d 0 obj\n%s\nendobj\n" % (target, body)
        xref = b"xref\n%d 1\n%010d 00000 n \ntrailer\n<< /Size %d /Root 1 0 R /Prev %d >>\n" % (
            target,
            start,
            target + 1,
            where % max(1, n),
        )
        return data + update + xref + b"startxref\n%d\n%%%%EOF\n" % (start + len(update))
    raise ValueError(op)


def _mutate_stream(data: bytes, size: int, where: int, rng: random.Random) -> bytes:
    """Inflate one Flate stream, mutate what it holds (content operators, image rows, an
    object stream), deflate it again and fix a direct /Length."""
    starts = list(_STREAM.finditer(data))
    m = _nth(starts, where)
    if m is None:
        return data
    end = data.find(b"endstream", m.end())
    if end < 0:
        return data
    raw = data[m.end() : end].rstrip(b"\r\n")
    try:
        inner = zlib.decompress(raw)
        flate = True
    except zlib.error:
        inner, flate = raw, False
    out = bytearray(inner)
    kind = size % 5
    if kind == 0 and out:
        for _ in range(size % 32 + 1):
            out[rng.randrange(len(out))] = rng.randrange(256)
    elif kind == 1:
        nums = list(_NUMBER.finditer(bytes(out)))
        for num in rng.sample(nums, min(len(nums), size % 16 + 1))[::-1]:
            out[num.start() : num.end()] = str(rng.choice(NUMBERS)).encode()
    elif kind == 2:
        for token in (b"ET", b"Q", b"EMC", b"endobj"):
            idx = bytes(out).find(token)
            if idx >= 0:
                del out[idx : idx + len(token)]
    elif kind == 3:
        out += b" q " * (size % 5000 + 1)  # an unbalanced graphics-state stack
    else:
        out = out[: len(out) // 2] * 2
    new = zlib.compress(bytes(out)) if flate else bytes(out)
    head_start = data.rfind(b"<<", 0, m.start())
    if head_start < 0:
        return data[: m.start()] + b"stream\n" + new + b"\n" + data[end:]
    head = data[head_start : m.start()]
    fixed_head = re.sub(rb"/Length \d+", b"/Length %d" % len(new), head, count=1)
    return data[:head_start] + fixed_head + b"stream\n" + new + b"\n" + data[end:]
