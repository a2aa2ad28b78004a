"""A form's table rules and the cells they bound, from a page image or a PDF page's drawing.

A form's values live in cells whose borders are rules: straight lines far longer than a letter.
From an image they are found with OpenCV morphology (an adaptive threshold, then an opening with
long thin kernels, relative to the dpi: a scan's broken, slightly skewed or faint rules still
count); from a born-digital page they are its vector lines and thin rectangles (pdfium path
objects), in points. Either way the rules become one `Grid`: the rule segments, merged where
collinear pieces almost meet, and the cells, found as the regions of the page enclosed by rules
(drawn into a coarse mask, their ends stretched a little so a rule that stops short of its
neighbour still closes the cell). A table drawn with horizontal rules only gets its sides
closed where the rows' rules start and end together. Coordinates are the caller's (image pixels
or PDF points, top-left origin); `per_inch` says how many of them make an inch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image

from licensebot.reading.layout import Word

Box = tuple[float, float, float, float]  # x0, top, x1, bottom

#: A column rule is at least this long (inches): far longer than a letter's stem at any body
#: size, shorter than the shortest row of a compact table (about a third of an inch).
MIN_RULE = 0.2
#: A row rule is at least this long (inches): longer than a word of small print, whose letters
#: a scan runs together into one bar; shorter than the narrowest cell worth a label.
MIN_ROW_RULE = 0.5
#: Collinear pieces closer than this (inches) are one rule (a scan's broken line).
MERGE_GAP = 0.08
#: Rules are stretched this much (inches) at each end when cells are traced: a column rule that
#: stops a hair short of the row rule still closes its cell.
REACH = 0.04
#: A rule's end this close (inches) to a crossing rule is taken to meet it: the last stretch of
#: a broken rule may be too short to be seen as a rule at all.
SNAP = 0.25
#: Cells are traced on a mask of this resolution (dots per inch).
TRACE_DPI = 100
#: An enclosed region taller than this (inches) is a page frame or a box around text, not a cell.
MAX_CELL_HEIGHT = 3.0
#: Images are searched for rules at this resolution at most (dots per inch).
WORK_DPI = 150
#: Rules at most this far apart (inches) whose ends line up are rows of one table.
MAX_ROW = 2.5


@dataclass(frozen=True, slots=True)
class Rule:
    """A straight rule from (x0, y0) to (x1, y1): left to right, or top to bottom."""

    x0: float
    y0: float
    x1: float
    y1: float
    horizontal: bool
    thickness: float = 1.0

    @property
    def length(self) -> float:
        return (self.x1 - self.x0) if self.horizontal else (self.y1 - self.y0)

    @property
    def start(self) -> float:
        return self.x0 if self.horizontal else self.y0

    @property
    def end(self) -> float:
        return self.x1 if self.horizontal else self.y1

    @property
    def pos(self) -> float:
        """Where the rule lies across its direction (its middle's y, or x)."""
        return (self.y0 + self.y1) / 2 if self.horizontal else (self.x0 + self.x1) / 2

    def at(self, t: float) -> float:
        """A horizontal rule's y at x = t (a vertical one's x at y = t), skew included."""
        a, b, pa, pb = (
            (self.x0, self.x1, self.y0, self.y1)
            if self.horizontal
            else (self.y0, self.y1, self.x0, self.x1)
        )
        if b - a <= 0:
            return (pa + pb) / 2
        return pa + (pb - pa) * (t - a) / (b - a)


@dataclass(frozen=True, slots=True)
class Cell:
    """A region enclosed by rules: its box (inside the rules)."""

    x0: float
    top: float
    x1: float
    bottom: float

    @property
    def box(self) -> Box:
        return (self.x0, self.top, self.x1, self.bottom)

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.bottom - self.top

    def holds(self, x: float, y: float) -> bool:
        return self.x0 <= x <= self.x1 and self.top <= y <= self.bottom


@dataclass(frozen=True, eq=False)
class Grid:
    """The rules of a page and the cells they enclose, in one unit (`per_inch` to the inch).

    `cell_map`, when there is one, is the traced mask: each pixel the index + 1 of the cell it
    lies in (0 on a rule or outside any cell), `map_scale` of its pixels to the unit. Lookups
    go through it, so a skewed table's cells (whose boxes overlap their neighbours') are told
    apart exactly."""

    rules: tuple[Rule, ...]
    cells: tuple[Cell, ...]
    per_inch: float
    page: int = 0
    cell_map: np.ndarray | None = None
    map_scale: float = 1.0

    @property
    def across_rule(self) -> float:
        """How far apart two cells' edges may stand and still face each other across one
        rule (the rule's width and the tracing's slack, in the grid's unit)."""
        return 2 * REACH * self.per_inch + 2.0

    @property
    def horizontals(self) -> list[Rule]:
        return [r for r in self.rules if r.horizontal]

    @property
    def verticals(self) -> list[Rule]:
        return [r for r in self.rules if not r.horizontal]

    def scaled(self, factor: float) -> Grid:
        """The same grid in a unit `factor` times finer (pixels at 300 dpi -> 150: 0.5)."""
        f = factor
        return Grid(
            tuple(
                Rule(r.x0 * f, r.y0 * f, r.x1 * f, r.y1 * f, r.horizontal, r.thickness * f)
                for r in self.rules
            ),
            tuple(Cell(c.x0 * f, c.top * f, c.x1 * f, c.bottom * f) for c in self.cells),
            self.per_inch * f,
            self.page,
            self.cell_map,
            self.map_scale / f,
        )

    def _at(self, x: float, y: float) -> int:
        """The index of the cell at (x, y), -1 for none (needs `cell_map`)."""
        assert self.cell_map is not None
        h, w = self.cell_map.shape
        i, j = round(y * self.map_scale) + 1, round(x * self.map_scale) + 1
        if not (0 <= i < h and 0 <= j < w):
            return -1
        return int(self.cell_map[i, j]) - 1

    def in_cell(self, cell: Cell, x: float, y: float) -> bool:
        """Whether (x, y) lies in `cell` (by the traced map: exact on a skewed table)."""
        if self.cell_map is None or cell not in self.cells:
            return cell.holds(x, y)
        return self._at(x, y) == self.cells.index(cell)

    def cell_containing(self, box: Box) -> Cell | None:
        """The cell holding the middle of `box`."""
        cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        if self.cell_map is not None:
            k = self._at(cx, cy)
            return self.cells[k] if k >= 0 else None
        inside = [c for c in self.cells if c.holds(cx, cy)]
        return min(inside, key=lambda c: c.width * c.height, default=None)

    def _step(self, cell: Cell, x: float, y: float, dx: float, dy: float) -> Cell | None:
        """Walk from (x, y) in `cell` along (dx, dy) over its rule into the next cell."""
        k0 = self.cells.index(cell)
        step = 1.0 / self.map_scale
        across = 0.0
        limit = 2 * (REACH + SNAP) * self.per_inch
        while True:
            x, y = x + dx * step, y + dy * step
            k = self._at(x, y)
            if k == k0:
                across = 0.0
                continue
            if k >= 0:
                return self.cells[k]
            if self.cell_map is None or (k == -1 and not self._on_map(x, y)):
                return None
            across += step
            if across > limit:
                return None

    def _on_map(self, x: float, y: float) -> bool:
        assert self.cell_map is not None
        h, w = self.cell_map.shape
        return bool(0 <= y * self.map_scale + 1 < h and 0 <= x * self.map_scale + 1 < w)

    def right_of(self, cell: Cell, at: float | None = None) -> Cell | None:
        """The cell beyond `cell`'s right rule, at height `at` (its middle by default)."""
        y = (cell.top + cell.bottom) / 2 if at is None else at
        if self.cell_map is not None:
            x = (cell.x0 + cell.x1) / 2
            if self._at(x, y) != self.cells.index(cell):
                x = cell.x0 + 0.02 * self.per_inch
            return self._step(cell, x, y, 1.0, 0.0)
        tol = self.across_rule
        near = [
            c
            for c in self.cells
            if c is not cell and abs(c.x0 - cell.x1) <= tol and c.top <= y <= c.bottom
        ]
        return min(near, key=lambda c: c.x0, default=None)

    def below(self, cell: Cell, at: float | None = None) -> Cell | None:
        """The cell beyond `cell`'s bottom rule, at `at` across (its middle by default)."""
        x = (cell.x0 + cell.x1) / 2 if at is None else at
        if self.cell_map is not None:
            y = (cell.top + cell.bottom) / 2
            if self._at(x, y) != self.cells.index(cell):
                y = cell.top + 0.02 * self.per_inch
            return self._step(cell, x, y, 0.0, 1.0)
        tol = self.across_rule
        near = [
            c
            for c in self.cells
            if c is not cell and abs(c.top - cell.bottom) <= tol and c.x0 <= x <= c.x1
        ]
        return min(near, key=lambda c: c.top, default=None)

    def underline_after(self, label: Box, text_height: float) -> Rule | None:
        """The rule a value is written on after a label (`Name: ______`): a horizontal rule
        starting near the label's end, at about its baseline, running on to the right. One at
        the label's own line first: a wrapped value's second rule, a line lower, starts under
        the label at the margin (no gap at all), and the value was looked for over that line
        alone (`1037 Luoyu Road, Hongshan` for the address)."""
        h = text_height
        x0, _top, x1, bottom = label
        best: tuple[tuple[bool, float], Rule] | None = None
        for r in self.horizontals:
            if r.x1 < x1 + 3 * h or r.x0 > x1 + 3 * h or r.x0 < x0 - 0.5 * h:
                continue
            y = r.at(max(r.x0, x1))
            if not bottom - 0.6 * h <= y <= bottom + 1.2 * h:
                continue
            key = (y > bottom + 0.6 * h, max(0.0, r.x0 - x1))
            if best is None or key < best[0]:
                best = (key, r)
        return best[1] if best else None

    def rule_above(self, label: Box, text_height: float) -> Rule | None:
        """The line a label is printed under (`__________` over `Signature`): a horizontal rule
        just above the label that spans it."""
        h = text_height
        x0, top, x1, _bottom = label
        cx = (x0 + x1) / 2
        near = [
            r
            for r in self.horizontals
            if r.x0 - h <= cx <= r.x1 + h and top - 1.5 * h <= r.at(cx) <= top + 0.2 * h
        ]
        return max(near, key=lambda r: r.at(cx), default=None)


# ---- building a grid ------------------------------------------------------------------------


def build_grid(
    rules: Iterable[Rule], per_inch: float, size: tuple[float, float], page: int = 0
) -> Grid:
    """Rules merged and the cells they enclose; `size` is the page's (width, height)."""
    merged = merge_rules(rules, per_inch)
    cells, cell_map = _cells(merged, per_inch, size)
    return Grid(tuple(merged), tuple(cells), per_inch, page, cell_map, TRACE_DPI / per_inch)


def merge_rules(rules: Iterable[Rule], per_inch: float) -> list[Rule]:
    """Collinear pieces that overlap or almost meet become one rule; short ones are dropped."""
    gap = MERGE_GAP * per_inch
    out: list[Rule] = []
    for horizontal in (True, False):
        pieces = sorted(
            (r for r in rules if r.horizontal is horizontal), key=lambda r: (r.start, r.pos)
        )
        merged: list[Rule] = []
        for r in pieces:
            for i, m in enumerate(merged):
                if r.start > m.end + gap:
                    continue
                off = (
                    abs(m.at(r.start) - r.at(r.start))
                    if r.start <= m.end
                    else abs(m.at(m.end) - r.at(r.start))
                )
                if off > max(m.thickness, r.thickness) + gap / 4:
                    continue
                merged[i] = _join(m, r)
                break
            else:
                merged.append(r)
        shortest = (MIN_ROW_RULE if horizontal else MIN_RULE) * per_inch
        out += [m for m in merged if m.length >= shortest]
    return out


def _join(a: Rule, b: Rule) -> Rule:
    if a.horizontal:
        first = a if a.x0 <= b.x0 else b
        last = a if a.x1 >= b.x1 else b
        return Rule(first.x0, first.y0, last.x1, last.y1, True, max(a.thickness, b.thickness))
    first = a if a.y0 <= b.y0 else b
    last = a if a.y1 >= b.y1 else b
    return Rule(first.x0, first.y0, last.x1, last.y1, False, max(a.thickness, b.thickness))


def _caps(rules: Sequence[Rule], per_inch: float) -> list[Rule]:
    """Sides for a table of horizontal rules only: where two rows' rules start (and end)
    together, a vertical joins them, so each row is a cell."""
    tol = MERGE_GAP * per_inch
    hs = sorted((r for r in rules if r.horizontal), key=lambda r: r.pos)
    caps: list[Rule] = []
    for i, a in enumerate(hs):
        for b in hs[i + 1 :]:
            if b.pos - a.pos > MAX_ROW * per_inch:
                break
            if b.pos - a.pos < 0.1 * per_inch:
                continue
            if min(a.length, b.length) < 1.0 * per_inch:
                continue  # underlines of short fields are no table
            if abs(a.x0 - b.x0) <= tol and abs(a.x1 - b.x1) <= tol:
                caps.append(Rule(a.x0, a.y0, b.x0, b.y0, False))
                caps.append(Rule(a.x1, a.y1, b.x1, b.y1, False))
                break
    return caps


def _snapped(rules: Sequence[Rule], per_inch: float) -> list[Rule]:
    """Each rule stretched to the crossing rule nearest beyond either end, if within SNAP and
    that end meets no crossing rule yet."""
    snap, slack = SNAP * per_inch, REACH * per_inch
    out: list[Rule] = []
    for r in rules:
        across = [c for c in rules if c.horizontal is not r.horizontal]
        meets = [
            c.at(r.at(c.pos))
            for c in across
            if c.start - slack <= r.at(c.pos) <= c.end + slack  # it reaches this one's line
        ]
        # an end that meets a crossing rule already stays there: stretched on to the next
        # one, a table's column rule split a thin row under it (a merged cell) in two
        start, end = r.start, r.end
        if not any(abs(a - r.start) <= slack for a in meets):
            start = max((a for a in meets if r.start - snap <= a < r.start), default=r.start)
        if not any(abs(a - r.end) <= slack for a in meets):
            end = min((a for a in meets if r.end < a <= r.end + snap), default=r.end)
        # keep the snapped ends on the rule's own line
        if r.horizontal:
            out.append(Rule(start, r.at(start), end, r.at(end), True, r.thickness))
        else:
            out.append(Rule(r.at(start), start, r.at(end), end, False, r.thickness))
    return out


def _cells(
    rules: Sequence[Rule], per_inch: float, size: tuple[float, float]
) -> tuple[list[Cell], np.ndarray]:
    """The regions the rules enclose, traced on a coarse mask (4-connected background)."""
    s = TRACE_DPI / per_inch
    w, h = max(1, round(size[0] * s) + 2), max(1, round(size[1] * s) + 2)
    mask = np.zeros((h, w), dtype=np.uint8)
    reach = REACH * per_inch
    for r in [*_snapped(rules, per_inch), *_caps(rules, per_inch)]:
        if r.horizontal:
            a = (r.x0 - reach, r.at(r.x0 - reach))
            b = (r.x1 + reach, r.at(r.x1 + reach))
        else:
            a = (r.at(r.y0 - reach), r.y0 - reach)
            b = (r.at(r.y1 + reach), r.y1 + reach)
        cv2.line(
            mask,
            (round(a[0] * s) + 1, round(a[1] * s) + 1),
            (round(b[0] * s) + 1, round(b[1] * s) + 1),
            255,
            1,
        )
    # Traced only around the rules (and a ring of background): what lies outside is the page
    # around the tables, which touches the border either way; the same cells, a fraction of
    # the pixels.
    bx, by, bw, bh = cv2.boundingRect(mask)
    x0, y0 = max(0, bx - 1), max(0, by - 1)
    x1, y1 = min(w, bx + bw + 1), min(h, by + bh + 1)
    crop = 255 - mask[y0:y1, x0:x1]
    n, labels, stats, _ = cv2.connectedComponentsWithStats(crop, connectivity=4)
    cw_, ch_ = x1 - x0, y1 - y0
    found: list[tuple[int, Cell]] = []
    min_side = 0.08 * TRACE_DPI  # slivers between a double rule are no cells
    for k in range(1, n):
        x, y, cw, ch, _area = (int(v) for v in stats[k])
        if x == 0 or y == 0 or x + cw >= cw_ or y + ch >= ch_:
            continue  # the page around the tables
        if cw < min_side or ch < min_side or ch > MAX_CELL_HEIGHT * TRACE_DPI:
            continue
        x, y = x + x0, y + y0
        found.append((k, Cell((x - 1) / s, (y - 1) / s, (x - 1 + cw) / s, (y - 1 + ch) / s)))
    found.sort(key=lambda kc: (round(kc[1].top), kc[1].x0))
    index = np.zeros(n, dtype=np.int32)
    for i, (k, _) in enumerate(found):
        index[k] = i + 1
    cell_map = np.zeros((h, w), dtype=np.int32)
    cell_map[y0:y1, x0:x1] = index[labels]
    return [c for _, c in found], cell_map


# ---- rules from an image --------------------------------------------------------------------


def rules_from_image(image: Image.Image | np.ndarray, dpi: float) -> list[Rule]:
    """Rule segments seen in a page image (grayscale, dark ink on light paper), unmerged."""
    gray = np.asarray(image.convert("L") if isinstance(image, Image.Image) else image)
    if gray.ndim != 2 or gray.size == 0:
        return []
    if dpi > WORK_DPI:
        # rules survive a reduction (a thin one as a lighter line); the work shrinks fourfold
        f = WORK_DPI / dpi
        small = cv2.resize(gray, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
        return [
            Rule(r.x0 / f, r.y0 / f, r.x1 / f, r.y1 / f, r.horizontal, r.thickness / f)
            for r in rules_from_image(small, WORK_DPI)
        ]
    ink = ink_mask(gray, dpi)
    length = max(8, round(MIN_RULE * dpi))
    thick = max(1, round(dpi / 100))  # a skewed thin rule, thickened, keeps long straight runs
    out: list[Rule] = []
    for horizontal in (True, False):
        grow = (1, 2 * thick + 1) if horizontal else (2 * thick + 1, 1)
        line = (length, 1) if horizontal else (1, length)
        fat = cv2.dilate(ink, cv2.getStructuringElement(cv2.MORPH_RECT, grow))
        opened = cv2.morphologyEx(
            fat, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, line)
        )
        near_ink = cv2.dilate(ink, cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3)))
        opened = cv2.bitwise_and(opened, near_ink)  # back to the ink's own extent
        out += _segments(opened, horizontal, thick)
    return bridged(ink, [r for r in out if _a_line(gray, r, dpi)], dpi)


def ink_mask(gray: np.ndarray, dpi: float) -> np.ndarray:
    """Print and rules as 255, paper as 0: an adaptive threshold over a tenth of an inch (what
    rules are found in, and bent rules traced on)."""
    return np.asarray(
        cv2.adaptiveThreshold(
            np.ascontiguousarray(gray, dtype=np.uint8),
            255,
            cv2.ADAPTIVE_THRESH_MEAN_C,
            cv2.THRESH_BINARY_INV,
            max(3, round(dpi / 10) | 1),
            12,
        )
    )


#: A rule's two pieces this far apart at most (inches) may be one rule bent between them (a
#: fold's crease, a page not flat on the glass or in a photo): ...
BRIDGE = 0.8
#: ... when their ends lie this close across (inches) ...
BEND = 0.1
#: ... and a thin line of ink runs from one end to the other, at most this far (inches) off
#: the straight line between them (a fold not pressed flat dips deep) ...
DIP = 0.25
#: ... moving at most a pixel or two a step, missing at most this much of the way at a time
#: (inches: a scan's broken stroke) ...
BRIDGE_MISS = 0.015
#: ... and thicker than a rule over at most this much of it (inches: a crossing rule), and
#: arriving this close (inches) to where the next piece's fitted line starts (a bent piece's
#: straight fit passes a few pixels off its ink at its ends).
BRIDGE_THICK = 0.05
BRIDGE_END = 0.05


def bridged(ink: np.ndarray, rules: Sequence[Rule], dpi: float) -> list[Rule]:
    """`rules` with the pieces of one rule that a fold or a crease bent made one again. The
    opening with long straight kernels loses a rule where it bends (a fold pressed on a
    scanner's glass makes a V of each row rule of a table), and the table's cells then ended
    at the fold, their values cut in two. Two pieces are one rule when a thin stroke of ink
    runs from the end of one to the start of the other, traced column by column (row by row
    for a column rule), moving at most two pixels a step (`_traced`); the rule is then the
    straight line from the first piece's start to the last one's end. Letters are no such
    stroke (gaps between words, tall stems): two underlines with a label between them stay
    two. The bend's own short pieces lie inside the new rule and merge into it."""
    out: list[Rule] = []
    for horizontal in (True, False):
        pieces = sorted((r for r in rules if r.horizontal is horizontal), key=lambda r: r.start)
        nxt: dict[int, int] = {}
        for i, a in enumerate(pieces):
            after = [
                j
                for j, b in enumerate(pieces)
                if a.end < b.start <= a.end + BRIDGE * dpi
                and abs(a.at(a.end) - b.at(b.start)) <= BEND * dpi
                and b.end > a.end + BRIDGE * dpi  # a rule going on, not a piece of the bend
            ]
            for j in sorted(after, key=lambda j: -pieces[j].end):
                if _traced(ink, a, pieces[j], dpi):
                    nxt[i] = j
                    break
        # a piece of the bend traces on to the same rule: the longest piece before it leads
        lead: dict[int, int] = {}
        for i, j in nxt.items():
            if j not in lead or pieces[i].length > pieces[lead[j]].length:
                lead[j] = i
        nxt = {i: j for j, i in lead.items()}
        heads = set(nxt) - set(nxt.values())
        chained: set[int] = set()
        for i in sorted(heads):
            chain = [i]
            while chain[-1] in nxt and nxt[chain[-1]] not in chain:
                chain.append(nxt[chain[-1]])
            chained.update(chain)
            first, last = pieces[chain[0]], pieces[chain[-1]]
            thick = max(pieces[k].thickness for k in chain)
            out.append(Rule(first.x0, first.y0, last.x1, last.y1, horizontal, thick))
        out += [r for k, r in enumerate(pieces) if k not in chained]
    return out


def _traced(ink: np.ndarray, a: Rule, b: Rule, dpi: float) -> bool:
    """A thin line of ink runs from `a`'s end to `b`'s start (see `bridged`). A piece's fitted
    line may pass a few pixels off its ink at its end (a bent piece), and a value's letters may
    stand close above it: the trace is tried from each run of ink near the end."""
    grid = ink if a.horizontal else ink.T
    h, w = grid.shape
    start, stop = round(a.end) - 1, round(b.start)
    if start < 0 or stop >= w:
        return False
    p0, slack = a.at(a.end), 4 + max(a.thickness, b.thickness)
    lo, hi = max(0, round(p0 - slack)), min(h - 1, round(p0 + slack))
    column = grid[lo : hi + 1, start] > 0
    runs = np.flatnonzero(column & ~np.concatenate(([False], column[:-1]))) + lo
    arrive = max(slack, BRIDGE_END * dpi)
    return any(_trace_from(grid, float(y), start, stop, a, b, dpi, arrive) for y in runs)


def _trace_from(
    grid: np.ndarray,
    p: float,
    start: int,
    stop: int,
    a: Rule,
    b: Rule,
    dpi: float,
    arrive: float,
) -> bool:
    """The trace from row `p` of column `start` reaches `b`'s start within `arrive`."""
    h = grid.shape[0]
    p0, p1 = p, b.at(b.start)
    bend, step = DIP * dpi, 2
    fat = 2 * max(a.thickness, b.thickness) + 3
    miss_left, thick_left = max(1, round(BRIDGE_MISS * dpi)), round(BRIDGE_THICK * dpi)
    misses = 0
    for t in range(start, stop):
        chord = p0 + (p1 - p0) * (t - start) / max(1, stop - start)
        lo = max(0, round(max(p - step, chord - bend)))
        hi = min(h - 1, round(min(p + step, chord + bend)))
        dark = np.flatnonzero(grid[lo : hi + 1, t]) + lo if hi >= lo else np.array([], int)
        if dark.size == 0:
            misses += 1
            if misses > miss_left:
                return False
            continue
        misses = 0
        p = float(dark[np.argmin(np.abs(dark - p))])
        top = bottom = int(p)
        while top > 0 and grid[top - 1, t]:
            top -= 1
        while bottom < h - 1 and grid[bottom + 1, t]:
            bottom += 1
        if bottom - top + 1 > fat:
            thick_left -= 1
            if thick_left < 0:
                return False
    return abs(p - p1) <= arrive


#: Two pieces of one rule a worn copy lost a stretch of lie this close across (inches, besides
#: their thickness): rows of a table are a sixth of an inch apart and more.
WORN_OFF = 0.02
#: A table's side or column rule is at least this long (inches) ...
TABLE_SIDE = 0.3
#: ... two of them at least this far apart (inches) ...
TABLE_WIDTH = 1.0
#: ... and shorter than this share of the page's height (a line down the whole page is its
#: edge, a crease's shadow or a binding, no table's).
PAGE_LINE = 0.6


def mended(rules: Sequence[Rule], dpi: float, size: tuple[float, float]) -> list[Rule]:
    """`rules` with the pieces of a table's rule that a worn copy lost stretches of joined again.
    A worn drum or a copy of a copy leaves a table's rules in pieces with blank paper between
    (a row rule as three dashes across the table, a side gone for a row or two); the cells then
    leak into each other and out of the table, and a value's cell is lost. A table's rule does
    not end in the middle of a cell, so inside a table (rules that meet, at least two of them
    column rules, `_tables`) two pieces on one line are one rule whatever lies between, unless
    both ends at the gap meet a crossing rule (a merged cell between two columns). Rows first,
    then columns (by the mended rows), then rows again by the mended columns. Pieces outside
    any table stay as they are: underlines on one line with a label between are two fields."""
    out = list(rules)
    for horizontal in (True, False, True):
        out = _mend(out, horizontal, dpi, size)
    return out


def _mend(rules: list[Rule], horizontal: bool, dpi: float, size: tuple[float, float]) -> list[Rule]:
    tables = _tables(rules, dpi, size)
    if not tables:
        return rules
    pieces = sorted((r for r in rules if r.horizontal is horizontal), key=lambda r: r.start)
    across = [r for r in rules if r.horizontal is not horizontal]
    reach = REACH * dpi + 2

    def meets(r: Rule, t: float) -> bool:
        """A crossing rule meets `r` where it is at `t` along it."""
        p = r.at(t)
        return any(
            abs(c.at(p) - t) <= reach + c.thickness and c.start - reach <= p <= c.end + reach
            for c in across
        )

    def inside(a: Rule, b: Rule) -> bool:
        p = (a.at(a.end) + b.at(b.start)) / 2
        for x0, y0, x1, y1 in tables:
            lo, hi, c0, c1 = (x0, x1, y0, y1) if horizontal else (y0, y1, x0, x1)
            # both pieces within the table: a line running on past its rows (a copier's
            # streak down the page, a crease's shadow) is none of its rules
            if lo - reach <= a.start and b.end <= hi + reach and c0 - reach <= p <= c1 + reach:
                return True
        return False

    def through(a: Rule, b: Rule) -> bool:
        """A crossing rule runs on through the gap, on both sides of the line: the gap is a
        cell merged across this rule's line (a full-width row under a column rule), not wear."""
        p = (a.at(a.end) + b.at(b.start)) / 2
        return any(
            a.end + reach < c.at(p) < b.start - reach and c.start + reach < p < c.end - reach
            for c in across
        )

    tol = WORN_OFF * dpi
    chains: list[list[Rule]] = []
    for r in pieces:
        for chain in chains if _rule_like(r, dpi) else ():
            first, last = chain[0], chain[-1]
            if r.start <= last.end or not _rule_like(last, dpi):
                continue
            # the facing ends level, and the piece on the line the chain keeps (a fold's
            # straightened page, a deskewed one: a rule's pieces lie level to a pixel or two)
            lean = SKEW_SLACK * (r.end - first.start)
            if abs(last.at(last.end) - r.at(r.start)) > tol or abs(r.pos - first.pos) > tol + lean:
                continue
            if not inside(last, r) or (meets(last, last.end) and meets(r, r.start)):
                continue
            if through(last, r):
                continue
            chain.append(r)
            break
        else:
            chains.append([r])
    joined = [
        chain[0]
        if len(chain) == 1
        else Rule(
            chain[0].x0,
            chain[0].y0,
            chain[-1].x1,
            chain[-1].y1,
            horizontal,
            max(r.thickness for r in chain),
        )
        for chain in chains
    ]
    return [_to_the_wall(r, across, tables, meets, dpi) for r in joined] + across


def _to_the_wall(
    r: Rule,
    across: Sequence[Rule],
    tables: Sequence[Box],
    meets: Callable[[Rule, float], bool],
    dpi: float,
) -> Rule:
    """`r` carried on to the nearest crossing rule where it ends in mid-air inside a table: a
    table's rule runs from wall to wall, and a worn copy lost its last stretch (the two rows
    either side of it would be one cell). Only a rule of the table's: one that meets a
    crossing rule at an end or crosses one on its way; a line meeting none (typed into a
    cell) stays as it is. Where no crossing rule is left to meet, the table's side (the far
    end of its other rules) is the wall."""
    starts, ends = meets(r, r.start), meets(r, r.end)
    if not _rule_like(r, dpi) or (starts and ends):
        return r
    reach, p = REACH * dpi + 2, r.pos
    spans = [(x0, x1, y0, y1) if r.horizontal else (y0, y1, x0, x1) for x0, y0, x1, y1 in tables]
    box = next(
        (
            (lo, hi)
            for lo, hi, c0, c1 in spans
            if c0 - reach <= p <= c1 + reach and lo - reach <= r.start and r.end <= hi + reach
        ),
        None,
    )
    if box is None:
        return r
    walls = [
        c.at(p)
        for c in across
        if c.start - reach <= p <= c.end + reach and box[0] - reach <= c.at(p) <= box[1] + reach
    ]
    walls += box  # the table's sides, where its own rule there is worn away too
    if not (starts or ends or any(r.start + reach < w < r.end - reach for w in walls[:-2])):
        return r
    start = r.start if starts else max((w for w in walls if w < r.start), default=r.start)
    end = r.end if ends else min((w for w in walls if w > r.end), default=r.end)
    if r.horizontal:
        return Rule(start, r.at(start), end, r.at(end), True, r.thickness)
    return Rule(r.at(start), start, r.at(end), end, False, r.thickness)


#: The pieces of a row rule a worn copy broke lie at most this far apart along it (inches).
WORN_GAP = 1.0
#: A piece of a worn rule is at least as long as a rule is taken to be (a shorter bar may be a
#: word's letters run together) and at most this thick (inches, twice a heavy rule).
WORN_THICK = 0.03
#: The pieces of one rule may climb this much (a share of their length) on a deskewed page.
SKEW_SLACK = 0.005


def _rule_like(r: Rule, dpi: float) -> bool:
    return (
        r.length >= (MIN_ROW_RULE if r.horizontal else TABLE_SIDE) * dpi
        and r.thickness <= WORN_THICK * dpi
    )


def _tables(rules: Sequence[Rule], dpi: float, size: tuple[float, float]) -> list[Box]:
    """The boxes of the page's tables: rules that meet (within `SNAP`: a worn table's do
    not quite), and the pieces of a row rule a worn copy broke (on one line, `WORN_GAP`
    apart at most), each table with two row rules and two walls at least (`_walled`); a
    table reaches from its first row rule to its last."""
    snap = SNAP * dpi
    tall = PAGE_LINE * size[1]
    found = [
        r
        for r in rules
        if r.length >= (MIN_ROW_RULE if r.horizontal else TABLE_SIDE) * dpi
        and (r.horizontal or r.length < tall)
    ]
    parent = list(range(len(found)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, h in enumerate(found):
        if not h.horizontal:
            continue
        for j, o in enumerate(found):
            if o.horizontal:
                # the next piece of a row rule a worn copy broke: on its line, a gap apart
                joined = (
                    h.x1 < o.x0 <= h.x1 + WORN_GAP * dpi
                    and abs(o.at(o.x0) - h.at(h.x1)) <= WORN_OFF * dpi
                )
            else:
                x = o.at(h.pos)
                joined = h.x0 - snap <= x <= h.x1 + snap and o.y0 - snap <= h.at(x) <= o.y1 + snap
            if joined:
                parent[root(i)] = root(j)
    groups: dict[int, list[Rule]] = {}
    for i, r in enumerate(found):
        groups.setdefault(root(i), []).append(r)
    return [
        (
            min(r.x0 for r in g),
            min(r.y0 for r in g if r.horizontal),
            max(r.x1 for r in g),
            max(r.y1 for r in g if r.horizontal),
        )
        for g in groups.values()
        if sum(r.horizontal for r in g) >= 2 and _walled(g, dpi)
    ]


def _walled(group: Sequence[Rule], dpi: float) -> bool:
    """The rules have two walls: column rules half an inch long at least, an inch apart at
    least (a signature's strokes standing between two underlines are neither)."""
    xs = [r.pos for r in group if not r.horizontal and r.length >= MIN_ROW_RULE * dpi]
    return len(xs) >= 2 and max(xs) - min(xs) >= TABLE_WIDTH * dpi


#: A rule's ink is darker than the paper on both its sides by this much (0-255), at this
#: share of the places sampled along it at least: an underline carries the value's letters
#: on one side over much of its length, a grey band's edge is as dark as its band all along.
RULE_CONTRAST = 24
RULE_SAMPLES = 0.2
#: A line this thick (inches, 0.4 mm) or more is ...
THICK_RULE = 0.015
#: ... drawn in ink at least this much darker than the paper beside it (0-255, the median
#: along it): a copier's roller mark, a light grey band a millimetre wide down the page, is
#: some 25 darker than the paper, a printed rule of any weight well over 100.
THICK_RULE_DEPTH = 60


def _a_line(gray: np.ndarray, r: Rule, dpi: float) -> bool:
    """The segment is a line drawn on the paper: darker than what lies on either side of it.
    The edge of a grey band (a copier's roller mark down the page, a shadow's border, a
    shaded cell's) passes the adaptive threshold as well, but one side of it is as dark as
    the "rule" itself. Sampled across the segment's length; an underline with print on it, or
    a rule crossed by a pen, keeps some of its samples. A narrow light band is dark on neither
    side and passes that test: a line as thick as it must be dark (`THICK_RULE_DEPTH`), or a
    roller mark through a Signature cell became its column rule, and the cell right of the
    label an empty strip of the label's own cell: "not signed"."""
    n = 24
    t = np.linspace(0.0, 1.0, n)
    xs, ys = r.x0 + t * (r.x1 - r.x0), r.y0 + t * (r.y1 - r.y0)
    off = r.thickness / 2 + 3
    h, w = gray.shape

    def at(dx: float, dy: float) -> np.ndarray:
        cx = np.clip(np.rint(xs + dx), 0, w - 1).astype(int)
        cy = np.clip(np.rint(ys + dy), 0, h - 1).astype(int)
        return np.asarray(gray[cy, cx], dtype=float)

    on = at(0, 0)
    if r.horizontal:
        before, after = at(0, -off), at(0, off)
    else:
        before, after = at(-off, 0), at(off, 0)
    depth = np.minimum(before, after) - on
    if r.thickness >= THICK_RULE * dpi and float(np.median(depth)) < THICK_RULE_DEPTH:
        return False
    return float((depth >= RULE_CONTRAST).mean()) >= RULE_SAMPLES


def _segments(mask: np.ndarray, horizontal: bool, thick: int) -> list[Rule]:
    """Each connected piece of a rule mask as a straight segment through its ink."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    out: list[Rule] = []
    for k in range(1, n):
        x, y, w, h, area = (int(v) for v in stats[k])
        if (w if horizontal else h) < 2:
            continue
        ys, xs = np.nonzero(labels[y : y + h, x : x + w] == k)
        along, across = (xs, ys) if horizontal else (ys, xs)
        if along.size < 2 or np.ptp(along) == 0:
            continue
        slope, icept = np.polyfit(along.astype(float), across.astype(float), 1)
        a0, a1 = float(along.min()), float(along.max())
        c0, c1 = slope * a0 + icept, slope * a1 + icept
        span = float(a1 - a0 + 1)
        width = max(1.0, area / span - 2 * thick)
        if horizontal:
            out.append(Rule(x + a0, y + c0, x + a1, y + c1, True, width))
        else:
            out.append(Rule(x + c0, y + a0, x + c1, y + a1, False, width))
    return out


def grid_from_image(image: Image.Image | np.ndarray, dpi: float, page: int = 0) -> Grid:
    """The grid of a page image, in its pixels."""
    arr = np.asarray(image.convert("L") if isinstance(image, Image.Image) else image)
    size = (float(arr.shape[1]), float(arr.shape[0]))
    return build_grid(mended(rules_from_image(arr, dpi), dpi, size), dpi, size, page)


# ---- rules from a PDF page's drawing --------------------------------------------------------

#: A filled rectangle this thin (points) is a rule drawn as a box (word processors do).
_THIN = 3.0
#: Path objects looked at on a page at most (a hostile or drawn page may hold millions).
MAX_PATHS = 20000
#: A line off horizontal or vertical by more than this (points over its length) is no rule.
_SLANT = 0.05


def rules_from_pdf_page(page: pdfium.PdfPage) -> list[Rule]:
    """The page's straight lines and the sides of its rectangles, in points, top-left origin.

    Only paths drawn at the page's level (not inside form XObjects) are seen; a page whose
    rules are not found this way can still be read from its image (`grid_from_image`)."""
    _, height = page.get_size()
    out: list[Rule] = []
    for k, obj in enumerate(page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_PATH,), max_depth=1)):
        if k >= MAX_PATHS:
            break  # a drawing, not a form: enough rules were seen for any table on it
        out += _path_rules(obj, float(height))
    return out


def _path_rules(obj: Any, height: float) -> list[Rule]:
    raw = obj.raw
    fill = pdfium_c.c_int()
    stroke = pdfium_c.FPDF_BOOL()
    if not pdfium_c.FPDFPath_GetDrawMode(raw, fill, stroke):
        return []
    m = pdfium_c.FS_MATRIX()
    if not pdfium_c.FPDFPageObj_GetMatrix(raw, m):
        return []

    def place(x: float, y: float) -> tuple[float, float]:
        return m.a * x + m.c * y + m.e, height - (m.b * x + m.d * y + m.f)

    points: list[tuple[float, float]] = []
    pieces: list[tuple[tuple[float, float], tuple[float, float]]] = []
    start: tuple[float, float] | None = None
    px, py = pdfium_c.c_float(), pdfium_c.c_float()
    for i in range(pdfium_c.FPDFPath_CountSegments(raw)):
        seg = pdfium_c.FPDFPath_GetPathSegment(raw, i)
        if not pdfium_c.FPDFPathSegment_GetPoint(seg, px, py):
            continue
        pt = place(px.value, py.value)
        kind = pdfium_c.FPDFPathSegment_GetType(seg)
        if kind == pdfium_c.FPDF_SEGMENT_MOVETO or not points:
            start = pt
        elif kind == pdfium_c.FPDF_SEGMENT_LINETO:
            pieces.append((points[-1], pt))
        points.append(pt)
        if pdfium_c.FPDFPathSegment_GetClose(seg) and start is not None:
            pieces.append((pt, start))
    if not points:
        return []
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    bw, bh = max(xs) - min(xs), max(ys) - min(ys)
    if fill.value and min(bw, bh) <= _THIN and max(bw, bh) > _THIN:
        # a rule drawn as a thin filled box: its long axis
        if bw >= bh:
            y = (min(ys) + max(ys)) / 2
            return [Rule(min(xs), y, max(xs), y, True, max(bh, 0.5))]
        x = (min(xs) + max(xs)) / 2
        return [Rule(x, min(ys), x, max(ys), False, max(bw, 0.5))]
    if not stroke.value:
        return []  # a filled area (shading) has no drawn border
    width = pdfium_c.c_float()
    thickness = width.value if pdfium_c.FPDFPageObj_GetStrokeWidth(raw, width) else 1.0
    out: list[Rule] = []
    for (ax, ay), (bx, by) in pieces:
        dx, dy = abs(bx - ax), abs(by - ay)
        if dx >= dy and dx > 0 and dy <= _SLANT * dx:
            (ax, ay), (bx, by) = sorted(((ax, ay), (bx, by)))
            out.append(Rule(ax, ay, bx, by, True, max(thickness, 0.5)))
        elif dy > 0 and dx <= _SLANT * dy:
            (ay, ax), (by, bx) = sorted(((ay, ax), (by, bx)))
            out.append(Rule(ax, ay, bx, by, False, max(thickness, 0.5)))
    return out


def rules_from_underscores(words: Iterable[Word]) -> list[Rule]:
    """`Name: ________` typed as text: a run of underscores is an underline at its foot."""
    out: list[Rule] = []
    for w in words:
        text = w.text.strip(":：")
        if len(text) >= 3 and set(text) == {"_"}:
            out.append(Rule(w.x0, w.bottom, w.x1, w.bottom, True, 0.5))
    return out


def grid_from_pdf_page(page: pdfium.PdfPage, index: int = 0, words: Sequence[Word] = ()) -> Grid:
    """The grid of a born-digital page from its drawing (and underscores in `words`), in points."""
    width, height = page.get_size()
    rules = rules_from_pdf_page(page) + rules_from_underscores(words)
    return build_grid(rules, 72.0, (float(width), float(height)), index)
