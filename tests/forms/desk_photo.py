"""A raw phone photo of a page lying on a desk: the desk around it, a perspective, uneven light.

`phone_photo(page_image, rng)` returns the photo (RGB). The independent corpus
(`tests/forms/delivery.py`) photographs its pages with this model on purpose, not with
`tests/forms/photo.py`, the model the page-geometry stage was developed against: a reader tuned on
one photo model is measured on another.
"""

from __future__ import annotations

import random

import cv2
import numpy as np
from PIL import Image, ImageFilter


def _desk(width: int, height: int, rng: random.Random) -> np.ndarray:
    """A wood-ish or fabric-ish texture: a base colour, streaks, and noise."""
    gen = np.random.default_rng(rng.randrange(2**32))
    base = np.array(rng.choice(((96, 72, 52), (140, 120, 96), (60, 62, 66), (170, 160, 150))))
    streaks = gen.normal(0, 1, (1, width)).repeat(height, 0)
    streaks = cv2.GaussianBlur(streaks, (0, 0), sigmaX=rng.uniform(3, 12))
    noise = gen.normal(0, 6, (height, width))
    tex = base[None, None, :] + (streaks * 14 + noise)[:, :, None]
    return np.clip(tex, 0, 255).astype(np.float32)


def phone_photo(page_image: Image.Image, rng: random.Random) -> Image.Image:
    """`page_image` photographed on a desk with a phone held not quite above it."""
    page = np.asarray(page_image.convert("RGB"), dtype=np.float32)
    h, w = page.shape[:2]
    margin = rng.uniform(0.06, 0.14)
    out_w, out_h = int(w * (1 + 2 * margin)), int(h * (1 + 2 * margin))
    desk = _desk(out_w, out_h, rng)
    # the page's corners land inside the frame, each moved a little: perspective and rotation
    mx, my = w * margin, h * margin
    jitter = 0.045
    dst = np.array(
        [
            [mx + rng.uniform(-jitter, jitter) * w, my + rng.uniform(-jitter, jitter) * h],
            [mx + w + rng.uniform(-jitter, jitter) * w, my + rng.uniform(-jitter, jitter) * h],
            [
                mx + w + rng.uniform(-jitter, jitter) * w,
                my + h + rng.uniform(-jitter, jitter) * h,
            ],
            [mx + rng.uniform(-jitter, jitter) * w, my + h + rng.uniform(-jitter, jitter) * h],
        ],
        dtype=np.float32,
    )
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(src, dst)
    warped = cv2.warpPerspective(page, matrix, (out_w, out_h), flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.ones((h, w), np.float32), matrix, (out_w, out_h))[:, :, None]
    img = warped * mask + desk * (1 - mask)
    # light from one side, a warm cast, a soft shadow of the phone
    # a column and a row, broadcast: each pixel's sum as over the whole grid, in a fraction
    # of the memory
    ys, xs = (v.astype(np.float32) for v in np.ogrid[0:out_h, 0:out_w])
    angle = rng.uniform(0, 2 * np.pi)
    ramp = (np.cos(angle) * xs / out_w + np.sin(angle) * ys / out_h) % 1.0
    light = rng.uniform(0.7, 0.85) + rng.uniform(0.1, 0.25) * ramp
    img = img * light[:, :, None] * np.array([1.0, 0.97, rng.uniform(0.86, 0.95)], np.float32)
    if rng.random() < 0.5:
        cx, cy = rng.uniform(0.2, 0.8) * out_w, rng.uniform(0.6, 1.0) * out_h
        r = rng.uniform(0.25, 0.45) * out_w
        shade = 1 - 0.25 * np.exp(-(((xs - cx) ** 2 + (ys - cy) ** 2) / (2 * r * r)))
        img = img * shade[:, :, None]
    gen = np.random.default_rng(rng.randrange(2**32))
    img = img + gen.normal(0, 4, img.shape)
    photo = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))
    return photo.filter(ImageFilter.GaussianBlur(rng.uniform(0.5, 1.1)))
