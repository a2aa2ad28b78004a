"""`make test` on several xdist workers: tests that share a session- or module-wide fixture are
put in one group (one worker makes the fixture once); the rest are spread one by one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support import REPO

CONFTEST = """
import pytest
from tests.parallel import mark_shared_fixture_groups

def pytest_collection_modifyitems(items):
    mark_shared_fixture_groups(items)
    for item in items:
        marks = [m.args[0] for m in item.iter_markers("xdist_group")]
        print("GROUP", item.nodeid, ",".join(marks) or "-")

@pytest.fixture(scope="session")
def scans():
    return "read once"

@pytest.fixture(scope="session")
def test_ca():
    return "cheap, used everywhere"
"""

TEST_A = """
import pytest

@pytest.fixture(scope="module")
def corpus():
    return []

def test_corpus(corpus): pass
def test_corpus_and_scans(corpus, scans): pass
def test_own_work(tmp_path, test_ca): pass

@pytest.mark.xdist_group("mine")
def test_marked(scans): pass
"""

TEST_B = """
import pytest

@pytest.fixture(scope="module")
def corpus():
    return []

def test_scans(scans): pass
def test_another_corpus(corpus): pass
def test_another_corpus_again(corpus): pass
@pytest.mark.parametrize("n", [1, 2])
def test_nothing_shared(n): pass
"""


def groups(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "conftest.py").write_text(CONFTEST)
    (tmp_path / "test_a.py").write_text(TEST_A)
    (tmp_path / "test_b.py").write_text(TEST_B)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-s", "-p", "no:cacheprovider"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    lines = [line.split() for line in out.stdout.splitlines() if line.startswith("GROUP ")]
    return {nodeid: group for _, nodeid, group in lines}


def test_tests_sharing_a_wide_fixture_share_a_worker_and_the_rest_are_spread(
    tmp_path: Path,
) -> None:
    got = groups(tmp_path)
    # a's corpus and the session's scans are linked by the test that uses both: one group
    linked = {got["test_a.py::test_corpus"], got["test_a.py::test_corpus_and_scans"]}
    assert linked == {got["test_b.py::test_scans"]} and linked != {"-"}
    # b's corpus is another module's fixture: a group of its own
    b_corpus = got["test_b.py::test_another_corpus"]
    assert b_corpus == got["test_b.py::test_another_corpus_again"] not in ("-", *linked)
    # cheap shared fixtures and per-test fixtures group nothing
    assert got["test_a.py::test_own_work"] == "-"
    assert got["test_b.py::test_nothing_shared[1]"] == "-"
    assert got["test_b.py::test_nothing_shared[2]"] == "-"
    # a test's own mark is kept, and nothing is added to it
    assert got["test_a.py::test_marked"] == "mine"


RUN_CONFTEST = """
from tests.conftest import (
    pytest_collection_modifyitems,
    pytest_configure_node,
    pytest_xdist_make_scheduler,
)
"""

RUN_TESTS = """
import pytest

@pytest.fixture(scope="module")
def corpus():
    return []

@pytest.mark.parametrize("n", range(6))
def test_shares(corpus, n): pass

@pytest.mark.parametrize("n", range(6))
def test_alone(n): pass
"""


def test_two_workers_run_a_group_on_one_worker(tmp_path: Path) -> None:
    # xdist's own `loadgroup` tags ids in a way pytest 9 ignores: tests/parallel.py's scheduler
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "conftest.py").write_text(RUN_CONFTEST)
    (tmp_path / "test_run.py").write_text(RUN_TESTS)
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-v", "-p", "no:cacheprovider", "-n2", "--dist=loadgroup"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    workers: dict[str, set[str]] = {}
    for line in out.stdout.splitlines():
        if line.startswith("[gw") and "PASSED" in line:
            worker, nodeid = line.split()[0], line.split()[-1]
            workers.setdefault(nodeid.split("[")[0], set()).add(worker)
    assert len(workers["test_run.py::test_alone"]) >= 1, workers
    assert len(workers["test_run.py::test_shares"]) == 1, workers


def test_waiting_tests_are_handed_out_among_the_heavy_ones_and_quick_ones_last() -> None:
    from tests.parallel import SLOW, WAITING, plan

    tests = {
        "group:big": ["r.py::a", "r.py::b"],
        "ocr.py::one": ["ocr.py::one"],
        "ocr.py::two": ["ocr.py::two"],
        "ocr.py::three": ["ocr.py::three"],
        "e2e.py::kill": ["e2e.py::kill"],
        "e2e.py::run": ["e2e.py::run"],
        "unit.py::quick": ["unit.py::quick"],
    }
    kinds = {"ocr.py::one": SLOW, "ocr.py::two": SLOW, "ocr.py::three": SLOW}
    kinds |= {"e2e.py::kill": WAITING, "e2e.py::run": WAITING}
    order = plan(list(tests), tests, kinds)
    assert sorted(order) == sorted(tests)  # every scope once
    assert order[0] == "group:big" and order[-1] == "unit.py::quick"
    # the waiting ones among the heavy ones, in their order, never bunched together
    assert order == [
        "group:big",
        "e2e.py::kill",
        "ocr.py::one",
        "ocr.py::two",
        "e2e.py::run",
        "ocr.py::three",
        "unit.py::quick",
    ]
