"""Fixtures for integration tests that drive the worker in-process against Dovecot."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from licensebot.config import load_settings
from licensebot.store.db import make_engine, upgrade
from licensebot.worker.runner import Worker
from tests.servers.dovecot import DovecotServer
from tests.support import bot_env, mailbox_block, write_config

BOT = "bot"
PW = "bot-password"


@pytest.fixture
def make_worker(tmp_path: Path) -> Callable[..., Worker]:
    def make(dovecot: DovecotServer, *, boxes: list[str] | None = None, **kw: object) -> Worker:
        blocks = boxes or [mailbox_block(dovecot, BOT, name="sirui", address="sirui@dataset.test")]
        cfg = write_config(tmp_path, mailboxes=blocks, smtp=None, **kw)  # type: ignore[arg-type]
        settings = load_settings(cfg)
        upgrade(make_engine(settings.storage.url()))
        names = [b.split('name = "')[1].split('"')[0] for b in blocks]
        return Worker(settings, environ=bot_env(dict.fromkeys(names, PW)))

    return make
