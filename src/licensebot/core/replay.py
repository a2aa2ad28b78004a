"""The decision diff of a replay: what the rules decided then and what they decide now for the
same message, the rule facts that differ, and the counts by change. Plain data; the CLI renders
it (table, JSON, CSV)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

#: How a message that was not judged before (a folder's message the desk never recorded)
#: shows on the old side.
NOT_RECORDED = "-"


@dataclass(frozen=True, slots=True)
class Judged:
    """One side of the comparison: the decision, its reasons and every rule's result as
    recorded (`rule`, `hit`, `facts`, `skipped`)."""

    decision: str
    reasons: tuple[str, ...] = ()
    rules: Sequence[Mapping[str, Any]] = ()

    @classmethod
    def not_recorded(cls) -> Judged:
        return cls(NOT_RECORDED)


@dataclass(frozen=True, slots=True)
class FactChange:
    """One rule fact (or the rule's hit, key `hit`) that reads differently now."""

    rule: str
    key: str
    old: Any
    new: Any


@dataclass(frozen=True, slots=True)
class Replayed:
    """One message judged again: where it came from and both sides."""

    ref: str  # "inbound 12" or "folder INBOX uid 7": how the report names the message
    case: int | None  # the application it belongs to, if recorded
    received_at: str  # ISO, or ""
    old: Judged
    new: Judged
    current: str | None = None  # the case's decision now (a maintainer's, if they decided)


@dataclass(frozen=True, slots=True)
class Change:
    ref: str
    case: int | None
    received_at: str
    old_decision: str
    new_decision: str
    old_reasons: tuple[str, ...]
    new_reasons: tuple[str, ...]
    facts: tuple[FactChange, ...]
    current: str | None = None

    @property
    def label(self) -> str:
        """The change as counted: `approve -> reject`, or `reject (reasons)` when only the
        reasons moved."""
        if self.old_decision != self.new_decision:
            return f"{self.old_decision} -> {self.new_decision}"
        return f"{self.old_decision} (reasons)"

    @property
    def added(self) -> tuple[str, ...]:
        return tuple(r for r in self.new_reasons if r not in self.old_reasons)

    @property
    def removed(self) -> tuple[str, ...]:
        return tuple(r for r in self.old_reasons if r not in self.new_reasons)


@dataclass(frozen=True, slots=True)
class Skipped:
    """A message that could not be judged again, and why (its raw mail was purged, ...)."""

    ref: str
    case: int | None
    why: str


@dataclass(frozen=True, slots=True)
class ReplayReport:
    examined: int
    changes: tuple[Change, ...]
    skipped: tuple[Skipped, ...] = ()
    counts: Mapping[str, int] = field(default_factory=dict)  # change label -> messages

    @property
    def unchanged(self) -> int:
        return self.examined - len(self.changes) - len(self.skipped)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (`licensebot replay --json`)."""
        return {
            "examined": self.examined,
            "unchanged": self.unchanged,
            "changed": len(self.changes),
            "skipped": len(self.skipped),
            "counts": dict(self.counts),
            "changes": [
                {
                    "ref": c.ref,
                    "case": c.case,
                    "received_at": c.received_at,
                    "change": c.label,
                    "old": {"decision": c.old_decision, "reasons": list(c.old_reasons)},
                    "new": {"decision": c.new_decision, "reasons": list(c.new_reasons)},
                    "current": c.current,
                    "facts": [
                        {"rule": f.rule, "fact": f.key, "old": f.old, "new": f.new} for f in c.facts
                    ],
                }
                for c in self.changes
            ],
            "skipped_messages": [
                {"ref": s.ref, "case": s.case, "why": s.why} for s in self.skipped
            ],
        }


def _plain(value: Any) -> Any:
    """Facts compare as stored: a tuple read now equals the list stored then."""
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


def _by_rule(rules: Iterable[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    return {str(r.get("rule")): r for r in rules if r.get("rule")}


def fact_changes(
    old: Sequence[Mapping[str, Any]], new: Sequence[Mapping[str, Any]]
) -> tuple[FactChange, ...]:
    """Every rule whose hit or facts read differently, fact by fact, in the order the rules
    run now (then rules that no longer run)."""
    before, after = _by_rule(old), _by_rule(new)
    out: list[FactChange] = []
    for name in [*after, *(n for n in before if n not in after)]:
        a, b = before.get(name, {}), after.get(name, {})
        if bool(a.get("hit")) != bool(b.get("hit")):
            out.append(FactChange(name, "hit", a.get("hit"), b.get("hit")))
        fa, fb = dict(a.get("facts") or {}), dict(b.get("facts") or {})
        for key in [*fb, *(k for k in fa if k not in fb)]:
            va, vb = _plain(fa.get(key)), _plain(fb.get(key))
            if va != vb:
                out.append(FactChange(name, key, va, vb))
    return tuple(out)


def compare(item: Replayed) -> Change | None:
    """The change for one message, or None when decision and reasons are the same."""
    old, new = item.old, item.new
    if old.decision == new.decision and set(old.reasons) == set(new.reasons):
        return None
    return Change(
        ref=item.ref,
        case=item.case,
        received_at=item.received_at,
        old_decision=old.decision,
        new_decision=new.decision,
        old_reasons=tuple(old.reasons),
        new_reasons=tuple(new.reasons),
        facts=fact_changes(old.rules, new.rules),
        current=item.current,
    )


def report(items: Iterable[Replayed | Skipped]) -> ReplayReport:
    """The report over every message examined, changes in the order they came."""
    examined = 0
    changes: list[Change] = []
    skipped: list[Skipped] = []
    for item in items:
        examined += 1
        if isinstance(item, Skipped):
            skipped.append(item)
            continue
        change = compare(item)
        if change is not None:
            changes.append(change)
    counts = Counter(c.label for c in changes)
    return ReplayReport(
        examined=examined,
        changes=tuple(changes),
        skipped=tuple(skipped),
        counts=dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))),
    )
