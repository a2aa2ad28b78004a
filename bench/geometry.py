"""Benchmark page geometry on synthetic phone photos: corners found, upright, milliseconds.

    OMP_THREAD_LIMIT=1 .venv/bin/python bench/geometry.py --count 50 --dpi 200 [--osd]

Each photo is a page of a digital form from the test factory (development seeds only), put
on a desk by tests/forms/photo.py. A page is `found` when `flatten_page` says so; its
corners are right when the worst one lies within 3 % of the page's width of the truth;
upright is right when the page was turned the way the truth says. `--osd` also asks
Tesseract's OSD the 0-or-180 question on each flattened page, for comparison.
Writes bench/results/geometry.md.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("OMP_THREAD_LIMIT", "1")

import numpy as np  # noqa: E402
import pypdfium2 as pdfium  # noqa: E402
from PIL import Image  # noqa: E402

from licensebot.reading.geometry import flatten_page  # noqa: E402
from licensebot.reading.la_versions import load_versions  # noqa: E402
from tests.forms.factory import make_spec, render  # noqa: E402
from tests.forms.photo import phone_photo, render_page  # noqa: E402


def osd_rotation(img: Image.Image, *, timeout: float = 30.0) -> int:
    """Degrees to turn `img` counter-clockwise to stand upright by Tesseract's OSD (the `tesseract`
    CLI, psm 0), 0 if unsure: the method the geometry's orientation call replaced, kept here
    for the comparison."""
    buf = io.BytesIO()
    img.save(buf, "PNG", compress_level=1)
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    try:
        proc = subprocess.run(
            ["tesseract", "stdin", "stdout", "--psm", "0"],
            input=buf.getvalue(),
            capture_output=True,
            timeout=timeout,
            env=env,
            check=False,
        )
    except (subprocess.TimeoutExpired, FileNotFoundError):
        return 0
    m = re.search(rb"Rotate: (\d+)", proc.stdout)
    conf = re.search(rb"Orientation confidence: ([\d.]+)", proc.stdout)
    if not m or not conf or float(conf.group(1)) < 1.0:
        return 0
    # OSD's Rotate is clockwise; PIL's rotate(angle) turns counter-clockwise
    return (360 - int(m.group(1))) % 360


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=50)
    ap.add_argument("--dpi", type=float, default=200.0)
    ap.add_argument("--seed", type=int, default=1000)
    ap.add_argument("--osd", action="store_true")
    ap.add_argument("--out", default=str(ROOT / "bench/results/geometry.md"))
    args = ap.parse_args()
    assert args.seed + args.count < 100000, "development seeds only"
    version = load_versions(ROOT / "config/la")[-1]
    found = corners_ok = upright_ok = osd_ok = osd_unsure = 0
    errors: list[float] = []
    ms: list[float] = []
    osd_ms: list[float] = []
    for i in range(args.count):
        seed = args.seed + i
        rng = random.Random(seed)
        spec = make_spec(seed, version, medium="digital")
        pdf = render(spec)
        doc = pdfium.PdfDocument(pdf)
        index = rng.randrange(len(doc))
        doc.close()
        page_image = render_page(pdf, index, args.dpi)
        photo, truth = phone_photo(page_image, rng)
        gray = photo.convert("L")
        t = time.perf_counter()
        page = flatten_page(gray, dpi=args.dpi)
        ms.append((time.perf_counter() - t) * 1000)
        upright_ok += page.turned == truth.turn
        if page.quad is not None:
            found += 1
            err = float(
                np.linalg.norm(np.array(page.quad) - np.array(truth.corners), axis=1).max()
                / (truth.ppi * truth.page_width_in)
            )
            errors.append(err)
            corners_ok += err < 0.03
        if args.osd and page.found:
            # the question OSD would be asked: is the page, its quarter turn done, on its head?
            flipped = page.turned in (180, 270)
            quarter = page.turned - 180 if flipped else page.turned
            unflipped = page.image.rotate(180) if flipped else page.image
            t = time.perf_counter()
            turn = osd_rotation(unflipped.reduce(2))
            osd_ms.append((time.perf_counter() - t) * 1000)
            need_flip = truth.turn == (quarter + 180) % 360
            osd_ok += (turn == 180) == need_flip and truth.turn in (quarter, (quarter + 180) % 360)
            osd_unsure += turn == 0
    n = args.count
    lines = [
        "# Page geometry on synthetic phone photos",
        "",
        f"`bench/geometry.py --count {n} --dpi {args.dpi:g}` (seeds {args.seed}-"
        f"{args.seed + n - 1}, development): a page of a digital form from the test factory, "
        "photographed by `tests/forms/photo.py` (desk, perspective, rotation incl. 90/180/270, "
        "shadow, light spot, blur, JPEG).",
        "",
        "| measure | value |",
        "|---|---|",
        f"| page found | {found}/{n} |",
        f"| corners within 3 % of the page width (of found) | {corners_ok}/{found} |",
        f"| worst-corner error, median / max (of found) | "
        f"{np.median(errors) * 100:.2f} % / {max(errors) * 100:.2f} % |"
        if errors
        else "| worst-corner error | - |",
        f"| upright right (0/90/180/270) | {upright_ok}/{n} |",
        f"| ms per page, median / p95 / max | {np.median(ms):.0f} / "
        f"{np.percentile(ms, 95):.0f} / {max(ms):.0f} |",
    ]
    if args.osd:
        lines.append(
            f"| Tesseract OSD, 0-or-180 right (of found) | {osd_ok}/{found}, "
            f"{osd_unsure} unsure, {np.median(osd_ms):.0f} ms median |"
        )
    lines.append("")
    text = "\n".join(lines)
    print(text)
    Path(args.out).write_text(text)


if __name__ == "__main__":
    main()
