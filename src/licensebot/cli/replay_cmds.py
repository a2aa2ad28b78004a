"""`licensebot replay`: judge stored mail again with today's code and configuration and show
what would change (nothing is written or sent). Renders `core.replay.ReplayReport`."""

from __future__ import annotations

import csv
import json
import sys
from datetime import date, datetime
from typing import Annotated, Any

import typer

from licensebot.cli.common import ConfigOption, err, migrated_or_exit, settings_or_exit
from licensebot.core.replay import Change, ReplayReport


def register(app: typer.Typer) -> None:
    app.command("replay")(replay)


def _day(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date: write YYYY-MM-DD") from None


def replay(
    config: ConfigOption = None,
    since: Annotated[
        str | None,
        typer.Option("--since", help="Only messages received on or after this day (YYYY-MM-DD)."),
    ] = None,
    case: Annotated[
        list[int] | None, typer.Option("--case", help="Only this case (repeatable).")
    ] = None,
    folder: Annotated[
        str | None,
        typer.Option(
            "--folder",
            help="Judge the messages of this IMAP folder instead of the stored ones "
            "(read-only; compared with the recorded decision by Message-ID).",
        ),
    ] = None,
    mailbox: Annotated[
        str | None,
        typer.Option(
            "--mailbox", help="With --folder: the mailbox, by its name (default: the first)."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="The report as one JSON object.")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="One CSV row per change.")] = False,
    jobs: Annotated[
        int, typer.Option("--jobs", "-j", min=1, help="Messages judged at once (PDF readers).")
    ] = 1,
) -> None:
    """Show what today's rules, reader, lists and LA would decide differently.

    Stored messages (or an IMAP folder's) are judged again and every case whose decision or
    reasons would change is listed. Nothing is written or sent: apply a change with
    `licensebot review approve|reject CASE`."""
    from licensebot.worker.replay import open_replay

    if as_json and as_csv:
        err.print("choose one of --json and --csv")
        raise typer.Exit(2)
    day = _day(since)
    settings = settings_or_exit(config)
    migrated_or_exit(settings)
    with open_replay(settings, jobs=jobs) as (replayer, fetch_folder):
        if folder is not None:
            result = replayer.folder(fetch_folder(folder, mailbox), folder=folder)
        else:
            result = replayer.stored(since=day, cases=case or ())
    if as_json:
        json.dump(result.as_dict(), sys.stdout, ensure_ascii=False, indent=2)
        print()
    elif as_csv:
        write_csv(result)
    else:
        for line in text_lines(result):
            typer.echo(line)


def _reasons(reasons: tuple[str, ...]) -> str:
    return ",".join(reasons) or "-"


def _value(v: Any) -> str:
    if isinstance(v, list):
        return "[" + ", ".join(map(str, v)) + "]"
    return "-" if v is None else str(v)


def _facts(c: Change) -> list[str]:
    return [f"{f.rule}.{f.key}: {_value(f.old)} -> {_value(f.new)}" for f in c.facts]


def text_lines(r: ReplayReport) -> list[str]:
    lines = [
        f"replayed {r.examined} message(s): {len(r.changes)} would change, "
        f"{r.unchanged} unchanged, {len(r.skipped)} skipped"
    ]
    lines += [f"  {label}: {n}" for label, n in r.counts.items()]
    for c in r.changes:
        where = f"case {c.case}" if c.case is not None else "not recorded"
        now = f"  [case now: {c.current}]" if c.current and c.current != c.old_decision else ""
        lines.append("")
        lines.append(f"{where} ({c.ref}, {c.received_at or '?'}): {c.label}{now}")
        lines.append(f"  reasons: {_reasons(c.old_reasons)} -> {_reasons(c.new_reasons)}")
        lines += [f"  {f}" for f in _facts(c)]
    if r.skipped:
        lines.append("")
        lines += [
            f"skipped {s.ref}" + (f" (case {s.case})" if s.case else "") + f": {s.why}"
            for s in r.skipped
        ]
    if r.changes:
        lines.append("")
        lines.append("nothing was changed: apply a change with `licensebot review approve|reject`")
    return lines


def write_csv(r: ReplayReport) -> None:
    w = csv.writer(sys.stdout, lineterminator="\n")
    w.writerow(
        [
            "case",
            "message",
            "received_at",
            "change",
            "old_decision",
            "new_decision",
            "old_reasons",
            "new_reasons",
            "case_now",
            "facts",
        ]
    )
    for c in r.changes:
        w.writerow(
            [
                c.case if c.case is not None else "",
                c.ref,
                c.received_at,
                c.label,
                c.old_decision,
                c.new_decision,
                " ".join(c.old_reasons),
                " ".join(c.new_reasons),
                c.current or "",
                "; ".join(_facts(c)),
            ]
        )
