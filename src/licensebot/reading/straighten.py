"""A form page's rows made straight again by its table's rules: a fold or a crease bends them.

A page folded for an envelope and scanned, or photographed not quite flat, bends every line
that crosses the fold: a table's row rules dip into a V there, and the lines of print in its
cells with them. Pass 1 then lost the labels the fold crossed (`Date` read as nothing) and
Tesseract read a value's line broken at the fold. The rules show the bend exactly: each long
row rule (`grid.rules_from_image`, whose pieces a bend split are joined again,
`grid.bridged`) is traced along its ink, and how far its ink lies from the straight line
between its ends is the bend at that column. Between two rules the bend is interpolated
(rows of print lie between rules); above the first and below the last it is carried on and
fades out. The page is then remapped so each rule is straight (OpenCV's `remap`). A page
whose rules are straight (nearly every one) is returned as it is: no pixel moves for less than
`BENT` of bend.
"""

from __future__ import annotations

import cv2
import numpy as np

from licensebot.reading.grid import DIP, WORK_DPI, Rule, ink_mask, rules_from_image

#: Rules are found and traced at the grid's `WORK_DPI`; the bend is applied at the page's own.
#: Rows are straightened only where some rule bends by more than this (inches) ...
BENT = 0.02
#: ... a rule at least this long (inches) ...
LONG = 2.0
#: ... and the bend fades out over this distance (inches) above the first rule and below the
#: last: the lines of print near the table are bent as its rows are, a page's far text is not
#: measured.
FADE = 1.5


def straighten(gray: np.ndarray, dpi: float) -> tuple[np.ndarray, float]:
    """`gray` (a flat, upright page at `dpi`) with its rows straightened, and the largest bend
    undone (inches; 0.0 when the page was left as it is)."""
    f = min(1.0, WORK_DPI / dpi)
    small = gray if f == 1.0 else cv2.resize(gray, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
    work = dpi * f
    rows = [r for r in rules_from_image(small, work) if r.horizontal and r.length >= LONG * work]
    if not rows:
        return gray, 0.0
    ink = ink_mask(small, work)
    if all(_straight(ink, r, work) for r in rows):
        return gray, 0.0
    bends = _agreed([(r, _bend(ink, r, work)) for r in sorted(rows, key=lambda r: r.pos)])
    worst = max(float(np.max(np.abs(b))) for _, b in bends)
    if worst < BENT * work:
        return gray, 0.0
    shift = _field(bends, small.shape, work)
    h, w = gray.shape
    if f != 1.0:
        shift = cv2.resize(shift, (w, h), interpolation=cv2.INTER_LINEAR) / f
    map_x, map_y = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    map_y += shift.astype(np.float32)
    out = cv2.remap(gray, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return np.asarray(out, dtype=np.uint8), worst / work


#: A rule is straight when its ink lies this close (inches) to the line between its ends ...
ON_LINE = 0.015
#: ... in this share of its columns at least (the rest: a scan's gaps in the rule).
STRAIGHT = 0.97


def _straight(ink: np.ndarray, rule: Rule, dpi: float) -> bool:
    """The rule's ink lies along the straight line between its ends (the quick look that
    spares nearly every page the trace)."""
    h = ink.shape[0]
    xs = np.arange(round(rule.x0), round(rule.x1) + 1)
    ys = np.rint(rule.y0 + (rule.y1 - rule.y0) * (xs - rule.x0) / max(1.0, rule.x1 - rule.x0))
    near = max(2, round(ON_LINE * dpi + rule.thickness / 2))
    hit = np.zeros(xs.size, dtype=bool)
    for dy in range(-near, near + 1):
        hit |= ink[np.clip(ys.astype(int) + dy, 0, h - 1), xs] > 0
    return bool(hit.mean() >= STRAIGHT)


def _bend(ink: np.ndarray, rule: Rule, dpi: float) -> np.ndarray:
    """How far below the straight line between its ends the rule's ink lies, at each column
    from its start to its end (pixels): the ink followed column by column, a pixel or two a
    step, from the run nearest the line at its start; smoothed, so a letter touching the
    rule does not count."""
    h = ink.shape[0]
    x0, x1 = round(rule.x0), round(rule.x1)
    reach = round(DIP * dpi)
    out = np.full(x1 - x0 + 1, np.nan)
    p: float | None = None
    lost, lose = 0, max(2, round(0.05 * dpi))
    for i, x in enumerate(range(x0, x1 + 1)):
        line = rule.at(x)
        lo, hi = max(0, round(line) - reach), min(h - 1, round(line) + reach)
        dark = np.flatnonzero(ink[lo : hi + 1, x]) + lo
        if p is not None:
            dark = dark[np.abs(dark - p) <= 2]
        if dark.size == 0:
            lost += 1
            if lost > lose:
                p = None  # the rule broke off: found again by the line
            continue
        lost = 0
        target = line if p is None else p
        p = float(dark[np.argmin(np.abs(dark - target))])
        out[i] = p - line
    known = np.flatnonzero(~np.isnan(out))
    if known.size == 0:
        return np.zeros_like(out)
    out = np.interp(np.arange(out.size), known, out[known])
    k = max(3, round(0.05 * dpi) | 1)
    padded = np.pad(out, k // 2, mode="edge")
    return np.asarray(np.median(np.lib.stride_tricks.sliding_window_view(padded, k), axis=1))


def _agreed(bends: list[tuple[Rule, np.ndarray]]) -> list[tuple[Rule, np.ndarray]]:
    """Each rule's bend as the median of its own and its neighbours' above and below, column by
    column: a fold bends the rows next to each other alike, and a rule traced off its line
    (bold print standing on it) is outvoted. Where a neighbour does not reach, the rule's own."""
    out = []
    for i, (rule, own) in enumerate(bends):
        x0 = round(rule.x0)
        votes = [own]
        for j in (i - 1, i + 1):
            if 0 <= j < len(bends):
                other, theirs = bends[j]
                o0 = round(other.x0)
                row = np.full_like(own, np.nan)
                lo, hi = max(x0, o0), min(x0 + own.size, o0 + theirs.size)
                if hi > lo:
                    row[lo - x0 : hi - x0] = theirs[lo - o0 : hi - o0]
                votes.append(np.where(np.isnan(row), own, row))
        out.append((rule, np.median(np.vstack(votes), axis=0)))
    return out


def _field(bends: list[tuple[Rule, np.ndarray]], shape: tuple[int, ...], dpi: float) -> np.ndarray:
    """The vertical shift of every pixel (pixels, at the rules' resolution): each rule's bend
    along it, interpolated between rules, carried on above and below and faded out."""
    h, w = shape[:2]
    shift = np.zeros((h, w), dtype=np.float32)
    ys = np.arange(h, dtype=np.float32)
    fade = FADE * dpi
    for x in range(w):
        here = sorted(
            (rule.at(x), float(b[x - round(rule.x0)]))
            for rule, b in bends
            if round(rule.x0) <= x <= round(rule.x1)
        )
        if not here:
            continue
        at = np.array([y for y, _ in here], dtype=np.float32)
        d = np.array([v for _, v in here], dtype=np.float32)
        col = np.interp(ys, at, d)
        above, below = ys < at[0], ys > at[-1]
        col[above] *= np.clip(1 - (at[0] - ys[above]) / fade, 0, 1)
        col[below] *= np.clip(1 - (ys[below] - at[-1]) / fade, 0, 1)
        shift[:, x] = col
    return shift
