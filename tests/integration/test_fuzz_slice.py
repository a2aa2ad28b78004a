"""A seeded slice of `bench/fuzz.py` in the suite: mutated mail (header floods, broken MIME
structure, line ends, splices) and mutated LAs (tokens, streams, cross-reference tables) drawn
by Hypothesis from the factory's seeds, read by the functions the worker's composition root
wires (`worker.app.build`). Every message gets a decision (or a route) within 10 s, never an
exception; every PDF comes back from the sandboxed reader as a form or an error code. (The
full campaign: bench/results/fuzz.md.)"""

from __future__ import annotations

import re
import time

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from licensebot.config import Settings, load_settings
from licensebot.core.la import LaVersion
from licensebot.reading.la_versions import load_versions
from licensebot.reading.sandbox import read_pdf_sandboxed
from licensebot.store.db import make_engine, upgrade
from licensebot.worker.app import Bot, build
from tests import mutate

pytestmark = pytest.mark.slow

DECISIONS = {"approve", "reject", "review", "ignore"}
SLICE = settings(
    database=None,
    derandomize=True,  # the same examples every run
    phases=[Phase.generate],
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(scope="module")
def bot_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return load_settings(mutate.fuzz_config(tmp_path_factory.mktemp("fuzz")))


@pytest.fixture(scope="module")
def bot(bot_settings: Settings) -> Bot:
    """The worker as its composition root wires it; each distinct PDF read once (in the
    sandbox, as the worker reads it)."""
    upgrade(make_engine(bot_settings.storage.url()))
    bot = build(bot_settings, environ={"LICENSEBOT_ACCESS_CODE": "fuzz"})
    judge = bot.intake.assess.__self__  # type: ignore[attr-defined]
    read, seen = judge.read_pdf, {}

    def once(data: bytes):  # type: ignore[no-untyped-def]
        if data not in seen:
            seen[data] = read(data)
        return seen[data]

    judge.read_pdf = once
    return bot


@pytest.fixture(scope="module")
def versions(bot_settings: Settings) -> list[LaVersion]:
    return load_versions(bot_settings.path(bot_settings.dataset.la_dir))


@settings(SLICE, max_examples=100)
@given(plan=mutate.plans(mutate.MIME_SEEDS, mutate.MIME_OPS, max_size=400))
def test_mutated_mail_always_gets_a_decision(plan: mutate.Plan, bot: Bot) -> None:
    seeds = mutate.mime_seeds()
    raw = mutate.apply_mime(seeds[plan.seed], plan, seeds, max_bytes=1_000_000)
    start = time.perf_counter()
    msg = bot.read_message(raw)
    route = next((r for r in bot.intake.routes if r.claims(msg)), None)
    if route is None:
        assert bot.intake.assess(msg).decision in DECISIONS
    assert time.perf_counter() - start < 10, plan.describe()


@settings(SLICE, max_examples=6)
@given(plan=mutate.plans(mutate.PDF_SEEDS, mutate.PDF_OPS, max_size=400), n=st.integers(0, 99))
def test_mutated_pdfs_come_back_from_the_sandbox_as_a_form_or_an_error(
    plan: mutate.Plan, n: int, versions: list[LaVersion]
) -> None:
    seeds = mutate.pdf_seeds(scan=False)
    pdf = mutate.apply_pdf(seeds[plan.seed], plan, seeds, max_bytes=2_000_000)
    form = read_pdf_sandboxed(pdf, versions=versions)
    # a form, or one of the reader's error codes; never a reader that hung or died
    assert form.error is None or re.fullmatch(r"[a-z_]+", form.error), form.error
    assert form.error not in ("timeout", "crashed"), (form.error_detail, plan.describe())
