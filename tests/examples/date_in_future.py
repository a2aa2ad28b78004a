"""The worked example of docs/architecture.md, "How to add a rule", kept true by
tests/unit/test_add_a_rule.py: the block between the `docs:` markers stands in the docs to the
letter, and the test runs it through the real decision and the real templates.

A real rule adds its code to `Reason` in `core/reasons.py`; a test cannot add a member to that
enum, so this file uses `Reason` with the example's code added (`EXAMPLE_REASONS`).
"""

from __future__ import annotations

from enum import StrEnum

from licensebot.core import reasons as contract
from licensebot.core.reasons import Severity
from licensebot.core.rules import CheckContext, Needs, RuleResult, _Base, _form, declared

#: `core.reasons.Reason` with the line the docs add: DATE_IN_FUTURE = "date_in_future".
EXAMPLE_REASONS = StrEnum(  # type: ignore[misc]
    "Reason",
    [*((r.name, r.value) for r in contract.Reason), ("DATE_IN_FUTURE", "date_in_future")],
)
Reason = EXAMPLE_REASONS


# docs: rule
@declared
class DateInFuture(_Base):
    description = "The form is dated after the day it was sent."
    needs = Needs.LA  # only an LA has a date to look at
    reason = Reason.DATE_IN_FUTURE
    severity = Severity.SOFT  # a person looks; no `forces`: the weights decide

    def check(self, ctx: CheckContext) -> RuleResult:
        written = _form(ctx).value("date")  # ISO YYYY-MM-DD, or None
        sent = (ctx.message.date or "")[:10]  # the Date header, ISO
        hit = written is not None and bool(sent) and written > sent
        return self._result(hit, date=written, sent=sent or None)


# docs: end
