"""Page geometry before reading: the page found in a photo, flattened, upright, evenly lit.

`flatten_page(image, dpi=...)` takes a rendered page image and returns a `FlatPage`. A phone
photo (the page lying on a desk, in perspective, under uneven light) has its page found as the
largest bright convex quadrilateral whose sides are edges in the image, warped to a rectangle
of paper proportions at the input's dpi, turned upright and lit evenly. A flat scan (the page
fills the image) passes through unchanged in size: only turned upright and deskewed, and its
light evened only when it is uneven. A page is "found" only when every test of a real sheet
holds; otherwise nothing is cropped, so no text is ever cut away.

Pure image in, image out: no PDF, no files. OpenCV works on a small copy (long side
`WORK_SIDE`) for the search; only the warp and the light touch the full image.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from itertools import combinations
from time import perf_counter

import cv2
import numpy as np
from PIL import Image

from licensebot.reading.orientation import upside_down
from licensebot.reading.straighten import straighten
from licensebot.reading.unbend import unbend

# One thread per reader process, as for ONNX Runtime and Tesseract: readers run side by side on
# few cores, and the sandbox's fork server must stay free of threads (OpenCV's pool starts on
# its first parallel call). Set at import, before any OpenCV call of the reader's.
cv2.setNumThreads(1)

Point = tuple[float, float]
Quad = tuple[Point, Point, Point, Point]

WORK_SIDE = 900  # px, the long side of the copy the page is searched on
CANNY = (15, 45)  # hysteresis thresholds on the print-free copy: a sheet on a sheet is faint
#: Paper sizes (short, long side in inches): the LA is printed on one of them.
PAPERS = {"A4": (8.27, 11.69), "Letter": (8.5, 11.0)}
LETTER_BELOW = 1.31  # a sheet's long-to-short ratio below which it is taken for Letter
MIN_AREA = 0.15  # the page's least share of the photo
MAX_AREA = 0.97  # more than that is a scan's margin, not a desk
MIN_CONTRAST = 18.0  # grey levels the paper stands above what lies around it
MIN_SUPPORT = 0.7  # share of the sheet's outline lying on edges of the image
MIN_SIDE_SUPPORT = 0.25  # and of each side (one may run along a sheet as bright as itself)
MAX_SIDES = 8  # the outline's longest straight runs tried as a sheet's sides
MAX_INNER_EDGES = 0.3  # edge pixels inside the sheet, per pixel of its perimeter


@dataclass(frozen=True, slots=True)
class FlatPage:
    """A page image made flat, upright and evenly lit, with what was done to it.

    `found`: a page was found in a photo and warped flat (else the image is the input's, only
    turned, deskewed and perhaps evened). `quad`: the page's own top-left, top-right,
    bottom-right and bottom-left corners in the input image (None when not found).
    `turned`: degrees the flat page was rotated counter-clockwise to stand upright (0, 90, 180,
    270). `upright_conf`: how sure the 0-or-180 call is (0.5 = a coin). `skew`: degrees of
    deskew applied. `paper`: "A4" or "Letter" when found. `source_ppi`: the page's pixels per
    inch in the input (below `dpi` means the warp enlarged it). `ms`: time taken.
    """

    image: Image.Image  # grayscale
    dpi: float
    found: bool
    quad: Quad | None
    turned: int
    upright_conf: float
    skew: float
    lit: bool
    paper: str
    source_ppi: float
    ms: float
    bend: float = 0.0  # inches of a fold's bend taken out of the rows (`straighten`)


def flatten_page(
    image: Image.Image,
    *,
    dpi: float,
    upright: bool = True,
    across: Callable[[np.ndarray], bool | None] | None = None,
    straight: bool = False,
) -> FlatPage:
    """The page in `image` (rendered at `dpi`), flat, upright and evenly lit.

    `upright=False` skips the 0-or-180 decision (quarter turns and deskew still run).
    `across`: a second opinion asked before a quarter turn (True: the lines run across, the
    page is not turned; see `page_image.lines_across`). `straight`: rows bent by a fold are
    straightened by the table's rules (`straighten`, for the form page)."""
    t0 = perf_counter()
    gray = np.asarray(image.convert("L"), dtype=np.uint8)
    quad = find_page(gray)
    paper = ""
    ppi = dpi
    if quad is not None:
        paper, (w_in, h_in), ppi = _paper(quad)
        flat = _warp(gray, quad, (round(w_in * dpi), round(h_in * dpi)))
        flat = even_light(flat)
        lit = True
    else:
        flat = gray
        lit = uneven(gray)
        if lit:
            flat = even_light(flat)
    ink = _ink_small(flat)
    turned = 0
    if _sideways(ink) and (across is None or across(flat) is not True):
        turned = 90
        flat = cv2.rotate(flat, cv2.ROTATE_90_COUNTERCLOCKWISE)
        ink = _ink_small(flat)
    skew = skew_angle(ink, limit=3.0 if quad is not None else 8.0)
    if abs(skew) >= 0.2:
        flat = _rotate(flat, skew)
    # the print levelled before the half-turn call: a fold's V tilts whole words, and the
    # classifier judged a folded letter's upright page to be on its head
    flat, bend = unbend(flat, dpi)
    conf = 0.5
    if upright:
        flip, conf = upside_down(flat)
        if flip:
            turned = (turned + 180) % 360
            flat = cv2.rotate(flat, cv2.ROTATE_180)
    if straight:
        flat, ruled = straighten(flat, dpi)
        bend = max(bend, ruled)
    out_quad = _page_corners(quad, turned) if quad is not None else None
    ms = (perf_counter() - t0) * 1000
    return FlatPage(
        Image.fromarray(flat),
        dpi,
        quad is not None,
        out_quad,
        turned,
        conf,
        skew,
        lit,
        paper,
        ppi,
        ms,
        bend,
    )


# ---- finding the page -----------------------------------------------------------------------


def find_page(gray: np.ndarray) -> Quad | None:
    """The corners (clockwise from the image's top-left-most) of a sheet of paper lying in
    `gray`, in its pixels; None unless every test of a real, whole sheet holds."""
    h, w = gray.shape
    f = min(1.0, WORK_SIDE / max(h, w))
    small = shrink(gray, WORK_SIDE)
    sh, sw = small.shape
    # print and table rules gone: the paper becomes one bright field
    k = max(5, round(max(sh, sw) / 80)) | 1
    paper = cv2.morphologyEx(
        small, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k))
    )
    paper = cv2.GaussianBlur(paper, (5, 5), 0)
    edges = cv2.Canny(paper, CANNY[0], CANNY[1])
    candidates: list[np.ndarray] = []
    grown = cv2.dilate(edges, np.ones((3, 3), np.uint8))
    contours, _ = cv2.findContours(grown, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    candidates += contours
    _, bright = cv2.threshold(paper, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    bright = cv2.morphologyEx(bright, cv2.MORPH_OPEN, np.ones((5, 5), np.uint8))
    contours, _ = cv2.findContours(bright, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    candidates += contours
    near = cv2.dilate(edges, np.ones((7, 7), np.uint8))  # an edge within 3 px
    best: tuple[float, np.ndarray] | None = None
    for c in candidates:
        hull = cv2.convexHull(c)
        area = cv2.contourArea(hull)
        if area < MIN_AREA * sh * sw:
            continue
        # and, in case the sheet merged with something as bright (another sheet, a lit
        # desk), quads whose sides run along the outline's straight runs
        quads = [_four_corners(hull), *_from_sides(c, math.sqrt(area))]
        for quad in quads:
            if quad is None:
                continue
            quad = _refine(quad, edges)
            support = _plausible(quad, paper, edges, near)
            if not support:
                continue
            # the largest sheet, but a quad that overshoots onto the desk loses its sides' edges
            score = float(cv2.contourArea(quad.astype(np.float32))) * support**2
            if best is None or score > best[0]:
                best = (score, quad)
    if best is None:
        return None
    q = best[1] / f
    return tuple((float(x), float(y)) for x, y in q)  # type: ignore[return-value]


def _four_corners(hull: np.ndarray) -> np.ndarray | None:
    peri = cv2.arcLength(hull, True)
    for eps in (0.01, 0.02, 0.03, 0.05):
        approx = cv2.approxPolyDP(hull, eps * peri, True)
        if len(approx) == 4:
            return _clockwise(approx.reshape(4, 2).astype(np.float64))
        if len(approx) < 4:
            return None
    return None


def _from_sides(contour: np.ndarray, scale: float) -> list[np.ndarray | None]:
    """Quadrilaterals whose sides run along four of the outline's longest straight runs,
    taken in the outline's order."""
    peri = cv2.arcLength(contour, True)
    poly = cv2.approxPolyDP(contour, 0.01 * peri, True).reshape(-1, 2).astype(np.float64)
    n = len(poly)
    if n < 5 or n > 40:
        return []
    segs = [(poly[i], poly[(i + 1) % n]) for i in range(n)]
    lengths = [float(np.hypot(*(b - a))) for a, b in segs]
    longest = sorted(range(n), key=lambda i: -lengths[i])[:MAX_SIDES]
    keep = sorted(i for i in longest if lengths[i] >= 0.08 * scale)
    quads: list[np.ndarray | None] = []
    for combo in combinations(keep, 4):
        corners = []
        for j in range(4):
            p = _meet(segs[combo[j - 1]], segs[combo[j]])
            if p is None:
                break
            corners.append(p)
        if len(corners) == 4:
            quads.append(_clockwise(np.array(corners)))
    return quads


def _meet(
    s1: tuple[np.ndarray, np.ndarray], s2: tuple[np.ndarray, np.ndarray]
) -> np.ndarray | None:
    """Where the lines through two segments cross (None if nearly parallel)."""
    (a, b), (c, d) = s1, s2
    u, v = b - a, d - c
    m = np.array([u, -v]).T
    if abs(np.linalg.det(m)) < 1e-6 * (np.hypot(*u) * np.hypot(*v)) + 1e-9:
        return None
    t = np.linalg.solve(m, c - a)
    point: np.ndarray = a + t[0] * u
    return point


def _clockwise(pts: np.ndarray) -> np.ndarray:
    """The points clockwise (in image coordinates) from the one nearest the top-left."""
    c = pts.mean(axis=0)
    order = np.argsort(np.arctan2(pts[:, 1] - c[1], pts[:, 0] - c[0]))
    pts = pts[order]
    start = int(np.argmin(pts.sum(axis=1)))
    return np.roll(pts, -start, axis=0)


def _refine(quad: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Corners where lines fitted to each side's edge pixels meet: approxPolyDP's vertices
    sit on the blurred, rounded corner, a fitted line runs along the whole side."""
    ys, xs = np.nonzero(edges)
    if xs.size == 0:
        return quad
    pts = np.stack([xs, ys], axis=1).astype(np.float64)
    lines = []
    for i in range(4):
        a, b = quad[i], quad[(i + 1) % 4]
        d = b - a
        length = float(np.hypot(*d))
        if length < 10:
            return quad
        u = d / length
        n = np.array([-u[1], u[0]])
        rel = pts - a
        along = rel @ u
        across = rel @ n
        band = max(3.0, length * 0.01)
        near = (np.abs(across) < band) & (along > 0.1 * length) & (along < 0.9 * length)
        if near.sum() < 20:
            lines.append((a, u))
            continue
        vx, vy, x0, y0 = cv2.fitLine(
            pts[near].astype(np.float32), cv2.DIST_HUBER, 0, 0.01, 0.01
        ).ravel()
        lines.append((np.array([x0, y0], dtype=np.float64), np.array([vx, vy], dtype=np.float64)))
    out = []
    for i in range(4):
        p, u = lines[(i - 1) % 4]
        q, v = lines[i]
        m = np.array([u, -v]).T
        if abs(np.linalg.det(m)) < 1e-6:
            return quad
        s = np.linalg.solve(m, q - p)
        out.append(p + s[0] * u)
    refined = np.array(out)
    if np.max(np.linalg.norm(refined - quad, axis=1)) > 0.05 * max(edges.shape):
        return quad  # a line caught something else: keep the polygon's corners
    return refined


def _plausible(quad: np.ndarray, paper: np.ndarray, edges: np.ndarray, near: np.ndarray) -> float:
    """How much of its outline lies on edges, if `quad` is a whole sheet (else 0): convex,
    near-right angles, paper's proportions, inside the image, its sides on edges of the
    image, nothing but paper inside, and brighter than what lies around it."""
    h, w = paper.shape
    q32 = quad.astype(np.float32)
    if not cv2.isContourConvex(q32):
        return 0.0
    margin = 0.004 * min(h, w)
    if (quad[:, 0] < margin).any() or (quad[:, 0] > w - 1 - margin).any():
        return 0.0  # a corner on the image's edge: the sheet runs out of the photo
    if (quad[:, 1] < margin).any() or (quad[:, 1] > h - 1 - margin).any():
        return 0.0
    for i in range(4):
        a, b, c = quad[i - 1], quad[i], quad[(i + 1) % 4]
        v1, v2 = a - b, c - b
        cos = float(v1 @ v2 / (np.linalg.norm(v1) * np.linalg.norm(v2) + 1e-9))
        if not 55 <= math.degrees(math.acos(max(-1.0, min(1.0, cos)))) <= 125:
            return 0.0
    sides = np.linalg.norm(quad - np.roll(quad, -1, axis=0), axis=1)
    ratio = max(sides[0] + sides[2], sides[1] + sides[3]) / max(
        1.0, min(sides[0] + sides[2], sides[1] + sides[3])
    )
    if not 1.1 <= ratio <= 1.9:
        return 0.0
    support = [_support(quad[i], quad[(i + 1) % 4], near) for i in range(4)]
    if min(support) < MIN_SIDE_SUPPORT or sum(support) / 4 < MIN_SUPPORT:
        return 0.0
    if cv2.contourArea(q32) > MAX_AREA * h * w:
        return 0.0
    inside = np.zeros((h, w), np.uint8)
    cv2.fillConvexPoly(inside, np.round(q32).astype(np.int32), 255)
    ring_w = max(5, round(0.03 * max(h, w)))
    kernel = np.ones((ring_w, ring_w), np.uint8)
    core = cv2.erode(inside, kernel)
    ring = cv2.subtract(cv2.dilate(inside, kernel), cv2.dilate(inside, np.ones((3, 3), np.uint8)))
    if not core.any() or not ring.any():
        return 0.0
    # nothing but paper inside: print is closed away, shadows are too soft to be edges, so
    # edges inside mean the quad took in a piece of desk or another object
    inner = cv2.bitwise_and(edges, core)
    if np.count_nonzero(inner) > MAX_INNER_EDGES * float(sides.sum()):
        inner = _without_shadow_lines(inner, quad, float(sides.min()))
    if np.count_nonzero(inner) > MAX_INNER_EDGES * float(sides.sum()):
        inner = _reaching_out(inner, core)
        if np.count_nonzero(inner) > MAX_INNER_EDGES * float(sides.sum()):
            return 0.0
    if float(np.median(paper[core > 0]) - np.median(paper[ring > 0])) < MIN_CONTRAST:
        return 0.0
    return sum(support) / 4


def _reaching_out(inner: np.ndarray, core: np.ndarray) -> np.ndarray:
    """`inner` (edges inside a sheet) less the outlines that close on themselves inside it: a
    block of print too dense to close away (a column of bold Chinese labels) is on the sheet;
    a piece of desk or another sheet the quad took in reaches in from its outline."""
    n, labels = cv2.connectedComponents(inner, connectivity=8)
    if n <= 1:
        return inner
    rim = cv2.subtract(core, cv2.erode(core, np.ones((5, 5), np.uint8)))
    out_of = np.unique(labels[(rim > 0) & (inner > 0)])
    return np.where(np.isin(labels, out_of[out_of > 0]), inner, 0).astype(inner.dtype)


def _without_shadow_lines(inner: np.ndarray, quad: np.ndarray, side: float) -> np.ndarray:
    """`inner` (edges inside a sheet) less the long straight edges that cross it at a slant
    to its sides: a hard shadow's border (a hand, a phone, a lamp's edge) runs across the
    sheet at any angle, while the edge of a desk or another sheet that a quad took in runs
    along its sides."""
    lines = cv2.HoughLinesP(
        inner, 1, math.pi / 180, threshold=40, minLineLength=SHADOW_LINE * side, maxLineGap=8
    )
    if lines is None:
        return inner
    angles = [
        math.degrees(math.atan2(*(quad[(i + 1) % 4] - quad[i])[::-1])) % 180 for i in range(4)
    ]
    out = inner.copy()
    for x0, y0, x1, y1 in lines.reshape(-1, 4):
        a = math.degrees(math.atan2(y1 - y0, x1 - x0)) % 180
        if all(min(abs(a - b), 180 - abs(a - b)) >= SHADOW_SLANT for b in angles):
            cv2.line(out, (int(x0), int(y0)), (int(x1), int(y1)), 0, 5)
    return out


#: A straight edge inside a sheet at least this share of its shortest side long, and at
#: least SHADOW_SLANT degrees off each of its sides, is a shadow's border.
SHADOW_LINE = 0.3
SHADOW_SLANT = 15.0


def _support(a: np.ndarray, b: np.ndarray, near: np.ndarray) -> float:
    """Share of the segment a-b that lies on `near` (edges, grown)."""
    n = max(2, int(np.hypot(*(b - a)) / 2))
    t = np.linspace(0.03, 0.97, n)
    pts = a[None, :] + t[:, None] * (b - a)[None, :]
    xs = np.clip(np.round(pts[:, 0]).astype(int), 0, near.shape[1] - 1)
    ys = np.clip(np.round(pts[:, 1]).astype(int), 0, near.shape[0] - 1)
    return float((near[ys, xs] > 0).mean())


# ---- flattening -----------------------------------------------------------------------------


def _paper(quad: Quad) -> tuple[str, tuple[float, float], float]:
    """The paper size the quad shows, its (width, height) in inches as it lies in the image,
    and the page's pixels per inch in the input."""
    q = np.array(quad)
    top = np.linalg.norm(q[1] - q[0])
    bottom = np.linalg.norm(q[2] - q[3])
    left = np.linalg.norm(q[3] - q[0])
    right = np.linalg.norm(q[2] - q[1])
    w_px, h_px = (top + bottom) / 2, (left + right) / 2
    # perspective stretches a side by several per cent, as much as A4 and Letter differ:
    # A4 unless the sheet is clearly squatter
    ratio = max(w_px, h_px) / min(w_px, h_px)
    name = "Letter" if ratio < LETTER_BELOW else "A4"
    short, long = PAPERS[name]
    size = (long, short) if w_px > h_px else (short, long)
    ppi = float(max(w_px, h_px) / long)
    return name, size, ppi


def _warp(gray: np.ndarray, quad: Quad, size: tuple[int, int]) -> np.ndarray:
    w, h = size
    src = np.array(quad, dtype=np.float32)
    dst = np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], dtype=np.float32)
    m = cv2.getPerspectiveTransform(src, dst)
    return cv2.warpPerspective(
        gray, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )


def _page_corners(quad: Quad, turned: int) -> Quad:
    """The quad's corners as the page's own top-left, top-right, bottom-right, bottom-left:
    turning the flat page counter-clockwise by 90 makes its top-right corner the top-left."""
    k = (turned // 90) % 4
    pts = list(quad)
    rolled = pts[k:] + pts[:k]
    return tuple(rolled)  # type: ignore[return-value]


def shrink(gray: np.ndarray, side: int) -> np.ndarray:
    """`gray` with its long side at most `side`: every n-th pixel down to twice that, then
    averaged (area resampling of a 20-megapixel photo alone would cost more than the rest)."""
    h, w = gray.shape
    f = min(1.0, side / max(h, w))
    if f == 1.0:
        return gray
    step = max(1, int(1 / f / 2))
    if step > 1:
        gray = gray[::step, ::step]
    size = (max(1, round(w * f)), max(1, round(h * f)))
    return cv2.resize(gray, size, interpolation=cv2.INTER_AREA)


# ---- light ----------------------------------------------------------------------------------


#: The page's edges left out when its light is judged, as a share of each side: a scanner's
#: border, not the margin where a shadow falls. A phone scanner app's hard shadow along the
#: left edge, over the first letters of every line (a tenth of the page was left out: the
#: shadow was not seen, the lines' first numbers and the sections' `5.` went unread, and the
#: version unsure).
EDGE_SHARE = 0.04


def uneven(gray: np.ndarray) -> bool:
    """Paper whose brightness varies across the page (a photo, a shadow, a copier's fade)."""
    bg = _background(gray, side=120)
    h, w = bg.shape
    dy, dx = round(h * EDGE_SHARE), round(w * EDGE_SHARE)
    inner = bg[dy : h - dy, dx : w - dx]
    return bool(np.percentile(inner, 90) - np.percentile(inner, 10) > 25)


def even_light(gray: np.ndarray) -> np.ndarray:
    """Divide by the paper's own brightness (print closed away at low resolution), so the
    paper becomes white everywhere and print keeps its contrast to the paper around it."""
    h, w = gray.shape
    bg = _background(gray, side=300)
    bg = cv2.resize(bg, (w, h), interpolation=cv2.INTER_LINEAR)
    out = cv2.divide(gray, np.maximum(bg, 1), scale=255)
    return np.asarray(out, dtype=np.uint8)


def _background(gray: np.ndarray, *, side: int) -> np.ndarray:
    small = shrink(gray, side)
    k = max(3, round(side / 25)) | 1  # wider than a line of print, narrower than a shadow
    bg = cv2.morphologyEx(
        small, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
    )
    return cv2.GaussianBlur(bg, (0, 0), k / 2)


# ---- quarter turns and skew -----------------------------------------------------------------


def _ink_small(gray: np.ndarray, side: int = 700) -> np.ndarray:
    """Print as 1, paper as 0, at low resolution, table rules and the margins left out."""
    small = shrink(gray, side)
    ink = cv2.adaptiveThreshold(small, 1, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 25, 15)
    sh, sw = ink.shape
    # rules: runs of ink far longer than a word, across or down
    across = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((1, max(3, sw // 12)), np.uint8))
    down = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((max(3, sh // 12), 1), np.uint8))
    ink[(across > 0) | (down > 0)] = 0
    mx, my = sw // 20, sh // 20  # a photo's margins hold the edge's shading
    ink[:my, :] = 0
    ink[sh - my :, :] = 0
    ink[:, :mx] = 0
    ink[:, sw - mx :] = 0
    return ink


def _profile(ink: np.ndarray) -> float:
    rows = ink.sum(axis=1, dtype=np.float64)
    return float(np.square(np.diff(rows)).sum())


def _sideways(ink: np.ndarray, *, limit: float = 8.0) -> bool:
    """Lines of print run down the image, not across: the page lies a quarter turn off.
    Projection profiles each way, each at its best angle (a scan or photo may be skewed),
    on a smaller copy, where a profile forgives a wrong angle by half a degree."""
    h, w = ink.shape
    f = 350 / max(h, w)
    small = cv2.resize(
        ink.astype(np.float32),
        (max(1, round(w * f)), max(1, round(h * f))),
        interpolation=cv2.INTER_AREA,
    )
    angles = np.arange(-limit, limit + 0.01, 0.5)
    across = max(_profile(_rotate(small, float(a))) for a in angles)
    turned = np.ascontiguousarray(small.T)
    down, best = max(
        ((_profile(r), r) for r in (_rotate(turned, float(a)) for a in angles)),
        key=lambda t: t[0],
    )
    return down > 1.5 * across and _strong_lines(best) >= MIN_LINES


def _strong_lines(ink: np.ndarray) -> int:
    """How many separate bands of rows hold at least half the ink of the inkiest row: lines
    of print make many; a copier's drum streak (a column of dashes down the whole page, no
    rule opening removes it) makes one, and on a sparse form page it outweighed the print."""
    rows = ink.sum(axis=1, dtype=np.float64)
    if rows.size == 0 or rows.max() <= 0:
        return 0
    strong = rows >= 0.5 * rows.max()
    return int(np.count_nonzero(strong[1:] & ~strong[:-1]) + int(strong[0]))


#: Lines of print running down a page that lies a quarter turn off, at the least.
MIN_LINES = 2


def skew_angle(ink: np.ndarray, *, limit: float = 8.0) -> float:
    """The print lines' angle (degrees, counter-clockwise) by projection profiles of `ink`."""

    def score(a: float) -> float:
        return _profile(_rotate(ink, float(a)))

    coarse = max(np.arange(-limit, limit + 0.01, 1.0), key=score)
    mid = max(np.arange(coarse - 0.6, coarse + 0.61, 0.3), key=score)
    best = float(max((mid - 0.1, mid, mid + 0.1), key=score))
    return max(-limit, min(limit, best))


def _rotate(img: np.ndarray, angle: float) -> np.ndarray:
    """`img` rotated counter-clockwise by `angle` degrees about its centre, same size; what
    comes in from outside is the colour of the image's brightest (paper) or empty (ink)."""
    if angle == 0:
        return img
    h, w = img.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    fill = 255 if img.dtype == np.uint8 and img.max() > 1 else 0
    flags = cv2.INTER_NEAREST if fill == 0 else cv2.INTER_LINEAR
    return cv2.warpAffine(img, m, (w, h), flags=flags, borderValue=fill)
