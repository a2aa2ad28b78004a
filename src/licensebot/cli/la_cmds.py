"""`licensebot la ...`: publish a new LA version (and queue its change notices), follow the
broadcast, list the registered versions."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from licensebot.cli.common import ConfigOption

if TYPE_CHECKING:
    from licensebot.worker.la import LaDesk

la_app = typer.Typer(no_args_is_help=True, help="LA versions and their change notices.")


def _desk(config: Path | None) -> LaDesk:
    from licensebot.cli.common import bot_or_exit

    return bot_or_exit(config).la


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date: use YYYY-MM-DD") from None


@la_app.command("publish")
def publish(
    text_file: Annotated[Path, typer.Argument(help="The new LA text (Markdown).")],
    effective: Annotated[
        str, typer.Option("--effective", help="The day it takes effect, YYYY-MM-DD.")
    ],
    version_id: Annotated[
        str | None, typer.Option("--id", help="The version id (default: the effective date).")
    ] = None,
    title: Annotated[
        str | None, typer.Option("--title", help="Default: its first heading.")
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            help="Show the notices it would queue (counts and one of them) and change nothing.",
        ),
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Register a new LA version and queue a change notice to every licensee of an older one.
    Running it again with the same text resumes an interrupted publication. Refused, with
    nothing registered or queued, when config/la/ cannot be written."""
    from licensebot.cli.common import fail
    from licensebot.cli.progress import tracked

    day = _day(effective)
    try:
        text = text_file.read_text(encoding="utf-8")
    except OSError as exc:
        fail(f"cannot read {text_file}: {exc.strerror}")
    desk = _desk(config)
    if dry_run:
        p = desk.preview(text, effective=day, version_id=version_id, title=title)
        state = "new" if p.new else "already registered; publishing would resume"
        typer.echo(
            f"dry run: version {p.version} ({state}), effective {day.isoformat()}, "
            f"previous {p.previous or 'none'}"
        )
        by = ", ".join(f"{n} on {v}" for v, n in sorted(p.by_previous.items())) or "nobody"
        typer.echo(f"notices it would queue: {p.notices} ({by})")
        if p.notices:
            typer.echo(f"one of them (attachment {p.attachment}):\n")
            typer.echo(f"Subject: {p.sample_subject}\n")
            typer.echo(p.sample_body)
        typer.echo("nothing was written, registered or queued")
        return
    with tracked("notices queued", desk.awaiting(version_id or day.isoformat())) as progress:
        report = desk.publish(
            text, effective=day, version_id=version_id, title=title, on_chunk=progress.set
        )
    verb = "published" if report.new else "already published; resumed"
    typer.echo(
        f"version {report.version} {verb} (effective {day.isoformat()}, "
        f"previous {report.previous or 'none'})"
    )
    typer.echo(f"notices: {report.queued} queued now, {report.total} in all")
    for f in report.files_written:
        typer.echo(f"wrote {f}")
    typer.echo(
        "the worker sends them (`licensebot run`, or `licensebot poll --once`); restart a "
        "running worker so that it reads forms of the new version"
    )


@la_app.command("status")
def status(
    version_id: Annotated[str | None, typer.Argument(help="Default: the newest version.")] = None,
    config: ConfigOption = None,
) -> None:
    """How far the change notices of a version have got."""
    st = _desk(config).status(version_id)  # LaError: one line by `main`
    pct = 100.0 * st.done / st.total if st.total else 100.0
    typer.echo(
        f"version {st.version}: effective {st.effective.isoformat()}, "
        f"published {_when(st.published_at)}"
    )
    typer.echo(f"notices: {st.total}, done {st.done} ({pct:.1f}%)")
    for key in ("queued", "retrying", "sent", "bounced", "failed", "unsure"):
        typer.echo(f"  {key:<9} {st.delivery.get(key, 0)}")
    typer.echo(f"opted out: {st.opted_out}")
    if st.licensees_left:
        typer.echo(
            f"not yet queued: {st.licensees_left} licensee(s): run `licensebot la publish` "
            "again with the same file to resume"
        )


@la_app.command("list")
def list_versions(config: ConfigOption = None) -> None:
    """The registered LA versions and which one new applications must use today."""
    desk = _desk(config)
    today = desk.today()
    required = desk.required_version(today)
    for v in desk.versions():
        mark = "  <- new applications" if v.id == required else ""
        typer.echo(
            f"{v.id:<12} effective {v.effective.isoformat()}  published "
            f"{_when(v.published_at)}  {v.title}{mark}"
        )


def _when(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M")
