"""Root fixtures. Nothing here is autouse: unit tests never start a server.

Real-server fixtures (each test using one is marked automatically, so `-m "not dovecot"` etc.
deselects them): `dovecot`, `dovecot_no_idle`, `dovecot_factory`, `smtp_server`,
`smtp_factory`, `postgres_url`, plus the session-wide `test_ca`.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests import parallel
from tests.parallel import mark_shared_fixture_groups
from tests.servers.dovecot import BOT_PASSWORD, BOT_USER, DovecotServer
from tests.servers.postgres import PostgresUnavailable, postgres_schema
from tests.servers.smtp import SmtpServer
from tests.servers.tls import TestCA

_MARKERS_BY_FIXTURE = {
    "dovecot": "dovecot",
    "dovecot_no_idle": "dovecot",
    "dovecot_factory": "dovecot",
    "smtp_server": "smtp",
    "smtp_factory": "smtp",
    "postgres_url": "postgres",
}


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the `xdist_group` marks
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    mark_shared_fixture_groups(items)
    parallel.write_groups(config, items)
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        for fixture, marker in _MARKERS_BY_FIXTURE.items():
            if fixture in names:
                item.add_marker(marker)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """pytest-xdist's controller, for each worker: where to write the tests' groups."""
    node.workerinput[parallel.GROUPS_FILE_INPUT] = parallel.groups_file_for_node(node.config)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """`--dist loadgroup`: the groups as the workers wrote them (tests/parallel.py)."""
    if config.getvalue("dist") != "loadgroup":
        return None
    return parallel.make_scheduler(config, log)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call" and report.failed:
        item.stash[_CALL_FAILED] = True
    return report


_CALL_FAILED = pytest.StashKey[bool]()


@pytest.fixture(scope="session")
def test_ca(tmp_path_factory: pytest.TempPathFactory) -> TestCA:
    """One throw-away CA for the whole run (servers get their own certificates from it)."""
    return TestCA.create(tmp_path_factory.mktemp("ca"))


@pytest.fixture
def dovecot_factory(
    test_ca: TestCA, request: pytest.FixtureRequest
) -> Iterator[Callable[..., DovecotServer]]:
    """`dovecot_factory(users=..., idle=...)` -> a started DovecotServer, stopped afterwards."""
    servers: list[DovecotServer] = []

    def start(**kwargs: Any) -> DovecotServer:
        kwargs.setdefault("users", {BOT_USER: BOT_PASSWORD})
        kwargs.setdefault("ca", test_ca)
        server = DovecotServer(**kwargs)
        servers.append(server)
        return server.start()

    yield start
    for server in servers:
        if request.node.stash.get(_CALL_FAILED, False):
            # Shown in the "Captured stdout teardown" section of the failure report.
            print(f"--- dovecot log ({server.log_file}) ---\n{server.log()[-20000:]}")
        server.stop()


@pytest.fixture
def dovecot(dovecot_factory: Callable[..., DovecotServer]) -> DovecotServer:
    """A fresh Dovecot (IMAPS + plain IMAP, IDLE advertised) with user `bot`/`bot-password`."""
    return dovecot_factory()


@pytest.fixture
def dovecot_no_idle(dovecot_factory: Callable[..., DovecotServer]) -> DovecotServer:
    """Like `dovecot`, but IDLE is not advertised (clients must poll)."""
    return dovecot_factory(idle=False)


@pytest.fixture
def smtp_factory(test_ca: TestCA) -> Iterator[Callable[..., SmtpServer]]:
    """`smtp_factory(implicit_tls=..., starttls=..., username=..., password=...)` -> started."""
    servers: list[SmtpServer] = []

    def start(**kwargs: Any) -> SmtpServer:
        kwargs.setdefault("ca", test_ca)
        server = SmtpServer(**kwargs)
        servers.append(server)
        return server.start()

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def smtp_server(smtp_factory: Callable[..., SmtpServer]) -> SmtpServer:
    """A capturing SMTP server: plain SMTP, no AUTH (use `smtp_factory` for TLS / AUTH)."""
    return smtp_factory()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """SQLAlchemy URL of a fresh schema on the local PostgreSQL, dropped afterwards.
    Skips when PostgreSQL is unreachable, unless LICENSEBOT_REQUIRE_POSTGRES=1."""
    with contextlib.ExitStack() as stack:
        try:
            url = stack.enter_context(postgres_schema())
        except PostgresUnavailable as error:
            if os.environ.get("LICENSEBOT_REQUIRE_POSTGRES") == "1":
                pytest.fail(f"{error} (LICENSEBOT_REQUIRE_POSTGRES=1)")
            pytest.skip(str(error))
        yield url
