"""The LA versions in `config/la/`: reading the registered ones, and writing a published
version there (its text and its `[[version]]` entry in `versions.toml`)."""

from __future__ import annotations

import hashlib
import re
import tomllib
from datetime import UTC, date, datetime
from pathlib import Path

import structlog

from licensebot.store.models import LaVersionRecord

log = structlog.get_logger("licensebot.la")

VERSIONS_FILE = "versions.toml"
_VERSIONS_HEADER = """\
# Registered versions of the DFME License Agreement, oldest first.
# `id` is what `form_version` reports; `effective` is the day the version took effect;
# `file` is its text (Markdown, as published). `licensebot la publish` appends here.
"""


def file_versions(directory: Path) -> list[LaVersionRecord]:
    """The versions in `config/la/`: `versions.toml` with `[[version]]` entries (id, effective,
    title, file), or one directory per version with `LA.md` and `meta.toml` (id, effective,
    title). Entries that cannot be read are skipped: the database is the registry."""
    out: dict[str, LaVersionRecord] = {}

    def add(vid: object, effective: object, title: object, text_file: Path) -> None:
        if not isinstance(effective, date) or not text_file.is_file() or not vid:
            log.warning("la.file_skipped", file=str(text_file))
            return
        text = text_file.read_text(encoding="utf-8")
        out[str(vid)] = LaVersionRecord(
            id=str(vid),
            title=str(title or title_of(text)),
            effective=effective,
            published_at=datetime(effective.year, effective.month, effective.day, tzinfo=UTC),
            sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
            text=text,
        )

    index = directory / VERSIONS_FILE
    if index.is_file():
        try:
            entries = tomllib.loads(index.read_text(encoding="utf-8")).get("version", [])
        except tomllib.TOMLDecodeError:
            entries = []
        for e in entries:
            add(e.get("id"), e.get("effective"), e.get("title"), directory / str(e.get("file")))
    for meta in sorted(directory.glob("*/meta.toml")) if directory.is_dir() else []:
        try:
            m = tomllib.loads(meta.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError:
            continue
        if str(m.get("id", meta.parent.name)) not in out:
            add(
                m.get("id", meta.parent.name),
                m.get("effective"),
                m.get("title"),
                meta.parent / "LA.md",
            )
    return list(out.values())


def write_version_files(directory: Path, v: LaVersionRecord) -> list[str]:
    """`<id>.md` and a `[[version]]` entry in `versions.toml` (the reading layer's layout);
    nothing is rewritten that is already there."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    text_file = directory / f"{v.id}.md"
    if not text_file.exists():
        text_file.write_text(v.text, encoding="utf-8")
        written.append(str(text_file))
    index = directory / VERSIONS_FILE
    current = index.read_text(encoding="utf-8") if index.exists() else _VERSIONS_HEADER
    known = tomllib.loads(current).get("version", [])
    if not any(str(e.get("id")) == v.id for e in known):
        entry = (
            f"\n[[version]]\nid = {_toml_str(v.id)}\neffective = {v.effective.isoformat()}\n"
            f"title = {_toml_str(v.title)}\nfile = {_toml_str(text_file.name)}\n"
        )
        index.write_text(current.rstrip("\n") + "\n" + entry, encoding="utf-8")
        written.append(str(index))
    return written


def unwritable(directory: Path, version_id: str) -> str | None:
    """Why `write_version_files` could not record `version_id` in `directory` (read-only, as
    the compose deploy mounts `config/`), or None: checked before anything is registered."""
    import os

    index = directory / VERSIONS_FILE
    text_file = directory / f"{version_id}.md"
    known = False
    if index.is_file():
        try:
            known = any(
                str(e.get("id")) == version_id
                for e in tomllib.loads(index.read_text(encoding="utf-8")).get("version", [])
            )
        except (OSError, tomllib.TOMLDecodeError) as exc:
            return f"{index} cannot be read ({exc})"
    need = [p for p, done in ((text_file, text_file.exists()), (index, known)) if not done]
    for p in need:
        target = p if p.exists() else p.parent
        if not os.access(target, os.W_OK):
            return f"{target} is not writable"
    return None


def _toml_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def title_of(text: str) -> str:
    for line in text.splitlines():
        m = re.match(r"^#{1,3}\s+(.+?)\s*$", line)
        if m:
            return m.group(1).replace("**", "").strip()[:200]
    return ""
