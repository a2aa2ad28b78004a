"""Who may continue a case: the rule a rejection's closing words promise and the intake keeps.

A message continues a case when it threads to one of our replies (In-Reply-To / References) or
carries the case tag in its subject. It then joins the case, and is judged afresh, when it comes
from an address the case's last reply asked for (`resend_from`):

- the case's own sender, always (as before: a reply in one's own thread);
- after a rejection, also the work email written on the form (`sender_mismatch` asks for
  exactly that address), and, when the signer was a student (`student_signer`), any address at
  the institutional domain of the case (the supervisor's), never a webmail domain;

and, for any address other than the case's sender, only when the receiving server's trusted
Authentication-Results say the sender's domain passed (a From header alone is easy to forge).
Anything else opens a case of its own. The rejection's template renders `Resend` itself, so the
text and the code cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from licensebot.core.domains import domain_of
from licensebot.core.message import AuthVerdict
from licensebot.core.reasons import Decision, Reason


@dataclass(frozen=True, slots=True)
class Resend:
    """The addresses a case's last reply asked a corrected application to come from."""

    sender: str  # the case's sender, lower-case ("" when it had none)
    addresses: tuple[str, ...] = ()  # other exact addresses (the form's work email)
    domains: tuple[str, ...] = ()  # any address at these domains or below (a supervisor's)


class Join(StrEnum):
    """How a message that continues a case is treated."""

    SAME_SENDER = "same_sender"  # the case's sender: joins
    ASKED_FOR = "asked_for"  # an address the reply asked for, authenticated: joins
    UNVERIFIED = "unverified"  # an asked-for address, but not authenticated: a new case
    STRANGER = "stranger"  # any other address: a new case

    @property
    def joins(self) -> bool:
        return self in (Join.SAME_SENDER, Join.ASKED_FOR)


def resend_from(
    *,
    sender: str | None,
    decision: Decision,
    reasons: Iterable[str],
    fields: Mapping[str, Any],
    institutional: Callable[[str], bool],
) -> Resend:
    """Whom a case's latest decision asks for a corrected application. `institutional` says
    whether a domain is an institution's (not webmail, not disposable, not denied)."""
    own = (sender or "").strip().lower()
    if decision is not Decision.REJECT:
        return Resend(own)
    found = {str(r) for r in reasons}
    addresses: list[str] = []
    work = str(fields.get("work_email") or "").strip().lower()
    if domain_of(work) and work != own and " " not in work:
        addresses.append(work)
    domains: list[str] = []
    if Reason.STUDENT_SIGNER.value in found:
        for addr in (work, own):
            d = domain_of(addr)
            if d and institutional(d) and d not in domains:
                domains.append(d)
    return Resend(own, tuple(addresses), tuple(domains))


def join(resend: Resend, *, sender: str | None, auth: AuthVerdict) -> Join:
    """Whether a message from `sender` that continues the case joins it."""
    addr = (sender or "").strip().lower()
    if not addr:
        return Join.STRANGER
    if addr == resend.sender:
        return Join.SAME_SENDER
    d = domain_of(addr) or ""
    asked = addr in resend.addresses or any(d == x or d.endswith("." + x) for x in resend.domains)
    if not asked:
        return Join.STRANGER
    return Join.ASKED_FOR if auth is AuthVerdict.PASS else Join.UNVERIFIED
