"""Which LA version applies: to a new application on a given day (by setting, from the new
version's publication or from its effective date), and to a licensee who stayed silent."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

NewApplicationsFrom = Literal["publication", "effective"]


@dataclass(frozen=True, slots=True)
class PublishedVersion:
    """A registered LA version as far as dates go (`la_version` rows, `config/la/`)."""

    id: str
    effective: date
    published: date


def current_version(
    versions: Sequence[PublishedVersion],
    *,
    on: date,
    new_applications_from: NewApplicationsFrom = "effective",
) -> PublishedVersion | None:
    """The version a new application must be signed on, on day `on`: the newest version that
    has been published (`"publication"`) or has taken effect (`"effective"`) by then. None when
    no version qualifies yet (then the oldest registered one is the only sensible form)."""

    def counts(v: PublishedVersion) -> bool:
        start = v.published if new_applications_from == "publication" else v.effective
        return start <= on

    return max(
        (v for v in versions if counts(v)), key=lambda v: (v.effective, v.published), default=None
    )


def version_in_force(versions: Sequence[PublishedVersion], *, on: date) -> PublishedVersion | None:
    """The version that binds licensees on day `on`: the newest one effective by then."""
    return current_version(versions, on=on, new_applications_from="effective")


def accepts(
    versions: Sequence[PublishedVersion],
    form_version: str,
    *,
    on: date,
    new_applications_from: NewApplicationsFrom = "effective",
) -> bool:
    """Whether an application signed on `form_version` is on the required form on day `on`."""
    required = current_version(versions, on=on, new_applications_from=new_applications_from)
    return required is None or required.id == form_version
