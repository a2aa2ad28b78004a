"""The worker's Prometheus metrics: counters this process bumps as it works, and the outbox's
and the digest's state read from the database at each scrape (so every worker of a team that
runs several reports the same queue).

The list, with what each means, is in README.md ("Health and metrics") and deploy/README.md.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from licensebot.core.form import ReadForm
from licensebot.core.reasons import Decision
from licensebot.store.models import OutboxMessage, OutboxState, utcnow

#: Outbox rows still to go out (a held `ambiguous` row waits for a person, not for SMTP).
UNSENT = (OutboxState.PENDING, OutboxState.SENDING, OutboxState.DATA)
#: Seconds; a typed LA reads in well under a second, a scanned one in 5-40 s.
READER_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 40.0, 80.0)


class Metrics:
    """One registry per worker (tests build several in one process)."""

    def __init__(self, engine: Engine | None = None) -> None:
        r = self.registry = CollectorRegistry()
        self.fetched = Counter(
            "licensebot_messages_fetched",
            "Messages fetched from a mailbox, by mailbox.",
            ["mailbox"],
            registry=r,
        )
        self.decisions = Counter(
            "licensebot_decisions",
            "Applications decided by the rules, by decision.",
            ["decision"],
            registry=r,
        )
        for d in Decision:
            self.decisions.labels(d.value)
        self.reader_seconds = Histogram(
            "licensebot_reader_seconds",
            "Wall time to read one LA PDF in its sandboxed reader, by path (text or ocr).",
            ["path"],
            buckets=READER_BUCKETS,
            registry=r,
        )
        self.ocr_failures = Counter(
            "licensebot_ocr_failures",
            "Scanned PDFs the reader could not read (timeout, memory, a broken image).",
            registry=r,
        )
        self.sends = Counter(
            "licensebot_sends",
            "SMTP sends, by result (sent, transient, permanent, ambiguous).",
            ["result"],
            registry=r,
        )
        for result in ("sent", "transient", "permanent", "ambiguous"):
            self.sends.labels(result)
        self.imap_reconnects = Counter(
            "licensebot_imap_reconnects",
            "IMAP sessions lost and opened again, by mailbox.",
            ["mailbox"],
            registry=r,
        )
        self.pushes = Counter(
            "licensebot_pushes",
            "Requests to the push listener, by result (woke: a mailbox synced at once; "
            "unmatched: no mailbox of ours named; refused: not a push).",
            ["result"],
            registry=r,
        )
        for result in ("woke", "unmatched", "refused"):
            self.pushes.labels(result)
        if engine is not None:
            r.register(StoreCollector(engine))

    def read(self, form: ReadForm, seconds: float) -> None:
        """One PDF read: its time by path, and an OCR failure when a scan could not be read."""
        path = "ocr" if form.scanned else "text"
        self.reader_seconds.labels(path).observe(seconds)
        if form.error is not None and (form.scanned or form.error in ("timeout", "memory")):
            self.ocr_failures.inc()


class StoreCollector(Collector):
    """Gauges read from the database at scrape time."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def describe(self) -> list[Metric]:
        return []  # collected lazily: no query when the registry is built

    def collect(self) -> Iterator[Metric]:
        depth, oldest = outbox_backlog(self.engine)
        yield GaugeMetricFamily(
            "licensebot_outbox_depth", "Outbox messages not yet sent (pending, sending).", depth
        )
        age = (utcnow() - oldest).total_seconds() if oldest else 0.0
        yield GaugeMetricFamily(
            "licensebot_outbox_oldest_pending_age_seconds",
            "Age of the oldest outbox message not yet sent; 0 when none.",
            max(age, 0.0),
        )
        last = digest_last_sent(self.engine)
        yield GaugeMetricFamily(
            "licensebot_digest_last_sent_timestamp_seconds",
            "When the SMTP server last accepted a maintainers' digest (Unix time); 0: never.",
            last.timestamp() if last else 0.0,
        )


def outbox_backlog(
    engine: Engine, *, exclude_kinds: Sequence[str] = ()
) -> tuple[int, datetime | None]:
    """How many outbox rows are still to go out, and when the oldest was queued."""
    q = select(func.count(), func.min(OutboxMessage.created_at)).where(
        col(OutboxMessage.state).in_(UNSENT)
    )
    if exclude_kinds:
        q = q.where(col(OutboxMessage.kind).not_in(list(exclude_kinds)))
    with Session(engine) as s:
        n, oldest = s.exec(q).one()
    return int(n), _aware(oldest)


def digest_last_sent(engine: Engine) -> datetime | None:
    with Session(engine) as s:
        last = s.exec(
            select(func.max(OutboxMessage.sent_at)).where(
                OutboxMessage.kind == "maintainer.digest",
                OutboxMessage.state == OutboxState.SENT,
            )
        ).one()
    return _aware(last)


def _aware(value: datetime | None) -> datetime | None:
    """The store writes UTC (`utcnow`); SQLite hands it back without its zone."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value
