"""`licensebot parse` and `licensebot form`: read one LA PDF; write the blank form."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer

from licensebot.core.form import form_to_json
from licensebot.core.la import current_version
from licensebot.reading.blank_form import render_blank_form
from licensebot.reading.la_versions import LaConfigError, load_versions
from licensebot.reading.sandbox import read_pdf_sandboxed

ConfigDir = Annotated[
    Path,
    typer.Option(
        "--config-dir",
        envvar="LICENSEBOT_CONFIG_DIR",
        help="The configuration directory (holds la/versions.toml).",
    ),
]


def _versions(config_dir: Path) -> list:  # type: ignore[type-arg]
    try:
        return load_versions(config_dir / "la")
    except LaConfigError as exc:
        raise typer.BadParameter(str(exc), param_hint="--config-dir") from exc


def parse(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="The PDF to read.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the contract's JSON.")] = False,
    config_dir: ConfigDir = Path("config"),
) -> None:
    """Read an LA PDF: its fields, whether it is signed and scanned, and its LA version."""
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    form = read_pdf_sandboxed(file.read_bytes(), versions=_versions(config_dir))
    out = form_to_json(form)
    if as_json:
        typer.echo(json.dumps(out, ensure_ascii=False))
    else:
        for key, value in out["fields"].items():
            conf = out["confidence"].get(key)
            note = f"  ({conf:.2f})" if isinstance(conf, float) else ""
            typer.echo(f"{key:>13}: {value}{note}")
        typer.echo(f"{'scanned':>13}: {out['scanned']}")
        typer.echo(f"{'form_version':>13}: {out['form_version']}")
        if form.error:
            typer.echo(f"{'error':>13}: {form.error} ({form.error_detail})")
    if form.error:
        raise typer.Exit(2)


def form(
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write the PDF.")] = Path(
        "DFME_License_Agreement.pdf"
    ),
    fillable: Annotated[
        bool, typer.Option("--fillable/--flat", help="With fillable form fields, or flat.")
    ] = True,
    config_dir: ConfigDir = Path("config"),
) -> None:
    """Write the blank form of the current LA version."""
    version = current_version(_versions(config_dir))
    output.write_bytes(render_blank_form(version, fillable=fillable))
    typer.echo(f"wrote {output} (LA version {version.id})")
