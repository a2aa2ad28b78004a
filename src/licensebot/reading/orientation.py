"""Is a page upside down? Latin print's ascenders, else a text direction classifier.

Lines of print are found by morphology (words smeared into bars). Ascenders and capitals rise
above the x-height far more often than descenders drop below it, which tells upright Latin
print from print on its head in milliseconds. Where that is unclear (Chinese, little print),
PaddleOCR's text direction classifier (`ch_ppocr_mobile_v2.0_cls`, 0.6 MB, inside
rapidocr_onnxruntime's wheel) votes on pieces of the lines cut to its 4:1 shape. It runs on
ONNX Runtime with one thread, the session loaded once per process.
"""

from __future__ import annotations

import threading
from functools import cache
from importlib.resources import files
from typing import Any

import cv2
import numpy as np

from licensebot.errors import LicensebotError

#: The classifier's input: 3 x 48 x 192.
CLS_HEIGHT, CLS_WIDTH = 48, 192
MAX_PIECES = 12
#: The ascender vote counts beyond this margin (its values run 0.1 to 0.4 on prose).
ASCENDER_MARGIN = 0.06
#: The classifier's mean probability of one direction over the pieces that settles it.
CLS_SURE = 0.8


class OrientationModelMissing(LicensebotError):
    """rapidocr_onnxruntime (which carries the classifier) is not installed."""


def upside_down(gray: np.ndarray) -> tuple[bool, float]:
    """Whether the page `gray` (grayscale, lines of print running across) stands on its head,
    and how sure the call is (0.5 = no print to judge by).

    The text direction classifier decides when it is sure (`CLS_SURE`); else Latin print's
    ascenders (fast, and right on every synthetic photo of prose, 100 to 300 dpi). Ascenders
    alone are fooled by lines of numbers (the LA's list of subjects: digits all of capital
    height, commas hanging below the line) both ways, and a page read on its head reads as
    junk, every clause on it missing: a current LA judged an older one."""
    lines = _lines(gray)
    vote = _ascenders(lines)
    pieces = _pieces(gray, lines)
    if not pieces:
        return vote < 0, 0.5 if abs(vote) < ASCENDER_MARGIN else min(1.0, 0.5 + abs(vote))
    try:
        probs = _classify(pieces)
    except OrientationModelMissing:
        return vote < 0, 0.5  # the ascenders' lean, as unsure as a coin: pass 1 tries both
    p180 = float(np.mean(probs[:, 1]))
    if max(p180, 1 - p180) >= CLS_SURE or abs(vote) < ASCENDER_MARGIN:
        return p180 > 0.5, max(p180, 1 - p180)
    return vote < 0, min(1.0, 0.5 + abs(vote))


def ascender_vote(gray: np.ndarray) -> float:
    """See `_ascenders`."""
    return _ascenders(_lines(gray))


def _ascenders(lines: tuple[float, np.ndarray, list[tuple[int, int, int, int]]]) -> float:
    """Latin print's own asymmetry: ascenders and capitals (b d f h k l t, A-Z) rise above
    the x-height far more often than descenders (g j p q y) drop below it. Over the page's
    lines, the share of ink above the x-height band less the share below: > 0 upright,
    < 0 upside down, near 0 for no Latin print."""
    _, ink, boxes = lines
    above = below = 0.0
    for x, y, bw, bh in boxes[:60]:
        rows = ink[y : y + bh, x : x + bw].sum(axis=1, dtype=np.float64)
        if rows.sum() == 0:
            continue
        core = np.nonzero(rows >= 0.5 * rows.max())[0]
        top, bottom = int(core[0]), int(core[-1])
        above += float(rows[:top].sum())
        below += float(rows[bottom + 1 :].sum())
    total = above + below
    return (above - below) / total if total else 0.0


def _lines(gray: np.ndarray) -> tuple[float, np.ndarray, list[tuple[int, int, int, int]]]:
    """Lines of print found by smearing words into bars: the scale of the copy they were
    found on, its ink, and their boxes in it, the longest first."""
    h, w = gray.shape
    f = min(1.0, 900 / w)
    step = max(1, int(1 / f / 2))  # every n-th pixel first: area resampling is slow
    small = cv2.resize(
        gray[::step, ::step], (round(w * f), round(h * f)), interpolation=cv2.INTER_AREA
    )
    ink = cv2.adaptiveThreshold(
        small, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 25, 15
    )
    sh, sw = ink.shape
    # table rules would join the lines of a table into one block
    rules = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((1, max(3, sw // 15)), np.uint8))
    down = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((max(3, sh // 15), 1), np.uint8))
    rules = cv2.dilate(cv2.bitwise_or(rules, down), np.ones((3, 3), np.uint8))
    ink = cv2.bitwise_and(ink, cv2.bitwise_not(rules))
    bars = cv2.morphologyEx(ink, cv2.MORPH_CLOSE, np.ones((1, max(5, sw // 80)), np.uint8))
    _, _, stats, _ = cv2.connectedComponentsWithStats(bars, connectivity=8)
    boxes = []
    for x, y, bw, bh, area in stats[1:]:
        if not 0.004 * sh <= bh <= 0.03 * sh or bw < 3 * bh or area < 0.3 * bw * bh:
            continue
        boxes.append((int(x), int(y), int(bw), int(bh)))
    # the longest lines first: whole sentences, not stray marks
    boxes.sort(key=lambda b: -b[2])
    return f, ink, boxes


def line_pieces(gray: np.ndarray, *, limit: int = MAX_PIECES) -> list[np.ndarray]:
    """Crops of lines of print, each about four times as wide as high."""
    return _pieces(gray, _lines(gray), limit=limit)


def _pieces(
    gray: np.ndarray,
    lines: tuple[float, np.ndarray, list[tuple[int, int, int, int]]],
    *,
    limit: int = MAX_PIECES,
) -> list[np.ndarray]:
    f, ink, boxes = lines
    sh, sw = ink.shape
    pieces: list[np.ndarray] = []
    for x, y, bw, bh in boxes:
        pad = max(2, round(bh * 0.25))
        x0, y0 = max(0, x - pad), max(0, y - pad)
        x1, y1 = min(sw, x + bw + pad), min(sh, y + bh + pad)
        crop = gray[round(y0 / f) : round(y1 / f), round(x0 / f) : round(x1 / f)]
        ch, cw = crop.shape
        step = 4 * ch
        # two pieces of a line at most: many lines outvote one odd line
        for cx in range(0, max(1, cw - step // 2), step)[:2]:
            pieces.append(crop[:, cx : cx + step])
            if len(pieces) >= limit:
                return pieces
    return pieces


def _classify(pieces: list[np.ndarray]) -> np.ndarray:
    batch = np.zeros((len(pieces), 3, CLS_HEIGHT, CLS_WIDTH), dtype=np.float32)
    for i, piece in enumerate(pieces):
        ph, pw = piece.shape
        rw = min(CLS_WIDTH, max(1, round(CLS_HEIGHT * pw / ph)))
        resized = cv2.resize(piece, (rw, CLS_HEIGHT)).astype(np.float32) / 255
        batch[i, :, :, :rw] = (resized - 0.5) / 0.5
    session = _session()
    with _lock:
        out = session.run(None, {session.get_inputs()[0].name: batch})[0]
    return np.asarray(out, dtype=np.float32)


def preload() -> None:
    """Load the classifier's session now and run it once (ONNX Runtime sets up its first run
    lazily): in the sandbox's fork server, so that every reader forked from it starts warm."""
    _classify([np.full((CLS_HEIGHT, CLS_WIDTH), 255, dtype=np.uint8)])


_lock = threading.Lock()


@cache
def _session() -> Any:
    try:
        import onnxruntime as ort

        path = files("rapidocr_onnxruntime").joinpath(
            "models", "ch_ppocr_mobile_v2.0_cls_infer.onnx"
        )
    except ModuleNotFoundError as exc:
        raise OrientationModelMissing(
            "the text direction classifier comes with rapidocr_onnxruntime: "
            "pip install rapidocr-onnxruntime"
        ) from exc
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
