"""Raw phone photos of a page, with the truth of where the page lies in them.

`phone_photo(page_image, rng)` puts a rendered page on a desk (wood-like grain, the edge of
another sheet, the dark corner of a keyboard), seen through a random perspective, turned by
0/90/180/270 degrees as a phone held sideways leaves it, under a shadow gradient, a soft hand
shadow and a light spot, then blurred, noised and JPEG-compressed. `photo_pdf(images)` wraps
such photos into a PDF as a phone's "save as PDF" does; `photographed(pdf_bytes, rng)` does
both for every page of a PDF. Used by the geometry tests, the independent test corpus and the
benchmarks; only development seeds (< 100000) belong in tests.
"""

from __future__ import annotations

import io
import random
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import pypdfium2 as pdfium
from PIL import Image

Point = tuple[float, float]


@dataclass(frozen=True)
class PhotoTruth:
    """Where the page lies in the photo.

    `corners`: the page's own top-left, top-right, bottom-right, bottom-left corners, in photo
    pixels. `turn`: degrees to rotate the photo counter-clockwise (PIL's `rotate`) for the page
    to stand upright. `ppi`: the page's pixels per inch in the photo (its mean side length over
    the paper's size), for a page `page_width_in` inches wide.
    """

    corners: tuple[Point, Point, Point, Point]
    turn: int
    ppi: float
    page_width_in: float


@dataclass(frozen=True)
class PhotoStyle:
    """What may vary between photos (defaults: a handheld phone over a desk)."""

    fill: tuple[float, float] = (0.6, 0.85)  # the page's share of the frame's width
    scale: tuple[float, float] = (0.75, 1.05)  # the page's pixel density against the input's
    rotation: float = 12.0  # degrees, either way
    keystone: float = 0.07  # corner jitter, as a share of the page's width
    turns: tuple[int, ...] = (0, 0, 90, 180, 270)
    shadow: tuple[float, float] = (0.55, 0.9)  # darkest end of the light gradient
    blur: tuple[float, float] = (0.5, 1.3)
    quality: tuple[int, int] = (55, 85)
    clutter: bool = True  # another sheet, a keyboard


def phone_photo(
    page_image: Image.Image,
    rng: random.Random,
    *,
    style: PhotoStyle | None = None,
    turn: int | None = None,
    page_width_in: float = 8.27,
) -> tuple[Image.Image, PhotoTruth]:
    """A phone photo of `page_image` (RGB) and where the page lies in it."""
    st = style or PhotoStyle()
    gen = np.random.default_rng(rng.randrange(2**32))
    page = np.asarray(page_image.convert("RGB"), dtype=np.float32)
    ph, pw = page.shape[:2]
    # paper is not white, print not black, and the paper has its own faint tint
    tint = np.array([1.0, rng.uniform(0.96, 1.0), rng.uniform(0.88, 0.97)], dtype=np.float32)
    page = (page * 0.9 + 14) * tint

    scale = rng.uniform(*st.scale)
    fill = rng.uniform(*st.fill)
    out_w = round(pw * scale)  # the page's width in the photo
    frame_w = round(out_w / fill)
    frame_h = round(frame_w * 4 / 3)
    desk = _desk(frame_w, frame_h, rng, gen, clutter=st.clutter)

    # where the page's corners land: a rotated, scaled rectangle, then each corner jittered
    out_h = out_w * ph / pw
    ang = np.radians(rng.uniform(-st.rotation, st.rotation))
    c, s = np.cos(ang), np.sin(ang)
    half = np.array([[-out_w, -out_h], [out_w, -out_h], [out_w, out_h], [-out_w, out_h]]) / 2
    rot = half @ np.array([[c, s], [-s, c]])
    rot += gen.uniform(-st.keystone, st.keystone, size=(4, 2)) * out_w
    lo, hi = rot.min(axis=0), rot.max(axis=0)
    margin = 0.025 * frame_w
    span_x = frame_w - 2 * margin - (hi[0] - lo[0])
    span_y = frame_h - 2 * margin - (hi[1] - lo[1])
    if span_x < 0 or span_y < 0:  # too big with this rotation: shrink it into the frame
        k = min((frame_w - 2 * margin) / (hi[0] - lo[0]), (frame_h - 2 * margin) / (hi[1] - lo[1]))
        rot *= k
        lo, hi = rot.min(axis=0), rot.max(axis=0)
        span_x = max(0.0, frame_w - 2 * margin - (hi[0] - lo[0]))
        span_y = max(0.0, frame_h - 2 * margin - (hi[1] - lo[1]))
    origin = np.array([margin + rng.uniform(0, span_x), margin + rng.uniform(0, span_y)]) - lo
    dst = (rot + origin).astype(np.float32)
    src = np.array([[0, 0], [pw, 0], [pw, ph], [0, ph]], dtype=np.float32)
    m = cv2.getPerspectiveTransform(src, dst)
    size = (frame_w, frame_h)
    warped = cv2.warpPerspective(page, m, size, flags=cv2.INTER_AREA)
    mask = cv2.warpPerspective(np.ones((ph, pw), np.float32), m, size, flags=cv2.INTER_LINEAR)
    # the sheet's own soft shadow on what lies under it: a sheet on a desk is never flush
    off = rng.uniform(0.002, 0.006) * frame_w
    light_dir = rng.uniform(0, 2 * np.pi)
    dx, dy = off * np.cos(light_dir), off * np.sin(light_dir)
    drop = cv2.warpAffine(mask, np.float32([[1, 0, dx], [0, 1, dy]]), size)
    drop = cv2.GaussianBlur(drop, (0, 0), max(1.0, off * 1.5))
    desk = desk * (1 - rng.uniform(0.15, 0.3) * drop[..., None])
    img = desk * (1 - mask[..., None]) + warped * mask[..., None]

    img *= _lighting(frame_w, frame_h, rng, gen, st)[..., None]
    img += _spot(frame_w, frame_h, rng)[..., None]
    sigma = rng.uniform(*st.blur)
    img = cv2.GaussianBlur(img, (0, 0), sigma)
    img += gen.normal(0, rng.uniform(2.0, 5.0), img.shape).astype(np.float32)
    arr = np.clip(img, 0, 255).astype(np.uint8)

    t = rng.choice(st.turns) if turn is None else turn
    corners = dst.astype(np.float64)
    # the phone held sideways: the photo is turned, and the page with it; `t` is how far
    # to turn the photo back (counter-clockwise) for the page to stand upright
    if t:
        arr, corners = _turn_cw(arr, corners, t)
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, "JPEG", quality=rng.randint(*st.quality))
    photo = Image.open(io.BytesIO(buf.getvalue()))
    photo.load()
    sides = np.linalg.norm(dst - np.roll(dst, -1, axis=0), axis=1)
    ppi = float((sides[0] + sides[2]) / 2 / page_width_in)
    quad = tuple((float(x), float(y)) for x, y in corners)
    return photo, PhotoTruth(quad, t, ppi, page_width_in)  # type: ignore[arg-type]


def empty_desk(width: int, height: int, rng: random.Random) -> Image.Image:
    """A photo of the desk alone (no page), lit and compressed like `phone_photo`'s."""
    gen = np.random.default_rng(rng.randrange(2**32))
    img = _desk(width, height, rng, gen, clutter=True)
    img *= _lighting(width, height, rng, gen, PhotoStyle())[..., None]
    img += _spot(width, height, rng)[..., None]
    arr = np.clip(cv2.GaussianBlur(img, (0, 0), 1.0), 0, 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, "JPEG", quality=75)
    out = Image.open(io.BytesIO(buf.getvalue()))
    out.load()
    return out


def cut_off(photo: Image.Image, truth: PhotoTruth, share: float = 0.15) -> Image.Image:
    """The photo cropped so that `share` of the page's width falls outside on the right."""
    xs = [x for x, _ in truth.corners]
    right = max(xs) - share * (max(xs) - min(xs))
    return photo.crop((0, 0, round(right), photo.height))


def _turn_cw(arr: np.ndarray, corners: np.ndarray, degrees: int) -> tuple[np.ndarray, np.ndarray]:
    """Turn the image `degrees` clockwise, and the points with it."""
    for _ in range(degrees // 90):
        h = arr.shape[0]
        arr = np.ascontiguousarray(np.rot90(arr, k=-1))
        corners = np.stack([h - 1 - corners[:, 1], corners[:, 0]], axis=1)
    return arr, corners


def _desk(
    w: int, h: int, rng: random.Random, gen: np.random.Generator, *, clutter: bool
) -> np.ndarray:
    """Wood-like grain, with another sheet's edge and a keyboard's dark corner."""
    sw, sh = max(8, w // 8), max(8, h // 8)
    yy, xx = np.mgrid[0:sh, 0:sw].astype(np.float32)
    warp = cv2.GaussianBlur(gen.normal(0, 1, (sh, sw)).astype(np.float32), (0, 0), 6) * 40
    period = rng.uniform(3, 9)
    along = xx if rng.random() < 0.5 else yy
    grain = np.sin((along + warp) / period * 2 * np.pi) * 0.5 + 0.5
    base = np.array(
        rng.choice([(120, 84, 52), (150, 110, 70), (90, 70, 55), (170, 150, 120), (60, 55, 50)]),
        dtype=np.float32,
    )
    wood = base * (0.8 + 0.35 * grain[..., None])
    wood = cv2.resize(wood, (w, h), interpolation=cv2.INTER_LINEAR)
    wood += gen.normal(0, 6, (h, w, 1)).astype(np.float32)
    if clutter:
        if rng.random() < 0.7:  # another sheet, reaching in from an edge
            grey = rng.uniform(170, 225)  # in the page's shade, or a tinted sheet
            cv2.fillPoly(wood, [_edge_sheet(w, h, rng)], (grey, grey, grey * 0.97))
        if rng.random() < 0.6:  # a keyboard in a corner
            kw, kh = int(w * rng.uniform(0.3, 0.6)), int(h * rng.uniform(0.08, 0.16))
            x0 = rng.choice((0, w - kw))
            y0 = rng.choice((0, h - kh))
            wood[y0 : y0 + kh, x0 : x0 + kw] = 35
            key = max(6, kh // 4)
            for ky in range(y0 + 3, y0 + kh - key, key + 3):
                for kx in range(x0 + 3, x0 + kw - key, key + 3):
                    wood[ky : ky + key, kx : kx + key] = 55
    return wood


def _edge_sheet(w: int, h: int, rng: random.Random) -> np.ndarray:
    """A quadrilateral reaching in from one side of the frame, a sheet partly out of view."""
    side = rng.choice("lrtb")
    d = rng.uniform(0.06, 0.14)
    a, b = sorted((rng.uniform(-0.3, 0.6), rng.uniform(0.4, 1.3)))
    if side in "lr":
        x_in = d * w if side == "l" else w - d * w
        x_out = -w * 0.2 if side == "l" else w * 1.2
        skew = rng.uniform(-0.03, 0.03) * w
        pts = [(x_in, a * h), (x_in + skew, b * h), (x_out, b * h), (x_out, a * h)]
    else:
        y_in = d * h if side == "t" else h - d * h
        y_out = -h * 0.2 if side == "t" else h * 1.2
        skew = rng.uniform(-0.03, 0.03) * h
        pts = [(a * w, y_in), (b * w, y_in + skew), (b * w, y_out), (a * w, y_out)]
    return np.array(pts, dtype=np.int32)


def _lighting(
    w: int, h: int, rng: random.Random, gen: np.random.Generator, st: PhotoStyle
) -> np.ndarray:
    """A light gradient across the frame, times the soft shadow of a hand or a phone."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    theta = rng.uniform(0, 2 * np.pi)
    proj = (xx - w / 2) * np.cos(theta) + (yy - h / 2) * np.sin(theta)
    proj = (proj - proj.min()) / max(1.0, float(np.ptp(proj)))
    dark = rng.uniform(*st.shadow)
    light = dark + (1 - dark) * proj
    if rng.random() < 0.6:
        cx, cy = rng.uniform(0, w), rng.uniform(0, h)
        r = rng.uniform(0.2, 0.45) * w
        blob = np.exp(-(((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * r * r)))
        light *= 1 - rng.uniform(0.15, 0.35) * blob
    return light.astype(np.float32)


def _spot(w: int, h: int, rng: random.Random) -> np.ndarray:
    """A light spot: a lamp or the window reflected by the paper."""
    if rng.random() < 0.3:
        return np.zeros((h, w), np.float32)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    cx, cy = rng.uniform(0.2, 0.8) * w, rng.uniform(0.2, 0.8) * h
    r = rng.uniform(0.05, 0.15) * w
    return (
        rng.uniform(20, 45) * np.exp(-(((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * r * r)))
    ).astype(np.float32)


def photo_pdf(images: Sequence[Image.Image], *, dpi: float = 150.0, quality: int = 80) -> bytes:
    """The photos as one PDF, each page the photo at `dpi` (a phone's "save as PDF")."""
    out = io.BytesIO()
    first, *rest = [im.convert("RGB") for im in images]
    first.save(out, "PDF", resolution=dpi, save_all=True, append_images=rest, quality=quality)
    return out.getvalue()


def photographed(
    pdf: bytes, rng: random.Random, *, dpi: float = 200.0, style: PhotoStyle | None = None
) -> tuple[bytes, list[PhotoTruth]]:
    """Every page of `pdf` rendered at `dpi`, photographed, and wrapped back into a PDF whose
    pages put the photographed page at about `dpi` (so a reader's 300 dpi render is sharp)."""
    doc = pdfium.PdfDocument(pdf)
    photos: list[Image.Image] = []
    truths: list[PhotoTruth] = []
    for page in doc:
        img = page.render(scale=dpi / 72, grayscale=False).to_pil().convert("RGB")
        photo, truth = phone_photo(img, rng, style=style)
        photos.append(photo)
        truths.append(truth)
    doc.close()
    # the page's density in the photo, in the PDF's inches: the page prints at its own size
    page_dpi = sum(t.ppi for t in truths) / len(truths)
    return photo_pdf(photos, dpi=page_dpi, quality=rng.randint(70, 90)), truths


def render_page(pdf: bytes, index: int, dpi: float) -> Image.Image:
    """One page of `pdf` as a grayscale image at `dpi`."""
    doc = pdfium.PdfDocument(pdf)
    try:
        img: Image.Image = doc[index].render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
    finally:
        doc.close()
    return img
