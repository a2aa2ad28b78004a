"""The real data packages behind `load_domain_knowledge`."""

from __future__ import annotations

import pytest

from licensebot.core.domains import DomainKind
from licensebot.reading.domains import load_domain_knowledge


@pytest.mark.parametrize(
    "domain",
    [
        "qq.com",
        "163.com",
        "126.com",
        "sina.com",
        "foxmail.com",
        "outlook.com",
        "hotmail.com",
        "yahoo.com",
        "gmail.com",
        "icloud.com",
        "yeah.net",
        "vip.qq.com",
        "vip.163.com",
        "sina.com.cn",
        "88.com",
    ],
)
def test_common_webmail_counts_as_free(domain: str) -> None:
    assert load_domain_knowledge().classify(domain).kind is DomainKind.FREE


def test_disposable_services_are_known() -> None:
    assert load_domain_knowledge().classify("0-mailer.dynv6.net").kind is DomainKind.DISPOSABLE


def test_universities_are_not_webmail_and_have_their_names() -> None:
    knowledge = load_domain_knowledge()
    assert knowledge.classify("mail.ustc.edu.cn").kind is DomainKind.OTHER
    names = knowledge.institution_names("mail.ustc.edu.cn")
    assert names[0] == "University of Science and Technology of China"
    assert "中国科学技术大学" in names
    assert knowledge.institution_for("tsinghua.edu.cn") == "Tsinghua University"
    assert knowledge.institution_for("microsoft.com") is None


def test_overrides_apply_and_loads_are_cached() -> None:
    plain = load_domain_knowledge()
    assert load_domain_knowledge() is plain
    custom = load_domain_knowledge(allow=["outlook.com"], deny=["ustc.edu.cn"])
    assert custom is not plain
    assert custom.classify("outlook.com").kind is DomainKind.ALLOWED
    assert custom.classify("mail.ustc.edu.cn").kind is DomainKind.DENIED
    assert load_domain_knowledge(allow=["outlook.com"], deny=["ustc.edu.cn"]) is custom
