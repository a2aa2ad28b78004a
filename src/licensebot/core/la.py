"""A registered version of the License Agreement: its id, when it took effect, its text."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class LaVersion:
    """One LA version as registered in `config/la/`."""

    id: str
    effective: date
    text: str  # the full text (Markdown as published), form table included
    title: str = ""


def current_version(versions: Sequence[LaVersion], *, today: date | None = None) -> LaVersion:
    """The version in force: the latest one that has taken effect (by `today`, if given)."""
    if not versions:
        raise ValueError("no LA version is registered (config/la/versions.toml)")
    in_force = [v for v in versions if today is None or v.effective <= today]
    return max(in_force or versions, key=lambda v: v.effective)
