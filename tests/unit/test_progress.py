"""Progress of long work: a bar on a terminal, plain periodic lines otherwise, and a summary
with counts and time."""

from __future__ import annotations

import io
import re
from collections import Counter

from licensebot.cli.progress import tracked


def test_without_a_terminal_plain_lines_then_a_summary_with_counts() -> None:
    out = io.StringIO()
    with tracked("checked", 3, stream=out, every=0.0, tty=False) as progress:
        for outcome in ("reject", "approve", "reject"):
            progress.advance(outcome=outcome)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("checked: 1/3 (33%), ") and lines[0].endswith(" s")
    assert lines[1].startswith("checked: 2/3 (67%), ")
    assert lines[-1].startswith("checked: 3 in ") and lines[-1].endswith("(1 approve, 2 reject)")
    assert "\x1b" not in out.getvalue()  # no terminal codes in a log


def test_on_a_terminal_a_bar_and_no_periodic_lines() -> None:
    out = io.StringIO()
    with tracked("notices queued", 4, stream=out, every=0.0, tty=True) as progress:
        for done in (2, 4):
            progress.set(done)
    text = out.getvalue()
    assert "━" in text and "notices queued: 4/4" not in text  # the bar, not the plain lines
    assert re.search(r"\x1b\[2Knotices queued: 4 in \d+\.\d s$", text)  # the bar erased first
    assert progress.counts == Counter()
