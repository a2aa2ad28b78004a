"""Imported by the sandbox's fork server after `_warm`: when the process that started it named
its LA versions (`sandbox.start_readers(la_dir=...)`, through `READERS_LA_DIR` in the
environment), a read of the current version's blank form with them and a MIME read of a sample
message, so that every single-use reader forked from the server starts with the versions' clause
tables built, the patterns the version and label passes compile on first use compiled, and the
MIME reader's lazy set-up done; a reader forked ahead of need warms up on the same blank LA
(`SAMPLE_LA`). Otherwise each reader did that work again on its one message:
about 20 ms of a typed LA's 60 ms read, 8 ms of a message's 19 ms (measured on this machine).
Without the variable, or when a sample cannot be read, nothing happens: readers start colder.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from licensebot.reading.sandbox import READERS_LA_DIR

#: The current version's blank LA (its text layer), kept for the readers' own warm-up.
SAMPLE_LA: bytes | None = None


def _warm_with_versions(la_dir: Path) -> None:
    global SAMPLE_LA
    from licensebot.core.la import current_version
    from licensebot.reading.blank_form import render_blank_form
    from licensebot.reading.la_versions import load_versions
    from licensebot.reading.mime import WARM_MESSAGE, read_message
    from licensebot.reading.pdf import ReadLimits, read_pdf

    versions = load_versions(la_dir)
    current = current_version(versions)
    for fillable in (True, False):  # the form fields' path, then the text layer's
        blank = render_blank_form(current, fillable=fillable)
        read_pdf(blank, versions=versions, limits=ReadLimits())
    SAMPLE_LA = blank
    read_message(WARM_MESSAGE, trusted_authserv_ids=("example.org",), own_addresses=())


if _la_dir := os.environ.get(READERS_LA_DIR):
    try:
        _warm_with_versions(Path(_la_dir))
    except Exception as exc:  # a reader that starts colder still reads
        logging.getLogger(__name__).warning("readers.warm_up_failed: %s", exc)
