"""The opt-out route: a licensee's answer to an LA change notice that says OPT OUT voids the
licence, records the evidence and confirms in the same thread."""

from __future__ import annotations

from dataclasses import dataclass

import structlog
from sqlmodel import Session

from licensebot.core.message import IncomingMessage
from licensebot.core.opt_out import own_text, says_opt_out
from licensebot.store.models import (
    Event,
    InboundMessage,
    InboundState,
    LicenceState,
    Licensee,
    NoticeState,
    utcnow,
)
from licensebot.worker.la import LaDesk
from licensebot.worker.replies import ReplyPlan

log = structlog.get_logger("licensebot.la")

CONFIRM_KIND = "licensee.opt_out_confirmed"


@dataclass
class OptOutRoute:
    """A licensee's answer to a change notice that says OPT OUT: the licence is void, the
    evidence recorded, the opt-out confirmed in the same thread."""

    desk: LaDesk
    name: str = "la.opt_out"

    def claims(self, msg: IncomingMessage) -> bool:
        if msg.is_auto_generated or not says_opt_out(msg.text, msg.subject):
            return False
        with Session(self.desk.engine) as s:
            notice = self.desk.notice_for(s, msg)
        if notice is None:
            return False
        threaded = notice.message_id in (msg.in_reply_to, *msg.references)
        # Outside the thread the From address is all there is: not when it failed DMARC.
        return threaded or msg.auth != "fail"

    def handle(self, inbound_id: int, msg: IncomingMessage) -> tuple[str, int | None]:
        settings = self.desk.settings
        with Session(self.desk.engine) as s:
            notice = self.desk.notice_for(s, msg)
            inbound = s.get(InboundMessage, inbound_id)
            assert notice is not None and inbound is not None
            lic = s.get(Licensee, notice.licensee_id)
            assert lic is not None
            evidence = {
                "inbound_id": inbound_id,
                "message_id": msg.message_id,
                # who wrote and what: the message row and the notice (its detail) say so
                "auth": str(msg.auth),
                "threaded": notice.message_id in (msg.in_reply_to, *msg.references),
                "notice_id": notice.id,
                "version": notice.version_id,
            }
            if lic.state is LicenceState.ACTIVE:
                lic.state = LicenceState.VOIDED
                lic.updated_at = utcnow()
                s.add(lic)
                notice.state = NoticeState.OPTED_OUT
                notice.detail = " / ".join(own_text(msg.text)[:2])[:500] or msg.subject[:200]
                notice.updated_at = utcnow()
                s.add(notice)
                s.add(
                    Event(
                        kind="licensee.voided",
                        actor="licensee",
                        application_id=lic.application_id,
                        data={**evidence, "licensee_id": lic.id, "why": "opted out of new LA"},
                    )
                )
                context = {
                    "dataset": settings.dataset.name,
                    "name": lic.name,
                    "version": notice.version_id,
                    "voided_on": utcnow().date().isoformat(),
                }
                self.desk.replies.queue(
                    s,
                    ReplyPlan(CONFIRM_KIND, msg.from_address or lic.email, context),
                    key=f"optout:{lic.id}",
                    application_id=lic.application_id,
                    in_reply_to=msg,
                )
            else:
                s.add(
                    Event(
                        kind="licensee.opt_out_repeated",
                        application_id=lic.application_id,
                        data={**evidence, "licensee_id": lic.id, "state": lic.state},
                    )
                )
            inbound.state = InboundState.PROCESSED
            inbound.from_address = msg.from_address
            inbound.subject = msg.subject[:500]
            inbound.application_id = lic.application_id
            s.add(inbound)
            s.commit()
            log.info("licensee.voided", licensee=lic.id, version=notice.version_id)
            return InboundState.PROCESSED, lic.application_id
