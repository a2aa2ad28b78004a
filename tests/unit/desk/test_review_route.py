"""Which messages the review route claims, and which it refuses to believe."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any, cast

import pytest
from sqlalchemy import Engine

from licensebot.config import load_settings
from licensebot.core.message import AuthVerdict, AutoSignal
from licensebot.mail.templates import Templates
from licensebot.worker.replies import ReplyWriter
from licensebot.worker.review import Review, ReviewRoute, _untrusted
from tests.unit.core.core_factories import message

CONFIG = Path(__file__).resolve().parents[3] / "config" / "licensebot.toml"
MAINTAINER = "sirui@mail.ustc.edu.cn"  # in the DFME config, also one of the bot's own addresses


@pytest.fixture
def route() -> ReviewRoute:
    settings = load_settings(CONFIG, environ={})
    templates = Templates(settings.path(settings.dataset.templates_dir))
    review = Review(
        settings, cast(Engine, None), ReplyWriter(settings, templates), templates
    )  # claims() never touches the database
    return ReviewRoute(review)


def cmd(**kw: Any) -> Any:
    base: dict[str, Any] = {"from_address": MAINTAINER, "attachments": (), "text": "approve 42\n"}
    return message(**{**base, **kw})


def test_a_maintainers_commands_are_claimed_even_from_the_bots_own_address(
    route: ReviewRoute,
) -> None:
    own = (AutoSignal("From", f"own address {MAINTAINER}"),)
    assert route.claims(cmd(auto_signals=own))
    assert route.claims(cmd(from_address="IAMTHY@mail.ustc.edu.cn"))


def test_not_claimed_from_others_without_commands_or_sent_by_a_machine(
    route: ReviewRoute,
) -> None:
    assert not route.claims(cmd(from_address="san.zhang@ustc.edu.cn"))
    assert not route.claims(cmd(from_address=None))
    assert not route.claims(cmd(text="Thanks, looks good.\n> approve 42\n"))
    bot_own = (
        AutoSignal("Auto-Submitted", "auto-generated"),
        AutoSignal("X-Licensebot-Loop", "dfme-ustc"),
    )
    assert not route.claims(cmd(auto_signals=bot_own))


def test_only_a_trusted_pass_with_a_clean_from_is_believed() -> None:
    assert _untrusted(cmd()) == ""
    assert "not authenticated (fail)" in _untrusted(cmd(auth=AuthVerdict.FAIL))
    assert "not authenticated (none)" in _untrusted(cmd(auth=AuthVerdict.NONE))
    doubtful = replace(cmd(), from_defects=("2 From headers",))
    assert "From header is doubtful" in _untrusted(doubtful)
