"""How much untrusted input the reader takes, how sure a reading must be, and how it fails."""

from __future__ import annotations

from dataclasses import dataclass
from time import perf_counter

from licensebot.errors import LicensebotError


@dataclass(frozen=True, slots=True)
class ReadLimits:
    """Caps on untrusted input, and how sure a reading must be to count."""

    max_bytes: int = 20_000_000
    max_pages: int = 12
    max_image_pixels: int = 60_000_000  # an embedded image bigger than this is a bomb
    max_render_pixels: int = 40_000_000  # a rendered page image
    ocr_dpi: int = 300  # the form page, for the value cells
    body_dpi: int = 100  # other scanned pages, read only for the version text
    reread_dpi: int = 200  # the pages of the clauses a first reading left unsure, again
    ocr_timeout: float = 30.0  # one Tesseract run
    threshold: float = 0.80  # a value's confidence below this is reported as None
    cjk_threshold: float = 0.60  # the same for values in Chinese characters
    # enforced by the sandbox:
    time_limit: float = 60.0  # wall clock seconds
    cpu_limit: int = 90  # CPU seconds (RLIMIT_CPU)
    # Address space a reader may add to what it is forked with (RLIMIT_AS = that + this; the
    # fork server's engines take about 1 GB of address space, mostly shared). A scan or a phone
    # photo adds 110-135 MB at its peak; the service's budget counts this (docs/memory.md).
    memory_bytes: int = 512_000_000


class ReadError(LicensebotError):
    """The PDF cannot be read at all; `code` is the ReadForm error code."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


def tick(timings: dict[str, float], stage: str, since: float) -> float:
    """Charge the time since `since` to `stage` (`ReadForm.timings`); the next stage's start."""
    now = perf_counter()
    timings[stage] = timings.get(stage, 0.0) + now - since
    return now
