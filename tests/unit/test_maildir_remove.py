"""The retention purge's deletion from a Maildir mailbox's own folders, by Message-ID."""

from __future__ import annotations

from pathlib import Path

from licensebot.config import Mailbox
from licensebot.mail.sources import MaildirSession


def test_remove_deletes_only_the_named_messages_of_that_folder(tmp_path: Path) -> None:
    box = Mailbox(
        name="desk", address="desk@dataset.test", kind="maildir", path=str(tmp_path / "md")
    )
    session = MaildirSession(box)
    session.ensure_folders()
    for n in (1, 2, 3):
        session.md.add(f"Message-ID: <m{n}@x>\nSubject: {n}\n\nbody\n".encode())
    session.finish(session.all_keys()[:2])  # m1, m2 to the processed folder; m3 stays
    assert session.remove(box.processed_folder, ["<m1@x>", "<m3@x>"]) == 1
    left = session._folder(box.processed_folder)
    assert [m["Message-ID"] for m in left] == ["<m2@x>"]
    assert len(session.all_keys()) == 1  # the inbox is untouched
