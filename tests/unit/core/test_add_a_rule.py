"""docs/architecture.md's "How to add a rule" stays true: its rule and its two template
snippets are the fixture's (tests/examples/date_in_future.*) to the letter, and that rule,
added to the declared ones, decides, reports and is answered as the docs say."""

from __future__ import annotations

import re
import shutil
import textwrap
from pathlib import Path

import pytest
from core_factories import context, form, message

from licensebot.core.decide import decide
from licensebot.core.reasons import Decision, Reason
from licensebot.core.rules import DEFAULT_RULES, rule_for, severity_of
from licensebot.mail.templates import TemplateError, Templates
from licensebot.worker.replies import applicant_context
from licensebot.worker.samples import _settings
from tests.examples.date_in_future import EXAMPLE_REASONS, DateInFuture

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "tests" / "examples"
DOCS = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
NEW = EXAMPLE_REASONS.DATE_IN_FUTURE
RULES = (*DEFAULT_RULES, DateInFuture())


def _fixture_block() -> str:
    text = (EXAMPLE / "date_in_future.py").read_text(encoding="utf-8")
    m = re.search(r"# docs: rule\n(.*?)\n+# docs: end", text, re.S)
    assert m is not None
    return m.group(1)


def _docs_blocks() -> list[str]:
    """The fenced blocks of docs/architecture.md, as they would be pasted (indent removed)."""
    blocks = re.findall(r"^( *)```[a-z]*\n(.*?)^\1```", DOCS, re.S | re.M)
    return [textwrap.dedent(body).strip() for _, body in blocks]


def test_the_docs_show_the_fixture_rule_and_snippets_to_the_letter() -> None:
    blocks = _docs_blocks()
    assert _fixture_block().strip() in blocks
    for lang in ("en", "zh"):
        snippet = (EXAMPLE / f"date_in_future.{lang}.txt").read_text(encoding="utf-8").strip()
        assert snippet in blocks, lang


def test_the_new_reason_weighs_what_its_rule_declares() -> None:
    assert rule_for(NEW).severity is severity_of(NEW)  # the one declaration, registered
    late = context(msg=message(date="2024-03-10T09:00:00+08:00"))  # the form says 2024-03-15
    judgement = decide(late, RULES)
    assert (judgement.decision, judgement.reasons) == (Decision.REVIEW, (NEW,))
    assert judgement.outcome == "soft reason"
    hit = next(r for r in judgement.results if r.rule == "date_in_future")
    assert dict(hit.facts) == {"date": "2024-03-15", "sent": "2024-03-10"}


def test_the_new_rule_misses_a_form_dated_before_it_was_sent() -> None:
    judgement = decide(context(), RULES)  # dated 2024-03-15, sent 2024-03-16
    assert (judgement.decision, judgement.reasons) == (Decision.APPROVE, ())


def test_a_hard_reason_still_rejects_and_lists_both_in_order() -> None:
    ctx = context(msg=message(date="2024-03-10T09:00:00+08:00"), read=form(signed=False))
    judgement = decide(ctx, RULES)
    assert judgement.decision is Decision.REJECT
    assert judgement.reasons == (Reason.NOT_SIGNED, NEW)


def _templates(tmp_path: Path, *, with_snippets: bool) -> Templates:
    shutil.copytree(ROOT / "config" / "templates", tmp_path / "templates")
    if with_snippets:
        for lang in ("en", "zh"):
            shutil.copy(EXAMPLE / f"date_in_future.{lang}.txt", tmp_path / "templates" / "reasons")
    return Templates(tmp_path / "templates")


def _review_reply(templates: Templates) -> str:
    late = context(msg=message(date="2024-03-10T09:00:00+08:00"))
    judgement = decide(late, RULES)
    ctx = applicant_context(
        _settings(),
        case_id=7,
        sender="zhangsan@ustc.edu.cn",
        decision=judgement.decision,
        reasons=judgement.reasons,
        rule_results=judgement.as_dict()["rules"],  # type: ignore[arg-type]
    )
    return templates.render("applicant.review", ctx).body


def test_the_review_reply_says_what_the_snippets_say(tmp_path: Path) -> None:
    body = _review_reply(_templates(tmp_path, with_snippets=True))
    assert "The form is dated 2024-03-15, after the day it was sent (2024-03-10)." in body
    assert "表格日期（2024-03-15）晚于发送日期（2024-03-10）" in body


def test_a_rule_without_its_snippets_is_a_template_error(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match=r"reasons/date_in_future\.en\.txt"):
        _review_reply(_templates(tmp_path, with_snippets=False))
