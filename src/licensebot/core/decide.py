"""The decision: run every rule, then read the outcome off one table.

Which reasons lead to which decision is `OUTCOMES` below, read off each rule's declaration
(its weight and any decision it forces); rules only say what they found.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from licensebot.core.form import VersionStatus
from licensebot.core.message import AuthVerdict
from licensebot.core.reasons import Decision, Reason, Severity
from licensebot.core.rules import (
    DEFAULT_RULES,
    CheckContext,
    Fact,
    Rule,
    RuleResult,
    facts_of,
    listed,
    run_rule,
    shown,
)


@dataclass(frozen=True, slots=True)
class Outcome:
    """One row of the table: when `applies` to the set of reasons found, the decision."""

    name: str
    applies: Callable[[frozenset[Reason]], bool]
    decision: Decision


def weights(rules: Sequence[Rule] = DEFAULT_RULES) -> dict[Reason, Severity]:
    """Each reason's declared weight (`rules` first, then the declared ones)."""
    return {r.reason: r.severity for r in (*DEFAULT_RULES, *rules)}


def outcomes(rules: Sequence[Rule] = DEFAULT_RULES) -> tuple[Outcome, ...]:
    """The contract's precedence, first matching row wins: ignored, then any decision a reason
    forces (`sender_unverified`: a person looks first), then the weights, else approve. Read off
    the rules' declarations (`rules` plus the declared ones: the approval guard's `unreadable`
    weighs what it is declared to weigh)."""
    weight = weights(rules)

    def any_of(severity: Severity) -> Callable[[frozenset[Reason]], bool]:
        return lambda reasons: any(weight[r] is severity for r in reasons)

    def has(reason: Reason) -> Callable[[frozenset[Reason]], bool]:
        return lambda reasons: reason in reasons

    forcing = {r.reason: r.forces for r in rules if r.forces is not None}
    return (
        Outcome("ignored", any_of(Severity.IGNORE), Decision.IGNORE),
        *(Outcome(r.value.replace("_", " "), has(r), d) for r, d in forcing.items()),
        Outcome("hard reason", any_of(Severity.HARD), Decision.REJECT),
        Outcome("soft reason", any_of(Severity.SOFT), Decision.REVIEW),
        Outcome("all checks pass", lambda reasons: True, Decision.APPROVE),
    )


OUTCOMES: tuple[Outcome, ...] = outcomes()


def outcome_for(reasons: Iterable[Reason], table: Sequence[Outcome] = OUTCOMES) -> Outcome:
    found = frozenset(reasons)
    return next(row for row in table if row.applies(found))


@dataclass(frozen=True, slots=True)
class Judgement:
    decision: Decision
    reasons: tuple[Reason, ...]  # in the contract's order, no duplicates
    results: tuple[RuleResult, ...]  # every rule, hit or miss, in the order they ran
    outcome: str  # the row of OUTCOMES that decided

    @property
    def hits(self) -> tuple[RuleResult, ...]:
        return tuple(r for r in self.results if r.hit)

    def as_dict(self) -> dict[str, object]:
        """Plain JSON-ready data, for the event log and `licensebot explain --json`."""
        return {
            "decision": self.decision.value,
            "reasons": [r.value for r in self.reasons],
            "outcome": self.outcome,
            "rules": [
                {
                    "rule": r.rule,
                    "hit": r.hit,
                    "reasons": [x.value for x in r.reasons],
                    "facts": {
                        k: list(v) if isinstance(v, tuple) else v for k, v in r.facts.items()
                    },
                    "skipped": r.skipped,
                }
                for r in self.results
            ],
        }

    def explain(self) -> list[str]:
        """One line per rule, hits first: `HIT  free_email  domain=gmail.com list=...`."""
        ordered = sorted(self.results, key=lambda r: not r.hit)
        lines = [f"decision: {self.decision.value} ({self.outcome})"]
        for r in ordered:
            mark = "HIT " if r.hit else ("skip" if r.skipped else "miss")
            detail = r.skipped or " ".join(f"{k}={shown(v)}" for k, v in r.facts.items())
            lines.append(f"{mark}  {r.rule:<20}  {detail}".rstrip())
        return lines


APPROVAL_GUARD = "approval_guard"


def _unknowns(ctx: CheckContext) -> list[str]:
    """What an approval would be guessing about; empty when every fact is known and good."""
    form = ctx.form
    if not ctx.message.pdfs:
        return ["pdf"]
    if form is None:
        return ["form"]
    if form.error is not None:
        return [f"error:{form.error}"]
    missing = [
        name
        for name in ctx.settings.required_fields
        if (fv := form.fields.get(name)) is None or fv.value is None
    ]
    if form.signed is not True:
        missing.append("signed")
    if form.version_state is not VersionStatus.MATCH or form.form_version != ctx.current_version:
        missing.append("form_version")
    if not form.scanned:
        missing.append("scanned")
    if ctx.message.from_address is None:
        missing.append("sender")
    if ctx.message.auth is AuthVerdict.FAIL:
        missing.append("auth")
    return missing


def _guard(ctx: CheckContext, would_approve: bool) -> RuleResult:
    """Never approve on a guess, even with a rule list that forgot a check."""
    if not would_approve:
        return RuleResult(APPROVAL_GUARD, False, (), facts_of(), "not approving")
    unknown = _unknowns(ctx)
    facts: dict[str, Fact] = {"unknown": listed(unknown)}
    return RuleResult(
        APPROVAL_GUARD, bool(unknown), (Reason.UNREADABLE,) if unknown else (), facts_of(**facts)
    )


def decide(ctx: CheckContext, rules: Sequence[Rule] = DEFAULT_RULES) -> Judgement:
    """Judge one message: every rule's result, the reasons, and the decision."""
    table = OUTCOMES if rules is DEFAULT_RULES else outcomes(rules)
    results = [run_rule(rule, ctx) for rule in rules]
    reasons = {reason for result in results for reason in result.reasons}
    outcome = outcome_for(reasons, table)
    guard = _guard(ctx, outcome.decision is Decision.APPROVE)
    results.append(guard)
    if guard.hit:
        reasons.update(guard.reasons)
        outcome = outcome_for(reasons, table)
    if outcome.decision is Decision.IGNORE:
        # A message that gets no reply is not an application: what else the rules found
        # (e.g. no attachment in an out-of-office reply) stays in `results`, not in `reasons`.
        weight = weights(rules)
        reasons = {r for r in reasons if weight[r] is Severity.IGNORE}
    return Judgement(outcome.decision, _in_order(reasons, rules), tuple(results), outcome.name)


def _in_order(reasons: Iterable[Reason], rules: Sequence[Rule]) -> tuple[Reason, ...]:
    """The reasons in the order of `rules`, then the declared ones' (the contract's order:
    `DEFAULT_RULES` follows `Reason`), without duplicates."""
    place: dict[Reason, int] = {}
    for i, rule in enumerate((*rules, *DEFAULT_RULES)):
        place.setdefault(rule.reason, i)
    return tuple(sorted(set(reasons), key=place.__getitem__))
