"""What an applicant reads first: greeted by name, told truthfully what is attached, and the
download instructions in the reply's own language."""

from __future__ import annotations

from pathlib import Path

from licensebot.config import Approval, Mailbox, Settings, Smtp
from licensebot.core.reasons import Decision, Reason
from licensebot.mail.templates import SEPARATOR, Templates
from licensebot.worker.replies import applicant_context

SHIPPED = Path(__file__).resolve().parents[2] / "config" / "templates"


def settings(instructions: str | dict[str, str]) -> Settings:
    return Settings(
        mailbox=(Mailbox(name="a", address="a@desk.test", kind="maildir", path="/x"),),
        smtp=Smtp(kind="directory", directory="/x", from_address="a@desk.test"),
        approval=Approval.model_validate({"download_instructions": instructions}),
    )


def halves(kind: str, **kw: object) -> tuple[str, str]:
    base: dict[str, object] = dict(
        case_id=7, sender="li.si@uni.edu", decision=Decision.REJECT, reasons=[]
    )
    ctx = applicant_context(settings(kw.pop("instructions", "Open the page.")), **{**base, **kw})  # type: ignore[arg-type]
    en, zh = Templates(SHIPPED).render(kind, ctx).body.split(SEPARATOR)
    return en, zh


def test_rejections_greet_the_signer_else_the_senders_name_else_the_applicant() -> None:
    en, zh = halves("applicant.rejected", fields={"signer_name": "San Zhang"}, sender_name="X")
    assert en.startswith("Dear San Zhang,") and zh.startswith("San Zhang，您好：\n\n")
    en, zh = halves("applicant.rejected", sender_name="Li Si")
    assert en.startswith("Dear Li Si,") and zh.startswith("Li Si，您好：")
    en, zh = halves("applicant.no_attachment", sender_name="li.si@uni.edu")  # not a name
    assert en.startswith("Dear applicant,") and zh.startswith("尊敬的申请人：")


def test_the_no_attachment_reply_says_the_form_is_attached_only_when_it_is() -> None:
    en, zh = halves(
        "applicant.no_attachment", reasons=[Reason.NO_ATTACHMENT], attached=["blank.pdf"]
    )
    assert "attached to this email as blank.pdf" in en and "when available" not in en
    assert "已作为附件 blank.pdf" in zh
    en, zh = halves("applicant.no_attachment", reasons=[Reason.NO_ATTACHMENT])
    assert "attached" not in en and "附件 blank" not in zh


def test_download_instructions_are_per_language_and_chinese_never_quotes_english() -> None:
    both = {"en": "Open https://dl.test/en", "zh": "打开 https://dl.test/zh"}
    en, zh = halves("applicant.approved", decision=Decision.APPROVE, instructions=both)
    assert "https://dl.test/en" in en and "https://dl.test/zh" not in en
    assert "https://dl.test/zh" in zh and "https://dl.test/en" not in zh
    en, zh = halves("applicant.approved", decision=Decision.APPROVE, instructions="Open it.")
    assert "Open it." in en and "Open it." not in zh and "上方英文部分的下载说明" in zh
