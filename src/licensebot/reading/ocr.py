"""Page images: Tesseract words, rules erased, signature ink.

Tesseract runs in process through its C++ API (tesserocr), one engine per language kept for
the life of the process (loading a model costs more than reading a cell: the `Latin` model
alone is 89 MB), with TSV output (word boxes and confidences), one thread
(`OMP_THREAD_LIMIT=1`) and a time limit; parallelism belongs to the caller (pages, messages).
The sandbox's fork server loads the engines once (`preload`), so every forked reader starts
with them. Turning and straightening a page is the geometry stage's (`geometry`).
"""

from __future__ import annotations

import bisect
import csv
import io
import os
import re
import threading
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any, Protocol

import cv2
import numpy as np
from PIL import Image, ImageOps

from licensebot.core.form import Source
from licensebot.errors import LicensebotError
from licensebot.reading.layout import Word

#: Where Debian's tesseract-ocr-* packages (and others) put the models; TESSDATA_PREFIX first.
TESSDATA_DIRS = (
    "/usr/share/tesseract-ocr/5/tessdata",
    "/usr/share/tesseract-ocr/4.00/tessdata",
    "/usr/share/tessdata",
    "/usr/local/share/tessdata",
)
#: The models the reader uses, loaded by `preload`.
LANGUAGES = ("eng", "Latin", "chi_sim+eng", "chi_sim", "osd")
_RULE = re.compile(r"^[|_\-—–=~\[\]!]{1,3}$|^[|_—–=~]+$")


class OcrError(LicensebotError):
    """Tesseract failed or took too long."""


#: The engines' owners. An engine is not to be used by two threads at once: the reader's thread
#: has its own (`MAIN`), and so does the one worker thread that reads a PDF's body pages ahead
#: (`BODY`). Kept for the life of the process (loaded by the fork server's preload): a thread's
#: own engines would be loaded again for every PDF.
MAIN, BODY = "main", "body"


def tesseract_words(
    img: Image.Image,
    *,
    lang: str = "eng",
    psm: int = 3,
    timeout: float = 30.0,
    page: int = 0,
    scale: float = 1.0,
    offset: tuple[float, float] = (0.0, 0.0),
    config: Sequence[str] = (),
    lane: str = MAIN,
) -> list[Word]:
    """Words with boxes and confidences; boxes mapped by `offset + box * scale`.

    `config`: Tesseract variables as `name=value` (an engine of their own). `lane`: whose
    engines to use: the reader's (`MAIN`) or the body pages' worker thread's (`BODY`)."""
    api = _engine(lang, tuple(config), lane)
    api.SetPageSegMode(psm)
    api.SetImage(img)
    if not api.Recognize(timeout=max(1, round(timeout * 1000))):
        api.Clear()
        raise OcrError(f"tesseract gave up on a {img.width}x{img.height} image ({lang}, psm {psm})")
    tsv = api.GetTSVText(0) or ""
    api.Clear()
    return parse_tsv(tsv, page=page, scale=scale, offset=offset)


def script_orientation(img: Image.Image, *, lane: str = MAIN) -> tuple[int, float] | None:
    """Tesseract's orientation and script detection (its `osd` model) on a page image: how
    many degrees the page is turned (0, 90, 180, 270) and how sure (Tesseract's confidence,
    above 2 or so is clear); None where it finds too little text to tell."""
    api = _engine(OSD, lane=lane)
    api.SetPageSegMode(0)  # orientation and script detection only
    api.SetImage(img)
    try:
        found = api.DetectOrientationScript()
    except RuntimeError:
        found = None
    finally:
        api.Clear()
    if not found:
        return None
    return int(found["orient_deg"]), float(found["orient_conf"])


#: Tesseract's model for orientation and script detection (Debian's tesseract-ocr-osd).
OSD = "osd"


def parse_tsv(
    tsv: str, *, page: int = 0, scale: float = 1.0, offset: tuple[float, float] = (0.0, 0.0)
) -> list[Word]:
    """The words of Tesseract's TSV output (with or without its header row)."""
    words: list[Word] = []
    reader = csv.reader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE)
    ox, oy = offset
    for row in reader:
        if len(row) < 12 or row[0] != "5":
            continue
        text = row[11].strip()
        if not text or _RULE.match(text):
            continue  # table rules read as | or _
        left, top, width, height = (float(v) for v in row[6:10])
        conf = max(0.0, float(row[10])) / 100
        words.append(
            Word(
                text,
                ox + left * scale,
                oy + top * scale,
                ox + (left + width) * scale,
                oy + (top + height) * scale,
                conf,
                page,
                Source.OCR,
            )
        )
    return words


@cache
def tessdata() -> str:
    """The directory of the Tesseract models (`TESSDATA_PREFIX`, else where packages put them)."""
    candidates = [os.environ.get("TESSDATA_PREFIX", ""), *TESSDATA_DIRS]
    for d in candidates:
        if d and Path(d, "eng.traineddata").is_file():
            return d.rstrip("/") + "/"
    raise OcrError(
        "no Tesseract models found (apt-get install tesseract-ocr-eng tesseract-ocr-chi-sim "
        "tesseract-ocr-script-latn, or set TESSDATA_PREFIX)"
    )


_engines: dict[tuple[str, str, tuple[str, ...]], Any] = {}
_loading = threading.Lock()


def _engine(lang: str, config: tuple[str, ...] = (), lane: str = MAIN) -> Any:
    api = _engines.get((lane, lang, config))
    if api is not None:
        return api
    with _loading:
        return _load(lane, lang, config)


def _load(lane: str, lang: str, config: tuple[str, ...]) -> Any:
    api = _engines.get((lane, lang, config))
    if api is None:
        # one thread per Tesseract, whatever the caller's environment says; read by OpenMP
        # when the library is loaded, so set before the import
        os.environ["OMP_THREAD_LIMIT"] = "1"
        import tesserocr

        try:
            api = tesserocr.PyTessBaseAPI(path=tessdata(), lang=lang)
        except RuntimeError as exc:
            raise OcrError(f"Tesseract could not load {lang!r} from {tessdata()}: {exc}") from exc
        for item in config:
            name, _, value = item.partition("=")
            api.SetVariable(name, value)
        _engines[(lane, lang, config)] = api
    return api


#: What the body pages' thread reads with (`pdf._Reader._body_text`).
BODY_LANGUAGES = ("eng", "osd")


def preload(langs: Sequence[str] = LANGUAGES, body: Sequence[str] = BODY_LANGUAGES) -> None:
    """Load the engines now (the fork server does, so that every reader it forks has them).
    Each on its own: a missing model fails the reads that need it, not the others' preload."""
    missing: list[str] = []
    for lane, lang in [*((MAIN, la) for la in langs), *((BODY, la) for la in body)]:
        try:
            _engine(lang, lane=lane)
        except OcrError as exc:
            missing.append(str(exc))
    if missing:
        raise OcrError("; ".join(missing))


def mean_conf(words: Sequence[Word]) -> float:
    useful = [w for w in words if len(w.text) > 1]
    return sum(w.conf for w in useful) / len(useful) if useful else 0.0


# ---- signature ink --------------------------------------------------------------------------


class Raster(Protocol):
    """An image to measure ink in: a PIL image, or a page image rendered only where it is
    looked at (`document.PageRaster`)."""

    @property
    def width(self) -> int: ...

    @property
    def height(self) -> int: ...

    def crop(self, box: tuple[float, float, float, float]) -> Image.Image: ...


def ink_ratio(
    img: Raster,
    box: tuple[float, float, float, float],
    printed: Sequence[tuple[float, float, float, float]] = (),
) -> float:
    """Share of the box's area covered by ink, table rules and printed words left out."""
    x0, y0, x1, y1 = (round(v) for v in box)
    x0, y0 = max(0, x0), max(0, y0)
    x1, y1 = min(img.width, x1), min(img.height, y1)
    if x1 - x0 < 5 or y1 - y0 < 5:
        return 0.0
    crop = ImageOps.grayscale(img.crop((x0, y0, x1, y1)))
    a = np.asarray(crop, dtype=np.uint8) < 150
    # table rules: rows or columns that are mostly ink
    a[a.mean(axis=1) > 0.45, :] = False
    a[:, a.mean(axis=0) > 0.45] = False
    # a margin inside the cell, where a slightly skewed rule may still run
    m = max(2, round(min(a.shape) * 0.06))
    a[:m, :] = False
    a[-m:, :] = False
    a[:, :m] = False
    a[:, -m:] = False
    for px0, py0, px1, py1 in printed:
        a[
            max(0, round(py0) - y0 - 2) : max(0, round(py1) - y0 + 2),
            max(0, round(px0) - x0 - 2) : max(0, round(px1) - x0 + 2),
        ] = False
    return float(a.mean())


def long_runs(ink: np.ndarray, length: int) -> np.ndarray:
    """Pixels on horizontal runs of ink at least `length` long (axis 1)."""
    h, w = ink.shape
    if w < length:
        return np.zeros_like(ink)
    cs = np.zeros((h, w + 1), dtype=np.int32)
    np.cumsum(ink, axis=1, out=cs[:, 1:])
    starts = (cs[:, length:] - cs[:, :-length]) == length  # a full run starts here
    cs2 = np.zeros((h, starts.shape[1] + 1), dtype=np.int32)
    np.cumsum(starts, axis=1, out=cs2[:, 1:])
    # pixel x is covered if some start in [x - length + 1, x] is a full run
    idx = np.arange(w)
    hi = np.minimum(idx + 1, starts.shape[1])
    lo = np.maximum(idx - length + 1, 0)
    return (cs2[:, hi] - cs2[:, lo]) > 0


def erase_rules(
    img: Image.Image,
    *,
    length: int | None = None,
    keep_crossings: bool = True,
    horizontal: bool = True,
    soft: bool = True,
) -> Image.Image:
    """White out table rules and underlines: straight runs of ink far longer than a letter;
    and dot leaders (`erase_leaders`).
    A stroke that crosses a horizontal rule (a `g`'s or `y`'s tail through the underline it is
    written on, a comma's) keeps its pixels on the rule: cut there, `g` reads as `a` and `,`
    as `.`, and both engines, reading the same cut crop, agree on the wrong letter (a comma's
    tail that ends on the underline is cut all the same: `horizontal=False` keeps every
    horizontal line, for a reading of the punctuation above an underline). The
    labels' pass (`keep_crossings=False`) reads a whole page at half size, where a stroke's
    reach would keep bits of rules: it erases them whole, as before. `soft`: the faint rules
    that span the whole image too (`_spanning`: a phone photo's soft grey cell rules, which
    no run of ink finds); not for a value on an underline, whose commas' tails reach into the
    line."""
    a = np.asarray(img.convert("L"), dtype=np.uint8).copy()
    if a.size == 0:
        return img
    ink = paper_ink(a)
    run = length or max(30, min(a.shape) // 12)
    across = _grown(long_runs(ink, run)) if horizontal else np.zeros_like(ink)
    # a column rule of a crop lower than `run` (a one-line cell cut with its side rules)
    # runs from top to bottom: no letter does
    down = _grown(long_runs(ink.T, min(run, max(8, round(RULE_SPAN * a.shape[0])))).T)
    if soft:
        across, down = _spanning(a, across, down, horizontal=horizontal)
    free = ink & ~across  # ink off the horizontal rules
    reach = _CROSS_REACH
    above = np.zeros_like(ink)
    below = np.zeros_like(ink)
    for k in range(1, reach + 1):
        above[k:, :] |= free[:-k, :]
        below[:-k, :] |= free[k:, :]
    crossing = across & above & below & ~down if keep_crossings else np.zeros_like(ink)
    a[(across | down) & ~crossing] = 255
    return erase_leaders(Image.fromarray(a))  # and rules drawn in dots


def _spanning(
    a: np.ndarray, across: np.ndarray, down: np.ndarray, *, horizontal: bool
) -> tuple[np.ndarray, np.ndarray]:
    """`across` and `down` with the faint rules that span the whole image added: a phone
    photo's soft cell rules, grey (120-180 on paper at 230), broken into pieces no run of
    ink finds, that a crop cut with its cell's rules carries along its edges, and that
    Tesseract, binarising on its own, reads as boxes around the value (a stacked sheet of such
    crops read `Núria Ferrer` and `22/09/2025` as nothing). A band of `SPAN_ROWS` rows (or
    columns) where ink fainter than print, against the paper around it, covers `SPAN_COVER`
    of the image's width (height) is a rule: no line of print covers a cell's width so."""
    if min(a.shape) < 3 * SPAN_ROWS:
        return across, down
    rel = _divided(a, paper_of(a))
    faint = rel < FAINT_INK
    # print's own strokes are darker than any soft rule, and their grey edges lie next to
    # them: a stroke that reaches into the rule (a `g`'s tail, a comma's, the hook of a `J`)
    # keeps its pixels and its edges there, only the rule's grey around it goes
    core = (rel < PRINT_CORE).astype(np.uint8)
    grey = cv2.dilate(core, np.ones((2 * SPAN_REACH + 1,) * 2, np.uint8)) == 0
    if horizontal:
        across = across | (_grown(_bands(faint)) & grey)
    down = down | (_grown(_bands(faint.T)).T & grey)
    return across, down


def _bands(mask: np.ndarray) -> np.ndarray:
    """`mask` in the bands of `SPAN_ROWS` rows it covers `SPAN_COVER` of across."""
    # the band starting at each row: it and the `SPAN_ROWS - 1` rows after it
    band = mask.copy()
    for k in range(1, SPAN_ROWS):
        band[:-k] |= mask[k:]
    spans = (band.mean(axis=1) >= SPAN_COVER).astype(float)
    # every row of a band that spans
    rows = np.convolve(spans, np.ones(SPAN_ROWS), "full")[: len(spans)] > 0
    return mask & rows[:, None]


#: Fainter than print, against its paper (`_divided`): what a soft photo's rule is.
FAINT_INK = 230
#: Darker than this, against its paper, is the core of a stroke of print, never a soft rule.
PRINT_CORE = 130
#: A faint rule spans this share of the crop, within a band of this many pixels.
SPAN_COVER = 0.9
SPAN_ROWS = 4
#: A stroke of print's grey edge: this many pixels around its dark core (`_spanning`).
SPAN_REACH = 2


def erase_leaders(img: Image.Image) -> Image.Image:
    """White out dot leaders: rows of small dots on one baseline at an even step (a tab's
    leader, a form's dotted line to write on). Tesseract reads a leader as a long junk word
    (`Baseessessress...`) joined to the value it runs into. A chain ends where its step
    breaks: a period inside the value (`t.dvorak`) lies past a letter, at more than the
    leader's step, and stays."""
    a = np.asarray(img.convert("L"), dtype=np.uint8).copy()
    if a.size == 0:
        return img
    n, comp, stats, centres = cv2.connectedComponentsWithStats(
        (a < RULE_INK).astype(np.uint8), connectivity=8
    )
    if n <= LEADER_DOTS:
        return img
    widths, heights = stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_HEIGHT]
    letters = heights[heights >= 8]
    if letters.size == 0:
        return img
    u = float(np.median(letters))  # a letter's height
    dot = LEADER_DOT * u
    dots = [int(k) + 1 for k in np.nonzero((widths <= dot) & (heights <= dot))[0]]
    if len(dots) > LEADER_MAX_DOTS:
        return img  # grain, not a line of dots: a leader cannot be told from it
    dots.sort(key=lambda k: centres[k][0])
    xs = [float(centres[k][0]) for k in dots]
    used: set[int] = set()
    erase: list[int] = []
    for i, k in enumerate(dots):
        if k in used:
            continue
        chain, at = [k], i
        while True:
            lx, ly = centres[chain[-1]]
            step = (
                float(np.median(np.diff([centres[j][0] for j in chain])))
                if len(chain) >= 3
                else None
            )
            nxt = None
            for m in range(at + 1, bisect.bisect_right(xs, lx + LEADER_REACH * u)):
                j = dots[m]
                if j not in used and xs[m] > lx and abs(centres[j][1] - ly) <= LEADER_LEVEL * u:
                    nxt = m
                    break
            if nxt is None or (step is not None and xs[nxt] - lx > LEADER_BREAK * step):
                break
            chain.append(dots[nxt])
            at = nxt
        if len(chain) >= LEADER_DOTS:
            gaps = np.diff([centres[j][0] for j in chain])
            if gaps.std() <= LEADER_EVEN * gaps.mean():
                used.update(chain)
                erase += chain
    if not erase:
        return img
    mask = cv2.dilate(np.isin(comp, erase).astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    a[mask & (a < 235)] = 255  # and the dots' grey fringe
    return Image.fromarray(a)


#: A dot leader: at least this many dots, ...
LEADER_DOTS = 6
#: ... each no wider or taller than this share of a letter's height, ...
LEADER_DOT = 0.35
#: ... the next within this many letter heights, on the same level (within this share) ...
LEADER_REACH = 1.2
LEADER_LEVEL = 0.15
#: ... at an even step (its spread under this share of the step); the chain breaks at a gap
#: this many steps wide.
LEADER_EVEN = 0.35
LEADER_BREAK = 1.5
#: More dots than this in one crop are a copier's grain: the search stops there.
LEADER_MAX_DOTS = 3000


def paper_ink(a: np.ndarray) -> np.ndarray:
    """The ink of a grey image: darker than `RULE_INK`, measured against the paper around it
    where that paper is not white (a scanner app's grey page, a shadow across a photo). An
    absolute level took the darker stretches of grey paper for ink, their long runs for
    rules, and the rule eraser whited out the words on them (`Comp ， uauwand` for `Computer
    Science`, both engines alike)."""
    ink = a < RULE_INK
    if min(a.shape) < 3:
        return ink
    bg = paper_of(a)
    if int(bg.min()) >= WHITE_ENOUGH:
        return ink
    return np.asarray(_divided(a, bg) < RULE_INK)


#: Darker than this is ink to the rule eraser.
RULE_INK = 170
#: Paper this light everywhere is taken as it is.
WHITE_ENOUGH = 200

#: A vertical run of ink over this share of a crop's height is a rule, however short.
RULE_SPAN = 0.95

#: How far (pixels) above and below a rule's pixel a stroke is looked for: a rule's thickness
#: with its soft edges at 300 dpi.
_CROSS_REACH = 6


def _grown(lines: np.ndarray) -> np.ndarray:
    """A rule's soft edges too."""
    grown = lines.copy()
    grown[1:, :] |= lines[:-1, :]
    grown[:-1, :] |= lines[1:, :]
    grown[:, 1:] |= lines[:, :-1]
    grown[:, :-1] |= lines[:, 1:]
    return grown


def clear_edges(img: Image.Image) -> Image.Image:
    """White out ink that runs into the crop from outside: a neighbouring cell's signature
    stroke or a rule's stub read as `_`, `/` or `7` before a value. Letters of the value
    stand clear of the crop's edges; ink that touches an edge, and all ink joined to it, goes.
    """
    a = np.asarray(img.convert("L"), dtype=np.uint8).copy()
    if a.size == 0:
        return img
    ink = (a < 170).astype(np.uint8)
    n, comp = cv2.connectedComponents(ink, connectivity=8)
    if n <= 1:
        return img
    edge = np.unique(np.concatenate([comp[0, :], comp[-1, :], comp[:, 0], comp[:, -1]]))
    edge = edge[edge > 0]
    if edge.size == 0:
        return img
    grown = np.isin(comp, edge)
    # the stroke's grey fringe too
    fringe = grown.copy()
    fringe[1:, :] |= grown[:-1, :]
    fringe[:-1, :] |= grown[1:, :]
    fringe[:, 1:] |= grown[:, :-1]
    fringe[:, :-1] |= grown[:, 1:]
    a[fringe & (a < 230)] = 255
    return Image.fromarray(a)


def cleared_crop(
    image: Image.Image, box: tuple[float, float, float, float], *, rule_length: int = 60
) -> Image.Image:
    """`image.crop(box)` with its rules erased and the ink that runs into it from outside
    whited out: what `clear_edges` clears on the crop widened by a margin (rules erased first,
    `erase_rules` with `rule_length`), cut back to `box`. Only ink reaching the margin's far
    edge goes: a neighbour's stroke runs on out there, while the value's own letters that touch
    the box (a tight crop's capitals, its first letter) stop short of it (cleared on the bare
    crop, `Full Professor` read `u ro essor` at 0.95, and that junk stopped the engines' vote);
    and descenders that touch a cell's rule are not cleared with it (`Blue eak`)."""
    x0, top, x1, bottom = (round(v) for v in box)
    m = max(4, round(0.25 * (bottom - top)))
    wx0, wtop = max(0, x0 - m), max(0, top - m)
    wx1, wbottom = min(image.width, x1 + m), min(image.height, bottom + m)
    wide = clear_edges(erase_rules(image.crop((wx0, wtop, wx1, wbottom)), length=rule_length))
    return wide.crop((x0 - wx0, top - wtop, x1 - wx0, bottom - wtop))


def true_runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """The runs of True in a 1-D array as half-open (start, end) pairs: inked rows of a crop,
    glyph columns, a rule's rows."""
    f = np.asarray(flags, dtype=bool).ravel()
    edges = np.diff(np.concatenate(([0], f.view(np.int8), [0])))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    return [(int(a), int(b)) for a, b in zip(starts, ends, strict=True)]


def baseline_wobble(img: Image.Image) -> float | None:
    """How far letters stray from a straight baseline, in units of the text's height.

    Print sits on a straight line; handwriting does not. The crop is cut into glyph columns
    at blank columns; each glyph's lowest ink row is its foot; a line is fitted through the
    feet and the median distance from it is returned (None when there are too few glyphs).
    `img` comes with its rules erased (`cleared_crop`): erased again here at this crop's own
    scale, the stems of letters 30 px tall went as "rules", and `Full` lost its `ll`.
    """
    a = np.asarray(img.convert("L"), dtype=np.uint8) < 140
    cols: np.ndarray = np.asarray(a.any(axis=0))
    if cols.sum() < 10:
        return None
    rows = np.nonzero(a.any(axis=1))[0]
    height = float(rows[-1] - rows[0] + 1)
    feet: list[tuple[float, float]] = []
    last = a.shape[0] - 1
    for start, x in true_runs(cols):
        glyph = a[:, start:x]
        ys = np.nonzero(glyph.any(axis=1))[0]
        if ys.size and (ys[-1] - ys[0]) > height * 0.25:  # skip dots, commas, specks
            if ys[-1] >= last:
                continue  # cut by the crop's edge (word boxes placed high): no foot to see
            feet.append(((start + x) / 2, float(ys[-1])))
    if len(feet) < 5:
        return None
    xs = np.array([f[0] for f in feet])
    ys = np.array([f[1] for f in feet])
    slope, icpt = robust_line(xs, ys)
    # a foot is placed to a pixel at best, and a soft photo's blur moves it by about one
    # more: a pixel of every distance is the image's, not the hand's (small print on a
    # phone photo, 30 px high, measured 0.066 and was called handwriting at 0.06)
    resid = np.maximum(np.abs(ys - (slope * xs + icpt)) - FOOT_PIXEL, 0.0)
    # descenders (g, j, p, q, y) sit lower in print too: judge by the better-aligned half
    return float(np.percentile(resid, 50) / height)


#: What of a glyph's foot's distance from the fitted baseline is the image's (pixels).
FOOT_PIXEL = 1.0


def robust_line(xs: np.ndarray, ys: np.ndarray) -> tuple[float, float]:
    """The line through most of the points (Theil-Sen: the median of the slopes between every
    two points, the median intercept), which a few points off it do not tilt: a least-squares
    line through the feet of `28 April 2025` was pulled by the `p`'s descender and by a copier's
    blot under the `5`, and the print's other feet then measured off it (0.064, handwriting)."""
    i, j = np.triu_indices(len(xs), k=1)
    dx = xs[j] - xs[i]
    apart = dx != 0
    if not apart.any():
        return 0.0, float(np.median(ys))
    slope = float(np.median((ys[j] - ys[i])[apart] / dx[apart]))
    return slope, float(np.median(ys - slope * xs))


def grey_paper(page: Image.Image) -> bool:
    """The page's paper is grey, not white, over all of it (a phone scanner app's, a copier's
    toner haze) or over part of it (the app's gradient of light, a shadow): its paper, print
    closed away, is grey over at least a twentieth of the page. Tesseract binarises a page
    with one threshold: on a page of few words whose paper ran from 216 to 242, the grey half
    went black and pass 1 read no word at all (a Signature cell alone overleaf, unfound)."""
    a = np.asarray(page.convert("L"), dtype=np.uint8)[::4, ::4]
    if a.size == 0:
        return False
    if float(np.percentile(a, 90)) < GREY_PAPER:
        return True
    return min(a.shape) >= 3 and float(np.percentile(paper_of(a), 5)) < GREY_PAPER


#: Paper below this grey level (its 90th percentile) is grey paper.
GREY_PAPER = 235


def white_paper(crop: Image.Image) -> Image.Image:
    """`crop` with its paper made white, also where a shadow or a scanner app's grey runs
    across it: divided by its own paper (print closed away). A grey crop on the white sheet
    binarises as a block of ink, an erased rule, white on grey, as a `|`."""
    a = np.asarray(crop.convert("L"), dtype=np.uint8)
    if a.size == 0 or min(a.shape) < 3:
        return crop
    if float(np.percentile(a, 5)) >= 250:
        return crop  # no ink at all
    bg = cv2.GaussianBlur(paper_of(a), (0, 0), PAPER_KERNEL / 3)
    return Image.fromarray(_divided(a, bg))


def paper_of(a: np.ndarray) -> np.ndarray:
    """The paper under a grey image: its print closed away (strokes narrower than
    `PAPER_KERNEL`), the paper's own level left, shadows and a scanner app's grey with it."""
    k = PAPER_KERNEL
    return cv2.morphologyEx(a, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))


def _divided(a: np.ndarray, paper: np.ndarray) -> np.ndarray:
    """`a` divided by its `paper`: paper within a few per cent of its own level is white
    (Tesseract's global threshold on a crop of little ink can fall between paper at 248 and
    paper at 255)."""
    return cv2.divide(a, np.maximum(paper, 1), scale=255 / PAPER_LEVEL)


#: A pixel at this share of its paper's brightness or more is paper.
PAPER_LEVEL = 0.93
#: Wider than the thickest stroke of print at 300 dpi (a bold 14 pt stem, a Chinese
#: character's), narrower than a shadow's edge.
PAPER_KERNEL = 25
