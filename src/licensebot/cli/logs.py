"""Structured logs: one key=value line per event on stderr (`LICENSEBOT_LOG_FORMAT=json` for
JSON lines), e.g. `event=reply.sent application=42 kind=applicant.review`."""

from __future__ import annotations

import logging
import os
import sys
import threading
from typing import Any

import structlog


def configure_logging(level: str | None = None) -> None:
    level = (level or os.environ.get("LICENSEBOT_LOG_LEVEL", "INFO")).upper()
    renderer: structlog.typing.Processor
    if os.environ.get("LICENSEBOT_LOG_FORMAT", "kv") == "json":
        renderer = structlog.processors.JSONRenderer()
    else:
        renderer = structlog.processors.KeyValueRenderer(
            key_order=["timestamp", "level", "event"], drop_missing=True
        )
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelNamesMapping()[level]),
        logger_factory=_StderrLogger,
        cache_logger_on_first_use=False,
    )
    # Library chatter (imapclient logs every command at DEBUG) stays out unless asked for.
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)


class _StderrLogger:
    """Writes to whatever `sys.stderr` is at the time of the call (not at configuration)."""

    _lock = threading.Lock()

    def __init__(self, *_args: Any) -> None:
        pass

    def msg(self, message: str) -> None:
        with self._lock:
            print(message, file=sys.stderr, flush=True)

    log = debug = info = warning = warn = error = critical = exception = fatal = msg
