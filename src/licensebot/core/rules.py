"""The checks: one small rule per reason code, each returning a typed `RuleResult`.

A rule is the one declaration of its reason: the code it reports, how much the code weighs
(`severity`), the decision it forces ahead of the weights (`forces`, rare), what it needs and
its check. `@declared` registers it; `DEFAULT_RULES` is every declared rule in the contract's
order, and the decision (`core.decide`), the templates check and the tests read them from there.

A rule states what it needs (`Needs`): a rule about the form does not run when there is no
form, so a message without a PDF gets `no_attachment` alone, and a PDF that is not an LA gets
`not_la` plus the sender's reasons, not a list of "missing" fields of a document that was
never the form. Every skipped rule is still recorded, as a miss that says why.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import ClassVar, Protocol, TypeVar

from licensebot.core.affiliation import match_affiliation
from licensebot.core.domains import DomainKind, DomainKnowledge, domain_of
from licensebot.core.form import TEXT_FIELDS, ReadForm, VersionStatus
from licensebot.core.message import Attachment, AuthVerdict, IncomingMessage
from licensebot.core.names import FUZZY_MIN_SCORE, parse_la_filename, same_person
from licensebot.core.reasons import Decision, Reason, Severity
from licensebot.core.titles import TitleKind, classify_title

#: What a rule saw: a value, or a list of names (fields, clauses), never a joined string.
Fact = str | int | float | bool | tuple[str, ...] | None
Facts = Mapping[str, Fact]


@dataclass(frozen=True, slots=True)
class CheckSettings:
    """The knobs of the checks, from configuration."""

    filename_prefix: str = "DFME_License_Agreement_"
    #: Fuzzy name matching (one typo in a long western name) needs at least this similarity.
    name_min_score: float = FUZZY_MIN_SCORE
    #: The bot's own mailboxes: a message from one of them is a loop, never answered.
    own_addresses: frozenset[str] = frozenset()
    required_fields: tuple[str, ...] = TEXT_FIELDS


@dataclass(frozen=True, slots=True)
class CheckContext:
    """Everything a rule may look at. Built by the caller; rules only read it."""

    message: IncomingMessage
    form: ReadForm | None  # None when no PDF was read
    domains: DomainKnowledge
    current_version: str  # the id of the LA version applicants must sign now
    filename: str | None = None  # the chosen PDF's name; None means the first PDF's
    settings: CheckSettings = field(default_factory=CheckSettings)

    @property
    def attachment_name(self) -> str | None:
        if self.filename is not None:
            return self.filename
        pdfs = self.message.pdfs
        return pdfs[0].filename if pdfs else None

    @property
    def chosen_pdf(self) -> Attachment | None:
        """The PDF attachment the form was (or would have been) read from."""
        pdfs = self.message.pdfs
        named = [a for a in pdfs if a.filename == self.attachment_name]
        return next(iter(named or pdfs), None)

    @property
    def sender_domain(self) -> str | None:
        return domain_of(self.message.from_address)


@dataclass(frozen=True, slots=True)
class RuleResult:
    """One rule's verdict and the facts it saw, for replies and `licensebot explain`."""

    rule: str
    hit: bool
    reasons: tuple[Reason, ...]
    facts: Facts
    skipped: str | None = None  # why the rule did not run (then `hit` is False)


def facts_of(**facts: Fact) -> Facts:
    return MappingProxyType(dict(facts))


def listed(names: Iterable[str]) -> tuple[str, ...] | None:
    """A list fact: the names, or None when there are none."""
    return tuple(names) or None


def shown(value: Fact) -> str:
    """A fact as `explain` prints it: a list joined by commas."""
    return ",".join(value) if isinstance(value, tuple) else str(value)


class Needs(StrEnum):
    """What must be there before a rule can say anything."""

    MESSAGE = "message"  # always runs
    PDF = "pdf"  # a PDF is attached
    FORM = "form"  # the PDF was read without error
    LA = "la"  # ...and it is an LA


class Rule(Protocol):
    """What the decision reads from a rule; `_Base` below is how a rule is written."""

    @property
    def name(self) -> str: ...
    @property
    def reason(self) -> Reason: ...
    @property
    def severity(self) -> Severity: ...
    @property
    def forces(self) -> Decision | None: ...
    @property
    def description(self) -> str: ...
    @property
    def needs(self) -> Needs: ...

    def check(self, ctx: CheckContext) -> RuleResult: ...


def _skip_reason(needs: Needs, ctx: CheckContext) -> str | None:
    if needs is Needs.MESSAGE:
        return None
    if not ctx.message.pdfs:
        return "no PDF attached"
    if needs is Needs.PDF:
        return None
    if ctx.form is None:
        return "the PDF was not read"
    if ctx.form.error is not None:
        return f"the PDF could not be read: {ctx.form.error}"
    if needs is Needs.LA and ctx.form.version_state is VersionStatus.NOT_LA:
        return "the PDF is not an LA"
    return None


def run_rule(rule: Rule, ctx: CheckContext) -> RuleResult:
    """The rule's result, or a recorded miss when what it needs is not there."""
    skipped = _skip_reason(rule.needs, ctx)
    if skipped is not None:
        return RuleResult(rule.name, False, (), facts_of(), skipped)
    return rule.check(ctx)


class _Base:
    """A rule: the reason it reports, its weight, and what it needs before it can say anything.
    Its name is its reason's code."""

    reason: ClassVar[Reason]
    severity: ClassVar[Severity]
    #: A decision this reason forces before any weight counts (see `core.decide.outcomes`).
    forces: ClassVar[Decision | None] = None
    description: ClassVar[str]
    needs: ClassVar[Needs]

    @property
    def name(self) -> str:
        return self.reason.value

    def check(self, ctx: CheckContext) -> RuleResult:
        raise NotImplementedError

    def _result(self, hit: bool, **facts: Fact) -> RuleResult:
        return RuleResult(self.name, hit, (self.reason,) if hit else (), facts_of(**facts))


def _form(ctx: CheckContext) -> ReadForm:
    # Only called by rules that need FORM or LA, which `run_rule` guarantees.
    assert ctx.form is not None
    return ctx.form


def normalize_address(address: str) -> str:
    """An email address as people write it on a form, made comparable: full-width `＠`,
    `mailto:`, angle brackets, stray spaces and case removed."""
    a = unicodedata.normalize("NFKC", address).strip().casefold()
    a = a.removeprefix("mailto:")
    return "".join(a.strip("<>()[]\"'").split())


_DECLARED: dict[Reason, Rule] = {}


_R = TypeVar("_R", bound=type["_Base"])


def declared(cls: _R) -> _R:
    """Register `cls` as the one rule of its reason."""
    if cls.reason in _DECLARED:
        raise TypeError(f"two rules declare {cls.reason}: {cls.__name__} and another")
    _DECLARED[cls.reason] = cls()
    return cls


# --- the message -------------------------------------------------------------------------


@declared
class AutoGenerated(_Base):
    description = "The message was sent by a machine (auto-reply, bounce, list) or by the bot."
    needs = Needs.MESSAGE
    reason = Reason.AUTO_GENERATED
    severity = Severity.IGNORE

    def check(self, ctx: CheckContext) -> RuleResult:
        msg = ctx.message
        signals = "; ".join(f"{s.header}: {s.value}" for s in msg.auto_signals)
        own = {normalize_address(a) for a in ctx.settings.own_addresses}
        from_self = msg.from_address is not None and normalize_address(msg.from_address) in own
        null_return_path = msg.return_path == ""
        hit = bool(signals) or from_self or null_return_path
        return self._result(
            hit, signals=signals or None, from_self=from_self, null_return_path=null_return_path
        )


@declared
class SenderUnverified(_Base):
    description = "Our own server's Authentication-Results say the sender's domain failed."
    needs = Needs.MESSAGE
    reason = Reason.SENDER_UNVERIFIED
    severity = Severity.SOFT
    forces = Decision.REVIEW  # review first, whatever else was found: who sent it?

    def check(self, ctx: CheckContext) -> RuleResult:
        msg = ctx.message
        return self._result(
            msg.auth is AuthVerdict.FAIL, auth=msg.auth.value, evidence=msg.auth_evidence
        )


@declared
class NoAttachment(_Base):
    description = "No PDF is attached."
    needs = Needs.MESSAGE
    reason = Reason.NO_ATTACHMENT
    severity = Severity.HARD

    def check(self, ctx: CheckContext) -> RuleResult:
        msg = ctx.message
        others = [a.filename for a in msg.attachments if not a.is_pdf]
        if msg.over_limits is not None:
            # its body was not read: whether a PDF is there is for a person to see
            return self._result(False, pdfs=None, over_limits=msg.over_limits)
        return self._result(
            not msg.pdfs,
            pdfs=len(msg.pdfs),
            other_attachments=", ".join(others) or None,
        )


@declared
class MessageTooComplex(_Base):
    description = "The message is beyond what the bot reads safely; a person reads it."
    needs = Needs.MESSAGE
    reason = Reason.MESSAGE_TOO_COMPLEX
    severity = Severity.SOFT

    def check(self, ctx: CheckContext) -> RuleResult:
        why = ctx.message.over_limits
        return self._result(why is not None, over_limits=why)


def _too_large(ctx: CheckContext) -> str | None:
    """Why the chosen PDF is too large to read (None: it is not)."""
    pdf = ctx.chosen_pdf
    if pdf is not None and pdf.oversized:
        return f"{pdf.size} bytes, over the size cap"
    if ctx.form is not None and ctx.form.error == "too_large":
        return ctx.form.error_detail or "too large"
    return None


@declared
class PdfTooLarge(_Base):
    description = "The PDF is larger than the bot reads (bytes, pixels or memory)."
    needs = Needs.PDF
    reason = Reason.PDF_TOO_LARGE
    severity = Severity.HARD

    def check(self, ctx: CheckContext) -> RuleResult:
        why = _too_large(ctx)
        pdf = ctx.chosen_pdf
        return self._result(why is not None, why=why, size=pdf.size if pdf else None)


class _SenderDomain(_Base):
    """A rule on the kind of the sender's domain (the public lists plus the overrides)."""

    needs = Needs.PDF
    kinds: frozenset[DomainKind] = frozenset()

    def check(self, ctx: CheckContext) -> RuleResult:
        domain = ctx.sender_domain
        if domain is None:
            return self._result(False, domain=None)
        verdict = ctx.domains.classify(domain)
        return self._result(
            verdict.kind in self.kinds,
            domain=domain,
            kind=verdict.kind.value,
            matched=verdict.matched,
            list=verdict.source,
        )


@declared
class FreeEmail(_SenderDomain):
    description = "The sender's address is at a public webmail provider (or a denied domain)."
    reason = Reason.FREE_EMAIL
    severity = Severity.HARD
    kinds = frozenset({DomainKind.FREE, DomainKind.DENIED})


@declared
class DisposableEmail(_SenderDomain):
    description = "The sender's address is at a disposable-address service."
    reason = Reason.DISPOSABLE_EMAIL
    severity = Severity.HARD
    kinds = frozenset({DomainKind.DISPOSABLE})


# --- the PDF -----------------------------------------------------------------------------


@declared
class Unreadable(_Base):
    description = "Something needed to decide could not be read with confidence."
    needs = Needs.PDF
    reason = Reason.UNREADABLE
    severity = Severity.SOFT

    def check(self, ctx: CheckContext) -> RuleResult:
        form = ctx.form
        if _too_large(ctx) is not None:
            return self._result(False, error="too_large")  # `pdf_too_large` says so, with its fix
        if form is None:
            return self._result(True, error="not read")
        if form.error is not None:
            return self._result(True, error=form.error)
        state = form.version_state
        if state is VersionStatus.NOT_LA:
            return self._result(False, is_la=False)
        fields = [
            name
            for name in ctx.settings.required_fields
            if (fv := form.fields.get(name)) is None or fv.unreadable
        ]
        signed_unknown = form.signed is None
        # OUTDATED is known (outdated_form says so), and so is a version surely not the
        # current one; UNSURE is what a person must look at
        version_unknown = (state is VersionStatus.UNSURE and not _not_current(ctx)) or (
            state is VersionStatus.MATCH and form.form_version is None
        )
        hit = bool(fields) or signed_unknown or version_unknown
        corroborated = [
            f"{name}:{fv.corroborated_by}"
            for name, fv in form.fields.items()
            if fv.corroborated_by is not None
        ]
        return self._result(
            hit,
            fields=listed(fields),
            corroborated=listed(corroborated),
            signed_unknown=signed_unknown,
            version_unknown=version_unknown,
        )


@declared
class NotLa(_Base):
    description = "The PDF is not the License Agreement at all."
    needs = Needs.FORM
    reason = Reason.NOT_LA
    severity = Severity.HARD

    def check(self, ctx: CheckContext) -> RuleResult:
        form = _form(ctx)
        # only a document that read well and shares almost nothing with any version: a text
        # that could not be told (a poor photo) is `unreadable`, never "not the LA"
        return self._result(
            form.version_state is VersionStatus.NOT_LA,
            status=form.version_state.value,
            similarity=round(form.form_similarity, 3),
        )


def _not_current(ctx: CheckContext) -> bool:
    """Which version the LA is could not be told, but it is surely not the current one: an
    LA of another version, whichever (the contract's `outdated_form`: "an LA, but not the
    current version")."""
    form = ctx.form
    return (
        form is not None
        and form.version_state is VersionStatus.UNSURE
        and ctx.current_version in form.version_excluded
    )


@declared
class OutdatedForm(_Base):
    description = "The PDF is an older version of the LA than the current one."
    needs = Needs.LA
    reason = Reason.OUTDATED_FORM
    severity = Severity.HARD

    def check(self, ctx: CheckContext) -> RuleResult:
        form = _form(ctx)
        version = form.form_version
        state = form.version_state
        older = state is VersionStatus.MATCH and version not in (None, ctx.current_version)
        hit = older or state is VersionStatus.OUTDATED or _not_current(ctx)
        return self._result(
            hit,
            version=version,
            current=ctx.current_version,
            status=state.value,
            nearest=form.version_nearest,
            missing=listed(form.version_missing),
            changed=listed(form.version_changed),
            excluded=listed(form.version_excluded),
        )


@declared
class BadFilename(_Base):
    description = "The file is not named DFME_License_Agreement_<signer's name>.pdf."
    needs = Needs.LA
    reason = Reason.BAD_FILENAME
    severity = Severity.HARD

    def check(self, ctx: CheckContext) -> RuleResult:
        filename = ctx.attachment_name or ""
        parsed = parse_la_filename(filename, prefix=ctx.settings.filename_prefix)
        signer = _form(ctx).value("signer_name")
        common: dict[str, Fact] = {
            "filename": filename,
            "expected": f"{ctx.settings.filename_prefix}<Name>.pdf",
            "name_in_file": parsed.name,
            "signer_name": signer,
            "download_copy": parsed.download_copy,
        }
        if parsed.problem is not None:
            return self._result(True, problem=parsed.problem.value, **common)
        if parsed.name is None or signer is None:
            # No signer name to compare with: `unreadable` or `missing_fields` says so.
            return self._result(False, problem=None, name_checked=False, **common)
        match = same_person(parsed.name, signer, min_score=ctx.settings.name_min_score)
        return self._result(
            not match.matched,
            problem=None if match.matched else "not_signer",
            name_checked=True,
            how=match.how.value,
            score=round(match.score, 3),
            **common,
        )


@declared
class SenderMismatch(_Base):
    description = "The sender's address is not the work email written on the form."
    needs = Needs.LA
    reason = Reason.SENDER_MISMATCH
    severity = Severity.HARD

    def check(self, ctx: CheckContext) -> RuleResult:
        written = _form(ctx).value("work_email")
        sender = ctx.message.from_address
        if written is None:
            # Blank or unreadable: `missing_fields` or `unreadable` says so, not this rule.
            return self._result(False, sender=sender, work_email=None)
        same = sender is not None and normalize_address(sender) == normalize_address(written)
        return self._result(not same, sender=sender, work_email=normalize_address(written))


@declared
class MissingFields(_Base):
    description = "A required field of the form is blank."
    needs = Needs.LA
    reason = Reason.MISSING_FIELDS
    severity = Severity.HARD

    def check(self, ctx: CheckContext) -> RuleResult:
        form = _form(ctx)
        blank = [
            name
            for name in ctx.settings.required_fields
            if (fv := form.fields.get(name)) is not None and fv.blank
        ]
        return self._result(bool(blank), fields=listed(blank), count=len(blank))


@declared
class NotSigned(_Base):
    description = "The Signature box holds no handwriting."
    needs = Needs.LA
    reason = Reason.NOT_SIGNED
    severity = Severity.HARD

    def check(self, ctx: CheckContext) -> RuleResult:
        form = _form(ctx)
        return self._result(
            form.signed is False,
            signed=form.signed,
            confidence=round(form.signed_confidence, 3),
        )


@declared
class NotScanned(_Base):
    description = "The PDF is a purely digital document, never printed and scanned."
    needs = Needs.LA
    reason = Reason.NOT_SCANNED
    severity = Severity.HARD

    def check(self, ctx: CheckContext) -> RuleResult:
        form = _form(ctx)
        return self._result(not form.scanned, scanned=form.scanned, pages=form.pages)


@declared
class StudentSigner(_Base):
    description = "The signer is a student, intern or temporary employee, not a supervisor."
    needs = Needs.LA
    reason = Reason.STUDENT_SIGNER
    severity = Severity.HARD

    def check(self, ctx: CheckContext) -> RuleResult:
        title = _form(ctx).value("signer_title")
        cls = classify_title(title)
        return self._result(
            cls.kind is TitleKind.STUDENT, title=title, kind=cls.kind.value, term=cls.term
        )


@declared
class AffiliationMismatch(_Base):
    description = "The institution behind the email domain is not the affiliation on the form."
    needs = Needs.LA
    reason = Reason.AFFILIATION_MISMATCH
    severity = Severity.SOFT

    def check(self, ctx: CheckContext) -> RuleResult:
        form = _form(ctx)
        written = form.value("affiliation")
        domain = ctx.sender_domain or domain_of(form.value("work_email"))
        if written is None or domain is None:
            return self._result(False, domain=domain, affiliation=written, institution=None)
        names = ctx.domains.institution_names(domain)
        if not names:
            # A company or an institution swot does not know: nothing to compare with.
            return self._result(False, domain=domain, affiliation=written, institution=None)
        match = match_affiliation(names, written, domain=domain)
        return self._result(
            not match.matched,
            domain=domain,
            affiliation=written,
            institution=match.against,
            how=match.how,
            score=round(match.score, 1),
        )


#: Every rule, in the contract's order of reasons (the order of `Reason`).
if undeclared := [r.value for r in Reason if r not in _DECLARED]:
    raise TypeError(f"no rule declares {', '.join(undeclared)}")
DEFAULT_RULES: tuple[Rule, ...] = tuple(_DECLARED[reason] for reason in Reason)

RULES_BY_NAME: Mapping[str, Rule] = MappingProxyType({r.name: r for r in DEFAULT_RULES})


def rule_for(reason: Reason) -> Rule:
    """The declaration of `reason`: its rule, its weight, the decision it may force."""
    return _DECLARED[reason]


def severity_of(reason: Reason) -> Severity:
    return _DECLARED[reason].severity


def description_of(code: str) -> str:
    """What a reason means, in a sentence a maintainer reads (the rule's description); an
    unknown code is shown as it is."""
    try:
        return _DECLARED[Reason(code)].description
    except ValueError:
        return code


def codes(severity: Severity) -> tuple[Reason, ...]:
    """The reasons of one weight, in the contract's order."""
    return tuple(r.reason for r in DEFAULT_RULES if r.severity is severity)
