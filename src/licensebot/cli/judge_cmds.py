"""`licensebot check` (offline judging of .eml files) and `licensebot explain` (why a recorded
application was decided as it was)."""

from __future__ import annotations

import json
import os
import sys
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from licensebot.cli.common import ConfigOption, err, fail, migrated_or_exit, settings_or_exit

out = Console(highlight=False, soft_wrap=True)


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def check(
    files: Annotated[list[Path], typer.Argument(help="Raw messages (.eml) to judge.")],
    config: ConfigOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
    jobs: Annotated[
        int,
        typer.Option(
            "--jobs",
            "-j",
            min=0,
            help="Messages judged at once, each PDF in one of as many sandboxed readers "
            "(0: one per core, at most 4).",
        ),
    ] = 0,
) -> None:
    """Decide each message offline: no database, no secrets, nothing sent."""
    from licensebot.reading.mime import read_message_confined
    from licensebot.worker.app import open_batch_judge
    from licensebot.worker.judge import Judge, check_json

    settings = settings_or_exit(config)
    jobs = jobs or min(_cores(), 4)

    def judged(judge: Judge, path: Path) -> dict[str, Any]:
        try:
            raw = path.read_bytes()
        except OSError as exc:
            return {"file": str(path), "error": exc.strerror}
        msg = read_message_confined(
            raw,
            trusted_authserv_ids=settings.auth.trusted_authserv_ids,
            own_addresses=settings.own_addresses,
        )
        return check_json(str(path), judge.verdict(msg))

    from licensebot.cli.progress import tracked

    failed = False
    many = len(files) > 1
    with (
        open_batch_judge(settings, readers=jobs) as judge,
        ThreadPoolExecutor(max_workers=jobs) as pool,
        tracked("checked", len(files), summary=many, tty=None if many else False) as progress,
    ):
        # in the files' order; at most a few messages ahead of the one printed next
        ahead: deque[Future[dict[str, Any]]] = deque()
        todo = iter(files)
        while True:
            while len(ahead) < 2 * jobs and (path := next(todo, None)) is not None:
                ahead.append(pool.submit(judged, judge, path))
            if not ahead:
                break
            line = ahead.popleft().result()
            if "error" in line:
                failed = True
                progress.advance(outcome="unreadable")
                if as_json:
                    print(json.dumps(line), flush=True)
                else:
                    err.print("[red]error:[/red] ", end="")
                    err.print(f"{line['file']}: cannot read it ({line['error']})", markup=False)
                continue
            progress.advance(outcome=line["decision"])
            if as_json:
                print(json.dumps(line, ensure_ascii=False), flush=True)
            else:
                reasons = ", ".join(line["reasons"]) or "-"
                out.print(f"{line['file']}: ", end="", markup=False)
                out.print(f"[bold]{line['decision']}[/bold] ", end="")
                out.print(f"({reasons})", markup=False)
    if failed:
        raise typer.Exit(1)


def explain(
    case: Annotated[int, typer.Argument(help="The case number, as in [DFME-LA #42].")],
    config: ConfigOption = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """For a recorded application: every rule, what it saw and what it concluded."""
    from sqlmodel import Session, col, select

    from licensebot.store.db import make_engine
    from licensebot.store.models import Application, DecisionRecord, Event, InboundMessage

    settings = settings_or_exit(config)
    migrated_or_exit(settings)
    engine = make_engine(settings.storage.url())
    with Session(engine) as s:
        app_row = s.get(Application, case)
        if app_row is None:
            fail(f"no case #{case}: `licensebot review list` shows the open ones")
        decisions = s.exec(
            select(DecisionRecord)
            .where(DecisionRecord.application_id == case)
            .order_by(col(DecisionRecord.id))
        ).all()
        events = s.exec(
            select(Event).where(Event.application_id == case).order_by(col(Event.id))
        ).all()
        # who sent the messages that joined the case or were kept out (the events name rows)
        inbound = [e.data.get("inbound_id") for e in events if e.kind in _JOIN_EVENTS]
        senders = {
            row.id: row.from_address
            for row in s.exec(
                select(InboundMessage).where(col(InboundMessage.id).in_([i for i in inbound if i]))
            ).all()
        }
    if as_json:
        data: dict[str, Any] = {
            "case": case,
            "sender": app_row.sender,
            "decision": app_row.decision,
            "decisions": [
                {
                    "at": d.created_at.isoformat(),
                    "decision": d.decision,
                    "reasons": d.reasons,
                    "decided_by": d.decided_by,
                    "rules": d.rule_results,
                    "fields": d.fields,
                }
                for d in decisions
            ],
            "events": [
                {"at": e.at.isoformat(), "kind": e.kind, "actor": e.actor}
                | ({"data": dict(e.data)} if e.kind in _EXPLAINED_EVENTS else {})
                for e in events
            ],
        }
        json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
        print()
        return
    out.print(
        f"[bold]case #{case}[/bold] from {app_row.sender}: {app_row.decision} "
        f"(file {app_row.pdf_filename or '-'})"
    )
    for d in decisions:
        out.print(
            f"\n[bold]{d.created_at:%Y-%m-%d %H:%M} {d.decision}[/bold] by {d.decided_by}; "
            f"reasons: {', '.join(d.reasons) or '-'}"
        )
        for r in sorted(d.rule_results, key=lambda r: (not r.get("hit"), r.get("rule", ""))):
            mark = "HIT " if r.get("hit") else ("skip" if r.get("skipped") else "ok  ")
            facts = ", ".join(f"{k}={_shown(v)}" for k, v in (r.get("facts") or {}).items())
            why = f" (skipped: {r['skipped']})" if r.get("skipped") else ""
            out.print(f"  {mark} {r.get('rule')}: {facts}{why}")
        if d.fields:
            shown = ", ".join(f"{k}={v!r}" for k, v in d.fields.items())
            out.print(f"  fields: {shown}")
    for e in events:
        if e.kind == "decision.overturned":
            from rich.markup import escape

            out.print(
                f"\n[bold]overturned[/bold] {escape(', '.join(e.data.get('overturned', [])))} "
                f"(hard reasons) by {escape(e.actor)} at {e.at:%Y-%m-%d %H:%M}: "
                f"{escape(str(e.data.get('why', '')))}"
            )
        elif e.kind in _JOIN_EVENTS:
            sender = senders.get(e.data.get("inbound_id")) or "(address purged)"
            out.print(
                f"\n{e.kind} ({e.data.get('how')}): {sender} "
                f"(message #{e.data.get('inbound_id')}, auth {e.data.get('auth')})",
                markup=False,
                highlight=False,
            )
    out.print("\nevents: " + "; ".join(f"{e.at:%H:%M:%S} {e.kind}" for e in events))


#: Events whose data `explain` shows (a maintainer's overturn, who joined the case).
_JOIN_EVENTS = frozenset({"case.joined", "case.not_joined"})
_EXPLAINED_EVENTS = frozenset({"decision.overturned", *_JOIN_EVENTS})


def _shown(value: object) -> str:
    """A stored fact: a list joined by commas (records before lists were kept as lists hold
    the joined text already)."""
    return ",".join(map(str, value)) if isinstance(value, list) else str(value)
