"""The `licensebot` command line: each command is a thin call into the layers below."""

from __future__ import annotations

import gc
import sys
from pathlib import Path
from typing import Annotated

import typer

from licensebot import __version__
from licensebot.cli.common import ConfigOption, err, settings_or_exit
from licensebot.cli.judge_cmds import check, explain
from licensebot.cli.logs import configure_logging
from licensebot.cli.reading_cmds import form, parse
from licensebot.config import Settings, check_settings

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
def config_check(config: ConfigOption = None) -> None:
    """Validate the settings, the secrets they name, and the reply templates."""
    settings = settings_or_exit(config)
    problems = check_settings(settings)
    if not problems:
        from licensebot.mail.templates import Templates
        from licensebot.worker.app import template_problems

        templates = Templates(settings.path(settings.dataset.templates_dir))
        problems += template_problems(settings, templates)
    if problems:
        for p in problems:
            err.print(f"[red]✗[/red] {p}", highlight=False)
        raise typer.Exit(1)
    typer.echo(
        f"configuration OK: {len(settings.mailbox)} mailbox(es), "
        f"database {settings.storage.url().split('://')[0]}, smtp {settings.smtp.kind}"
    )


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
    """Settings whose secrets and directories are all there (exit 2, said why, otherwise)."""
    settings = settings_or_exit(config)
    problems = check_settings(settings)
    if problems:
        for p in problems:
            err.print(f"[red]✗[/red] {p}", highlight=False)
        raise typer.Exit(2)
    return settings


@app.command()
def run(config: ConfigOption = None) -> None:
    """Watch the mailboxes and send replies until SIGTERM."""
    from licensebot.worker.runner import TemplateCheckFailed, Worker

    settings = ready_settings_or_exit(config)
    try:
        Worker(settings).run()
    except TemplateCheckFailed as exc:
        err.print(f"[red]{exc}[/red]", highlight=False)
        raise typer.Exit(2) from None
    # Stopped cleanly: the interpreter's exit would spend seconds (far more on a busy machine)
    # garbage-collecting the readers' and domain lists' heap before the process can go.
    gc.freeze()


@app.command()
def poll(
    config: ConfigOption = None,
    once: Annotated[bool, typer.Option("--once", help="Process what is there and exit.")] = False,
) -> None:
    """Process the mailboxes once and flush the outbox (for cron or a one-off run)."""
    from licensebot.worker.runner import TemplateCheckFailed, Worker

    if not once:
        err.print("use `licensebot poll --once` (or `licensebot run` to keep watching)")
        raise typer.Exit(2)
    settings = ready_settings_or_exit(config)
    try:
        report = Worker(settings).poll_once()
    except TemplateCheckFailed as exc:
        err.print(f"[red]{exc}[/red]", highlight=False)
        raise typer.Exit(2) from None
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
            err.print(f"[red]✗[/red] {name}: {e}", highlight=False)
        raise typer.Exit(1)


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
    """The `licensebot` command: any error of the bot's own is one line that says what to do."""
    from licensebot.errors import LicensebotError

    try:
        app()
    except LicensebotError as exc:
        message = " ".join(line.strip() for line in str(exc).splitlines() if line.strip())
        err.print(
            f"[red]error:[/red] {message or type(exc).__name__}", highlight=False, soft_wrap=True
        )
        sys.exit(1)


# The maintainers' desk: digest, review, export, licensee (registered after the helpers above).
from licensebot.cli import desk_cmds  # noqa: E402

desk_cmds.register(app)
