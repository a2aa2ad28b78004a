"""A seeded slice of `bench/fuzz.py` in the suite: mutated mail (header floods, broken MIME
structure, line ends, splices) and mutated LAs (tokens, streams, cross-reference tables) drawn
by Hypothesis from the factory's seeds, read the way the worker reads them. Every message gets
a decision (or a route) within a few seconds, never an exception; every PDF comes back from the
sandboxed reader as a form or an error code. (The full campaign: bench/results/fuzz.md.)"""

from __future__ import annotations

import re
import time

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from licensebot.config import Settings, load_settings
from licensebot.core.la import LaVersion
from licensebot.reading.la_versions import load_versions
from licensebot.reading.mime import read_message
from licensebot.reading.sandbox import read_pdf_sandboxed
from licensebot.worker.app import make_judge
from licensebot.worker.judge import Judge
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
def judge(bot_settings: Settings) -> Judge:
    """The worker's judge, PDFs read in process (the PDF slice below goes through the sandbox);
    each distinct PDF read once."""
    judge = make_judge(bot_settings, sandbox=False)
    read, seen = judge.read_pdf, {}

    def once(data: bytes):  # type: ignore[no-untyped-def]
        if data not in seen:
            seen[data] = read(data)
        return seen[data]

    judge.read_pdf = once
    return judge


@pytest.fixture(scope="module")
def versions(bot_settings: Settings) -> list[LaVersion]:
    return load_versions(bot_settings.path(bot_settings.dataset.la_dir))


@settings(SLICE, max_examples=120)
@given(plan=mutate.plans(mutate.MIME_SEEDS, mutate.MIME_OPS, max_size=400))
def test_mutated_mail_always_gets_a_decision(
    plan: mutate.Plan, bot_settings: Settings, judge: Judge
) -> None:
    seeds = mutate.mime_seeds()
    raw = mutate.apply_mime(seeds[plan.seed], plan, seeds, max_bytes=1_000_000)
    start = time.perf_counter()
    msg = read_message(
        raw,
        trusted_authserv_ids=bot_settings.auth.trusted_authserv_ids,
        own_addresses=bot_settings.own_addresses,
    )
    assert judge.assess(msg).decision in DECISIONS
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
