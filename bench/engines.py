"""Benchmark the cell readers: Tesseract's models vs RapidOCR on crops of single cells.

    OMP_THREAD_LIMIT=1 .venv/bin/python bench/engines.py --synthetic 12 --forms 30

Writes bench/results/engines.md. Two sources of crops, development seeds only (< 100000):

- `synthetic`: one value rendered alone into a cell-sized crop with the test factory's fonts
  (DejaVu Sans / Serif, WenQuanYi for Chinese) at 150-300 dpi, then a scan's or a phone's
  damage (grey paper, a fraction of a degree of rotation, blur, noise, JPEG); and the same
  values in the factory's handwriting font, jittered per letter (`hand`), where the engines
  are most often wrong, to see whether they are then wrong alike;
- `scan`: the cells of factory forms printed and scanned (`make_spec(seed, medium="scan")`,
  typed, unrotated), each cut around its value's words as the digital twin's PDF places them.

A reading is `exact` when the field's cleaner (`reading.clean`) gives the truth from it.
Agreement: both engines' cleaned values equal, letter for letter, split by right and wrong.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("OMP_THREAD_LIMIT", "1")

import numpy as np  # noqa: E402
import pdfplumber  # noqa: E402
import pypdfium2 as pdfium  # noqa: E402
from PIL import Image, ImageDraw, ImageFilter, ImageFont  # noqa: E402

from licensebot.core.form import Reading  # noqa: E402
from licensebot.reading.agreement import cross_engine_value  # noqa: E402
from licensebot.reading.clean import CLEANERS  # noqa: E402
from licensebot.reading.engines import (  # noqa: E402
    CHINESE,
    LATIN,
    CellReader,
    TesseractCellReader,
    joined,
)
from licensebot.reading.la_versions import load_versions  # noqa: E402
from licensebot.reading.ocr import erase_rules  # noqa: E402
from licensebot.reading.rapid import RapidCellReader, preload  # noqa: E402
from tests.forms import factory  # noqa: E402
from tests.forms.factory import (  # noqa: E402
    ACCENTED,
    DATE_FORMATS,
    PLACES,
    TITLES,
    WESTERN,
    find_font,
    make_spec,
    render,
    write_date,
)

KEY = {
    "name": "signer_name",
    "name_accented": "signer_name",
    "name_chinese": "signer_name",
    "title": "signer_title",
    "affiliation": "affiliation",
    "email": "work_email",
    "address": "address",
    "address_2line": "address",
    "date": "date",
    "date_chinese": "date",
}
CJK_KINDS = ("name_chinese", "date_chinese")


@dataclass
class Sample:
    kind: str
    source: str  # synthetic | hand | scan
    written: str
    truth: str
    crop: Image.Image
    hint: str


# ---- values ---------------------------------------------------------------------------------


def _value(kind: str, rng: random.Random) -> str:
    from datetime import date

    day = date.fromordinal(date(2023, 6, 1).toordinal() + rng.randrange(900))
    if kind == "name":
        return " ".join(rng.choice(WESTERN))
    if kind == "name_accented":
        return " ".join(rng.choice(ACCENTED))
    if kind == "name_chinese":
        return rng.choice(factory.CHINESE)[0]
    if kind == "title":
        return rng.choice(TITLES)
    if kind == "affiliation":
        return rng.choice(PLACES)[0]
    if kind == "email":
        first, last = rng.choice(WESTERN + ACCENTED)
        local = f"{first[0]}.{last}".lower()
        import unicodedata

        local = unicodedata.normalize("NFKD", local).encode("ascii", "ignore").decode()
        return f"{local}@{rng.choice(PLACES)[1]}"
    if kind in ("address", "address_2line"):
        addr = rng.choice(PLACES)[2]
        if kind == "address_2line":
            head, _, tail = addr.partition(", ")
            return f"{head},\n{tail}"
        return addr
    if kind == "date":
        fmt = rng.choice([f for f in DATE_FORMATS if f != "chinese"])
        if fmt in ("dmy_slash", "dmy_dot") and day.day <= 12:
            day = day.replace(day=day.day + 12)
        return write_date(day, fmt)
    if kind == "date_chinese":
        return write_date(day, "chinese")
    raise ValueError(kind)


# ---- synthetic crops ------------------------------------------------------------------------


def _font(name: str, px: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(find_font(name)), px)


def _draw(text: str, rng: random.Random, dpi: int, hand: bool) -> Image.Image:
    cjk = any("\u3000" <= c <= "\u9fff" for c in text)
    pt = rng.choice((9.0, 10.0, 11.0)) * (1.3 if hand else 1.0)
    px = max(8, round(pt * dpi / 72))
    if hand:
        fname = "ukai.ttc" if cjk else "dkg.ttf"
    else:
        fname = "wqy-microhei.ttc" if cjk else rng.choice(("DejaVuSans.ttf", "DejaVuSerif.ttf"))
    font = _font(fname, px)
    lines = text.split("\n")
    width = max(font.getlength(line) for line in lines)
    left = px * rng.uniform(0.3, 1.2)
    top = px * rng.uniform(0.35, 0.8)
    w = round(left + width * (1.12 if hand else 1.0) + px * rng.uniform(0.5, 5.0))
    h = round(top * 2 + px * 1.25 * len(lines))
    paper, ink = rng.randint(232, 250), rng.randint(15, 60)
    img = Image.new("L", (w, h), paper)
    draw = ImageDraw.Draw(img)
    for i, line in enumerate(lines):
        y = top + i * px * 1.25
        if not hand:
            draw.text((left, y), line, font=font, fill=ink)
            continue
        x = left
        for ch in line:  # the factory's handwriting: each letter a little off
            f = _font(fname, max(8, round(px * rng.uniform(0.92, 1.08))))
            draw.text((x, y + rng.uniform(-0.06, 0.06) * px), ch, font=f, fill=ink)
            x += f.getlength(ch) * rng.uniform(1.0, 1.1)
    return img


def _damage(img: Image.Image, rng: random.Random, photo: bool) -> Image.Image:
    paper = int(np.percentile(np.asarray(img), 90))
    img = img.rotate(rng.uniform(-0.7, 0.7), resample=Image.Resampling.BICUBIC, fillcolor=paper)
    arr = np.asarray(img, dtype=np.float32)
    if photo:  # uneven light across the cell
        arr = arr * np.linspace(rng.uniform(0.75, 0.9), 1.0, arr.shape[1])[None, :]
    img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 0.9 if photo else 0.7)))
    gen = np.random.default_rng(rng.randrange(2**32))
    arr = np.asarray(img, dtype=np.float32) + gen.normal(0, rng.uniform(3, 8), img.size[::-1])
    img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=rng.randint(50, 85))
    return Image.open(io.BytesIO(buf.getvalue())).convert("L")


def synthetic(per_kind: int, seed: int, *, hand: bool = False) -> Iterator[Sample]:
    rng = random.Random(seed)
    for kind in KEY:
        for _ in range(per_kind):
            text = _value(kind, rng)
            photo = rng.random() < 0.25
            dpi = 170 if photo else rng.choice((150, 200, 300))
            crop = _damage(_draw(text, rng, dpi, hand), rng, photo)
            truth = CLEANERS[KEY[kind]](text.replace("\n", " "))
            assert truth is not None, text
            hint = CHINESE if kind in CJK_KINDS else LATIN
            yield Sample(kind, "hand" if hand else "synthetic", text, truth, crop, hint)


# ---- cells of scanned factory forms ---------------------------------------------------------


def _kind_of(key: str, spec_written: str, name_style: str) -> str:
    if key == "signer_name":
        return {"western": "name", "accented": "name_accented", "chinese": "name_chinese"}[
            name_style
        ]
    if key == "date":
        return "date_chinese" if "年" in spec_written else "date"
    return {
        "signer_title": "title",
        "affiliation": "affiliation",
        "work_email": "email",
        "address": "address",
    }[key]


def scanned(forms: int, seed: int) -> Iterator[Sample]:
    versions = load_versions(ROOT / "config" / "la")
    for s in range(seed, seed + forms):
        assert s < 100_000, "development seeds only"
        spec = make_spec(s, versions[-1], medium="scan", angle=0.0, turn=0, hand="typed")
        spec = replace(spec, fillable=False)
        twin = render(replace(spec, medium="digital"))
        scan = pdfium.PdfDocument(render(spec))
        k = spec.dpi / 72
        with pdfplumber.open(io.BytesIO(twin)) as pdf:
            pages = [p.extract_words(keep_blank_chars=False) for p in pdf.pages]
        for key, written in spec.written.items():
            box = _find(pages, written)
            if box is None:
                continue
            page, (x0, top, x1, bottom) = box
            img = scan[page].render(scale=k).to_pil().convert("L")
            h = (bottom - top) * k
            crop = img.crop(
                (
                    max(0, round(x0 * k - 1.2 * h)),
                    max(0, round(top * k - 0.7 * h)),
                    min(img.width, round(x1 * k + 2.5 * h)),
                    min(img.height, round(bottom * k + 0.7 * h)),
                )
            )
            crop = erase_rules(crop, length=round(60 * spec.dpi / 300))
            kind = _kind_of(key, written, spec.name_style)
            truth = spec.truth[key]
            assert truth is not None
            hint = CHINESE if kind in CJK_KINDS else LATIN
            yield Sample(kind, "scan", written, truth, crop, hint)


def _find(
    pages: list[list[dict[str, object]]], value: str
) -> tuple[int, tuple[float, float, float, float]] | None:
    """The value's box on the digital twin: the first run of words whose letters spell it."""
    target = value.replace(" ", "")
    for index, words in enumerate(pages):
        texts = [str(w["text"]) for w in words]
        for i in range(len(words)):
            acc = ""
            for j in range(i, min(len(words), i + 12)):
                acc += texts[j]
                if not target.startswith(acc):
                    break
                if acc == target:
                    run = words[i : j + 1]
                    return index, (
                        min(float(str(w["x0"])) for w in run),
                        min(float(str(w["top"])) for w in run),
                        max(float(str(w["x1"])) for w in run),
                        max(float(str(w["bottom"])) for w in run),
                    )
    return None


# ---- running --------------------------------------------------------------------------------


def engines() -> dict[str, CellReader]:
    return {
        "rapid": RapidCellReader("det"),
        "rapid_lines": RapidCellReader("lines"),
        "Latin": TesseractCellReader("Latin"),
        "eng": TesseractCellReader("eng"),
        "chi_sim": TesseractCellReader("chi_sim"),
        # the mixed model the reader's second pass reads a cell in when the first pass could
        # not read it (or read Chinese there), on Latin crops as well
        "chi_sim+eng": TesseractCellReader("chi_sim+eng"),
    }


def run(samples: list[Sample]) -> list[dict[str, object]]:
    readers = engines()
    rows = []
    for sm in samples:
        row: dict[str, object] = {
            "kind": sm.kind,
            "source": sm.source,
            "written": sm.written,
            "truth": sm.truth,
        }
        for name, reader in readers.items():
            if name == "chi_sim" and sm.hint != CHINESE:
                continue
            t = time.perf_counter()
            lines = reader.read_cell(sm.crop, lang_hint=sm.hint)
            ms = (time.perf_counter() - t) * 1000
            r: Reading | None = joined(lines)
            value = CLEANERS[KEY[sm.kind]](r.text) if r else None
            row[name] = {
                "text": r.text if r else "",
                "value": value,
                "conf": round(r.confidence, 4) if r else 0.0,
                "edged": r.edged if r else False,
                "ms": round(ms, 1),
            }
        rows.append(row)
    return rows


# ---- report ---------------------------------------------------------------------------------


def _pct(n: int, d: int) -> str:
    return f"{100 * n / d:.0f}% ({n}/{d})" if d else "-"


def report(rows: list[dict[str, object]]) -> str:
    names = ["rapid", "rapid_lines", "Latin", "eng", "chi_sim", "chi_sim+eng"]
    out = ["# Cell readers: Tesseract vs RapidOCR", ""]
    out.append("Generated by `bench/engines.py`; development seeds only.")
    out.append("Exact: the field's cleaner gives the truth from the engine's joined lines.")
    out.append(
        "`rapid`: detection + recognition on the crop (the adapter's mode); `rapid_lines`: lines "
        "cut by the ink's row profile, recogniser alone. ms/cell: median wall time on the "
        "shared 2-core machine (other jobs running: compare engines, not absolute figures)."
    )
    out.append("")
    for source in ("synthetic", "scan", "hand"):
        sub = [r for r in rows if r["source"] == source]
        if not sub:
            continue
        out += [f"## {source} ({len(sub)} crops)", ""]
        out.append("| kind | n | " + " | ".join(f"{n} exact" for n in names) + " | ms/cell |")
        out.append("|---|---|" + "---|" * len(names) + "---|")
        by: dict[str, list[dict[str, object]]] = defaultdict(list)
        for r in sub:
            by[str(r["kind"])].append(r)
        for kind in KEY:
            group = by.get(kind, [])
            if not group:
                continue
            cells = []
            for n in names:
                got = [g[n] for g in group if n in g]
                exact = sum(1 for g in group if n in g and g[n]["value"] == g["truth"])  # type: ignore[index]
                cells.append(_pct(exact, len(got)) if got else "-")
            ms = []
            for n in ("rapid", "rapid_lines", "Latin", "eng"):
                vals = [float(g[n]["ms"]) for g in group if n in g]  # type: ignore[index]
                ms.append(f"{n} {statistics.median(vals):.0f}")
            out.append(f"| {kind} | {len(group)} | " + " | ".join(cells) + f" | {', '.join(ms)} |")
        out.append("")
    out += _agreement(rows)
    return "\n".join(out) + "\n"


def _agreement(rows: list[dict[str, object]]) -> list[str]:
    out = ["## Agreement between the engines (RapidOCR `det` vs each Tesseract model)", ""]
    out.append(
        "Both cleaned values present and equal letter for letter; split by whether that value is "
        "the truth. `wrong & agreed` is what would make a cross-engine vote dangerous."
    )
    out.append("")
    out.append("| source | pair | both read | agreed & right | agreed & wrong | right, disagreed |")
    out.append("|---|---|---|---|---|---|")
    wrong_agreed: list[str] = []
    for source in ("synthetic", "scan", "hand"):
        sub = [r for r in rows if r["source"] == source]
        for other in ("Latin", "eng", "chi_sim", "chi_sim+eng"):
            both = agreed_right = agreed_wrong = right_dis = 0
            for r in sub:
                a, b = r.get("rapid"), r.get(other)
                if not isinstance(a, dict) or not isinstance(b, dict):
                    continue
                if a["value"] is None or b["value"] is None:
                    continue
                both += 1
                if a["value"] == b["value"]:
                    if a["value"] == r["truth"]:
                        agreed_right += 1
                    else:
                        agreed_wrong += 1
                        wrong_agreed.append(
                            f"{source} {r['kind']}: {r['written']!r} read {a['value']!r} "
                            f"(rapid {a['conf']}, {other} {b['conf']})"
                        )
                elif r["truth"] in (a["value"], b["value"]):
                    right_dis += 1
            if both:
                out.append(
                    f"| {source} | rapid+{other} | {both} | {agreed_right} | {agreed_wrong} "
                    f"| {right_dis} |"
                )
    out.append("")
    if wrong_agreed:
        out += ["Agreed on a wrong value:", ""]
        out += [f"- {w}" for w in wrong_agreed]
        out.append("")
    out += _confidences(rows)
    out += _rule(rows)
    return out


def _rule(rows: list[dict[str, object]]) -> list[str]:
    """`agreement.cross_engine_value` over each crop's readings (RapidOCR, Latin, eng, and
    chi_sim on Chinese crops): how often it gives a value, and whether that value is right."""
    out = ["## The cross-engine rule (`reading.agreement.cross_engine_value`)", ""]
    out.append("| source | kind | crops | value given & right | value given & wrong |")
    out.append("|---|---|---|---|---|")
    for source in ("synthetic", "scan", "hand"):
        for kind in KEY:
            group = [r for r in rows if r["source"] == source and r["kind"] == kind]
            if not group:
                continue
            right = wrong = 0
            for r in group:
                readings = [
                    Reading(str(d["text"]), float(d["conf"]), bool(d["edged"]), name)
                    for name in ("rapid", "Latin", "eng", "chi_sim", "chi_sim+eng")
                    if isinstance(d := r.get(name), dict) and d["text"]
                ]
                value = cross_engine_value(KEY[kind], readings)
                right += value is not None and value == r["truth"]
                wrong += value is not None and value != r["truth"]
            out.append(f"| {source} | {kind} | {len(group)} | {right} | {wrong} |")
    out.append("")
    return out


def _confidences(rows: list[dict[str, object]]) -> list[str]:
    """How sure each engine was of its right and of its wrong readings."""
    out = ["## Confidence of right and wrong readings (typed crops: synthetic + scan)", ""]
    out.append("| engine | right: p10 / median | wrong: median / p90 / max | wrong >= 0.9 |")
    out.append("|---|---|---|---|")
    typed = [r for r in rows if r["source"] != "hand"]
    for n in ("rapid", "rapid_lines", "Latin", "eng", "chi_sim", "chi_sim+eng"):
        right = [float(r[n]["conf"]) for r in typed if n in r and r[n]["value"] == r["truth"]]  # type: ignore[index]
        wrong = [
            float(r[n]["conf"])  # type: ignore[index]
            for r in typed
            if n in r and r[n]["value"] is not None and r[n]["value"] != r["truth"]  # type: ignore[index]
        ]
        if not right:
            continue
        rq = f"{np.percentile(right, 10):.2f} / {np.median(right):.2f}"
        wq = (
            f"{np.median(wrong):.2f} / {np.percentile(wrong, 90):.2f} / {max(wrong):.2f}"
            if wrong
            else "-"
        )
        sure = sum(1 for c in wrong if c >= 0.9)
        out.append(f"| {n} | {rq} | {wq} | {sure}/{len(wrong)} |")
    out.append("")
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--synthetic", type=int, default=12, help="crops per kind")
    ap.add_argument("--hand", type=int, default=6, help="handwritten crops per kind")
    ap.add_argument("--forms", type=int, default=30, help="scanned factory forms")
    ap.add_argument("--seed", type=int, default=4200)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "engines.md")
    ap.add_argument("--rows", type=Path, default=None, help="also write the raw rows (JSON)")
    ap.add_argument("--from-rows", type=Path, default=None, help="report on rows written before")
    args = ap.parse_args()
    if args.from_rows:
        rows = json.loads(args.from_rows.read_text(encoding="utf-8"))
        args.out.write_text(report(rows), encoding="utf-8")
        return
    assert args.seed + max(args.forms, 1) < 100_000, "development seeds only"
    preload()
    samples = list(synthetic(args.synthetic, args.seed))
    samples += list(synthetic(args.hand, args.seed + 1, hand=True))
    samples += list(scanned(args.forms, args.seed))
    rows = run(samples)
    if args.rows:
        args.rows.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    args.out.write_text(report(rows), encoding="utf-8")
    print(args.out.read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
