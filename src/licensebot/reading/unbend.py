"""A page's lines of print made level again where a fold or a crease down the page bent them.

A letter folded in three for its envelope and scanned, or a page pressed on the glass across a
crease, has its print shifted up or down near each fold: every line of text that crosses a fold
dips into a V there (print and rules alike), and Tesseract, which reads a line as one baseline,
loses the words the V tilts or reads them broken. `straighten` takes the bend out of a table by
its rules; a page of text has no rules, and a form's text above and below its table none
either. Here the bend is measured from the print itself, the way Leptonica's dewarping measures
a page's vertical disparity: the page is cut into narrow strips down it, each strip's ink is
counted row by row (its profile: the lines of print are its peaks), and each strip's profile is
matched against the page's, shifted up or down. A fold moves the print of a strip as a whole,
so the shift that matches best is how far the fold moved it; the shifts across the page are
found together (a Viterbi path: neighbouring strips move by at most a few pixels, so a profile
is never matched one line of print off where its neighbours are). The page is then remapped so
each strip stands level (OpenCV's `remap`).

The model is a shift by column, the same from the top of the page to its foot, as a fold down
the page makes. A page whose print is level (nearly every one) is returned as it is: no pixel
moves unless the shifts bend by more than `BENT` off the straight line through them (a slope
alone is skew, the deskew's work, not a fold).
"""

from __future__ import annotations

import cv2
import numpy as np

from licensebot.reading.grid import ink_mask

#: The print is measured at this resolution (dpi): a line of 10-point print is some 14 pixels.
WORK_DPI = 100
#: Strips this wide (inches): a few letters, so every line of print crosses each; one every
#: half strip (they overlap: a fold's sharp crease is placed to a twentieth of an inch) ...
STRIP = 0.1
#: ... shifted this far at most (inches) up or down: a deep fold not pressed flat ...
REACH = 0.3
#: ... and the next strip by at most this much more, a share of the way between them: a
#: fold's side is steep, but a line's pitch (a sixth of an inch) is more than a strip's step
#: at this slope, so a strip is never matched a line off where its neighbour is.
SLOPE = 0.8
#: A strip with less ink than this share of the page's median strip says nothing of its shift
#: (a speck in the margin); one with less than `FULL` of it (the ends of a few lines at the
#: right margin) says less, in proportion.
FAINT = 0.03
FULL = 0.4
#: A strip matching the page's profile less than this at its shift holds no lines of print.
MATCHED = 0.4
#: Strips this close (inches) to the page's left or right edge are its margins.
EDGE = 0.6
#: A page with fewer lines of print (or rules) than this running across this share of its
#: strips is left as it is: a box with a word in it (a signature row a page break carried
#: overleaf) has no lines to measure a fold by, only its two rules.
MIN_LINES = 4
ACROSS = 0.3
#: The page is remapped only where the shifts bend by more than this (inches) off the straight
#: line through them ...
BENT = 0.03
#: ... and the strips it moves match the page's profile better by this much (their mean
#: correlation).
GAIN = 0.02


def unbend(gray: np.ndarray, dpi: float) -> tuple[np.ndarray, float]:
    """`gray` (a flat, deskewed page at `dpi`, upright or on its head) with its print levelled
    across any fold down the page, and the largest bend undone (inches; 0.0 when the page was
    left as it is)."""
    if gray.shape[1] > gray.shape[0]:
        # wider than tall: a page still lying a quarter turn off (its lines run down, and
        # its quarter turns are tried later, on these pixels), or a landscape page: no form's
        return gray, 0.0
    f = min(1.0, WORK_DPI / dpi)
    small = gray if f == 1.0 else cv2.resize(gray, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
    work = dpi * f
    found = column_shifts(small, work)
    if found is None:
        return gray, 0.0
    shift, worst = found
    h, w = gray.shape
    full = np.interp(np.arange(w) * f, np.arange(shift.size), shift).astype(np.float32) / f
    map_x, map_y = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    map_y += full
    out = cv2.remap(gray, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return np.asarray(out, dtype=np.uint8), worst / work


def column_shifts(gray: np.ndarray, dpi: float) -> tuple[np.ndarray, float] | None:
    """How far the print of each column of `gray` lies below where the page's lines put it
    (pixels, one per column) and the bend (pixels off the straight line through the shifts),
    or None when it is level (or too little print to tell)."""
    ink = (ink_mask(gray, dpi) > 0).astype(np.float32)
    h, w = ink.shape
    sw = max(2, round(STRIP * dpi))
    stride = max(1, sw // 2)
    k = (w - sw) // stride + 1 if w >= sw else 0
    if k < 8:
        return None
    across = np.concatenate([np.zeros((h, 1), np.float32), ink.cumsum(axis=1)], axis=1)
    starts = np.arange(k) * stride
    profiles = (across[:, starts + sw] - across[:, starts]).T  # (strips, rows)
    if _lines(profiles) < MIN_LINES:
        return None
    profiles = cv2.GaussianBlur(np.ascontiguousarray(profiles), (0, 1), sigmaX=0.012 * dpi)
    mass = profiles.sum(axis=1)
    median = float(np.median(mass[mass > 0])) if (mass > 0).any() else 0.0
    if median <= 0:
        return None
    weight = np.minimum(1.0, mass / (median * FULL))
    weight[mass < FAINT * median] = 0.0
    if (weight > 0).sum() < 8:
        return None
    reach, step = max(2, round(REACH * dpi)), max(1, round(SLOPE * stride))
    level = np.zeros(k)
    ref = _reference(profiles, weight, level)
    corr0 = _correlations(profiles, ref, reach)
    path = level
    for _ in range(3):
        corr = _correlations(profiles, ref, reach)
        path = _best_path(corr, weight, reach, step)
        ref = _reference(profiles, weight, path)
    corr = _correlations(profiles, ref, reach)
    path = _best_path(corr, weight, reach, step)
    fine = path + _subpixel(corr, path, reach)
    # a strip whose ink matches the page's lines at no shift holds no lines of print (a
    # copier's streak, specks in the margin): it says nothing of a fold, its neighbours do
    used = (weight > 0) & (corr[np.arange(k), path.astype(int) + reach] >= MATCHED)
    # ... and nor does one in the page's margins (a worn copier's dots and streaks down its
    # edges): a fold there moves no print
    centres = starts + sw / 2
    used &= (centres >= EDGE * dpi) & (centres <= w - EDGE * dpi)
    if used.sum() < 8:
        return None
    matched = corr[np.arange(k), path.astype(int) + reach] - corr0[:, reach]
    fine = _filled(fine, used)
    fine -= float(np.median(fine[used]))
    xs = np.arange(k, dtype=np.float64)
    # whether a fold is there is judged on the shifts' median of five: a fold moves a run of
    # strips alike, one or two strips off their neighbours are noise (a worn drum's streak of
    # dots); the shifts themselves are applied as found (the median would clip a sharp V)
    smooth = _median5(fine)
    off = np.abs(smooth - _line_through(xs, smooth, weight))
    moved = used & (off >= BENT * dpi / 2)
    if not moved.any() or float(np.max(off[used])) < BENT * dpi:
        return None
    # the strips the fold moved match the page's lines better moved (a fold is a few inches
    # of a page: the rest, level either way, says nothing of it)
    if float(np.average(matched[moved], weights=weight[moved])) < GAIN:
        return None
    bend = float(np.max(off[used]))
    return np.interp(np.arange(w), centres, fine), bend


def _lines(profiles: np.ndarray) -> int:
    """The runs of rows inked across much of the page (`ACROSS` of its strips): its lines of
    print and its long rules."""
    inked = (profiles > 0).mean(axis=0) >= ACROSS
    return int(np.count_nonzero(inked[1:] & ~inked[:-1]) + int(inked[0]))


def _reference(profiles: np.ndarray, weight: np.ndarray, path: np.ndarray) -> np.ndarray:
    """The page's profile: the strips' profiles, each moved back by its shift, averaged."""
    h = profiles.shape[1]
    rows = np.arange(h, dtype=np.float64)
    acc = np.zeros(h)
    for p, wt, s in zip(profiles, weight, path, strict=True):
        if wt > 0:
            acc += wt * np.interp(rows + s, rows, p, left=0.0, right=0.0)
    norm = float(np.sqrt((acc * acc).sum()))
    return acc / norm if norm > 0 else acc


def _correlations(profiles: np.ndarray, ref: np.ndarray, reach: int) -> np.ndarray:
    """(strips, 2 * reach + 1): each strip's profile against the page's shifted by d - reach
    rows down (normalised: 1.0 is the same shape). Element by element, not a matrix product:
    BLAS allocates its buffers on a first product, and a reader short of memory then waits
    on its retries instead of failing at once."""
    h = ref.size
    padded = np.concatenate([np.zeros(reach), ref, np.zeros(reach)])
    norms = np.sqrt((profiles * profiles).sum(axis=1, keepdims=True))
    unit = profiles / np.where(norms == 0, 1.0, norms)
    return np.stack(
        [(unit * padded[reach - d : reach - d + h]).sum(axis=1) for d in range(-reach, reach + 1)],
        axis=1,
    )


def _best_path(corr: np.ndarray, weight: np.ndarray, reach: int, step: int) -> np.ndarray:
    """The shift of each strip (pixels): the path through `corr` of the highest weighted sum
    whose neighbouring strips differ by at most `step`, gently preferring the level."""
    k, n = corr.shape
    score = weight[:, None] * corr
    total = score[0].copy()
    back = np.zeros((k, n), dtype=np.int64)
    offsets = np.arange(-step, step + 1)
    idx = np.arange(n)
    for i in range(1, k):
        cand = np.full((offsets.size, n), -np.inf)
        for j, o in enumerate(offsets):
            src = idx + o
            ok = (src >= 0) & (src < n)
            cand[j, ok] = total[src[ok]] - 1e-3 * abs(int(o))
        best = np.argmax(cand, axis=0)
        back[i] = idx + offsets[best]
        total = cand[best, idx] + score[i]
    path = np.zeros(k, dtype=np.int64)
    path[-1] = int(np.argmax(total))
    for i in range(k - 1, 0, -1):
        path[i - 1] = back[i, path[i]]
    return (path - reach).astype(np.float64)


def _subpixel(corr: np.ndarray, path: np.ndarray, reach: int) -> np.ndarray:
    """The fraction of a pixel each shift lies off its whole pixel (the parabola through the
    correlation at the shift and either side)."""
    k, n = corr.shape
    i = np.clip(path.astype(int) + reach, 1, n - 2)
    a, b, c = corr[np.arange(k), i - 1], corr[np.arange(k), i], corr[np.arange(k), i + 1]
    den = a - 2 * b + c
    off = np.where(den < 0, 0.5 * (a - c) / np.where(den == 0, 1, den), 0.0)
    return np.asarray(np.clip(off, -0.5, 0.5))


def _line_through(xs: np.ndarray, ys: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """The weighted least-squares line through the points, at `xs` (by its sums: no LAPACK)."""
    sw = float(weight.sum())
    mx, my = float((weight * xs).sum()) / sw, float((weight * ys).sum()) / sw
    var = float((weight * (xs - mx) ** 2).sum())
    slope = float((weight * (xs - mx) * (ys - my)).sum()) / var if var > 0 else 0.0
    return np.asarray(my + slope * (xs - mx))


def _median5(values: np.ndarray) -> np.ndarray:
    """Each value the median of itself and its two neighbours either side (the ends held:
    OpenCV's median filter, on the values as one row)."""
    row = np.ascontiguousarray(values, dtype=np.float32).reshape(1, -1)
    return cv2.medianBlur(row, 5).reshape(-1).astype(np.float64)


def _filled(values: np.ndarray, used: np.ndarray) -> np.ndarray:
    """`values` where `used`, interpolated between (and carried beyond) elsewhere."""
    xs = np.arange(values.size)
    return np.asarray(np.interp(xs, xs[used], values[used]))
