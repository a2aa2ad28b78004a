"""How an exported form reaches us: as exported, or printed, written on, signed and scanned.

`deliver(pdf, spec)` returns what the applicant sends:

- `digital`: the word processor's PDF as it is (never printed: `not_scanned`);
- otherwise the pages are rasterised (pypdfium2, `spec.dpi`), the pen does its work (the
  signature, and for handwritten forms every value, written where `tests/forms/wordproc.py`
  left coded space), and the paper is degraded by an augraphy preset:
  `copier` (an office copier: ink bleed, toner lines, gamma, noise, dirty rollers, a slight
  skew), `phone_app` (a phone
  scanner app: flattened but low contrast, shadows, JPEG), `worn_copier` (development only: an
  old office copier, a dirty drum's speckled streaks down the page, faded periodic lines, a
  little of the other side showing through, a slight skew), `creased` (development seeds from
  10,000 on: a page folded in four, creased across and down, dusty, bleeding through, a table
  rule worn thin here and there, a slight skew), `folded_scan` (held-out only: a page
  folded in three, creased, bleeding through, on a flatbed) or `photo` (a raw phone photo on a
  desk, `tests/forms/photo.py`); sometimes fed turned by 90 or 180 degrees. The result is an
  image-only PDF. The signature goes above the line of a style signed on a line
  (`wordproc.SIGNED_ON_A_LINE`), at the top of the cell otherwise.
"""

from __future__ import annotations

import ctypes
import hashlib
import io
import os
import random
import time
from collections import defaultdict
from functools import cache
from typing import Any

import numpy as np
import pdfplumber
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image, ImageDraw, ImageFont

from licensebot.reading.blank_form import find_font
from tests.forms.desk_photo import phone_photo
from tests.forms.independent import IndependentSpec
from tests.forms.wordproc import SIGNATURE_CODE, SIGNED_ON_A_LINE, cache_dir, code_of

PHOTO_DPI = 170
DELIVERY = "delivery-2"  # part of the cache key: bump when the pen or a preset changes
Box = tuple[float, float, float, float]  # x0, top, x1, bottom in PDF points


# ---- where the pen writes -------------------------------------------------------------------


def _coded_pages(pdf: bytes) -> list[bool]:
    """Per page: whether any of its text is drawn in a colour near the codes' (`pen_color`:
    near-white, a little yellow; a margin wider than `code_of`'s, for pdfium's rounding). A
    cheap look by pdfium, before pdfplumber's slow one: the pages it rules out hold no coded
    word."""
    r, g, b, a = (ctypes.c_uint() for _ in range(4))

    def coded(obj: Any) -> bool:
        got = pdfium_c.FPDFPageObj_GetFillColor(obj.raw, r, g, b, a)
        return bool(got) and r.value >= 250 and g.value >= 250 and 232 <= b.value <= 254

    doc = pdfium.PdfDocument(pdf)
    try:
        return [
            any(map(coded, page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_TEXT,), max_depth=8)))
            for page in doc
        ]
    finally:
        doc.close()


def pen_spaces(pdf: bytes, *, every_page: bool = False) -> list[dict[int, list[tuple[Box, str]]]]:
    """Per page: code -> the lines of the coded space, each its box and its words. pdfplumber
    reads only the pages pdfium saw coded text on (it costs about a second a form), or with
    `every_page` all of them."""
    coded = _coded_pages(pdf)
    pages: list[dict[int, list[tuple[Box, str]]]] = [{} for _ in coded]
    numbers = [i + 1 for i, hit in enumerate(coded) if hit or every_page]
    if not numbers:
        return pages
    with pdfplumber.open(io.BytesIO(pdf), pages=numbers) as doc:
        for page in doc.pages:
            lines: dict[tuple[int, int], list[Any]] = defaultdict(list)
            words = page.extract_words(extra_attrs=["non_stroking_color"], use_text_flow=True)
            for word in words:
                code = code_of(word.get("non_stroking_color"))
                if code is not None:
                    lines[(code, round(float(word["top"]) / 3))].append(word)
            found: dict[int, list[tuple[Box, str]]] = defaultdict(list)
            for (code, _), ws in sorted(lines.items()):
                ws.sort(key=lambda w: float(w["x0"]))
                box = (
                    min(float(w["x0"]) for w in ws),
                    min(float(w["top"]) for w in ws),
                    max(float(w["x1"]) for w in ws),
                    max(float(w["bottom"]) for w in ws),
                )
                found[code].append((box, " ".join(w["text"] for w in ws)))
            pages[page.page_number - 1] = dict(found)
    return pages


@cache
def _hand_font(cjk: bool, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(find_font("ukai.ttc" if cjk else "dkg.ttf")), size)


def _is_cjk(ch: str) -> bool:
    return "\u3000" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef"


def _write(
    img: Image.Image, text: str, box: tuple[int, int, int, int], ink: tuple[int, ...], rng: Any
) -> None:
    """`text` written by hand into `box` (pixels): a handwriting font, jittered per letter."""
    x0, top, x1, bottom = box
    height = bottom - top
    size = max(10, int(height * rng.uniform(0.95, 1.15)))
    probe = _hand_font(False, size)
    while size > 10 and probe.getlength(text) > (x1 - x0) * 1.05:
        size -= 1
        probe = _hand_font(False, size)
    draw = ImageDraw.Draw(img)
    x = x0 + rng.uniform(0, height * 0.3)
    base = bottom - height * 0.22
    slope = rng.uniform(-0.02, 0.02)
    for ch in text:
        cjk = _is_cjk(ch)
        s = int(size * rng.uniform(0.92, 1.08) * (1.05 if cjk else 1.0))
        font = _hand_font(cjk, s)
        y = base + (x - x0) * slope + rng.uniform(-0.06, 0.06) * s
        draw.text((x, y), ch, font=font, fill=ink, anchor="ls")
        x += font.getlength(ch) * rng.uniform(0.98, 1.1)


def _bezier(p0: Any, p1: Any, p2: Any, p3: Any, n: int = 24) -> list[tuple[float, float]]:
    pts = []
    for i in range(n + 1):
        t = i / n
        a, b, c, d = (1 - t) ** 3, 3 * t * (1 - t) ** 2, 3 * t * t * (1 - t), t**3
        pts.append(
            (
                a * p0[0] + b * p1[0] + c * p2[0] + d * p3[0],
                a * p0[1] + b * p1[1] + c * p2[1] + d * p3[1],
            )
        )
    return pts


def _sign(
    img: Image.Image,
    box: tuple[int, int, int, int],
    name: str,
    ink: tuple[int, ...],
    rng: random.Random,
) -> None:
    """A signature in `box` (pixels): loops and strokes, or the name in a quick hand."""
    x0, top, x1, bottom = box
    w, h = x1 - x0, bottom - top
    draw = ImageDraw.Draw(img)
    width = max(2, round(h * rng.uniform(0.03, 0.05)))
    if rng.random() < 0.4 and not any(_is_cjk(c) for c in name):
        size = int(h * 0.45)
        font = _hand_font(False, size)
        x = x0 + w * rng.uniform(0.05, 0.2)
        for ch in name:
            draw.text((x, top + h * 0.6), ch, font=font, fill=ink, anchor="ls")
            x += font.getlength(ch) * 0.92
        draw.line(
            [(x0 + w * 0.05, top + h * 0.72), (min(x, x1), top + h * rng.uniform(0.62, 0.8))],
            fill=ink,
            width=width,
        )
        return
    x = x0 + w * rng.uniform(0.05, 0.2)
    end = x0 + w * rng.uniform(0.6, 0.95)
    y = top + h * rng.uniform(0.35, 0.65)
    step = (end - x) / rng.randint(4, 8)
    pts: list[tuple[float, float]] = []
    while x < end:
        nx, ny = x + step, top + h * rng.uniform(0.25, 0.75)
        pts += _bezier(
            (x, y),
            (x + step * 0.3, top + h * rng.uniform(0.0, 0.3)),
            (x + step * 0.7, top + h * rng.uniform(0.7, 1.0)),
            (nx, ny),
        )
        x, y = nx, ny
    draw.line(pts, fill=ink, width=width, joint="curve")
    fy = top + h * rng.uniform(0.7, 0.85)
    draw.line(
        _bezier((x0 + w * 0.1, fy), (x0 + w * 0.4, fy + h * 0.1), (end, fy - h * 0.15), (end, fy)),
        fill=ink,
        width=width,
    )


def signature_png(spec: IndependentSpec) -> bytes:
    """A signature as a transparent picture, to paste into a born-digital document."""
    rng = random.Random(f"signature-{spec.seed}")
    img = Image.new("RGBA", (600, 200), (255, 255, 255, 0))
    _sign(img, (10, 10, 590, 190), str(spec.written["signer_name"]), (*spec.ink, 255), rng)
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def _pen(
    page: Image.Image,
    spaces: dict[int, list[tuple[Box, str]]],
    spec: IndependentSpec,
    k: float,
    rng: Any,
) -> None:
    """The pen's work on one page rendered at `k` pixels per point."""
    ink = spec.ink
    if spec.kind == "handwritten":
        for code, lines in spaces.items():
            if code == SIGNATURE_CODE:
                continue
            for box, text in lines:
                _write(page, text, tuple(round(v * k) for v in box), ink, rng)  # type: ignore[arg-type]
    for b, _ in spaces.get(SIGNATURE_CODE, [])[:1] if spec.signed or spec.mark else []:
        x0, top, x1, bottom = (v * k for v in b)
        line = bottom - top
        h = line * rng.uniform(2.2, 3.0)
        if spec.table_style in SIGNED_ON_A_LINE:  # on the line: the pen writes above it
            box = (round(x0), round(bottom - h * 0.8), round(x1), round(bottom + h * 0.2))
        elif spec.mark == "crossing":  # begun above the cell: across its top rule
            box = (round(x0), round(top - h * 0.45), round(x1), round(top + h * 0.55))
        else:  # the empty cell below its label: the pen writes from the top down
            box = (round(x0), round(top), round(x1), round(top + h))
        if spec.mark == "typed_name":
            _type_name(page, str(spec.written["signer_name"]), (box[0], round(top), round(line)))
        if spec.signed:
            _sign(page, box, str(spec.written["signer_name"]), ink, rng)
        if spec.mark in ("seal", "seal_only"):
            _seal(page, box, round(line), rng)


def _type_name(page: Image.Image, name: str, at: tuple[int, int, int]) -> None:
    """The signer's name typed into the Signature cell (print, black): not a signature."""
    x0, top, line = at
    cjk = any(_is_cjk(c) for c in name)
    font = ImageFont.truetype(
        str(find_font("wqy-microhei.ttc" if cjk else "LiberationSerif-Regular.ttf")),
        max(8, round(line * 0.8)),
    )
    ImageDraw.Draw(page).text(
        (x0, top + line * 0.85), name, font=font, fill=(15, 15, 20), anchor="ls"
    )


def _seal(page: Image.Image, box: tuple[int, int, int, int], line: int, rng: random.Random) -> None:
    """A red round seal (公章) stamped over the signature's place: a ring, a star, the
    institution's name around it; the ink multiplies with what is under it, unevenly."""
    x0, top, x1, bottom = box
    r = round(line * rng.uniform(3.2, 4.2))  # 4 cm across at a 3.5 mm line
    cx = round(x0 + (x1 - x0) * rng.uniform(0.35, 0.65))
    cy = round((top + bottom) / 2 + line * rng.uniform(-0.5, 0.5))
    size = 2 * r + 8
    stamp = Image.new("L", (size, size), 0)  # ink cover 0..255
    d = ImageDraw.Draw(stamp)
    c = size / 2
    d.ellipse((c - r, c - r, c + r, c + r), outline=255, width=max(3, r // 14))
    star = [
        (
            c + (r * (0.28 if i % 2 == 0 else 0.11)) * np.sin(np.pi * i / 5),
            c - (r * (0.28 if i % 2 == 0 else 0.11)) * np.cos(np.pi * i / 5),
        )
        for i in range(10)
    ]
    d.polygon(star, fill=255)
    font = _hand_font(True, max(10, round(r * 0.22)))
    text = "北方科学技术研究院合同专用章"
    for i, ch in enumerate(text):
        angle = np.pi * (-0.8 + 1.6 * i / (len(text) - 1))
        px, py = c + 0.74 * r * np.sin(angle), c - 0.74 * r * np.cos(angle)
        glyph = Image.new("L", (round(r * 0.3), round(r * 0.3)), 0)
        ImageDraw.Draw(glyph).text(
            (glyph.width / 2, glyph.height / 2), ch, font=font, fill=255, anchor="mm"
        )
        glyph = glyph.rotate(-np.degrees(angle), resample=Image.Resampling.BICUBIC)
        stamp.paste(glyph, (round(px - glyph.width / 2), round(py - glyph.height / 2)), glyph)
    gen = np.random.default_rng(rng.randrange(2**32))
    cover = np.asarray(stamp, dtype=np.float32) / 255 * gen.uniform(0.55, 1.0, (size, size))
    red = np.array([rng.uniform(190, 225), rng.uniform(25, 60), rng.uniform(30, 60)]) / 255
    ox, oy = cx - size // 2, cy - size // 2
    region = (max(0, ox), max(0, oy), min(page.width, ox + size), min(page.height, oy + size))
    under = np.asarray(page.crop(region).convert("RGB"), dtype=np.float32)
    cov = cover[region[1] - oy : region[3] - oy, region[0] - ox : region[2] - ox, None]
    stamped = under * (1 - cov + cov * red)  # ink multiplies: dark strokes stay dark
    page.paste(Image.fromarray(np.clip(stamped, 0, 255).astype(np.uint8)), region[:2])


def _raster(pdf: bytes, dpi: int) -> list[Image.Image]:
    doc = pdfium.PdfDocument(pdf)
    pages = []
    for page in doc:
        pages.append(page.render(scale=dpi / 72).to_pil().convert("RGB"))
    doc.close()
    return pages


# ---- degradations ---------------------------------------------------------------------------


def _augmentations(preset: str) -> list[Any]:
    """The augraphy steps of a preset, applied to the page one after another (not through an
    `AugraphyPipeline`: its paper and ink layers cost seconds a page, and a copier's page is
    already one layer)."""
    import augraphy as ag

    if preset == "copier":
        return [
            ag.InkBleed(intensity_range=(0.1, 0.3), kernel_size=(3, 3), p=0.5),
            ag.LowInkRandomLines(count_range=(2, 5), use_consistent_lines=False, p=0.3),
            ag.Gamma(gamma_range=(0.85, 1.25), p=0.7),
            _SubtleNoise(subtle_range=8, p=1),
        ]
    if preset == "phone_app":
        return [
            ag.ShadowCast(
                shadow_opacity_range=(0.15, 0.35),
                shadow_blur_kernel_range=(101, 151),
                shadow_iterations_range=(1, 1),
                p=0.6,
            ),
            _SubtleNoise(subtle_range=6, p=1),
        ]
    if preset == "worn_copier":
        return [
            ag.DirtyDrum(
                line_width_range=(1, 3),
                line_concentration=0.025,  # two to four streaks down a page
                direction=1,
                noise_intensity=0.4,
                noise_value=(110, 180),
                ksize=(3, 3),
                sigmaX=0,
                p=1,
            ),
            ag.LowInkPeriodicLines(
                count_range=(1, 2), period_range=(8, 16), use_consistent_lines=True, p=0.7
            ),
            ag.BleedThrough(intensity_range=(0.03, 0.08), alpha=0.05, p=0.6),
            ag.Gamma(gamma_range=(0.9, 1.2), p=0.6),
            _SubtleNoise(subtle_range=10, p=1),
        ]
    if preset == "creased":
        crease = {"fold_noise": 0.005, "gradient_width": (0.04, 0.08)}
        crease["gradient_height"] = (0.003, 0.008)  # a flatbed presses the fold nearly flat
        return [
            ag.BleedThrough(intensity_range=(0.08, 0.18), alpha=0.1, p=0.8),
            _Across(ag.Folding(fold_count=1, **crease, p=1)),
            ag.Folding(fold_count=1, **crease, p=0.7),
            ag.DirtyScreen(n_clusters=(40, 90), n_samples=(2, 12), value_range=(120, 200), p=0.7),
            ag.LinesDegradation(line_replacement_probability=(0.3, 0.5), p=0.5),
            _SubtleNoise(subtle_range=10, p=1),
        ]
    if preset == "folded_scan":
        return [
            ag.BleedThrough(intensity_range=(0.05, 0.15), alpha=0.08, p=0.7),
            ag.Folding(fold_count=2, fold_noise=0.005, gradient_width=(0.05, 0.1), p=1),
            ag.BadPhotoCopy(noise_sparsity=(0.9, 0.97), noise_concentration=(0.05, 0.1), p=0.5),
            _SubtleNoise(subtle_range=8, p=1),
        ]
    raise ValueError(f"unknown preset {preset!r}")


class _SubtleNoise:
    """augraphy's `SubtleNoise` (a scanner's uneven response over solid colour: every pixel of
    every channel moved by a random step in [-range, range)), drawing the same numbers from
    numpy's global generator and giving the same pixels, without its 64-bit copies of the
    page (in about half its time: the draws themselves are the rest)."""

    def __init__(self, subtle_range: int, p: float) -> None:
        self.subtle_range, self.p = subtle_range, p

    def __call__(self, image: np.ndarray, force: bool = False) -> np.ndarray:
        work = image.astype(np.int16)  # augraphy's `astype("int")`, in a quarter the memory
        planes = [work[:, :, i] for i in range(3)] if work.ndim > 2 else [work]  # no alpha
        r = self.subtle_range
        for plane in planes:
            plane += np.random.randint(-r, r, size=plane.shape).astype(np.int16)  # its draws
        np.clip(work, 0, 255, out=work)
        return work.astype(np.uint8)


class _Across:
    """An augraphy step turned a quarter: augraphy's Folding creases a page down (a vertical
    crease); a page folded in four is also creased across."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.p = inner, inner.p

    def __call__(self, arr: np.ndarray, force: bool = False) -> np.ndarray:
        turned = np.ascontiguousarray(np.rot90(arr))
        return np.ascontiguousarray(np.rot90(self.inner(turned, force=force), -1))


def _fold_noise(img: np.ndarray, side: int, p: float = 0.1) -> np.ndarray:
    """augraphy's `add_folding_noise`: the fold's band speckled black, more and more towards
    one side (`side` 1: the right), each pixel with probability p * (its distance across)^3;
    drawn from numpy's global generator, which `_augraphy` seeds. augraphy's own draws from
    numba's generator in parallel threads, seeded by nobody: every run creased a page
    differently."""
    ysize, xsize = img.shape[:2]
    across = np.arange(xsize) / xsize if side else (xsize - np.arange(xsize)) / xsize
    img[across[None, :] ** 3 * p > np.random.random((ysize, xsize))] = 0
    return img


def _seeded_augraphy() -> None:
    """augraphy made to give the same page for the same seed, wherever it runs."""
    import augraphy.augmentations.bleedthrough as bleedthrough
    import augraphy.augmentations.lib as lib

    # BleedThrough shows "the other side" from images augraphy caches in the working
    # directory's augraphy_cache/ (written by its pipelines, which we do not run): the page
    # would depend on where the generator runs. The page itself, mirrored, is the other side.
    bleedthrough.load_image_from_cache = lambda random_image=0: None
    # Folding's crease (`lib.warp_fold`) speckles its band from an unseeded generator
    lib.add_folding_noise = _fold_noise


def _augraphy(arr: np.ndarray, preset: str, seed: int) -> np.ndarray:
    """`arr` (BGR) through the preset, with augraphy's global random draws seeded."""
    _seeded_augraphy()
    saved = random.getstate(), np.random.get_state()
    random.seed(seed)
    np.random.seed(seed % 2**32)
    try:
        for aug in _augmentations(preset):
            if random.random() <= aug.p:
                arr = aug(arr, force=True)
    finally:
        random.setstate(saved[0])
        np.random.set_state(saved[1])
    return arr


def _light(img: Image.Image, rng: random.Random) -> Image.Image:
    """A phone's uneven light across the page: brighter towards one side."""
    a = np.asarray(img, dtype=np.float32)
    h, w = a.shape[:2]
    angle = rng.uniform(0, 2 * np.pi)
    # a row and a column, broadcast: the page's grid, each sum the same, in a fraction of
    # the memory
    ys, xs = np.ogrid[0:h, 0:w]
    ramp = np.cos(angle) * xs.astype(np.float32) / w + np.sin(angle) * ys.astype(np.float32) / h
    ramp = (ramp - ramp.min()) / max(float(np.ptp(ramp)), 1e-6)
    light = rng.uniform(0.75, 0.88) + rng.uniform(0.1, 0.2) * ramp
    return Image.fromarray(np.clip(a * light[:, :, None], 0, 255).astype(np.uint8))


def _roller_marks(img: Image.Image, rng: random.Random) -> Image.Image:
    """A copier's dirty rollers: faint grey bands down the page (augraphy's DirtyRollers draws
    from an unseeded generator, so the same seed would not give the same scan)."""
    a = np.asarray(img, dtype=np.float32).copy()
    gen = np.random.default_rng(rng.randrange(2**32))
    for _ in range(rng.randint(1, 3)):
        x, width = rng.randrange(a.shape[1]), rng.randint(4, 14)
        band = a[:, x : x + width]
        band -= rng.uniform(10, 40) * gen.uniform(0.5, 1.0, band.shape)
    return Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))


def degrade(page: Image.Image, spec: IndependentSpec, rng: random.Random) -> Image.Image:
    """One page through the preset of `spec` (pen work already done)."""
    if spec.preset == "photo":
        return phone_photo(page, rng)
    arr = np.asarray(page.convert("RGB"))[:, :, ::-1].copy()  # augraphy works in BGR
    out = _augraphy(arr, spec.preset, rng.randrange(2**31))
    img = Image.fromarray(np.ascontiguousarray(out[:, :, ::-1]) if out.ndim == 3 else out)
    if spec.preset == "phone_app":
        # scanner apps flatten the page but lift the black: low contrast, greyish paper
        img = _light(img.convert("RGB"), rng)
        lo, hi = rng.uniform(35, 70), rng.uniform(225, 245)
        a = np.asarray(img, dtype=np.float32)
        img = Image.fromarray(np.clip(lo + a * (hi - lo) / 255, 0, 255).astype(np.uint8))
    else:
        img = img.convert("L")
        if rng.random() < 0.3:
            img = _roller_marks(img, rng)
        skew = rng.uniform(-1.5, 1.5)
        img = img.rotate(skew, resample=Image.Resampling.BICUBIC, fillcolor=245)
    return img


def _image_pdf(images: list[Image.Image], dpi: float, quality: int) -> bytes:
    out = io.BytesIO()
    jpegs = []
    for img in images:
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=quality)
        jpegs.append(Image.open(io.BytesIO(buf.getvalue())))
    first, *rest = jpegs
    stamp = time.strptime("2024-01-01", "%Y-%m-%d")  # not the time of the run: same bytes
    first.save(
        out,
        "PDF",
        resolution=dpi,
        save_all=True,
        append_images=rest,
        creationDate=stamp,
        modDate=stamp,
    )
    return out.getvalue()


def deliver(pdf: bytes, spec: IndependentSpec) -> bytes:
    """What the applicant of `spec` sends, made from the exported `pdf` (cached: a scan costs
    seconds a page)."""
    if spec.medium == "digital":
        return pdf
    how: tuple[Any, ...] = (DELIVERY, spec.seed, spec.kind, spec.preset, spec.dpi, spec.turn)
    how += (spec.ink, spec.mark) if spec.mark else (spec.ink,)  # the old forms' keys kept
    if spec.preset == "folded_scan":
        how += ("back-mirrored",)  # the preset changed since "delivery-2"
    if spec.preset == "worn_copier":
        how += ("worn-2",)  # fewer streaks than its first draft
    if spec.preset in ("creased", "folded_scan"):
        how += ("fold-noise-seeded",)  # the same crease wherever it is made (`_fold_noise`)
    key = hashlib.sha256(repr(how).encode() + pdf).hexdigest()
    path = cache_dir() / f"{key}.scan.pdf"
    if path.exists():
        return path.read_bytes()
    data = _deliver(pdf, spec)
    part = path.with_name(f".{key}.{os.getpid()}.part")
    part.write_bytes(data)
    part.replace(path)
    return data


def _deliver(pdf: bytes, spec: IndependentSpec) -> bytes:
    rng = random.Random(f"deliver-{spec.seed}")
    dpi = PHOTO_DPI if spec.preset == "photo" else spec.dpi
    pages = _raster(pdf, dpi)
    for page, spaces in zip(pages, pen_spaces(pdf), strict=True):
        _pen(page, spaces, spec, dpi / 72, rng)
    out = [degrade(p, spec, rng) for p in pages]
    if spec.turn:
        out = [p.rotate(spec.turn, expand=True) for p in out]
    quality = rng.randint(45, 75) if spec.preset in ("phone_app", "photo") else rng.randint(60, 88)
    return _image_pdf(out, dpi, quality)


def folded(scan: bytes, seed: int, dpi: int = 200) -> bytes:
    """`scan` (a scanned PDF of `deliver`) with every page folded in three as a letter for its
    envelope is, and not pressed flat on the glass: two creases down the page, each a V some
    0.1 to 0.25 inches deep (augraphy's `Folding`, seeded; its default depth)."""
    import augraphy as ag

    _seeded_augraphy()
    fold = ag.Folding(fold_count=2, fold_noise=0.005, gradient_width=(0.06, 0.1), p=1)
    saved = random.getstate(), np.random.get_state()
    out = []
    try:
        for i, page in enumerate(_raster(scan, dpi)):
            random.seed(seed * 100 + i)
            np.random.seed((seed * 100 + i) % 2**32)
            arr = fold(np.asarray(page.convert("L")), force=True)
            out.append(Image.fromarray(np.ascontiguousarray(arr)).convert("L"))
    finally:
        random.setstate(saved[0])
        np.random.set_state(saved[1])
    return _image_pdf(out, dpi, 85)
