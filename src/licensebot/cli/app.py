"""The `licensebot` command line: each command is a thin call into the layers below."""

from __future__ import annotations

import gc
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from licensebot import __version__
from licensebot.cli.common import (
    EXIT_CONFIG,
    EXIT_FAILED,
    ConfigOption,
    err,
    fail,
    migrated_or_exit,
    problems_or_exit,
    settings_or_exit,
)
from licensebot.cli.judge_cmds import check, explain
from licensebot.cli.logs import configure_logging
from licensebot.cli.reading_cmds import form, parse
from licensebot.config import Settings, check_settings

if TYPE_CHECKING:
    from licensebot.worker.runner import Worker

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
config_app = typer.Typer(no_args_is_help=True, help="Check the configuration.")
db_app = typer.Typer(no_args_is_help=True, help="The database.")
app.add_typer(config_app, name="config")
app.add_typer(db_app, name="db")


def _add_la_commands() -> None:
    from licensebot.cli.la_cmds import la_app

    app.add_typer(la_app, name="la")


_add_la_commands()


@app.callback()
def root() -> None:
    """licensebot: answers license-agreement applications by email."""
    configure_logging()


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(__version__)


@config_app.command("check")
def config_check(
    config: ConfigOption = None,
    connect: Annotated[
        bool,
        typer.Option(
            "--connect",
            help="Also log in to every mailbox and the SMTP server (TLS verified), compare the "
            "trusted authserv-id with the newest messages' and check the database is migrated.",
        ),
    ] = False,
) -> None:
    """Validate the settings, the secrets they name, and the reply templates."""
    settings = settings_or_exit(config)
    problems = check_settings(settings)
    if not problems:
        from licensebot.mail.templates import Templates
        from licensebot.worker.app import template_problems

        templates = Templates(settings.path(settings.dataset.templates_dir))
        problems += template_problems(settings, templates)
    problems_or_exit(problems)
    typer.echo(
        f"configuration OK: {len(settings.mailbox)} mailbox(es), "
        f"database {settings.storage.url().split('://')[0]}, smtp {settings.smtp.kind}"
    )
    if connect:
        from licensebot.worker.preflight import connect_findings

        findings = connect_findings(settings)
        for f in findings:
            if f.ok:
                typer.echo(f"✓ {f.text}")
        problems_or_exit([f.text for f in findings if not f.ok])


@db_app.command("upgrade")
def db_upgrade(config: ConfigOption = None) -> None:
    """Apply the database migrations (creates the database on first use)."""
    from licensebot.store.db import current_revision, make_engine, secure_dir, upgrade

    settings = settings_or_exit(config)
    secure_dir(settings.storage.data_dir)
    engine = make_engine(settings.storage.url(), data_dir=settings.storage.data_dir)
    upgrade(engine)
    typer.echo(f"database at revision {current_revision(engine)}")


def ready_settings_or_exit(config: Path | None) -> Settings:
    """Settings whose secrets and directories are all there and whose database is migrated
    (exit 2, said why, otherwise; nothing is created on the way)."""
    settings = settings_or_exit(config)
    problems_or_exit(check_settings(settings))
    migrated_or_exit(settings)
    return settings


@app.command()
def run(config: ConfigOption = None) -> None:
    """Watch the mailboxes and send replies until SIGTERM."""
    from licensebot.worker.runner import TemplateCheckFailed, Worker

    settings = ready_settings_or_exit(config)
    try:
        Worker(settings).run()
    except TemplateCheckFailed as exc:
        fail(str(exc), code=EXIT_CONFIG)
    # Stopped cleanly: the interpreter's exit would spend seconds (far more on a busy machine)
    # garbage-collecting the readers' and domain lists' heap before the process can go.
    gc.freeze()


@app.command()
def health(config: ConfigOption = None) -> None:
    """Ask the running worker whether it is healthy (exit 0) or not (exit 1): the probe of a
    container's HEALTHCHECK. Needs `[health] port` (or LICENSEBOT_HEALTH_PORT)."""
    from licensebot.worker.health import probe

    settings = settings_or_exit(config)
    h = settings.health
    if not h.port:
        fail(
            "the health port is off: set [health] port or LICENSEBOT_HEALTH_PORT", code=EXIT_CONFIG
        )
    ok, line = probe(address=h.address, port=h.port)
    typer.echo(line)
    raise typer.Exit(0 if ok else 1)


@app.command()
def poll(
    config: ConfigOption = None,
    once: Annotated[bool, typer.Option("--once", help="Process what is there and exit.")] = False,
) -> None:
    """Process the mailboxes once and flush the outbox (for cron or a one-off run)."""
    from licensebot.worker.runner import TemplateCheckFailed, Worker

    if not once:
        fail("use `licensebot poll --once` (or `licensebot run` to keep watching)", code=2)
    settings = ready_settings_or_exit(config)
    try:
        worker = Worker(settings)
        with _outbox_progress(worker):
            report = worker.poll_once()
    except TemplateCheckFailed as exc:
        fail(str(exc), code=EXIT_CONFIG)
    for box in report.mailboxes:
        typer.echo(
            f"{box.mailbox}: {box.fetched} fetched, {box.processed} new, "
            f"{box.duplicates} duplicate, {box.failed} failed"
        )
    o = report.outbox
    typer.echo(
        f"outbox: {o.sent} sent, {o.retried} to retry, {o.failed} failed, {o.ambiguous} unsure"
    )
    if report.errors:
        for name, e in report.errors.items():
            err.print("[red]✗[/red] ", end="")
            err.print(f"{name}: {e}", markup=False, soft_wrap=True)
        raise typer.Exit(EXIT_FAILED)


@contextmanager
def _outbox_progress(worker: Worker, *, at_least: int = 20) -> Iterator[None]:
    """While `poll --once` works, the progress of a large outbox (an LA broadcast): how many
    of the messages waiting at the start have left, read from the database every second."""
    from licensebot.cli.progress import tracked
    from licensebot.store.outbox import due_count

    waiting = due_count(worker.bot.engine)
    if waiting < at_least:
        yield
        return
    stop = threading.Event()
    with tracked("outbox", waiting, summary=False) as progress:

        def watch() -> None:
            while not stop.wait(1.0):
                progress.set(max(0, min(waiting, waiting - due_count(worker.bot.engine))))

        watcher = threading.Thread(target=watch, name="progress", daemon=True)
        watcher.start()
        try:
            yield
        finally:
            stop.set()
            watcher.join()


@app.command()
def demo(
    directory: Annotated[
        Path | None, typer.Option("--dir", help="Where to put the throwaway mailbox and data.")
    ] = None,
) -> None:
    """Run the bot's main job on a throwaway local mailbox seeded with sample applications."""
    import os

    from licensebot.cli.demo import run_demo

    # The table tells the story; the event log is one LICENSEBOT_LOG_LEVEL=INFO away.
    configure_logging(os.environ.get("LICENSEBOT_LOG_LEVEL", "WARNING"))
    sys.exit(run_demo(directory))


app.command("parse")(parse)
app.command("form")(form)
app.command("check")(check)
app.command("explain")(explain)


def main() -> None:
    """The `licensebot` command: any error of the bot's own, and any the machine gives it (a
    file or directory it may not use, a database that does not answer), is one line that says
    what to do; exit status 2 for the configuration, 1 otherwise. A bug keeps its traceback."""
    from sqlalchemy.exc import DBAPIError

    from licensebot.config import ConfigError
    from licensebot.errors import LicensebotError

    try:
        app()
    except LicensebotError as exc:
        code = EXIT_CONFIG if isinstance(exc, ConfigError) else EXIT_FAILED
        _exit(str(exc) or type(exc).__name__, code)
    except DBAPIError as exc:
        first = str(exc.orig or exc).strip().splitlines()[0]
        _exit(f"the database refused: {first} (check storage.database_url)", EXIT_FAILED)
    except OSError as exc:
        where = f": {exc.filename}" if exc.filename else ""
        _exit(f"{exc.strerror or exc}{where}", EXIT_FAILED)


def _exit(message: str, code: int) -> None:
    try:
        fail(message, code=code)
    except typer.Exit as done:
        sys.exit(done.exit_code)


# The maintainers' desk: digest, review, export, licensee (registered after the helpers above).
from licensebot.cli import desk_cmds  # noqa: E402

desk_cmds.register(app)

# Running the desk for years: replay with a decision diff; retention, purge and erasure.
from licensebot.cli import replay_cmds, retention_cmds  # noqa: E402

replay_cmds.register(app)
retention_cmds.register(app, desk_cmds.licensee_app)
