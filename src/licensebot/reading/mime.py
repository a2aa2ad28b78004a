"""Raw RFC 5322 bytes in, `IncomingMessage` out: sender, threading, trust, auto-reply signals
and attachments, whatever the sending client did. Never raises on malformed input.

Trust choices (documented here because they decide what an attacker can do):

* Authentication-Results (RFC 8601): the receiving MTA stamps its header at the *top* and
  (should) delete older ones claiming its authserv-id. Everything below it was written before
  the message reached our provider, i.e. possibly by the sender. We therefore use the
  **topmost** header whose authserv-id is trusted and ignore all others: foreign ids above it
  (added later by internal relays/filters we were not told to trust) and every header below
  it, *including ones that claim a trusted authserv-id* - those can only be forgeries (or a
  loop through our own provider), and they are recorded as a defect. A forger can only win if
  the provider neither stamps nor strips; that is an operational check, not something a
  reader can detect. Headers inside message/rfc822 parts are never read.
* From: parsed with `email.policy.default` (the RFC 5322 parser, which is not affected by the
  CVE-2023-27043 `getaddresses` confusion); exactly one header with exactly one mailbox and no
  parser defect (other than obsolete syntax), else `from_address` is None. A display name
  containing "@" is only flagged (`from_defects`). Display names are never used for decisions.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import email.message
import email.utils
import functools
import hashlib
import html.parser
import quopri
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field, replace
from email import errors, policy
from email.parser import BytesHeaderParser, BytesParser
from typing import TYPE_CHECKING, Any

import authres
from publicsuffixlist import PublicSuffixList

from licensebot.core.message import Attachment, AuthVerdict, AutoSignal, IncomingMessage
from licensebot.reading.dsn import failures
from licensebot.reading.filekind import is_pdf

if TYPE_CHECKING:
    from collections.abc import Sequence

    from licensebot.core.la import LaVersion
    from licensebot.reading.pdf import ReadLimits
    from licensebot.reading.sandbox import Failure, MailRead

__all__ = [
    "HeaderLimits", "MimeLimits", "decode_words", "header_over_cap", "header_safe",
    "read_mail_confined", "read_message", "read_message_confined",
]  # fmt: skip

TEXT_LIMIT = 100_000
MAX_DEFECTS = 100
_FILENAME_LIMIT = 255

# GB2312 labels are routinely used for GBK/GB18030 text (Foxmail, Coremail, Outlook zh-CN);
# WHATWG and Thunderbird decode them with the superset, and so do we.
_GB_LABELS = frozenset(
    {"gb2312", "gbk", "x-gbk", "cp936", "ms936", "windows-936", "gb_2312-80", "csgb2312",
     "euc-cn", "x-euc-cn", "chinese", "csgbk", "iso-ir-58", "gb18030"}
)  # fmt: skip
_SKIP_TYPES = frozenset(
    {"text/rfc822-headers", "message/delivery-status", "message/global-delivery-status",
     "message/disposition-notification", "message/feedback-report"}
)  # fmt: skip
_FORWARD_TYPES = frozenset({"message/rfc822", "message/global"})
_MSGID = re.compile(r"<[^<>\s]+>")
_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")
_CONTROL_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


# --------------------------------------------------------------------------- text helpers


def _codec(label: str | None) -> str | None:
    """A Python codec name for a MIME charset label, GBK family mapped to gb18030."""
    if not label:
        return None
    label = label.strip().strip('"').split("*", 1)[0].lower()
    if label in _GB_LABELS:
        return "gb18030"
    if not re.fullmatch(r"[a-z0-9][a-z0-9._:+-]{0,39}", label):
        return None
    try:
        info = codecs.lookup(label)
    except (LookupError, ValueError):
        return None
    # bytes-to-bytes codecs (base64, zlib, rot13...) are not charsets
    return info.name if getattr(info, "_is_text_encoding", True) else None


def _decode_bytes(data: bytes, label: str | None) -> tuple[str, bool]:
    """Decode with the declared charset; (text, clean). Unknown or wrong labels fall back to
    UTF-8, then GB18030, then UTF-8 with replacement characters."""
    codec = _codec(label)
    if codec:
        try:
            return data.decode(codec), True
        except (UnicodeError, LookupError, ValueError):
            pass
    for fallback in ("utf-8", "gb18030"):
        try:
            return data.decode(fallback), codec is None and label is None
        except UnicodeDecodeError:
            continue
    return data.decode(codec or "utf-8", errors="replace"), False


def _unsurrogate(text: str) -> str:
    """Raw 8-bit header bytes arrive as surrogate escapes: decode them as UTF-8 or GB18030."""
    if not any("\udc80" <= ch <= "\udcff" for ch in text):
        return text
    return _decode_bytes(text.encode("utf-8", "surrogateescape"), None)[0]


def _decode_encoded_word(charset: str, encoding: str, payload: str) -> bytes:
    if encoding.lower() == "q":
        return binascii.a2b_qp(payload.encode("ascii", "replace"), header=True)
    cleaned = re.sub(r"[^A-Za-z0-9+/]", "", payload)
    cleaned += "=" * (-len(cleaned) % 4)
    return base64.b64decode(cleaned)


def decode_words(raw: str) -> str:
    """Decode RFC 2047 encoded words anywhere in `raw` (also inside quoted parameters, where
    Chinese clients put them), raw 8-bit UTF-8/GBK, GBK labels as GB18030. Adjacent encoded
    words of one charset are joined before decoding, so a character split across two words
    survives."""
    text = _unsurrogate(raw)
    if "=?" not in text:
        return text
    out: list[str] = []
    pending: list[tuple[str, bytes]] = []  # (charset, bytes) of adjacent encoded words

    def flush() -> None:
        merged: list[tuple[str, bytearray]] = []
        for cs, chunk in pending:
            if merged and merged[-1][0] == cs:
                merged[-1][1].extend(chunk)
            else:
                merged.append((cs, bytearray(chunk)))
        for cs, joined in merged:
            out.append(_decode_bytes(bytes(joined), cs)[0])
        pending.clear()

    pos = 0
    for match in _ENCODED_WORD.finditer(text):
        between = text[pos : match.start()]
        if between and not (pending and between.isspace()):
            flush()
            out.append(between)
        charset, enc, payload = match.groups()
        try:
            pending.append((charset.lower(), _decode_encoded_word(charset, enc, payload)))
        except (binascii.Error, ValueError):
            flush()
            out.append(match.group(0))
        pos = match.end()
    flush()
    out.append(text[pos:])
    return "".join(out)


def _strip_controls(text: str) -> str:
    return "".join(" " if unicodedata.category(ch) in _CONTROL_CATEGORIES else ch for ch in text)


def header_safe(text: str, *, max_len: int = 200) -> str:
    """Applicant text made safe for an outgoing header: CR, LF, NUL and every other control or
    format character (incl. bidi overrides) become spaces, whitespace runs collapse, the result
    is stripped and cut to `max_len` characters."""
    cleaned = " ".join(_strip_controls(text).split())
    return cleaned[:max_len].rstrip()


def _unfold(value: str) -> str:
    return re.sub(r"\r?\n(?=[ \t])", "", value).replace("\r", "").replace("\n", "")


class _HtmlText(html.parser.HTMLParser):
    _BLOCK = frozenset({"br", "p", "div", "tr", "li", "h1", "h2", "h3", "h4", "table"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "head", "title"):
            self._skip += 1
        elif tag in self._BLOCK:
            self.chunks.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head", "title"):
            self._skip = max(0, self._skip - 1)
        elif tag in self._BLOCK:
            self.chunks.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.chunks.append(data)


def _html_to_text(markup: str) -> str:
    parser = _HtmlText()
    try:
        parser.feed(markup)
        parser.close()
    except Exception:  # html.parser is lenient, but never trust that
        return re.sub(r"<[^>]*>", " ", markup)
    lines = (" ".join(line.split()) for line in "".join(parser.chunks).splitlines())
    return "\n".join(line for line in lines if line)


# --------------------------------------------------------------------------- addresses


def normalise_address(addr: str) -> str | None:
    """`Local@Bücher.Example` -> `local@xn--bcher-kva.example`; None when not an addr-spec."""
    local, sep, domain = addr.strip().rpartition("@")
    if not sep:
        return None
    return _normalise_parts(local, domain)


def _normalise_parts(local: str, domain: str) -> str | None:
    local = local.strip().lower()
    domain = domain.strip().rstrip(".").lower()
    if not local or not domain or any(ch.isspace() or ch in "<>()," for ch in local + domain):
        return None
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    return f"{local}@{domain}"


@functools.cache
def _psl() -> PublicSuffixList:
    return PublicSuffixList()


def organizational_domain(domain: str) -> str:
    """RFC 7489 Organizational Domain via the Public Suffix List (`mail.ustc.edu.cn` ->
    `ustc.edu.cn`); the domain itself when it is a public suffix or unknown."""
    domain = domain.strip().rstrip(".").lower()
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        return domain
    return _psl().privatesuffix(domain) or domain


# --------------------------------------------------------------------------- state


@dataclass
class _Walk:
    max_parts: int
    max_depth: int
    max_bytes: int
    parts: int = 0
    attachments: list[Attachment] = field(default_factory=list)
    plain: str | None = None
    html: str | None = None
    defects: list[str] = field(default_factory=list)
    stopped: bool = False
    oversized: tuple[int, str] | None = None  # (size, sha256) of the last PDF part over the cap

    def defect(self, text: str) -> None:
        if len(self.defects) < MAX_DEFECTS and text not in self.defects:
            self.defects.append(text)


def _shadow(part: email.message.Message) -> email.message.Message:
    """A compat32 copy of the part's raw headers: parameter access without the header
    registry's own (lossy, occasionally raising) decoding."""
    shadow = email.message.Message()
    for name, value in part.raw_items():
        shadow[name] = _unsurrogate(_unfold(str(value)))
    return shadow


def _raw_headers(msg: email.message.Message, name: str) -> list[str]:
    wanted = name.lower()
    return [_unfold(str(v)) for k, v in msg.raw_items() if k.lower() == wanted]


def _param(shadow: email.message.Message, header: str, name: str) -> str | None:
    """A parameter value, RFC 2231 (`name*=`, continuations, any charset) preferred over the
    plain form; RFC 2047 encoded words and raw 8-bit bytes inside the plain form decoded."""
    try:
        params = shadow.get_params(header=header, failobj=[]) or []
    except Exception:  # malformed parameters yield no value, not a crash
        return None
    plain: str | None = None
    for key, value in params[1:]:
        if key.lower() != name:
            continue
        if isinstance(value, tuple):
            charset, _lang, text = value
            text = text or ""
            try:  # %XX escapes were unquoted to latin-1 code points
                data = text.encode("latin-1")
            except UnicodeEncodeError:  # raw 8-bit text inside a name*= value, already decoded
                return text
            return _decode_bytes(data, charset or None)[0]
        if plain is None:
            plain = decode_words(email.utils.unquote(value))
    return plain


def _clean_filename(name: str | None) -> str:
    if not name:
        return "attachment"
    name = unicodedata.normalize("NFC", name)
    name = "".join(ch for ch in name if unicodedata.category(ch) not in _CONTROL_CATEGORIES)
    name = " ".join(name.replace("\\", "/").rsplit("/", 1)[-1].split())
    if name in ("", ".", ".."):
        return "attachment"
    if len(name) > _FILENAME_LIMIT:
        _stem, dot, ext = name.rpartition(".")
        keep = dot + ext if dot and len(ext) <= 10 else ""
        name = name[: _FILENAME_LIMIT - len(keep)] + keep
    return name


# --------------------------------------------------------------------------- MIME walk


def _parse(raw: bytes, walk: _Walk, where: str) -> email.message.Message:
    try:
        return BytesParser(policy=policy.default).parsebytes(raw)
    except Exception as exc:  # e.g. RecursionError on absurd nesting
        walk.defect(f"{where}: MIME structure unparsable ({type(exc).__name__}); headers only")
    try:
        return BytesHeaderParser(policy=policy.default).parsebytes(raw)
    except Exception as exc:
        walk.defect(f"{where}: headers unparsable ({type(exc).__name__})")
        return email.message.EmailMessage(policy=policy.default)


def _raw_payload(part: email.message.Message) -> object:
    """The undecoded payload (list of parts, or text). `get_payload()` itself re-decodes 8-bit
    text with the declared charset and raises on labels like "x\\x00y"."""
    try:
        return part.get_payload()
    except Exception:
        return getattr(part, "_payload", None)


def _head_of(encoded: str | bytes, cte: str) -> bytes:
    """The first decoded bytes of a payload too large to decode whole (for its file type)."""
    text = encoded if isinstance(encoded, str) else encoded.decode("ascii", "surrogateescape")
    head = text[:4096]
    if cte == "base64":
        cleaned = re.sub(r"[^A-Za-z0-9+/]", "", head)
        cleaned = cleaned[: len(cleaned) // 4 * 4]
        try:
            return base64.b64decode(cleaned)
        except (binascii.Error, ValueError):
            return b""
    if cte == "quoted-printable":
        return quopri.decodestring(head.encode("ascii", "replace"))
    return head.encode("utf-8", "surrogateescape")


def _payload_bytes(part: email.message.Message, walk: _Walk, label: str) -> bytes | None:
    """The decoded body of a leaf, or None when it is over the size limit (an oversized PDF is
    noted in `walk.oversized`: its name, its size, a digest of its encoded bytes)."""
    try:
        encoded = _raw_payload(part)
        cte = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
        estimate = len(encoded) if isinstance(encoded, str | bytes) else 0
        if cte == "base64":
            estimate = estimate * 3 // 4
        if estimate > walk.max_bytes + 4096:
            walk.defect(f"{label}: larger than {walk.max_bytes} bytes, skipped")
            if isinstance(encoded, str | bytes) and b"%PDF-" in _head_of(encoded, cte)[:1024]:
                raw = (
                    encoded.encode("utf-8", "surrogateescape")
                    if isinstance(encoded, str)
                    else encoded
                )
                walk.oversized = (estimate, hashlib.sha256(raw).hexdigest())
            return None
        data = part.get_payload(decode=True)
    except Exception as exc:
        walk.defect(f"{label}: body undecodable ({type(exc).__name__})")
        return b""
    if not isinstance(data, bytes):
        return b""
    if len(data) > walk.max_bytes:
        walk.defect(f"{label}: larger than {walk.max_bytes} bytes, skipped")
        return None
    return data


def _record_defects(part: email.message.Message, walk: _Walk, label: str) -> None:
    for defect in getattr(part, "defects", ()):
        walk.defect(f"{label}: {type(defect).__name__}")


def _unwrap_encoded_rfc822(inner: email.message.Message, cte: str) -> bytes | None:
    """message/rfc822 sent with a base64/QP transfer encoding (not allowed, but seen): the
    parser leaves the encoded text as a header-less body; decode it for a second parse."""
    if list(inner.raw_items()):
        return None
    body = _raw_payload(inner)
    if not isinstance(body, str):
        return None
    data = body.encode("ascii", "surrogateescape")
    try:
        return base64.b64decode(data) if cte == "base64" else quopri.decodestring(data)
    except (binascii.Error, ValueError):
        return None


def _walk(part: email.message.Message, walk: _Walk, depth: int, forwarded: bool) -> None:
    if walk.stopped:
        return
    walk.parts += 1
    label = f"part {walk.parts}"
    if walk.parts > walk.max_parts:
        walk.defect(f"more than {walk.max_parts} MIME parts; the rest was not read")
        walk.stopped = True
        return
    if depth > walk.max_depth:
        walk.defect(f"{label}: nested deeper than {walk.max_depth} levels; not read")
        return
    _record_defects(part, walk, label)
    shadow = _shadow(part)
    ctype = shadow.get_content_type()
    payload = _raw_payload(part)

    if ctype in _SKIP_TYPES:
        return
    if isinstance(payload, list):
        is_message = ctype in _FORWARD_TYPES or shadow.get_content_maintype() == "message"
        cte = str(shadow.get("Content-Transfer-Encoding", "")).strip().lower()
        for child in payload:
            if not isinstance(child, email.message.Message):
                continue
            if is_message and cte in ("base64", "quoted-printable"):
                unwrapped = _unwrap_encoded_rfc822(child, cte)
                if unwrapped is not None:
                    child = _parse(unwrapped, walk, label)
            _walk(child, walk, depth + 1, forwarded or is_message)
        return

    if shadow.get_content_maintype() == "multipart":
        walk.defect(f"{label}: {ctype} body could not be split into parts; not read")
        return

    disposition = (shadow.get_content_disposition() or "").lower()
    raw_name = _param(shadow, "content-disposition", "filename") or _param(
        shadow, "content-type", "name"
    )
    maintype, subtype = shadow.get_content_maintype(), shadow.get_content_subtype()
    if maintype == "text" and subtype in ("plain", "html") and not raw_name:
        if disposition != "attachment" and not forwarded:
            _take_text(part, shadow, subtype, walk, label)
            return
        if disposition != "attachment":
            return  # body text of a forwarded message: not a file

    data = _payload_bytes(part, walk, label)
    filename = _clean_filename(raw_name)
    if data is None:
        if walk.oversized is not None:
            size, digest = walk.oversized
            walk.oversized = None
            walk.attachments.append(
                Attachment(
                    filename=filename, content_type=ctype, data=b"", sha256=digest,
                    is_pdf=True, inline=disposition != "attachment", from_forwarded=forwarded,
                    oversized=True, size=size,
                )
            )  # fmt: skip
        return
    walk.attachments.append(
        Attachment(
            filename=filename,
            content_type=ctype,
            data=data,
            sha256=hashlib.sha256(data).hexdigest(),
            is_pdf=is_pdf(data),
            inline=disposition != "attachment",
            from_forwarded=forwarded,
            size=len(data),
        )
    )
    if filename.lower().endswith(".eml") or ctype in _FORWARD_TYPES:
        _walk(_parse(data, walk, label), walk, depth + 1, True)


def _take_text(
    part: email.message.Message,
    shadow: email.message.Message,
    subtype: str,
    walk: _Walk,
    label: str,
) -> None:
    if subtype == "plain" and walk.plain is not None:
        return
    if subtype == "html" and (walk.html is not None or walk.plain is not None):
        return
    data = _payload_bytes(part, walk, label)
    walk.oversized = None  # a text part is no PDF, however it starts
    if data is None:
        return
    text, clean = _decode_bytes(data[: TEXT_LIMIT * 4], shadow.get_content_charset())
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not clean and shadow.get_content_charset():
        walk.defect(f"{label}: text not in its declared charset {shadow.get_content_charset()}")
    if subtype == "plain":
        walk.plain = text[:TEXT_LIMIT]
    else:
        walk.html = _html_to_text(text)[:TEXT_LIMIT]


# --------------------------------------------------------------------------- headers


def _harmless_address_defect(defect: Exception) -> bool:
    if isinstance(defect, errors.ObsoleteHeaderDefect | errors.NonASCIILocalPartDefect):
        return True
    text = str(defect).lower()
    return "encoded word" in text or "encoded-word" in text


def _gb18030_words(value: str) -> str:
    """Encoded words labelled GB2312/GBK relabelled gb18030 (the same bytes, the superset),
    so the stdlib parser does not fail on characters beyond GB2312 (`Álvaro`, `镕`) and call
    the whole From header broken."""

    def relabel(m: re.Match[str]) -> str:
        charset = m.group(1)
        label = "gb18030" if charset.lower() in _GB_LABELS else charset
        return f"=?{label}?{m.group(2)}?{m.group(3)}?="

    return _ENCODED_WORD.sub(relabel, value)


def _address_headers(msg: email.message.Message, name: str) -> list[Any]:
    """Address headers parsed by the RFC 5322 parser from the raw text, with raw 8-bit
    (RFC 6532 UTF-8) decoded first so that internationalised addresses survive."""
    return [
        policy.default.header_factory(name, _gb18030_words(_unsurrogate(value)))
        for value in _raw_headers(msg, name)
    ]


@dataclass(frozen=True)
class _From:
    address: str | None
    name: str
    mailboxes: tuple[str, ...]  # every addr-spec seen in From, for the auto-sender check
    defects: tuple[str, ...]


def _read_from(msg: email.message.Message) -> _From:
    defects: list[str] = []
    try:
        headers = _address_headers(msg, "From")
    except Exception as exc:
        return _From(None, "", (), (f"from: unparsable ({type(exc).__name__})",))
    if not headers:
        return _From(None, "", (), ("from: no From header",))
    if len(headers) > 1:
        defects.append(f"from: {len(headers)} From headers")
    mailboxes: list[tuple[str, str | None]] = []
    broken = False
    for header in headers:
        try:
            addresses = header.addresses
            header_defects = list(header.defects)
        except Exception as exc:  # the header registry can raise on oddities
            defects.append(f"from: unparsable ({type(exc).__name__})")
            broken = True
            continue
        # Obsolete syntax ("Zhang S. <...>"), RFC 6532 UTF-8 local parts and sloppy encoded
        # words in display names (Foxmail quotes them) are harmless; anything else means the
        # parser skipped text that may hide another mailbox (CVE-2023-27043 style), so the
        # address is not used.
        serious = [d for d in header_defects if not _harmless_address_defect(d)]
        defects.extend(f"from: {type(d).__name__}: {d}" for d in serious)
        broken = broken or bool(serious)
        for addr in addresses:
            name = _strip_controls(str(addr.display_name or "")).strip()
            if "@" in name:
                defects.append("from: display name contains '@'")
            mailboxes.append((name, _normalise_parts(addr.username or "", addr.domain or "")))
    seen = tuple(m for _, m in mailboxes if m)
    if len(mailboxes) != 1:
        defects.append(f"from: {len(mailboxes)} mailboxes")
        return _From(None, "", seen, tuple(defects))
    name, address = mailboxes[0]
    if len(headers) > 1 or broken:
        address = None
    elif address is None:
        defects.append("from: not a valid addr-spec")
    return _From(address, name, seen, tuple(defects))


def _address_list(msg: email.message.Message, name: str, walk: _Walk) -> tuple[str, ...]:
    found: list[str] = []
    try:
        headers = _address_headers(msg, name)
        for header in headers:
            for addr in header.addresses:
                normal = _normalise_parts(addr.username or "", addr.domain or "")
                if normal and normal not in found:
                    found.append(normal)
    except Exception as exc:
        walk.defect(f"{name.lower()}: unparsable ({type(exc).__name__})")
    return tuple(found)


def _first_id(values: Iterable[str]) -> str | None:
    for value in values:
        match = _MSGID.search(value)
        if match:
            return match.group(0)
        value = value.strip()
        if value:
            return header_safe(value, max_len=998)
    return None


def _iso_date(values: list[str]) -> str | None:
    if not values:
        return None
    try:
        return email.utils.parsedate_to_datetime(values[0].strip()).isoformat()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _return_path(values: list[str]) -> str | None:
    if not values:
        return None
    value = values[0].strip()  # the delivering MTA writes the topmost one
    if re.fullmatch(r"<\s*>", value) or value == "":
        return ""
    match = re.search(r"<([^<>]*)>", value)
    return normalise_address(match.group(1) if match else value) or header_safe(value)


# RFC 3834 section 2: mail from these is automatic and must not be answered (RFC 3834 names
# owner-, -request, MAILER-DAEMON, LISTSERV and majordomo; Mailman's -bounces(+VERP) and -owner,
# and the MTAs' other daemon names, are the same thing).
_ROBOT_LOCALS = frozenset(
    {"mailer-daemon", "mailer_daemon", "maildaemon", "mail-daemon", "postmaster", "listserv",
     "majordomo", "mdaemon", "mailman", "smtp-gateway"}
)  # fmt: skip


def _robot_local(local: str) -> bool:
    local = local.strip().strip('"').lower()
    return (
        local in _ROBOT_LOCALS
        or local.startswith("owner-")
        or local.endswith(("-request", "-bounces", "-owner"))
        or "-bounces+" in local
    )


def _keyword(value: str) -> str:
    value = re.sub(r"\([^()]*\)", " ", value)
    return value.split(";", 1)[0].strip().lower()


def _auto_signals(
    msg: email.message.Message, sender: _From, return_path: str | None,
    own: frozenset[str], loop_header: str,
) -> tuple[AutoSignal, ...]:  # fmt: skip
    signals: list[AutoSignal] = []

    def first(name: str, test: Callable[[str], bool]) -> None:
        for value in _raw_headers(msg, name):
            if test(value):
                signals.append(AutoSignal(name, header_safe(value)))
                return

    first("Auto-Submitted", lambda v: _keyword(v) != "no")
    first("Precedence", lambda v: _keyword(v) in ("bulk", "junk", "list"))
    for name, value in msg.raw_items():
        if name.lower().startswith("list-"):
            signals.append(AutoSignal(name, header_safe(_unfold(str(value)))))
            break
    first(
        "X-Auto-Response-Suppress",
        lambda v: bool({t.lower() for t in re.split(r"[\s,;]+", v)} & {"all", "autoreply", "oof"}),
    )
    if return_path == "":
        signals.append(AutoSignal("Return-Path", "<>"))
    elif return_path and _robot_local(return_path.rpartition("@")[0]):
        signals.append(AutoSignal("Return-Path", return_path))
    from_values = [v.strip() for v in _raw_headers(msg, "From")]
    if any(re.fullmatch(r"<\s*>|", v) for v in from_values):
        signals.append(AutoSignal("From", "<> (the null sender)"))
    for mailbox in sender.mailboxes:
        if _robot_local(mailbox.rpartition("@")[0]):
            signals.append(AutoSignal("From", mailbox))
            break
    for value in _raw_headers(msg, "Sender"):
        match = re.search(r"([^\s<>@,;:\"]+)@", value)
        if match and _robot_local(match.group(1).lower()):
            signals.append(AutoSignal("Sender", header_safe(value)))
            break
    first("X-Failed-Recipients", lambda v: bool(v.strip()))
    ctype = _shadow(msg).get_content_type()
    if ctype == "multipart/report":
        signals.append(AutoSignal("Content-Type", ctype))
    loop = _raw_headers(msg, loop_header)
    if loop:
        signals.append(AutoSignal(loop_header, header_safe(loop[0])))
    for mailbox in sender.mailboxes:
        if mailbox in own:
            signals.append(AutoSignal("From", f"own address {mailbox}"))
            break
    return tuple(signals)


def _bounce_shape(msg: email.message.Message) -> AutoSignal | None:
    """A bounce recognised by its shape rather than by RFC 3464 (old Sendmail, qmail, Exim,
    Exchange, Lotus, antivirus gateways, list robots): flufl.bounce, GNU Mailman's detectors
    of dozens of MTAs' formats, finds the recipients it reports as failed."""
    temporary, permanent = failures(msg)  # empties the attachments: call it last
    failed = sorted({a.decode("ascii", "replace") for a in (*permanent, *temporary)})
    if not failed:
        return None
    kind = "permanent" if permanent else "temporary"
    shown = ", ".join(failed[:3]) + (f" and {len(failed) - 3} more" if len(failed) > 3 else "")
    return AutoSignal("Bounce", header_safe(f"{kind} failure for {shown}"))


# --------------------------------------------------------------------------- auth


def _authserv_id(value: str) -> str:
    value = re.sub(r"^\s*(\([^()]*\)\s*)*", "", value)
    match = re.match(r'\s*"?([^\s;"()]+)', value)
    return match.group(1).lower() if match else ""


def _prop(result: object, ptype: str, name: str) -> str | None:
    for prop in getattr(result, "properties", ()) or ():
        if str(prop.type).lower() == ptype and str(prop.name).lower() == name:
            return str(prop.value)
    return None


def _dkim_domain(result: object) -> str | None:
    d = _prop(result, "header", "d")
    if d:
        return d
    i = _prop(result, "header", "i")
    return i.rpartition("@")[2] if i else None


@dataclass(frozen=True)
class _Auth:
    verdict: AuthVerdict
    evidence: str
    reason: str


def _read_auth(
    msg: email.message.Message, trusted: frozenset[str], from_address: str | None,
    walk: _Walk,
) -> _Auth:  # fmt: skip
    headers = _raw_headers(msg, "Authentication-Results")
    if not trusted:
        return _Auth(AuthVerdict.NONE, "no trusted authserv-id configured", "no trusted header")
    chosen: str | None = None
    forged_below = 0
    for value in headers:  # top to bottom: the first trusted one is the provider's own
        try:
            authserv = str(authres.AuthenticationResultsHeader.parse_value(value).authserv_id)
        except Exception:  # authres raises its own and stdlib errors
            authserv = _authserv_id(value)
        if authserv.lower() not in trusted:
            continue
        if chosen is None:
            chosen = value
        else:
            forged_below += 1
    if forged_below:
        walk.defect(
            f"auth: {forged_below} Authentication-Results below the trusted one claim a "
            "trusted authserv-id (ignored)"
        )
    if chosen is None:
        why = (
            f"no Authentication-Results with a trusted authserv-id among {len(headers)}"
            if headers
            else "no Authentication-Results header"
        )
        return _Auth(AuthVerdict.NONE, why, "no trusted header")
    evidence = "Authentication-Results: " + " ".join(chosen.split())
    try:
        results = list(authres.AuthenticationResultsHeader.parse_value(chosen).results)
    except Exception as exc:
        return _Auth(AuthVerdict.NONE, evidence, f"trusted header unparsable: {exc}"[:200])
    from_domain = from_address.rpartition("@")[2] if from_address else None

    def res(method: str) -> list[object]:
        return [r for r in results if str(r.method).lower() == method]

    def outcome(r: object) -> str:
        return str(getattr(r, "result", "")).lower()

    dmarc = res("dmarc")
    dmarc_outcomes = {outcome(r) for r in dmarc}
    if "fail" in dmarc_outcomes:
        return _Auth(AuthVerdict.FAIL, evidence, "dmarc=fail")
    if from_domain is None:
        return _Auth(AuthVerdict.NONE, evidence, "no usable From address to align with")
    for r in dmarc:
        if outcome(r) != "pass":
            continue
        header_from = _prop(r, "header", "from")
        if header_from and organizational_domain(header_from) != organizational_domain(from_domain):
            return _Auth(
                AuthVerdict.NONE, evidence, f"dmarc=pass for {header_from}, not the From domain"
            )
        return _Auth(AuthVerdict.PASS, evidence, "dmarc=pass")
    org = organizational_domain(from_domain)
    for r in res("dkim"):
        d = _dkim_domain(r)
        if outcome(r) == "pass" and d and organizational_domain(d) == org:
            return _Auth(AuthVerdict.PASS, evidence, f"dkim=pass header.d={d} aligned")
    if not dmarc_outcomes & {"pass", "fail"}:
        dkim = {outcome(r) for r in res("dkim")} or {"none"}
        spf = {outcome(r) for r in res("spf")} or {"none"}
        if dkim <= {"fail", "none"} and spf <= {"fail", "none"} and "fail" in dkim | spf:
            return _Auth(AuthVerdict.FAIL, evidence, "dkim and spf failed")
    return _Auth(AuthVerdict.NONE, evidence, "no aligned pass and no conclusive failure")


# --------------------------------------------------------------------------- header caps


@dataclass(frozen=True, slots=True)
class HeaderLimits:
    """Caps on the top-level header block, checked on the raw bytes before the email library
    sees them: its header parser takes time and memory that grow with the square of a field's
    tokens and encoded words (a Cc of 8,000 encoded words took 1.8 GB and 4.7 s; a 1 MB From
    more than 20 GB). Under these caps the worst header block reads in a few seconds and a few
    hundred MB; real mail stays far below them (docs/mail.md)."""

    max_field_bytes: int = 16_384  # one header field, folded lines together
    max_fields: int = 300
    max_block_bytes: int = 131_072  # the whole header block
    max_encoded_words: int = 200  # RFC 2047 encoded words in one field
    max_addresses: int = 300  # addresses in one address field (counted by their "@")


_ADDRESS_FIELDS = frozenset(
    {"from", "sender", "reply-to", "to", "cc", "bcc", "resent-from", "resent-sender",
     "resent-to", "resent-cc", "resent-bcc", "disposition-notification-to"}
)  # fmt: skip
_EW_START = re.compile(rb"=\?[^?\s]{1,75}\?[bBqQ]\?")
_BLOCK_END = re.compile(rb"\r?\n\r?\n")
# What an over-cap message is still read for (each field itself within the caps): who sent
# it, threading, trust and the auto-reply signals. No body, no attachment.
_SAFE_FIELDS = frozenset(
    {"from", "message-id", "subject", "date", "return-path", "in-reply-to", "references",
     "authentication-results", "auto-submitted", "precedence", "x-auto-response-suppress",
     "list-id", "list-unsubscribe", "list-post", "x-failed-recipients"}
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Field:
    name: str  # lower case
    start: int
    end: int
    words: int
    ats: int


def _header_block(raw: bytes) -> bytes:
    end = _BLOCK_END.search(raw)
    return raw[: end.start()] if end else raw


def _fields(block: bytes) -> list[_Field]:
    """The header fields of a raw block (continuation lines joined to their field)."""
    out: list[_Field] = []
    pos = 0
    name = ""
    start = 0
    for line in block.split(b"\n"):
        nxt = pos + len(line) + 1
        if line[:1] in (b" ", b"\t") and out:
            last = out[-1]
            out[-1] = _Field(
                last.name, last.start, min(nxt, len(block)),
                last.words + len(_EW_START.findall(line)), last.ats + line.count(b"@"),
            )  # fmt: skip
        else:
            name = line.split(b":", 1)[0].strip().decode("ascii", "replace").lower()
            start = pos
            out.append(
                _Field(name, start, min(nxt, len(block)), len(_EW_START.findall(line)),
                       line.count(b"@"))
            )  # fmt: skip
        pos = nxt
    return out


def header_over_cap(raw: bytes, limits: HeaderLimits) -> str | None:
    """Which cap the message's header block is over (one line for the maintainers), or None.
    Linear in the bytes; nothing is decoded."""
    block = _header_block(raw)
    fields = _fields(block)
    for f in fields:
        label = f.name[:40] or "(unnamed)"
        size = f.end - f.start
        if size > limits.max_field_bytes:
            return f"header {label}: {size} bytes > {limits.max_field_bytes}"
        if f.words > limits.max_encoded_words:
            return f"header {label}: {f.words} encoded words > {limits.max_encoded_words}"
        if f.name in _ADDRESS_FIELDS and f.ats > limits.max_addresses:
            return f"header {label}: {f.ats} addresses > {limits.max_addresses}"
    if len(fields) > limits.max_fields:
        return f"{len(fields)} header fields > {limits.max_fields}"
    if len(block) > limits.max_block_bytes:
        return f"header block of {len(block)} bytes > {limits.max_block_bytes}"
    return None


#: Fields RFC 5322 allows once (section 3.6): of a safe field repeated, only the first is kept;
#: any other safe field is kept at most `_SAFE_REPEATS` times (a few Authentication-Results
#: of the hops on the way are normal; two thousand are a flood).
_ONCE = frozenset(
    {"from", "message-id", "subject", "date", "return-path", "in-reply-to", "references"}
)
_SAFE_REPEATS = 8


def _safe_headers(raw: bytes, limits: HeaderLimits, keep: frozenset[str]) -> bytes:
    """Only the safe fields of the header block (each within every cap, a field allowed once
    kept once, and the whole within every cap too), and no body."""
    block = _header_block(raw)
    kept: list[bytes] = []
    total = 0
    seen: Counter[str] = Counter()
    for f in _fields(block):
        size = f.end - f.start
        if (
            f.name not in keep
            or seen[f.name] >= (1 if f.name in _ONCE else _SAFE_REPEATS)
            or size > limits.max_field_bytes
            or f.words > limits.max_encoded_words
            or f.ats > limits.max_addresses
            or total + size > limits.max_block_bytes // 2
            or len(kept) >= limits.max_fields // 2
        ):
            continue
        seen[f.name] += 1
        kept.append(block[f.start : f.end].rstrip(b"\r\n"))
        total += size
    return b"\r\n".join(kept) + b"\r\n\r\n"


# --------------------------------------------------------------------------- entry point


def read_message(
    raw: bytes,
    *,
    trusted_authserv_ids: Collection[str],
    own_addresses: Collection[str],
    loop_header: str = "X-Licensebot-Loop",
    max_attachment_bytes: int = 25 * 1024 * 1024,
    max_parts: int = 200,
    max_depth: int = 20,
    header_limits: HeaderLimits | None = None,
) -> IncomingMessage:
    """Read one email. Never raises on malformed input: problems end up in `defects`.

    A header block over `header_limits` (see `HeaderLimits`) is not given to the email library:
    only its safe fields are read (`_SAFE_FIELDS`, each within the caps), no body, and
    `over_limits` says which cap. Untrusted mail is read with `read_message_confined`, which
    also bounds the read's time and memory.

    `trusted_authserv_ids`: the authserv-id(s) your mailbox provider stamps on
    Authentication-Results (see the module docstring for which header counts).
    `own_addresses`: the bot's addresses; mail from them is an auto signal, as is any message
    carrying `loop_header`. Parts over `max_attachment_bytes`, parts beyond `max_parts` and
    parts nested deeper than `max_depth` are skipped with a defect.
    """
    limits = header_limits or HeaderLimits()
    over = header_over_cap(raw, limits)
    if over is not None:
        # the safe block is within every cap by construction (`_safe_headers`): read as it is,
        # never checked and cut again (reading it through `read_message` once recursed)
        raw, why = _safe_headers(raw, limits, _SAFE_FIELDS | {loop_header.lower()}), over
    else:
        why = None
    try:
        read = _read(
            raw,
            trusted_authserv_ids=trusted_authserv_ids,
            own_addresses=own_addresses,
            loop_header=loop_header,
            max_attachment_bytes=max_attachment_bytes,
            max_parts=max_parts,
            max_depth=max_depth,
        )
    except Exception as exc:  # the contract is "never raises": a reader bug becomes a defect
        read = IncomingMessage(
            message_id=None, from_address=None, from_name="", to=(), cc=(), subject="",
            date=None, in_reply_to=None, references=(), return_path=None,
            auth=AuthVerdict.NONE, auth_evidence="message could not be read", auto_signals=(),
            attachments=(), text="", defects=(f"reader failed: {type(exc).__name__}: {exc}"[:300],),
            from_defects=("from: message could not be read",),
        )  # fmt: skip
    return read if why is None else _not_read_in_full(read, why)


def _not_read_in_full(msg: IncomingMessage, why: str) -> IncomingMessage:
    return replace(
        msg, over_limits=why, attachments=(), text="",
        defects=(f"not read in full: {why}", *msg.defects)[:MAX_DEFECTS],
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class MimeLimits:
    """What one MIME read may take, enforced by the sandbox (`read_message_confined`). A 30 MB
    message (the largest `limits.max_message_bytes` lets in) reads in about 3 s and adds
    about 240 MB; the caps leave room for that and stop the rest (docs/memory.md)."""

    time_limit: float = 20.0  # wall clock seconds
    cpu_limit: int = 30  # CPU seconds
    memory_bytes: int = 384_000_000  # address space over what the child is forked with


#: Read by a child forked ahead of need before it waits for its message (see
#: `sandbox.start_readers`), so the lazy set-up of a first read is not on a message's path.
WARM_MESSAGE = (
    b"From: Warm Up <warm@example.edu>\r\nTo: desk@example.org\r\nSubject: Re: warm up\r\n"
    b"Message-ID: <warm@example.edu>\r\nIn-Reply-To: <x@example.org>\r\n"
    b"Date: Mon, 1 Jan 2024 00:00:00 +0000\r\n"
    b"Authentication-Results: mx.example.org; dkim=pass header.d=example.edu; dmarc=pass\r\n"
    b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
    b"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSigned LA attached.\r\n"
    b'--b\r\nContent-Type: application/pdf; name="DFME_License_Agreement_Warm_Up.pdf"\r\n'
    b'Content-Disposition: attachment; filename="DFME_License_Agreement_Warm_Up.pdf"\r\n'
    b"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQKJSVFT0YK\r\n--b--\r\n"
)


def _read_with(raw: bytes, options: dict[str, Any]) -> IncomingMessage:
    """`read_message` with keyword options: what the sandboxed child runs."""
    return read_message(raw, **options)


def _options(
    trusted_authserv_ids: Collection[str],
    own_addresses: Collection[str],
    loop_header: str,
    max_attachment_bytes: int,
    header_limits: HeaderLimits,
) -> dict[str, Any]:
    return {
        "trusted_authserv_ids": tuple(trusted_authserv_ids)
        if not isinstance(trusted_authserv_ids, str) else (trusted_authserv_ids,),
        "own_addresses": tuple(own_addresses)
        if not isinstance(own_addresses, str) else (own_addresses,),
        "loop_header": loop_header,
        "max_attachment_bytes": max_attachment_bytes,
        "header_limits": header_limits,
    }  # fmt: skip


def read_message_confined(
    raw: bytes,
    *,
    trusted_authserv_ids: Collection[str],
    own_addresses: Collection[str],
    loop_header: str = "X-Licensebot-Loop",
    max_attachment_bytes: int = 25 * 1024 * 1024,
    header_limits: HeaderLimits | None = None,
    limits: MimeLimits | None = None,
) -> IncomingMessage:
    """`read_message` in a sandboxed child (the PDF readers' fork server and confinement, with
    `limits`). A read that runs out of time or memory, or crashes, is read again from its safe
    headers alone (`over_limits` says why); never raises."""
    from licensebot.reading.sandbox import call_confined

    limits = limits or MimeLimits()
    header_limits = header_limits or HeaderLimits()
    options = _options(
        trusted_authserv_ids, own_addresses, loop_header, max_attachment_bytes, header_limits
    )
    result = call_confined(
        _read_with, bytes(raw), options, time_limit=limits.time_limit,
        cpu_limit=limits.cpu_limit, memory_bytes=limits.memory_bytes,
        warm=(_read_with, (WARM_MESSAGE, options)),
    )  # fmt: skip
    return _read_or_safe_headers(raw, result, options, limits)


def read_mail_confined(
    raw: bytes,
    *,
    trusted_authserv_ids: Collection[str],
    own_addresses: Collection[str],
    choose: Callable[[IncomingMessage], Attachment | None],
    versions: Sequence[LaVersion],
    pdf_limits: ReadLimits | None = None,
    loop_header: str = "X-Licensebot-Loop",
    max_attachment_bytes: int = 25 * 1024 * 1024,
    header_limits: HeaderLimits | None = None,
    limits: MimeLimits | None = None,
) -> MailRead:
    """`read_message_confined` and the read of the attachment `choose` picks (a module-level
    function, or a partial of one), in one single-use sandboxed child
    (`sandbox.read_mail_sandboxed`): a message read whole, its PDF under the PDF reader's
    `pdf_limits`. A MIME read that fails is read again from its safe headers alone, as
    `read_message_confined` does (no PDF is read then: it has no attachments); a PDF read that
    fails is the form's error. The message is never a `Failure`; never raises."""
    from licensebot.reading.sandbox import MailRead, read_mail_sandboxed

    limits = limits or MimeLimits()
    header_limits = header_limits or HeaderLimits()
    options = _options(
        trusted_authserv_ids, own_addresses, loop_header, max_attachment_bytes, header_limits
    )
    read = functools.partial(_read_with, options=options)
    got = read_mail_sandboxed(
        bytes(raw), read=read, choose=choose, versions=versions, limits=pdf_limits,
        message_limits=limits, warm=(_read_with, (WARM_MESSAGE, options)),
    )  # fmt: skip
    if isinstance(got.message, IncomingMessage):
        return got
    return MailRead(_read_or_safe_headers(raw, got.message, options, limits))


def _read_or_safe_headers(
    raw: bytes, result: IncomingMessage | Failure, options: dict[str, Any], limits: MimeLimits
) -> IncomingMessage:
    """The message read, or, when its read failed, the message read again from its safe
    headers alone (in a child of its own), `over_limits` saying why."""
    from licensebot.reading.sandbox import Failure, call_confined

    if not isinstance(result, Failure):
        return result
    why = f"reading the message: {result.code} ({result.detail})"
    fields = _SAFE_FIELDS | {str(options["loop_header"]).lower()}
    again = call_confined(
        _read_with, _safe_headers(raw, options["header_limits"], fields), options,
        time_limit=limits.time_limit, cpu_limit=limits.cpu_limit,
        memory_bytes=limits.memory_bytes, warm=(_read_with, (WARM_MESSAGE, options)),
    )  # fmt: skip
    if isinstance(again, Failure):
        return _unreadable(why)
    return _not_read_in_full(again, why)


def _unreadable(why: str) -> IncomingMessage:
    return IncomingMessage(
        message_id=None, from_address=None, from_name="", to=(), cc=(), subject="",
        date=None, in_reply_to=None, references=(), return_path=None,
        auth=AuthVerdict.NONE, auth_evidence="message could not be read", auto_signals=(),
        attachments=(), text="", defects=(why[:300],),
        from_defects=("from: message could not be read",), over_limits=why,
    )  # fmt: skip


def _read(
    raw: bytes,
    *,
    trusted_authserv_ids: Collection[str],
    own_addresses: Collection[str],
    loop_header: str,
    max_attachment_bytes: int,
    max_parts: int,
    max_depth: int,
) -> IncomingMessage:
    walk = _Walk(max_parts=max_parts, max_depth=max_depth, max_bytes=max_attachment_bytes)
    msg = _parse(bytes(raw), walk, "message")

    sender = _read_from(msg)
    for d in sender.defects:
        walk.defect(d)
    if isinstance(own_addresses, str):  # a lone string is a Collection[str] of letters
        own_addresses = (own_addresses,)
    if isinstance(trusted_authserv_ids, str):
        trusted_authserv_ids = (trusted_authserv_ids,)
    own = frozenset(a for a in (normalise_address(x) for x in own_addresses) if a)
    trusted = frozenset(t.strip().lower() for t in trusted_authserv_ids if t.strip())
    return_path = _return_path(_raw_headers(msg, "Return-Path"))

    try:
        _walk(msg, walk, 0, False)
    except Exception as exc:  # last line of defence: keep the headers
        walk.defect(f"MIME walk aborted ({type(exc).__name__})")
    auth = _read_auth(msg, trusted, sender.address, walk)

    signals = _auto_signals(msg, sender, return_path, own, loop_header)
    subjects = _raw_headers(msg, "Subject")
    text = walk.plain if walk.plain is not None else (walk.html or "")
    read = IncomingMessage(
        message_id=_first_id(_raw_headers(msg, "Message-ID")),
        from_address=sender.address,
        from_name=header_safe(sender.name, max_len=998),
        to=_address_list(msg, "To", walk),
        cc=_address_list(msg, "Cc", walk),
        subject=header_safe(decode_words(subjects[0]), max_len=998) if subjects else "",
        date=_iso_date(_raw_headers(msg, "Date")),
        in_reply_to=_first_id(_raw_headers(msg, "In-Reply-To")),
        references=tuple(
            dict.fromkeys(m for v in _raw_headers(msg, "References") for m in _MSGID.findall(v))
        ),
        return_path=return_path,
        auth=auth.verdict,
        auth_evidence=auth.evidence,
        auth_reason=auth.reason,
        auto_signals=signals,
        attachments=tuple(walk.attachments),
        text=text,
        defects=tuple(walk.defects),
        from_defects=sender.defects,
    )
    shape = _bounce_shape(msg)  # last: it empties the parsed attachments
    return read if shape is None else replace(read, auto_signals=(*signals, shape))
