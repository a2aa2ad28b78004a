"""Review by a person: approve, reject, note and status, by email reply or from the CLI.

Every command goes through `Review.apply`, inside the caller's transaction: a new decision row,
the application's decision, an event naming who did it and on what evidence, the licensee on
approval, and the applicant's notice queued in the outbox. `ReviewRoute` is the email side: it
claims messages from a maintainer address that contain command lines, and acts only when the
trusted Authentication-Results say the sender's domain passed (anything else is recorded as
`command.ignored` and gets no reply).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from licensebot.config import Settings
from licensebot.core.commands import Command, Parsed, Verb, needs_force, parse_commands
from licensebot.core.message import AuthVerdict, IncomingMessage
from licensebot.core.reasons import Decision
from licensebot.core.resend import resend_from
from licensebot.core.retention import without_addresses
from licensebot.mail.compose import header_text, reply_subject
from licensebot.mail.templates import Templates
from licensebot.store.decisions import record_decision
from licensebot.store.models import (
    Application,
    DecisionRecord,
    Event,
    InboundMessage,
    InboundState,
    Licensee,
    utcnow,
)
from licensebot.worker.replies import ReplyWriter

log = structlog.get_logger("licensebot.review")

DONE, UNCHANGED, ERROR = "done", "unchanged", "error"


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one command did, for the confirmation and the CLI."""

    line: str
    status: str  # done | unchanged | error
    text: str
    case_id: int | None = None


@dataclass(frozen=True, slots=True)
class CaseView:
    """One case as a person reviews it."""

    application: Application
    decisions: list[DecisionRecord]
    events: list[Event]
    licensees: list[Licensee]

    @property
    def latest(self) -> DecisionRecord | None:
        return self.decisions[-1] if self.decisions else None

    @property
    def notes(self) -> list[Event]:
        return [e for e in self.events if e.kind == "case.note"]


@dataclass
class Review:
    settings: Settings
    engine: Engine
    replies: ReplyWriter
    templates: Templates

    # -- one command, in the caller's transaction ---------------------------------------------

    def apply(
        self, s: Session, cmd: Command, *, actor: str, evidence: Mapping[str, Any]
    ) -> Outcome:
        app = _locked(s, cmd.case_id)
        if app is None:
            return Outcome(cmd.line, ERROR, f"there is no case {cmd.case_id}", cmd.case_id)
        if cmd.verb is Verb.STATUS:
            return Outcome(cmd.line, DONE, self._status(s, app), cmd.case_id)
        if cmd.verb is Verb.NOTE:
            s.add(
                Event(
                    kind="case.note",
                    actor=actor,
                    application_id=app.id,
                    data={"text": cmd.text, **evidence},
                )
            )
            return Outcome(cmd.line, DONE, f"note added to case {app.id}", cmd.case_id)
        return self._decide(s, app, cmd, actor=actor, evidence=evidence)

    def run(self, cmd: Command, *, actor: str) -> Outcome:
        """One command in its own transaction (the CLI)."""
        with Session(self.engine) as s:
            outcome = self.apply(s, cmd, actor=actor, evidence={"via": "cli"})
            s.commit()
        log.info("review.command", actor=actor, line=cmd.line, status=outcome.status)
        return outcome

    def _decide(
        self, s: Session, app: Application, cmd: Command, *, actor: str, evidence: Mapping[str, Any]
    ) -> Outcome:
        app_id = app.id or 0
        decision = Decision.APPROVE if cmd.verb is Verb.APPROVE else Decision.REJECT
        if app.decision == decision:
            return Outcome(
                cmd.line, UNCHANGED, f"case {app_id} is already {_past(decision)}", app_id
            )
        if app.decision is Decision.APPROVE:
            return Outcome(
                cmd.line,
                ERROR,
                f"case {app_id} is approved and its licence is active: a review command does "
                "not void a licence",
                app_id,
            )
        latest = _latest_decision(s, app_id)
        fields = dict(latest.fields) if latest else {}
        previous = app.decision
        # The rules' latest judgement counts, not a maintainer's rejection on top of it (a
        # `reject` first must not turn a hard rejection into one an `approve` overturns).
        judged = _latest_decision(s, app_id, by="rules")
        overturned = (
            needs_force(app.decision, judged.reasons if judged else ())
            if decision is Decision.APPROVE
            else ()
        )
        if overturned and not cmd.force:
            hard = ", ".join(overturned)
            return Outcome(
                cmd.line,
                ERROR,
                f"case {app_id} was rejected for {hard} (hard): to approve it anyway, "
                + (
                    f'run `licensebot review approve {app_id} --force --why "<why>"`'
                    if evidence.get("via") == "cli"
                    else f"send `approve {app_id} force <why>`"
                ),
                app_id,
            )
        facts: dict[str, Any] = {"by": actor, "command": cmd.line, "reason": cmd.text}
        if overturned:
            facts["overturned"] = [r.value for r in overturned]
        record = DecisionRecord(
            application_id=app_id,
            decision=decision,
            reasons=[],
            rule_results=[{"rule": "maintainer", "hit": True, "facts": facts}],
            fields=fields,
            decided_by=actor,
        )
        app.decision = decision
        app.updated_at = utcnow()
        s.add(app)
        record_decision(
            s,
            record,
            actor=actor,
            evidence={
                "previous": previous.value,
                "reason": cmd.text,
                "command": cmd.line,
                "decision_id": None,
                **evidence,
            },
        )
        if overturned:
            s.add(
                Event(
                    kind="decision.overturned",
                    actor=actor,
                    application_id=app_id,
                    data={
                        "overturned": [r.value for r in overturned],
                        "why": cmd.text,
                        "command": cmd.line,
                        **evidence,
                    },
                )
            )
        done = [
            f"case {app_id} {_past(decision)} (was {previous}"
            + (f"; overturning {', '.join(overturned)}" if overturned else "")
            + ")"
        ]
        if decision is Decision.APPROVE and _licensee_for(s, app_id) is None:
            licensee = Licensee.from_fields(
                application_id=app_id,
                sender=app.sender or "",
                fields=dict(fields),
                la_version=_form_version(fields, latest),
            )
            s.add(licensee)
            s.flush()
            s.add(
                Event(
                    kind="licensee.created",
                    actor=actor,
                    application_id=app_id,
                    data={"licensee_id": licensee.id},
                )
            )
            done.append(f"licensee {licensee.id} recorded")
        if app.sender:
            self._notify(s, app, decision, fields, cmd.text, key=f"decision:{app_id}:{record.id}")
            done.append(f"{app.sender} notified")
        else:
            done.append("the applicant has no usable address: not notified")
        return Outcome(cmd.line, DONE, "; ".join(done), app_id)

    def _notify(
        self,
        s: Session,
        app: Application,
        decision: Decision,
        fields: Mapping[str, Any],
        reason: str,
        *,
        key: str,
    ) -> None:
        app_id = app.id or 0
        kind = "applicant.approved" if decision is Decision.APPROVE else "applicant.rejected"
        context = self.replies.context(
            case_id=app_id,
            sender=app.sender or "",
            decision=decision,
            reasons=[],
            fields=fields,
            maintainer_reason=reason if decision is Decision.REJECT else "",
            resend=resend_from(
                sender=app.sender,
                decision=decision,
                reasons=(),  # a maintainer's decision records no rule's reasons
                fields=fields,
                institutional=lambda domain: False,
            ),
        )
        attachments = tuple(self.replies.attachments_for(kind))
        context["attached"] = [a.filename for a in attachments]
        rendered = self.templates.render(kind, context)
        tag = self.settings.dataset.case_tag
        self.replies.queue_rendered(
            s,
            kind=kind,
            recipient=app.sender or "",
            subject=reply_subject(app.subject, case_tag=tag, case_id=app_id),
            body=rendered.body,
            key=key,
            application_id=app_id,
            in_reply_to=app.message_id,
            references=(),
            attachments=attachments,
        )

    def _status(self, s: Session, app: Application) -> str:
        latest = _latest_decision(s, app.id or 0)
        reasons = ", ".join(latest.reasons) if latest and latest.reasons else "none"
        by = latest.decided_by if latest else "?"
        signer = (latest.fields.get("signer_name") if latest else None) or "?"
        return (
            f"case {app.id}: {app.decision} (by {by}; reasons: {reasons}); "
            f"from {app.sender or '?'}, received {_day(app.created_at)}; signer {signer}"
        )

    # -- reading ------------------------------------------------------------------------------

    def queue(self) -> list[tuple[Application, DecisionRecord | None]]:
        """The review queue, oldest first, each with its latest decision."""
        with Session(self.engine) as s:
            apps = s.exec(
                select(Application)
                .where(Application.decision == Decision.REVIEW)
                .order_by(col(Application.created_at), col(Application.id))
            ).all()
            latest = latest_decisions(s, [a.id or 0 for a in apps])
            return [(a, latest.get(a.id or 0)) for a in apps]

    def show(self, case_id: int) -> CaseView | None:
        with Session(self.engine) as s:
            app = s.get(Application, case_id)
            if app is None:
                return None
            decisions = list(
                s.exec(
                    select(DecisionRecord)
                    .where(DecisionRecord.application_id == case_id)
                    .order_by(col(DecisionRecord.id))
                ).all()
            )
            events = list(
                s.exec(
                    select(Event).where(Event.application_id == case_id).order_by(col(Event.id))
                ).all()
            )
            licensees = list(
                s.exec(select(Licensee).where(Licensee.application_id == case_id)).all()
            )
            return CaseView(app, decisions, events, licensees)


def _form_version(fields: Mapping[str, Any], latest: DecisionRecord | None) -> str:
    if fields.get("form_version"):
        return str(fields["form_version"])
    for result in latest.rule_results if latest else []:
        facts = result.get("facts") or {}
        if isinstance(facts, Mapping) and facts.get("form_version"):
            return str(facts["form_version"])
    return ""


def latest_decisions(s: Session, app_ids: Sequence[int]) -> dict[int, DecisionRecord]:
    out: dict[int, DecisionRecord] = {}
    for start in range(0, len(app_ids), 500):
        chunk = list(app_ids[start : start + 500])
        rows = s.exec(
            select(DecisionRecord)
            .where(col(DecisionRecord.application_id).in_(chunk))
            .order_by(col(DecisionRecord.id))
        ).all()
        for r in rows:
            out[r.application_id] = r
    return out


def _latest_decision(s: Session, app_id: int, *, by: str | None = None) -> DecisionRecord | None:
    query = select(DecisionRecord).where(DecisionRecord.application_id == app_id)
    if by is not None:
        query = query.where(DecisionRecord.decided_by == by)
    return s.exec(query.order_by(col(DecisionRecord.id).desc())).first()


def _licensee_for(s: Session, app_id: int) -> Licensee | None:
    return s.exec(select(Licensee).where(Licensee.application_id == app_id)).first()


def _locked(s: Session, case_id: int) -> Application | None:
    # FOR UPDATE on PostgreSQL (two maintainers deciding at once wait for each other); SQLite
    # already holds the write lock from BEGIN IMMEDIATE.
    return s.exec(select(Application).where(Application.id == case_id).with_for_update()).first()


def _past(decision: Decision) -> str:
    return {Decision.APPROVE: "approved", Decision.REJECT: "rejected"}.get(decision, decision)


def _day(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d")


# -- by email ---------------------------------------------------------------------------------


@dataclass
class ReviewRoute:
    """Claims a maintainer's message with command lines; see the module docstring."""

    review: Review
    name: str = "review"
    maintainers: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        self.maintainers = frozenset(a.lower() for a in self.review.settings.maintainers.addresses)

    def claims(self, msg: IncomingMessage) -> bool:
        if not msg.from_address or msg.from_address.lower() not in self.maintainers:
            return False
        if _machine_sent(msg):
            return False  # the bot's own digest landing in a maintainer's (= its own) inbox
        return parse_commands(msg.text).any

    def handle(self, inbound_id: int, msg: IncomingMessage) -> tuple[str, int | None]:
        parsed = parse_commands(msg.text)
        sender = (msg.from_address or "").lower()
        untrusted = _untrusted(msg)
        with Session(self.review.engine) as s:
            row = s.get(InboundMessage, inbound_id)
            assert row is not None
            row.from_address = msg.from_address
            row.subject = msg.subject[:500]
            row.state = InboundState.PROCESSED
            s.add(row)
            if untrusted:
                s.add(
                    Event(
                        kind="command.ignored",
                        actor=sender,  # a maintainer's address (forged or not)
                        data={
                            "why": untrusted,
                            "inbound_id": inbound_id,  # the message row says who and what
                            "message_id": msg.message_id,
                            "auth": msg.auth.value,
                            "auth_reason": without_addresses(msg.auth_reason or ""),
                            "auth_evidence": without_addresses(msg.auth_evidence[:500]),
                            "commands": len(parsed.commands),
                        },
                    )
                )
                s.commit()
                log.warning("command.ignored", sender=sender, inbound_id=inbound_id, why=untrusted)
                return InboundState.PROCESSED, None
            evidence = {
                "inbound_id": inbound_id,
                "message_id": msg.message_id,
                "auth": msg.auth_reason or msg.auth_evidence[:300],
            }
            outcomes = [
                self.review.apply(s, cmd, actor=sender, evidence=evidence)
                for cmd in parsed.commands
            ]
            outcomes += [Outcome(u.line, ERROR, u.why) for u in parsed.unusable]
            self._confirm(s, inbound_id, msg, parsed, outcomes)
            s.commit()
        for o in outcomes:
            log.info("review.command", actor=sender, line=o.line, status=o.status)
        return InboundState.PROCESSED, None

    def _confirm(
        self,
        s: Session,
        inbound_id: int,
        msg: IncomingMessage,
        parsed: Parsed,
        outcomes: Sequence[Outcome],
    ) -> None:
        review = self.review
        context = review_result_context(review.settings.dataset.name, msg.subject, outcomes)
        rendered = review.templates.render_one("maintainer.review_result.txt", context)
        review.replies.queue_rendered(
            s,
            kind="maintainer.review_result",
            recipient=msg.from_address or "",
            subject=rendered.subject or f"Re: {header_text(msg.subject)}",
            body=rendered.body,
            key=f"review:{inbound_id}",
            application_id=None,
            in_reply_to=msg.message_id,
            references=msg.references,
        )


def review_result_context(
    dataset: str, subject: str, outcomes: Sequence[Outcome]
) -> dict[str, Any]:
    return {
        "dataset": dataset,
        "subject": header_text(subject),
        "results": [{"line": o.line, "status": o.status, "text": o.text} for o in outcomes],
        "done": sum(o.status == DONE for o in outcomes),
        "not_done": sum(o.status != DONE for o in outcomes),
    }


def review_result_sample() -> dict[str, Any]:
    return review_result_context(
        "DFME",
        "Re: [DFME licensebot] digest",
        [
            Outcome("approve 42", DONE, "case 42 approved (was review)", 42),
            Outcome("reject 7", ERROR, "`reject 7` needs a reason for the applicant"),
        ],
    )


def _machine_sent(msg: IncomingMessage) -> bool:
    """Auto signals other than "sent from one of our own addresses" (maintainers may share the
    bot's addresses; the loop header and Auto-Submitted still tell the bot's own mail)."""
    return any(
        not (sig.header == "From" and sig.value.startswith("own address"))
        for sig in msg.auto_signals
    )


def _untrusted(msg: IncomingMessage) -> str:
    """Why a maintainer's commands cannot be believed; "" when they can."""
    if msg.from_defects:
        return "the From header is doubtful: " + "; ".join(msg.from_defects)[:200]
    if msg.auth is not AuthVerdict.PASS:
        return (
            f"sender not authenticated ({msg.auth.value}): "
            + (msg.auth_reason or msg.auth_evidence or "no trusted Authentication-Results")[:200]
        )
    return ""
