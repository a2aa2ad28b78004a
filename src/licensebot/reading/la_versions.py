"""Load the registered LA versions from `config/la/versions.toml` and their text files."""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path

from licensebot.core.la import LaVersion
from licensebot.errors import LicensebotError


class LaConfigError(LicensebotError):
    """`config/la/` is missing or malformed; the message says what to fix."""


def load_versions(directory: Path) -> list[LaVersion]:
    """Every version listed in `directory/versions.toml`, oldest first."""
    index = directory / "versions.toml"
    try:
        table = tomllib.loads(index.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise LaConfigError(f"{index} not found: register the LA versions there") from exc
    except tomllib.TOMLDecodeError as exc:
        raise LaConfigError(f"{index} is not valid TOML: {exc}") from exc
    versions: list[LaVersion] = []
    for entry in table.get("version", []):
        try:
            vid = str(entry["id"])
            effective = entry["effective"]
            text_file = directory / str(entry["file"])
        except KeyError as exc:
            raise LaConfigError(f"{index}: a [[version]] lacks {exc.args[0]!r}") from exc
        if not isinstance(effective, date):
            raise LaConfigError(f"{index}: version {vid!r} needs effective = YYYY-MM-DD")
        try:
            text = text_file.read_text(encoding="utf-8")
        except FileNotFoundError as exc:
            raise LaConfigError(f"{index}: version {vid!r} text {text_file} not found") from exc
        versions.append(
            LaVersion(id=vid, effective=effective, text=text, title=str(entry.get("title", "")))
        )
    if not versions:
        raise LaConfigError(f"{index} registers no [[version]]")
    ids = [v.id for v in versions]
    if len(set(ids)) != len(ids):
        raise LaConfigError(f"{index}: version ids repeat: {ids}")
    return sorted(versions, key=lambda v: v.effective)
