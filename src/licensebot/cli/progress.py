"""Progress of long work on the command line (`check` over many files, `la publish`'s
broadcast): a Rich progress bar on a terminal, a plain line every few seconds otherwise (cron,
a pipe, a CI log), and one summary line at the end (counts, time). Always on stderr, so that
stdout stays the command's output (`check --json` lines)."""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


class Tracker:
    """How far a piece of work has got; `counts` are what the summary line breaks down."""

    def __init__(self, label: str, total: int, stream: IO[str], *, every: float) -> None:
        self.label = label
        self.total = total
        self.done = 0
        self.counts: Counter[str] = Counter()
        self.started = time.monotonic()
        self._stream = stream
        self._every = every
        self._last = self.started
        self._bar: Progress | None = None
        self._task: int | None = None

    def advance(self, n: int = 1, *, outcome: str | None = None) -> None:
        self.done += n
        if outcome:
            self.counts[outcome] += n
        self._show()

    def set(self, done: int) -> None:
        self.done = done
        self._show()

    def _show(self) -> None:
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, completed=self.done)  # type: ignore[arg-type]
            return
        now = time.monotonic()
        if now - self._last >= self._every and self.done < self.total:
            self._last = now
            pct = 100.0 * self.done / self.total if self.total else 100.0
            print(
                f"{self.label}: {self.done}/{self.total} ({pct:.0f}%), {now - self.started:.0f} s",
                file=self._stream,
                flush=True,
            )

    def summary(self) -> str:
        spent = time.monotonic() - self.started
        parts = ", ".join(f"{n} {k}" for k, n in sorted(self.counts.items()))
        return f"{self.label}: {self.done} in {spent:.1f} s" + (f" ({parts})" if parts else "")


@contextmanager
def tracked(
    label: str,
    total: int,
    *,
    stream: IO[str] | None = None,
    every: float = 5.0,
    summary: bool = True,
    tty: bool | None = None,
) -> Iterator[Tracker]:
    """A `Tracker` for `total` steps; a bar when `stream` is a terminal, plain lines every
    `every` seconds otherwise; the summary line at the end."""
    out = stream or sys.stderr
    tracker = Tracker(label, total, out, every=every)
    is_tty = out.isatty() if tty is None else tty
    if is_tty and total > 1:
        bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=Console(file=out, force_terminal=True),
            transient=True,
        )
        tracker._bar = bar
        with bar:
            tracker._task = int(bar.add_task(label, total=total))
            yield tracker
    else:
        yield tracker
    if summary:
        print(tracker.summary(), file=out, flush=True)
