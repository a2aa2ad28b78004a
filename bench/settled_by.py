"""What each OCR engine contributes to the values the reader settles, on whole forms.

    OMP_THREAD_LIMIT=1 .venv/bin/python bench/settled_by.py --count 30

Reads the scanned and photographed forms among the first `--count` development forms of the
independent source (tests/forms/independent.py; never held-out seeds) with `read_pdf`, and
counts how each OCR value came out of the two engines' cross-check (`cell_ocr.confirmed`, which
every OCR value passes): Tesseract's value that RapidOCR read the same, the same but for what
RapidOCR cannot write (accents) or reads otherwise (a comma as a period), another reading the
two engines settled together, or refused. Values left unread before the cross-check (labels not
found, Tesseract's passes disagreeing, handwriting) never reach it. Prints a Markdown table
(bench/results/engines.md keeps the last one).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("OMP_THREAD_LIMIT", "1")

from licensebot.reading import cell_ocr  # noqa: E402
from licensebot.reading.clean import CLEANERS  # noqa: E402
from licensebot.reading.la_versions import load_versions  # noqa: E402
from licensebot.reading.pdf import read_pdf  # noqa: E402
from tests.forms.delivery import deliver  # noqa: E402
from tests.forms.factory import older_version  # noqa: E402
from tests.forms.independent import export, stratified  # noqa: E402
from tests.forms.split import DEV, seeds  # noqa: E402

SAME = "Tesseract's value, RapidOCR read the same"
NEAR = "the same but for accents or commas (RapidOCR's alphabet has no accents)"
OTHER = "another reading, settled by the two engines together"
REFUSED = "refused by the cross-check (left unread)"
VOTED = "of these, first settled by the vote among a cell's readings"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--count", type=int, default=30)
    args = ap.parse_args()
    how: Counter[str] = Counter()
    confirmed, vote = cell_ocr.confirmed, cell_ocr.vote

    def counted_confirmed(image: Any, cell: Any, read: Any, scale: float) -> Any:
        out = confirmed(image, cell, read, scale)
        rapid = [r.text for r in cell.readings if r.model == "rapid"]
        if out.value is None:
            how[REFUSED] += 1
        elif out.value != read.value:
            how[OTHER] += 1
        else:
            same = any(CLEANERS[cell.key](t) == out.value for t in rapid)
            how[SAME if same else NEAR] += 1
        return out

    def counted_vote(key: str, readings: Any) -> Any:
        out = vote(key, readings)
        if out is not None and out.value is not None:
            how[VOTED] += 1
        return out

    cell_ocr.confirmed = counted_confirmed  # type: ignore[assignment]
    cell_ocr.vote = counted_vote  # type: ignore[assignment]
    versions = load_versions(ROOT / "config" / "la")
    every = [older_version(versions[-1]), *versions]
    specs = [s for s in stratified(seeds(DEV, args.count)) if s.medium != "digital"]
    for start in range(0, len(specs), 16):
        batch = specs[start : start + 16]
        for spec, pdf in zip(batch, export(batch), strict=True):
            read_pdf(deliver(pdf, spec), versions=every)
    total = sum(how[k] for k in (SAME, NEAR, OTHER, REFUSED))
    print(f"{len(specs)} scanned or photographed development forms, {total} OCR values checked\n")
    print("| how the value was settled | values |\n| --- | ---: |")
    for key in (SAME, NEAR, OTHER, REFUSED, VOTED):
        share = f" ({100 * how[key] / total:.0f} %)" if total and key != VOTED else ""
        print(f"| {key} | {how[key]}{share} |")


if __name__ == "__main__":
    main()
