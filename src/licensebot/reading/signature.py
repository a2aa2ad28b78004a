"""Is the Signature cell of a page image signed? The cell, found by its rules, and its ink.

A scanned or photographed form is judged from the pixels. The cell is the one the table's
grid gives (`regions.locate_values`); where the grid has none, the Signature label says where
the cell is, but not how far it goes: the cell is bounded by the table's rules where they can be
seen (the row's rules above and below the label, the column rules left of it and left of the
Date label), so neither the row below (a caption, the members table) nor the Date cell's
handwriting are measured. Inside it, the label's own words, words that read as print and what
is left of the rules are masked; the rest is ink, cut into connected strokes.

A signature is a stroke far taller than a line of print (a scrawl, a looped name); print is
letters no taller than a line. The verdict has three values: strokes of signature height and
enough of them are signed; no ink at all, or only print on a straight baseline (a typed name
in the box), is unsigned; anything else (a mark of print size that is not print, a little
tall ink) is unknown and goes to a person.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from statistics import median

import cv2
import numpy as np
from PIL import Image

from licensebot.reading.layout import Label, Word, label_word
from licensebot.reading.ocr import long_runs, true_runs

Box = tuple[float, float, float, float]

#: Ink darker than this (0-255) is ink; photos have their lighting flattened before.
INK_LEVEL = 150
#: A stroke at least this many text heights tall is handwriting of signature size.
SIGNATURE_HEIGHT = 1.9
#: Share of the cell covered by signature-size strokes for a clear signature.
SIGNATURE_INK = 0.004
#: ... of the cell, or of the room a signature takes where the cell is larger (in text heights
#: squared: a name signed across a 24 by 4 text-height strip): a signature is as large as
#: the hand makes it, not as the cell is (a full-width Signature row of a stacked table is
#: ten times a grid's cell, and the same signature covers a tenth of the share there).
SIGNATURE_ROOM = 24 * 4
#: Share of the cell in any leftover ink (specks, remnants) below which the cell is empty.
EMPTY_INK = 0.0015
#: Share of the label's box in ink, at least, for the label to be where the image has it.
LABEL_INK = 0.03
#: A connected stroke at least this many text heights wide, and this many tall, is writing
#: whose letters the pen joined (print's letters stand apart).
CURSIVE_WIDTH = 2.5
CURSIVE_HEIGHT = 0.8
#: ... and a pen's line covers at most this share of its box (a bar, a smudge, print run
#: together by a copier's bleed are denser)
CURSIVE_FILL = 0.28
#: A pen's line covers less of its box than this; a filled shape more.
BLOB_FILL = 0.4
#: A stamp is a ring at least this many text heights across.
SEAL_SIZE = 4.0
#: A letter of print is at most this many text heights tall and wide (a text height is the
#: label's line, ascenders to descenders: no single letter of the same print is taller).
PRINT_HEIGHT = 1.1
PRINT_WIDTH = 2.0
#: A rule runs across at least this share of the span it is looked for in.
RULE_COVER = 0.8


@dataclass(frozen=True)
class Stroke:
    """A connected piece of ink: its bounding box (cell pixels) and size in pixels."""

    x0: int
    y0: int
    x1: int
    y1: int
    pixels: int

    @property
    def height(self) -> int:
        return self.y1 - self.y0 + 1

    @property
    def width(self) -> int:
        return self.x1 - self.x0 + 1


@dataclass(frozen=True)
class SignatureInk:
    """What is in the cell: `signed` True, False or None (unknown), and the evidence."""

    signed: bool | None
    confidence: float
    box: Box
    tall_ink: float  # share of the cell in strokes of signature height
    other_ink: float  # share in everything else left after the masks
    strokes: tuple[Stroke, ...] = ()
    seal: bool = False  # a seal's ring or stamp was seen in the cell
    #: the cell's ink left after the masks (True: ink), where `strokes` were cut from
    ink: np.ndarray | None = field(default=None, compare=False, repr=False)


def _rules_1d(ink: np.ndarray, cover: float, spread: int) -> list[tuple[int, int]]:
    """Runs of rows of `ink` (2-D, rows x span) covered across at least `cover` of the span,
    each row counting ink within `spread` rows of it (a rule a little off straight)."""
    if ink.size == 0:
        return []
    near = ink.copy()
    for d in range(1, spread + 1):
        near[d:] |= ink[:-d]
        near[:-d] |= ink[d:]
    full = near.mean(axis=1) >= cover
    # inclusive ends; `spread` rows wider each side than the rule: centres hold
    return [(a, b - 1) for a, b in true_runs(full)]


def _centres(runs: Sequence[tuple[int, int]]) -> list[float]:
    return [(a + b) / 2 for a, b in runs]


def find_cell(gray: np.ndarray, sig: Label, others: Sequence[Label], fallback: Box) -> Box:
    """The Signature cell bounded by the rules drawn around it, `fallback` where none show.

    Coordinates are the image's pixels, as are the labels'. Left: the nearest column rule
    left of the label. Right: the nearest column rule left of the next label in the row (its
    last word: a scrawl OCR read as a word before "Date" is not the Date cell). Top and
    bottom: the nearest row rules above and below the label, looked for across the whole row.
    """
    h_img, w_img = gray.shape
    u = max(sig.height, 4.0)
    ink = gray < INK_LEVEL
    nxt = [
        o
        for o in others
        if o is not sig
        and o.page == sig.page
        and o.x0 > sig.x1
        and min(o.bottom, sig.bottom) - max(o.top, sig.top) > 0.3 * min(o.height, sig.height)
    ]
    date = min(nxt, key=lambda o: o.x0, default=None)
    right_word = _letters_start(date.words[-1]) if date is not None else fallback[2]
    fx0, ftop, fx1, fbottom = fallback
    # rows: across the label's row, from left of the label to the Date label's end
    span0 = int(max(0, min(sig.x0, fx0) - u))
    # no Date label: a row rule runs well past the label in any table, the page edge may not
    span1 = int(min(w_img, date.x1 if date is not None else min(fx1, sig.x1 + 6 * u)))
    y_lo = int(max(0, sig.top - 8 * u))
    y_hi = int(min(h_img, max(fbottom, sig.bottom + 10 * u)))
    top, bottom = ftop, fbottom
    if span1 - span0 > 4 * u and y_hi > y_lo:
        rows = [
            (a + y_lo, b + y_lo) for a, b in _rules_1d(ink[y_lo:y_hi, span0:span1], RULE_COVER, 2)
        ]
        # a rule with another label between it and the Signature's is another row's: an
        # underlined form's `Affiliation:` and its long underline, together across the
        # Signature's row up to `Date:`, had been taken for the cell's top, and the e-mail's
        # and address's letters in between measured as marks in the cell
        between = [
            o.bottom
            for o in others
            if o is not sig
            and o.page == sig.page
            and o.bottom < sig.top
            and o.x0 < span1
            and o.x1 > span0
        ]
        above = [c for c in _centres(rows) if c < sig.top and not any(b > c for b in between)]
        below = [c for c in _centres(rows) if c > sig.bottom + 0.3 * u]
        if above:
            top = max(above)
        if below:
            bottom = min(below)
    # a cell holds one row's labels: a label below the Signature's, across its row, starts
    # the next row whether or not a rule shows between them (a tabbed form's `Date (日期):`
    # line, then the members' table's top rule: the date's characters and the table's
    # heading had been measured as a hand, and an unsigned form called signed)
    under = [
        o.top
        for o in others
        if o is not sig
        and o.page == sig.page
        and o.top > sig.bottom + 0.3 * u
        and o.x0 < span1
        and o.x1 > span0
    ]
    if under and min(under) < bottom:
        bottom = min(under) - 0.2 * u
    left, right = fx0, fx1
    x_lo = int(max(0, min(sig.x0, fx0) - 6 * u))
    x_hi = int(min(w_img, right_word))
    b0, b1 = int(top + 0.5 * u), int(bottom - 0.5 * u)
    if b1 - b0 > u and x_hi > x_lo:
        cols = [(a + x_lo, b + x_lo) for a, b in _rules_1d(ink[b0:b1, x_lo:x_hi].T, RULE_COVER, 2)]
        cl = [c for c in _centres(cols) if c < sig.x0]
        cr = [c for c in _centres(cols) if c > sig.x1]
        left = max(cl) if cl else min(fx0, sig.x0 - 0.5 * u)
        if cr:
            right = max(cr)
        elif date is not None:
            # where the label's own letters start: the scrawl's end OCR read as junk words
            # joined before `Date:`, or into the box of its word, is the signature's, and the
            # cell goes on under it
            own = [w for w in date.words if label_word(w.text)] or date.words
            right = min(fx1, min(_letters_start(w) for w in own))
    return (left, top, right, bottom)


#: A letter of print is about this many text heights wide, on average (`_letters_start`).
LETTER_WIDTH = 0.6


def _letters_start(w: Word) -> float:
    """Where a word's letters start: its box's left, unless the box is far wider than its
    letters can be (OCR boxed a scrawl beside `Date:` with it, 13 text heights for 5
    letters); then as far left of its right as letters of print reach on average."""
    reach = LETTER_WIDTH * max(1, len(w.text)) * w.height
    return max(w.x0, w.x1 - reach) if w.x1 - w.x0 > 1.5 * reach else w.x0


def strokes_of(ink: np.ndarray) -> list[Stroke]:
    """Connected pieces of ink (8-connected), found run by run."""
    parent: list[int] = []

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    runs: list[tuple[int, int, int]] = []  # (row, x0, x1 inclusive)
    prev: list[int] = []
    for y in range(ink.shape[0]):
        row = ink[y]
        if not row.any():
            prev = []
            continue
        padded = np.concatenate(([False], row, [False]))
        edges = np.flatnonzero(padded[1:] != padded[:-1])
        cur: list[int] = []
        j = 0
        for s, e in zip(edges[::2], edges[1::2], strict=True):
            idx = len(runs)
            runs.append((y, int(s), int(e) - 1))
            parent.append(idx)
            cur.append(idx)
            # runs of the row above touching this one (diagonals too)
            while j < len(prev) and runs[prev[j]][2] < s - 1:
                j += 1
            k = j
            while k < len(prev) and runs[prev[k]][1] <= e:
                ra, rb = find(prev[k]), find(idx)
                if ra != rb:
                    parent[rb] = ra
                k += 1
        prev = cur
    boxes: dict[int, list[int]] = {}
    for i, (y, s, e) in enumerate(runs):
        r = find(i)
        b = boxes.get(r)
        if b is None:
            boxes[r] = [s, y, e, y, e - s + 1]
        else:
            b[0] = min(b[0], s)
            b[2] = max(b[2], e)
            b[3] = y
            b[4] += e - s + 1
    return [Stroke(b[0], b[1], b[2], b[3], b[4]) for b in boxes.values()]


def _line_of_print(strokes: Sequence[Stroke], u: float) -> bool:
    """Marks no taller than print, all in one line whose letters share a baseline."""
    if not strokes:
        return True
    top = min(s.y0 for s in strokes)
    bottom = max(s.y1 for s in strokes)
    if bottom - top > 2.2 * u:
        return False
    letters = [s for s in strokes if s.height > 0.4 * u]
    if len(letters) < 3:
        return False
    feet = np.array([s.y1 for s in letters], dtype=float)
    xs = np.array([(s.x0 + s.x1) / 2 for s in letters], dtype=float)
    slope, icpt = np.polyfit(xs, feet, 1)
    resid = np.abs(feet - (slope * xs + icpt))
    # descenders sit lower in print too: judge by the better-aligned half
    return float(np.percentile(resid, 50)) <= 0.12 * u


def tall(s: Stroke, u: float) -> bool:
    """A pen's stroke of signature height: far taller than any letter of print, and a line,
    not a filled shape (a seal's star, a smudge, a thumb)."""
    return s.height >= SIGNATURE_HEIGHT * u and s.pixels <= BLOB_FILL * s.width * s.height


def cursive(s: Stroke, u: float) -> bool:
    """One connected piece of ink as wide as several letters and of a letter's height:
    letters joined by the pen (a name written in a quick hand, a scrawl, a flourish through
    the name). Print is separate letters; a rule is no taller than a line's width."""
    wide = s.width >= CURSIVE_WIDTH * u and s.height >= CURSIVE_HEIGHT * u
    # or joined letters taller than any letter of print, two letters' width at least: a neat
    # hand's `Garçon` at 1.5 text heights, its pen's line unbroken from letter to letter
    big = s.width >= JOINED_WIDTH * u and s.height >= JOINED_HEIGHT * u
    return (wide or big) and s.pixels <= CURSIVE_FILL * s.width * s.height


#: Joined letters this wide and this tall (text heights) are a pen's too (`cursive`).
JOINED_WIDTH = 2.0
JOINED_HEIGHT = 1.4
#: Letters of signature height on one baseline that make a line of big print (`verdict`).
BIG_PRINT_LETTERS = 5
#: Share of a ring's bearings that must carry ink for it to be a stamp's ring.
SEAL_RING_COVER = 0.85
#: How much darker than the paper (0-255) a ring's ink is at least.
RING_BELOW_PAPER = 50


def seal_like(s: Stroke, u: float) -> bool:
    """A stamp: a large, round ring of ink (a red seal copied in grey keeps its shape).
    A signature is wider than tall; a seal is as tall as wide and many lines tall."""
    return (
        min(s.width, s.height) >= SEAL_SIZE * u
        and 0.6 <= s.width / s.height <= 1.6  # a ring the cell's edge cut is still one
        and s.pixels / (s.width * s.height) <= 0.35
    )


def _inside(s: Stroke, ring: Stroke) -> bool:
    """Whether `s` lies within the box of `ring` (a seal's star, its characters)."""
    return ring.x0 <= s.x0 and s.x1 <= ring.x1 and ring.y0 <= s.y0 and s.y1 <= ring.y1


def seal_around(gray: np.ndarray, box: Box, u: float) -> bool:
    """A stamp's ring over or beside the cell (a seal copied in grey: no colour left to drop
    it by). The cell alone may hold only pieces of the ring and the star, which look like a
    pen's strokes; the ring is found whole in a window around the cell (Hough circles)."""
    x0, y0, x1, y1 = (round(v) for v in box)
    m = round(SEAL_SIZE * 2 * u)
    wx0, wy0 = max(0, x0 - m), max(0, y0 - m)
    wx1, wy1 = min(gray.shape[1], x1 + m), min(gray.shape[0], y1 + m)
    window = gray[wy0:wy1, wx0:wx1]
    if window.size == 0:
        return False
    k = max(1, round(u / 12))  # work at a text height of ~12 px: fast, and a scan's grain goes
    small = window[::k, ::k] if k > 1 else window
    blurred = cv2.GaussianBlur(np.ascontiguousarray(small), (5, 5), 1.5)
    su = u / k
    circles = cv2.HoughCircles(
        blurred,
        cv2.HOUGH_GRADIENT,
        dp=1.5,
        minDist=4 * su,
        param1=120,
        param2=40,
        minRadius=round(SEAL_SIZE / 2 * su),
        maxRadius=round(6 * su),
    )
    if circles is None:
        return False
    cx0, cy0, cx1, cy1 = ((x0 - wx0) / k, (y0 - wy0) / k, (x1 - wx0) / k, (y1 - wy0) / k)
    angles = np.linspace(0.0, 2 * np.pi, 72, endpoint=False)
    radial = np.linspace(-0.12, 0.12, 7)
    # a copied seal's ring is lighter than print, but clearly darker than the paper: on a
    # copier's grey, grainy paper a fixed level took the grain for a ring on every bearing
    paper = float(np.percentile(small, 90))
    ring_ink = min(INK_LEVEL + 40, paper - RING_BELOW_PAPER)
    # the table's rules are no part of a ring: a circle through a ruled table's rows finds
    # ink on nearly every bearing (rules and print); a ring has no long straight run
    dark = small < ring_ink
    ruled = long_runs(dark, round(6 * su)) | long_runs(dark.T, round(6 * su)).T
    small = np.where(ruled, 255, small).astype(small.dtype)
    for cx, cy, r in circles[0]:
        # ink on (nearly) every bearing of the ring, within a band of its radius: a stamp's
        # ring, not the loop of a pen or a block of text that happens to fit a circle
        rr = r * (1 + radial[:, None])
        xs = np.rint(cx + rr * np.cos(angles)).astype(int)
        ys = np.rint(cy + rr * np.sin(angles)).astype(int)
        inside = (xs >= 0) & (xs < small.shape[1]) & (ys >= 0) & (ys < small.shape[0])
        vals = np.where(
            inside, small[ys.clip(0, small.shape[0] - 1), xs.clip(0, small.shape[1] - 1)], 255
        )
        if float((vals.min(axis=0) < ring_ink).mean()) < SEAL_RING_COVER:
            continue
        if not ring_line(vals < ring_ink):
            continue  # ink at every bearing, but at any radius: lines of print it crosses
        # the ring reaches into the cell
        nx, ny = min(max(cx, cx0), cx1), min(max(cy, cy0), cy1)
        if (nx - cx) ** 2 + (ny - cy) ** 2 <= r * r:
            return True
    return False


#: A ring's ink keeps its radius from bearing to bearing (`ring_line`) on this share of the
#: neighbouring bearings that both hold ink.
RING_STEADY = 0.75


def ring_line(dark: np.ndarray) -> bool:
    """Whether the ink found around a circle (`dark`: radial samples by bearings) is one line
    running round it: where two neighbouring bearings both hold ink, its middle moves by at
    most one radial step between them on `RING_STEADY` of them. A seal's ring does; a circle
    Hough fitted through a block of print (five lines of a table's values and a signature's
    wave below them) finds ink on every bearing, each at another radius: a letter here, a
    line's descender there, and the signed form went to a person as one with a seal."""
    rows = np.arange(dark.shape[0], dtype=float)[:, None]
    has = dark.any(axis=0)
    middle = (rows * dark).sum(axis=0) / np.maximum(dark.sum(axis=0), 1)
    both = has & np.roll(has, -1)
    if not both.any():
        return False
    steps = np.abs(middle - np.roll(middle, -1))[both]
    return float((steps <= 1.0).mean()) >= RING_STEADY


#: The label's box counts as the text height up to this many times the page's print height
#: (`layout.print_height`).
LABEL_OVER_PRINT = 1.3


def text_height(sig: Label, print_h: float | None, others: Sequence[Label] = ()) -> float:
    """The text height the cell's ink is measured in: the Signature label's line, but no
    taller than `LABEL_OVER_PRINT` times the page's print. One label's box is one OCR word:
    a copier's speck or streak joined to it made it twice the print's height, every stroke of
    the signature then measured as print size, and the signature went unjudged (unknown);
    the print beside it is many words, and a typed name in the cell is of its size. Where
    the page has too few words of print to tell its height (a page of the table alone, or
    of its last row: `Signed` and `Date:`), the table's other labels on the page tell it: one
    table's labels are set in one font (a photo's `Signature:` boxed with the pen's wave
    above it stood 70 px tall beside labels of 32-44; `Signed` 68 px beside `Date:`'s 38)."""
    u = max(sig.height, 4.0)
    if print_h is None:
        peers = [o.height for o in others if o is not sig and o.page == sig.page]
        if peers:
            print_h = float(median(peers))
    if print_h is not None:
        u = min(u, max(4.0, LABEL_OVER_PRINT * print_h))
    return u


def print_sized(s: Stroke, u: float) -> bool:
    """A mark no bigger than a letter of print (an accented capital, a ligature)."""
    return s.height <= PRINT_HEIGHT * u and s.width <= PRINT_WIDTH * u


#: Letters of print share a height (the x-height, the capitals'): at least this share of a
#: line's letters is within `SAME_HEIGHT` of one height.
PRINT_HEIGHT_SHARE = 0.4
SAME_HEIGHT = 0.07
#: The smallest letter (label heights): less is a dot, an accent, a piece of a rule.
MIN_LETTER = 0.2


def print_heights(strokes: Sequence[Stroke], u: float) -> bool:
    """Whether the letters' heights are print's: many of them one height (a font's x-height:
    `o`, `e`, `r`, `u` alike to a pixel or two), where a hand's letters each have their own.
    Letters of any size count (a small typed name's x-height is a fifth of the label's)."""
    small = sorted(
        s.height for s in strokes if MIN_LETTER * u <= s.height <= 1.5 * u and s.width <= 1.5 * u
    )
    if len(small) < 3:
        return True  # too few letters to tell: print, for this test
    best = max(sum(1 for h in small if abs(h - c) <= SAME_HEIGHT * c) for c in small)
    return best >= max(3, PRINT_HEIGHT_SHARE * len(small))


def verdict(
    hand: Sequence[Stroke],
    rest: Sequence[Stroke],
    seals: Sequence[Stroke],
    u: float,
    hand_ink: float,
    other_ink: float,
) -> tuple[bool | None, float]:
    """Signed, unsigned or unknown (None) from the cell's strokes, and how surely."""
    # every mark of signature height, pen's line or filled (big print's letters are thick)
    big = [s for s in [*hand, *rest] if s.height >= SIGNATURE_HEIGHT * u]
    glyphs = [s for s in big if s.width <= 1.5 * s.height and not cursive(s, u)]
    if (
        hand_ink >= SIGNATURE_INK
        and glyphs
        and sum(s.pixels for s in glyphs) >= 0.8 * sum(s.pixels for s in big)
        and _line_of_print(glyphs, median(s.height for s in glyphs))
        # three big letters' feet fit a line whatever made them: a hand's `H`, `h` and `P`
        # among small letters is a signature; big print is big in every letter, or is a
        # word's worth of big letters
        and (
            len(glyphs) >= BIG_PRINT_LETTERS
            or not any(0.6 * u <= s.height < SIGNATURE_HEIGHT * u for s in rest)
        )
    ):
        # letters of signature height on one straight baseline: large print (a name typed
        # big) or very neat block capitals; not for a machine to call
        return None, 0.0
    if hand_ink >= SIGNATURE_INK:
        return True, min(1.0, 0.5 + hand_ink / SIGNATURE_INK / 4)
    if hand or seals:
        # a little handwriting, or a seal and no hand: a seal is the institution's mark,
        # not the signer's hand, and a person looks at it
        return None, 0.0
    if other_ink < EMPTY_INK:
        return False, 0.9
    if all(print_sized(s, u) for s in rest) and _line_of_print(rest, u) and print_heights(rest, u):
        # a typed name: letters of print size on one baseline, many of them one height (a
        # small scrawl broken into bumps by a photo's blur, a wave on the signing line, is
        # marks on a line too, each of its own height: a person looks)
        return False, 0.8
    return None, 0.0


#: A faint pixel is at least this much darker than the cell's paper (0-255), and darker than
#: `FAINT_LEVEL`: a thin pen line's blurred middle, lighter than `INK_LEVEL`.
FAINT_BELOW_PAPER = 45
FAINT_LEVEL = 205
#: A pen's wave (`is_wave`): one line at least `WAVE_WIDTH` text heights long, its top edge
#: turning up and down at least `WAVE_LEGS` times by `WAVE_SWING` text heights or more and
#: jumping by as much between neighbouring columns in at most `WAVE_JUMPS` of them; in nearly
#: every column (`WAVE_THIN`) crossed no longer than `PEN_RUN` text heights where it runs
#: flat (more where steep); not a filled shape (`WAVE_FILL` of its box at most).
WAVE_WIDTH = 3.0
WAVE_LEGS = 4
WAVE_SWING = 0.3
WAVE_THIN = 0.85
PEN_RUN = 0.3
WAVE_FILL = 0.5
WAVE_JUMPS = 0.03
#: How sure a wave alone makes the verdict: signed, but less surely than a scrawl.
WAVE_CONFIDENCE = 0.7


def faint_ink(gray: np.ndarray, ink: np.ndarray, removed: np.ndarray, text_h: float) -> np.ndarray:
    """Pixels of a faint line joined to `ink` (hysteresis): lighter than ink, clearly darker
    than the paper, and connected to ink through such pixels; none near ink the masks removed
    (a rule's or a masked word's grey edge is theirs, not a pen's)."""
    if gray.size == 0:
        return np.zeros_like(ink)
    paper = float(np.percentile(gray, 90))
    weak = (gray < min(FAINT_LEVEL, paper - FAINT_BELOW_PAPER)) | ink
    # a faint straight line (an underline a blur left lighter than ink) is no pen's either:
    # the feet of a typed name on it would join into one piece
    weak &= ~long_runs(weak, round(3 * max(4.0, text_h)))
    if removed.any():
        weak &= ~cv2.dilate(removed.astype(np.uint8), np.ones((7, 7), np.uint8)).astype(bool)
    weak |= ink
    n, labels = cv2.connectedComponents(weak.astype(np.uint8), connectivity=8)
    seeded = np.zeros(n, dtype=bool)
    seeded[np.unique(labels[ink])] = True
    seeded[0] = False
    return seeded[labels]


def _faint_of(cell_gray: np.ndarray, ink: np.ndarray, u: float) -> np.ndarray:
    """`faint_ink` of a cell, the ink the masks removed being what is dark there but not `ink`."""
    return faint_ink(cell_gray, ink, (cell_gray < INK_LEVEL) & ~ink, u)


def legs(trace: np.ndarray, swing: float) -> int:
    """How many times `trace` rises or falls by `swing` or more before turning (a zigzag
    count: a wave of two ups and two downs has four legs; jitter smaller than `swing`, none)."""
    if trace.size == 0:
        return 0
    count, direction = 0, 0
    lo = hi = ext = float(trace[0])
    for v in map(float, trace[1:]):
        if direction == 0:
            lo, hi = min(lo, v), max(hi, v)
            if hi - lo >= swing:
                direction, ext, count = (1, hi, 1) if v == hi else (-1, lo, 1)
        elif direction == 1:
            if v > ext:
                ext = v
            elif ext - v >= swing:
                direction, ext, count = -1, v, count + 1
        elif v < ext:
            ext = v
        elif v - ext >= swing:
            direction, ext, count = 1, v, count + 1
    return count


def is_wave(line: np.ndarray, u: float) -> bool:
    """Whether one connected piece of ink (its box's mask) is a pen's line going up and down
    along its length: a line in every column whose top edge runs on without a jump, crossed
    from above a pen's thickness long (longer where it runs steep, as a sloping line is),
    the edge turning `WAVE_LEGS` times. Print joined by a blur is not: its stems stand
    upright a letter's height long, its edge jumps from letter to letter; a hand's
    underline does not turn."""
    h, w = line.shape
    cols = line.any(axis=0)
    if w < WAVE_WIDTH * u or cols.mean() < 0.9 or line.sum() > WAVE_FILL * line.size:
        return False
    top = line.argmax(axis=0)
    rows = np.arange(h)[:, None]
    gap = (rows >= top[None, :]) & ~line
    end = np.where(gap.any(axis=0), gap.argmax(axis=0), h)
    edge = top[cols].astype(float)
    run = (end - top)[cols].astype(float)
    if edge.size < 3:
        return False
    steps = np.abs(np.diff(edge))
    if float((steps > WAVE_SWING * u).mean()) > WAVE_JUMPS:
        return False
    # the edge's slope at each column, and the run a line of the pen's width has there
    slope = np.abs(np.gradient(edge))
    pen = max(2.0, float(np.median(run)))
    thin = run <= PEN_RUN * u + pen * slope
    if float(thin.mean()) < WAVE_THIN:
        return False
    return legs(edge, WAVE_SWING * u) >= WAVE_LEGS


def pen_wave(ink: np.ndarray, faint: np.ndarray, strokes: Sequence[Stroke], u: float) -> bool:
    """Whether the cell holds a pen's wave: ink and the faint pixels joined to it, one piece
    of which `is_wave`, and no line of print beside it (three letters or more of print size
    outside the wave: a typed word whose `w`s or `m`s run together is not a signature)."""
    joined = (ink | faint).astype(np.uint8)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
    for i in range(1, n):
        x, y, w, h = (int(v) for v in stats[i, :4])
        if w < WAVE_WIDTH * u or h < WAVE_SWING * u:
            continue
        if not is_wave(labels[y : y + h, x : x + w] == i, u):
            continue
        beside = [
            s
            for s in strokes
            if not (x <= s.x0 and s.x1 < x + w and y <= s.y0 and s.y1 < y + h)
            and s.height >= 0.4 * u
            and print_sized(s, u)
        ]
        return len(beside) < 3
    return False


def measure(
    image: Image.Image,
    sig: Label,
    others: Sequence[Label],
    fallback: Box,
    printed: Sequence[Box] = (),
    *,
    cell: Box | None = None,
    print_height: float | None = None,
) -> SignatureInk:
    """Judge the ink of the Signature cell on `image` (grayscale pixels, the labels'
    coordinates): `cell` when the table's grid gave it, else found by `find_cell` from the
    rules around the label (`fallback` where none show); `printed` are boxes of words read
    as print, masked."""
    gray = np.asarray(image.convert("L"), dtype=np.uint8)
    u = text_height(sig, print_height, others)
    lx0, ly0 = max(0, round(sig.x0)), max(0, round(sig.top))
    label_ink = gray[ly0 : max(ly0, round(sig.bottom)), lx0 : max(lx0, round(sig.x1))] < INK_LEVEL
    if label_ink.size == 0 or label_ink.mean() < LABEL_INK:
        # no print where the label should be: its position does not fit this image (a text
        # layer out of register with its scan); the cell cannot be found
        return SignatureInk(None, 0.0, fallback, 0.0, 0.0)
    box = cell if cell is not None else find_cell(gray, sig, others, fallback)
    x0, y0, x1, y1 = (round(v) for v in box)
    x0, y0 = max(0, x0), max(0, y0)
    x1, y1 = min(gray.shape[1], x1), min(gray.shape[0], y1)
    if x1 - x0 < 2 * u or y1 - y0 < u:
        return SignatureInk(None, 0.0, box, 0.0, 0.0)
    a = gray[y0:y1, x0:x1] < INK_LEVEL
    # what is left of rules (inner column rules, a rule's edge the cell's edge missed)
    for axis_ink, cover in ((a, 0.6), (a.T, 0.6)):
        for r0, r1 in _rules_1d(axis_ink, cover, 1):
            axis_ink[max(0, r0 - 2) : r1 + 3] = False
    # a signing line or an underline under a typed name, however short: straight runs of
    # ink three text heights long (a pen's stroke is not ruler-straight that long); joined to
    # the letters above it, it would make print look like a pen's joined letters
    a &= ~long_runs(a, round(3 * u))
    m = max(3, round(0.3 * u))
    a[:m, :] = False
    a[-m:, :] = False
    a[:, :m] = False
    a[:, -m:] = False
    pad = max(2, round(0.25 * u))
    # the label's own words, and the other labels' words of a label (print, however unsure
    # OCR was of a word a crease bent: `your` of `Detail Address of your affiliation` at 0.47
    # in a cell the grid did not give); no other unsure word: OCR can take a scrawl for junk
    # before the Date label, and join it to the label
    masks = [(_letters_start(w), w.top, w.x1, w.bottom) for w in sig.words] + [
        (_letters_start(w), w.top, w.x1, w.bottom)
        for lab in others
        if lab is not sig
        for w in lab.words
        if w.page == sig.page and label_word(w.text)
    ]
    for px0, py0, px1, py1 in [*masks, *printed]:
        a[
            max(0, round(py0) - y0 - pad) : max(0, round(py1) - y0 + pad),
            max(0, round(px0) - x0 - pad) : max(0, round(px1) - x0 + pad),
        ] = False
    area = float(a.size)
    strokes = [s for s in strokes_of(a) if s.pixels >= max(4, round(u * u / 60))]
    seals = [s for s in strokes if seal_like(s, u)]
    # a seal's star and characters are inside its ring: its own, not a pen's
    ringed = [s for s in strokes if s not in seals and any(_inside(s, r) for r in seals)]
    hand = [
        s for s in strokes if s not in seals and s not in ringed and (tall(s, u) or cursive(s, u))
    ]
    rest = [s for s in strokes if s not in seals and s not in hand and s not in ringed]
    tall_ink = sum(s.pixels for s in hand) / min(area, SIGNATURE_ROOM * u * u)
    other_ink = sum(s.pixels for s in rest) / area
    signed, conf = verdict(hand, rest, seals, u, tall_ink, other_ink)
    if (
        signed is None
        and not seals
        and pen_wave(a, _faint_of(gray[y0:y1, x0:x1], a, u), strokes, u)
    ):
        # a quick wave of the pen along the signing line, its thin line broken into dashes
        # and bumps at the ink level (a photo's blur, a phone app's light pen): whole again
        # where its faint pixels join the dashes, it is one pen line going up and down
        signed, conf = True, WAVE_CONFIDENCE
    ring = False
    if signed is True and not seals and seal_around(gray, (x0, y0, x1, y1), u):
        # pieces of a grey seal's ring and its star are not to be told from a pen's strokes
        # by shape alone: a person looks
        signed, conf, ring = None, 0.0, True
    return SignatureInk(
        signed,
        round(conf, 3),
        (x0, y0, x1, y1),
        tall_ink,
        other_ink,
        tuple(strokes),
        seal=bool(seals) or ring,
        ink=a,
    )
