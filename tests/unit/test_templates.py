from pathlib import Path

import pytest

from licensebot.mail.templates import TemplateError, Templates
from licensebot.worker.samples import template_samples

SHIPPED = Path(__file__).resolve().parents[2] / "config" / "templates"


def test_every_shipped_template_renders_in_english_and_chinese() -> None:
    t = Templates(SHIPPED)
    samples = template_samples()
    assert t.check(samples) == []
    for kind in samples:
        assert (SHIPPED / f"{kind}.en.txt").is_file() and (SHIPPED / f"{kind}.zh.txt").is_file()
    text = t.render("applicant.no_attachment", samples["applicant.no_attachment"][0]).body
    assert "DFME_License_Agreement_San_Zhang.pdf" in text
    assert "申请方法" in text


def test_a_misspelt_variable_is_caught_before_any_applicant_sees_it(tmp_path: Path) -> None:
    for lang in ("en", "zh"):
        (tmp_path / f"applicant.review.{lang}.txt").write_text("Case {{ case_tagg }}\n")
    problems = Templates(tmp_path).check({"applicant.review": [{"case_tag": "[T #1]"}]})
    assert (
        len(problems) == 1
        and "case_tagg" in problems[0]
        and "applicant.review.en.txt" in problems[0]
    )


def test_a_missing_template_is_named(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match=r"applicant\.approved\.en\.txt is missing"):
        Templates(tmp_path).render("applicant.approved", {})


def test_subject_line_is_taken_from_the_template(tmp_path: Path) -> None:
    (tmp_path / "maintainer.alert.en.txt").write_text("Subject: Alert {{ n }}\nBody {{ n }}\n")
    (tmp_path / "maintainer.alert.zh.txt").write_text("Subject: 警报 {{ n }}\n正文 {{ n }}\n")
    r = Templates(tmp_path).render("maintainer.alert", {"n": 3})
    assert r.subject == "Alert 3 / 警报 3"
    assert r.body.startswith("Body 3") and "正文 3" in r.body
