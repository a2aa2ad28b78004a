"""Recording a decision, the rules' or a maintainer's: its row with every rule's result and its
`decision.made` event, in the caller's transaction."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from licensebot.store.models import DecisionRecord, Event


def record_decision(
    s: Session, record: DecisionRecord, *, evidence: dict[str, Any], actor: str = "licensebot"
) -> DecisionRecord:
    """Add `record` and its event; the event says the decision, then `evidence`, with the
    record's id as `decision_id` where `evidence` places it (or last)."""
    s.add(record)
    s.flush()  # the event names the record
    data = {"decision": record.decision.value, **evidence}
    data["decision_id"] = record.id
    s.add(Event(kind="decision.made", actor=actor, application_id=record.application_id, data=data))
    return record
