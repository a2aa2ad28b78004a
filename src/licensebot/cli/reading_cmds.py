"""`licensebot parse` and `licensebot form`: read one LA PDF; write the blank form. Both read
the LA versions registered in the config directory's `la/` (`dataset.la_dir`)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer

from licensebot.cli.common import EXIT_CONFIG, ConfigOption, fail, settings_or_exit
from licensebot.core.form import form_to_json
from licensebot.core.la import LaVersion, current_version
from licensebot.reading.blank_form import render_blank_form
from licensebot.reading.la_versions import LaConfigError, load_versions
from licensebot.reading.sandbox import read_pdf_sandboxed

# Before `--config` these two commands took the directory; kept, hidden, for scripts.
ConfigDir = Annotated[
    Path | None,
    typer.Option("--config-dir", envvar="LICENSEBOT_CONFIG_DIR", hidden=True),
]


def _versions(config: Path | None, config_dir: Path | None) -> list[LaVersion]:
    if config_dir is not None and config is None:
        la_dir = config_dir / "la"
    else:
        settings = settings_or_exit(config)
        la_dir = settings.path(settings.dataset.la_dir)
    try:
        return load_versions(la_dir)
    except LaConfigError as exc:
        fail(str(exc), code=EXIT_CONFIG, prefix="configuration error")


def parse(
    file: Annotated[Path, typer.Argument(help="The PDF to read.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the contract's JSON.")] = False,
    config: ConfigOption = None,
    config_dir: ConfigDir = None,
) -> None:
    """Read an LA PDF: its fields, whether it is signed and scanned, and its LA version."""
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    try:
        data = file.read_bytes()
    except OSError as exc:
        fail(f"cannot read {file}: {exc.strerror}")
    form = read_pdf_sandboxed(data, versions=_versions(config, config_dir))
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
    config: ConfigOption = None,
    config_dir: ConfigDir = None,
) -> None:
    """Write the blank form of the current LA version."""
    version = current_version(_versions(config, config_dir))
    try:
        output.write_bytes(render_blank_form(version, fillable=fillable))
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror}")
    typer.echo(f"wrote {output} (LA version {version.id})")
