"""What every command shares: the --config option and loading settings with a clear error."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from licensebot.config import ConfigError, Settings, load_settings

err = Console(stderr=True)
ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        envvar="LICENSEBOT_CONFIG",
        help="The TOML file (default: config/licensebot.toml).",
    ),
]


def settings_or_exit(config: Path | None) -> Settings:
    try:
        return load_settings(config)
    except ConfigError as exc:
        err.print(f"[red]configuration error:[/red] {exc}", markup=True, highlight=False)
        raise typer.Exit(2) from None
