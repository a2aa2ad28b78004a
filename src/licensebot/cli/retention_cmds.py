"""`licensebot purge` (the retention policy now, or `--dry-run` to see what would go) and
`licensebot licensee erase ID` (an erasure request). Thin calls into `worker.retention`."""

from __future__ import annotations

import getpass
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from licensebot.cli.common import ConfigOption, bot_or_exit, err

if TYPE_CHECKING:
    from licensebot.worker.retention import Retention


def register(app: typer.Typer, licensee_app: typer.Typer) -> None:
    app.command("purge")(purge)
    licensee_app.command("erase")(erase)


def _retention(config: Path | None) -> Retention:
    return bot_or_exit(config).retention


def purge(
    config: ConfigOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what is due; remove nothing.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="The plan as JSON.")] = False,
) -> None:
    """Remove the personal data the retention policy says is due ([retention] settings); the
    worker does this daily at retention.purge_time."""
    r = _retention(config)
    if dry_run:
        plan = r.plan()
        result_files = mailed = None
    else:
        result = r.purge()
        plan, result_files = result.plan, result.files
        mailed = result.removed_from_mailboxes
    counts = plan.counts()
    if as_json:
        data = {
            "dry_run": dry_run,
            "counts": counts,
            "raw": list(plan.raw),
            "pdf": list(plan.pdf),
            "delete": [{"case": c, "decision": d.value} for c, d in plan.delete],
            "tombstone": list(plan.tombstone),
            "loose_messages": len(plan.loose_messages),
            "loose_replies": len(plan.loose_replies),
            "files_removed": result_files,
            "removed_from_mailboxes": mailed,
        }
        json.dump(data, sys.stdout, indent=2)
        print()
        return
    head = "would remove (dry run, nothing removed):" if dry_run else "removed:"
    if plan.empty:
        typer.echo("nothing is due under the retention policy")
        return
    typer.echo(head)
    for label, n in counts.items():
        if n:
            typer.echo(f"  {label}: {n}")
    if plan.delete:
        typer.echo("  cases deleted: " + _ids(c for c, _ in plan.delete))
    if plan.raw:
        typer.echo("  raw mail of cases: " + _ids(plan.raw))
    if plan.pdf:
        typer.echo("  PDFs of cases: " + _ids(plan.pdf))
    if plan.tombstone:
        typer.echo("  licensees made tombstones: " + _ids(plan.tombstone))
    if result_files is not None:
        typer.echo(f"files removed: {result_files}; messages deleted from the mailboxes: {mailed}")


def _ids(ids: object) -> str:
    shown = [str(i) for i in ids]  # type: ignore[attr-defined]
    more = f" and {len(shown) - 20} more" if len(shown) > 20 else ""
    return ", ".join(shown[:20]) + more


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"


def erase(
    licensee: Annotated[
        int, typer.Argument(help="The licensee's id (`licensebot licensee show`).")
    ],
    config: ConfigOption = None,
    yes: Annotated[
        bool, typer.Option("--yes", help="Do it: the licence is voided and cannot come back.")
    ] = False,
) -> None:
    """Honour an erasure request: void the licence and keep only a tombstone.

    The tombstone is the licensee's id, case, LA version, dates and state; the person's
    messages, PDF, form fields, replies and other cases go."""
    if not yes:
        err.print(
            f"erasing licensee {licensee} voids the licence for good: "
            f"run `licensebot licensee erase {licensee} --yes`"
        )
        raise typer.Exit(2)
    result = _retention(config).erase(licensee, actor=_actor())
    typer.echo(
        f"licensee {result.licensee} erased (licence void; tombstone kept with case "
        f"{result.case}); {result.cases_deleted} other case(s) deleted, "
        f"{result.files} file(s) removed"
    )
