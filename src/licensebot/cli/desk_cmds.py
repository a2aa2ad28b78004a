"""The maintainers' desk on the command line: `digest`, `review list|show|approve|reject|note`,
`export` and `licensee show`. Each command is a thin call into `licensebot.worker`."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from licensebot.cli.common import EXIT_CONFIG, ConfigOption, bot_or_exit, fail
from licensebot.core.commands import Command, Verb

if TYPE_CHECKING:
    from licensebot.worker.app import Bot

review_app = typer.Typer(no_args_is_help=True, help="The review queue, and decisions by hand.")
licensee_app = typer.Typer(no_args_is_help=True, help="Licensees and their history.")


def register(app: typer.Typer) -> None:
    app.command("digest")(digest)
    app.command("export")(export)
    app.add_typer(review_app, name="review")
    app.add_typer(licensee_app, name="licensee")


def _bot(config: Path | None) -> Bot:
    return bot_or_exit(config)


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"


def digest(
    config: ConfigOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the digest instead of sending it.")
    ] = False,
    eml: Annotated[
        Path | None,
        typer.Option("--eml", help="With --dry-run: also write the whole message (.eml) here."),
    ] = None,
    now: Annotated[
        bool,
        typer.Option(
            "--now", help="Cover the time up to now, not up to the last scheduled digest time."
        ),
    ] = False,
) -> None:
    """Send the maintainers' digest for the time since the last one (or print it).

    Without --now it is the digest of the latest scheduled time (schedule.digest_time), the
    same one the worker sends: running it from cron as well never sends a period twice."""
    bot = _bot(config)
    if dry_run:
        from licensebot.mail.compose import compose, new_message_id

        m = bot.digest.preview()
        typer.echo(f"Subject: {m.subject}\n")
        typer.echo(m.text)
        names = ", ".join(a.filename for a in m.attachments)
        typer.echo(
            f"[HTML part with {len(m.inline)} image(s): the chart and "
            f"{len(m.inline) - 1} first page(s); attachments: {names}]"
        )
        if eml is not None:
            smtp = bot.settings.smtp
            eml.write_bytes(
                compose(
                    from_address=smtp.from_address,
                    from_name=smtp.from_name,
                    to=", ".join(bot.settings.maintainers.addresses) or smtp.from_address,
                    subject=m.subject,
                    body=m.text,
                    html=m.html,
                    inline=m.inline,
                    attachments=m.attachments,
                    message_id=new_message_id("dry-run.invalid"),
                    instance_id=bot.settings.dataset.instance_id,
                    auto="auto-generated",
                )
            )
            typer.echo(f"[written to {eml}]")
        return
    result = bot.digest.send() if now else bot.digest.scheduled()
    if result.skipped:
        typer.echo(f"no digest sent: {result.skipped}")
        return
    sent = bot.relay.flush()
    assert result.period is not None
    typer.echo(
        f"digest {result.period.start:%Y-%m-%d %H:%M} - {result.period.end:%Y-%m-%d %H:%M} UTC "
        f"queued for {', '.join(result.recipients)}; outbox: {sent.sent} sent"
    )


@review_app.command("list")
def review_list(config: ConfigOption = None) -> None:
    """The cases waiting for a person, oldest first."""
    bot = _bot(config)
    rows = bot.review.queue()
    if not rows:
        typer.echo("the review queue is empty")
        return
    for app, rec in rows:
        reasons = ", ".join(rec.reasons) if rec and rec.reasons else "-"
        signer = (rec.fields.get("signer_name") if rec else None) or "?"
        typer.echo(
            f"#{app.id:<6} {app.created_at:%Y-%m-%d %H:%M}  {app.sender or '?':<32} "
            f"{signer:<24} {reasons}"
        )


@review_app.command("show")
def review_show(case: int, config: ConfigOption = None) -> None:
    """One case: the application, every decision with its reasons and fields, and its events."""
    from licensebot.worker.records import describe

    bot = _bot(config)
    view = bot.review.show(case)
    if view is None:
        fail(f"there is no case {case}: `licensebot review list` shows the open ones")
    a = view.application
    typer.echo(f"case {a.id}: {a.decision}")
    typer.echo(f"  from {a.sender or '?'}, received {a.created_at:%Y-%m-%d %H:%M} UTC")
    typer.echo(f"  subject: {a.subject}")
    typer.echo(f"  PDF: {a.pdf_filename or 'none'} {a.pdf_path or ''}")
    for d in view.decisions:
        typer.echo(
            f"  decision {d.decision} by {d.decided_by} at {d.created_at:%Y-%m-%d %H:%M}"
            f" - reasons: {', '.join(d.reasons) or 'none'}"
        )
    if view.latest and view.latest.fields:
        typer.echo("  fields:")
        for k, v in view.latest.fields.items():
            typer.echo(f"    {k}: {v}")
    for lic in view.licensees:
        typer.echo(f"  licensee {lic.id}: {lic.name} <{lic.email}> ({lic.state})")
    typer.echo("  history:")
    for line in describe(view.events):
        typer.echo(f"    {line}")


def _decide(config: Path | None, verb: Verb, case: int, text: str, *, force: bool = False) -> None:
    bot = _bot(config)
    if verb is Verb.APPROVE:
        # an approval quotes the access code: without it nothing is recorded or sent
        from licensebot.config import SecretMissing, read_secret

        try:
            read_secret(bot.settings.approval.access_code_env)
        except SecretMissing as exc:
            fail(f"approval: {exc}", code=EXIT_CONFIG)
    line = f"{verb} {case}{' force' if force else ''} {text}".strip()
    outcome = bot.review.run(Command(verb, case, text, line, force=force), actor=_actor())
    if outcome.status == "error":
        fail(outcome.text)
    typer.echo(f"{outcome.status}: {outcome.text}")
    if verb in (Verb.APPROVE, Verb.REJECT) and outcome.status == "done":
        sent = bot.relay.flush()
        typer.echo(f"outbox: {sent.sent} sent, {sent.retried} to retry")


@review_app.command("approve")
def review_approve(
    case: int,
    config: ConfigOption = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Overturn a rejection for a hard reason (student signer, free email, outdated "
            "form, ...); needs --why.",
        ),
    ] = False,
    why: Annotated[
        str, typer.Option("--why", help="Why, recorded with the decision and in the events.")
    ] = "",
) -> None:
    """Approve a case: record the licensee and tell the applicant. A case rejected for a hard
    reason is approved only with --force and --why."""
    if force and not why.strip():
        fail('--force needs --why "<why the hard reason does not apply>"', code=2)
    _decide(config, Verb.APPROVE, case, why.strip(), force=force)


@review_app.command("reject")
def review_reject(
    case: int,
    reason: Annotated[list[str], typer.Argument(help="The reason, as the applicant reads it.")],
    config: ConfigOption = None,
) -> None:
    """Reject a case with a reason for the applicant, and tell them."""
    _decide(config, Verb.REJECT, case, " ".join(reason))


@review_app.command("note")
def review_note(
    case: int,
    text: Annotated[list[str], typer.Argument(help="The note.")],
    config: ConfigOption = None,
) -> None:
    """Add a note to a case (an event; nobody is told)."""
    _decide(config, Verb.NOTE, case, " ".join(text))


def export(
    config: ConfigOption = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="The CSV file (default: stdout).")
    ] = None,
) -> None:
    """Licensees and the members they signed for, as CSV."""
    from licensebot.worker.records import export_licensees

    bot = _bot(config)
    data = export_licensees(bot.engine)
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        output.write_bytes(data)
        rows = data.count(b"\n") - 1
        typer.echo(f"{rows} row(s) written to {output}")


@licensee_app.command("show")
def licensee_show(
    key: Annotated[str, typer.Argument(help="The licensee's id or email address.")],
    config: ConfigOption = None,
) -> None:
    """One licensee: the licence, its case and every recorded change, oldest first."""
    from licensebot.worker.records import describe, licensee_histories

    bot = _bot(config)
    found = licensee_histories(bot.engine, key)
    if not found:
        fail(f"no licensee {key}: `licensebot export` lists them all")
    for h in found:
        lic = h.licensee
        typer.echo(f"licensee {lic.id}: {lic.name} <{lic.email}>, {lic.affiliation}")
        typer.echo(
            f"  state {lic.state}, LA version {lic.la_version or '?'}, case {lic.application_id}"
        )
        for m in lic.members:
            typer.echo(f"  member: {m.get('name')} ({m.get('registered_id') or '-'})")
        typer.echo("  history:")
        for line in describe(h.events):
            typer.echo(f"    {line}")
