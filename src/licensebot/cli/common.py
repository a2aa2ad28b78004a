"""What every command shares: the --config option, loading settings with a clear error, and
the checks before a command touches the database (migrated, templates render)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console

from licensebot.config import ConfigError, Settings, load_settings

if TYPE_CHECKING:
    from licensebot.worker.app import Bot

err = Console(stderr=True, highlight=False, soft_wrap=True)
ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        envvar="LICENSEBOT_CONFIG",
        help="The TOML file (default: config/licensebot.toml).",
    ),
]

#: Exit statuses: 1 for a failure of the work itself, 2 for a configuration to fix first.
EXIT_FAILED = 1
EXIT_CONFIG = 2


def fail(message: str, *, code: int = EXIT_FAILED, prefix: str = "error") -> NoReturn:
    """One line on stderr, never Rich markup from the message (`[[version]]` stays as it is)."""
    one_line = " ".join(part.strip() for part in message.splitlines() if part.strip())
    err.print(f"[red]{prefix}:[/red] ", end="")
    err.print(one_line, markup=False, soft_wrap=True)
    raise typer.Exit(code)


def problems_or_exit(problems: list[str]) -> None:
    """Each problem of the configuration on its own line (✗ ...), exit 2 when there is one."""
    for p in problems:
        err.print("[red]✗[/red] ", end="")
        err.print(p, markup=False, soft_wrap=True)
    if problems:
        raise typer.Exit(EXIT_CONFIG)


def settings_or_exit(config: Path | None) -> Settings:
    try:
        return load_settings(config)
    except ConfigError as exc:
        fail(str(exc), code=EXIT_CONFIG, prefix="configuration error")


def migrated_or_exit(settings: Settings) -> None:
    """Refuse a database that is missing or not migrated, without creating anything."""
    from licensebot.store.db import migration_problem

    problem = migration_problem(settings.storage.url())
    if problem:
        fail(problem, code=EXIT_CONFIG)


def bot_or_exit(config: Path | None) -> Bot:
    """The wired bot for a command that works on the records: the settings load, the database
    is migrated and the reply templates render (exit 2, said why, otherwise)."""
    from licensebot.worker.app import build

    settings = settings_or_exit(config)
    migrated_or_exit(settings)
    bot = build(settings)
    problems_or_exit(bot.template_problems())
    return bot
