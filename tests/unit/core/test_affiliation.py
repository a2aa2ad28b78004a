"""The affiliation on the form against the institution behind the domain."""

from __future__ import annotations

import pytest

from licensebot.core.affiliation import match_affiliation

USTC = ("University of Science and Technology of China", "USTC", "中国科学技术大学")
CASIA = (
    "中国科学院大学，中国科学院自动化研究所",
    "University of Chinese Academy of Sciences，"
    "Institute of Automation Chinese Academy of Sciences",
)

MATCHES = [
    (USTC, "University of Science and Technology of China", "mail.ustc.edu.cn", "name"),
    (USTC, "USTC", "mail.ustc.edu.cn", "initials"),
    (USTC, "ustc, Hefei", None, "initials"),
    (USTC, "中国科学技术大学", "ustc.edu.cn", "chinese"),
    (USTC, "中国科学技术大学信息学院", "ustc.edu.cn", "chinese"),
    (
        USTC,
        "School of Computer Science, Univ. of Science & Technology of China, Hefei",
        "ustc.edu.cn",
        "name",
    ),
    (("Tsinghua University",), "Tsinghua Univ.", "tsinghua.edu.cn", "name"),
    (("Peking University",), "PKU", "stu.pku.edu.cn", "domain"),
    (
        ("Massachusetts Institute of Technology",),
        "Massachusets Institute of Technology",
        "mit.edu",
        "fuzzy",
    ),
    (("University of California, Los Angeles",), "UCLA", "ucla.edu", "initials"),
    (CASIA, "中国科学院自动化研究所", "ia.ac.cn", "chinese"),
    (CASIA, "Institute of Automation, Chinese Academy of Sciences", "ia.ac.cn", "name"),
]

MISMATCHES = [
    (USTC, "Tsinghua University", "mail.ustc.edu.cn"),
    (USTC, "清华大学", "mail.ustc.edu.cn"),
    (USTC, "大学", "mail.ustc.edu.cn"),
    (("Tsinghua University",), "清华大学", "tsinghua.edu.cn"),  # unsure: a person looks
    (("Peking University",), "Microsoft Research", "pku.edu.cn"),
    (("University of Science and Technology Beijing",), "USTC", "ustb.edu.cn"),
]


@pytest.mark.parametrize(("names", "written", "domain", "how"), MATCHES)
def test_same_institution(
    names: tuple[str, ...], written: str, domain: str | None, how: str
) -> None:
    m = match_affiliation(names, written, domain=domain)
    assert (m.matched, m.how) == (True, how)


@pytest.mark.parametrize(("names", "written", "domain"), MISMATCHES)
def test_another_or_unprovable_institution(
    names: tuple[str, ...], written: str, domain: str | None
) -> None:
    assert not match_affiliation(names, written, domain=domain).matched
