"""The `licensebot` command line: each command is a thin call into the layers below."""

from __future__ import annotations

import typer

from licensebot import __version__
from licensebot.cli.reading_cmds import form, parse

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)


@app.callback()
def root() -> None:
    """licensebot: answers license-agreement applications by email."""


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(__version__)


app.command("parse")(parse)
app.command("form")(form)


def main() -> None:
    app()
