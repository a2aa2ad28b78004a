"""RapidOCR (PP-OCRv4 Chinese+English on ONNX Runtime) as a second engine for located cells.

Its errors are not Tesseract's (it reads `Shuangqing` and Chinese print natively, drops the
accents its alphabet lacks: `Peña` comes out `Pena`), so a value both engines read alike is
better evidence than two passes of one. On a whole page it is slow (over a minute on a busy
2-core machine); on one cell's crop it costs tens of milliseconds, so it reads cells only.

The engine is loaded once per process (`engine`, `preload`), with ONNX Runtime held to one
thread (parallelism belongs to the caller, as for Tesseract). The models are the three in the
wheel, by path, never a download. The sandbox's fork server loads it (`reading/_warm.py`), so
every reader forked from it starts with the sessions in memory, shared copy-on-write.

A cell is read by detection and recognition on the crop at its own size (`det`): the detector
costs a few tens of milliseconds on a cell and finds each line, whatever the layout. (The
`lines` mode cuts lines by a horizontal ink profile and runs the recogniser alone: a third
faster, but a little less exact on two-line addresses and scanned names, where an accent or a
neighbour's ink confuses the cut; see bench/results/engines.md.)
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from licensebot.core.form import Reading
from licensebot.errors import LicensebotError
from licensebot.reading.agreement import RAPID
from licensebot.reading.engines import LATIN, edged_box
from licensebot.reading.heap import trim
from licensebot.reading.ocr import true_runs

#: The `Reading.model` of its readings (named where the rules that weigh them live).
MODEL = RAPID
#: The wheel's models, relative to the package (RapidOCR 1.4.x's own config names them so).
MODEL_FILES = (
    "models/ch_PP-OCRv4_det_infer.onnx",
    "models/ch_PP-OCRv4_rec_infer.onnx",
    "models/ch_ppocr_mobile_v2.0_cls_infer.onnx",
)


Piece = tuple[float, float, float, float, str, list[float]]  # top, bottom, x0, x1, text, probs


class RapidError(LicensebotError):
    """RapidOCR is missing or its models are not in its wheel."""


_lock = threading.Lock()
#: One reading at a time: the engine keeps per-call state (its detector's resizing), and it
#: is one thread by design; a process that reads pages in threads takes turns here.
_busy = threading.Lock()
_engine: Any = None
#: How many times this process loaded the engine (once, unless preload failed).
loads = 0


def package_dir() -> Path:
    try:
        import rapidocr_onnxruntime
    except ImportError as exc:  # pragma: no cover - the dependency is declared
        raise RapidError(f"rapidocr_onnxruntime is not installed: {exc}") from exc
    return Path(rapidocr_onnxruntime.__file__).resolve().parent


def model_paths() -> list[Path]:
    """The model files the engine loads: inside the installed package, present on disk."""
    root = package_dir()
    paths = [root / f for f in MODEL_FILES]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise RapidError(f"RapidOCR models missing from its wheel: {', '.join(missing)}")
    return paths


def engine() -> Any:
    """The process's one RapidOCR, loaded on first use (about a quarter of a second)."""
    global _engine, loads
    with _lock:
        if _engine is None:
            det, rec, cls = model_paths()
            import cv2
            from rapidocr_onnxruntime import RapidOCR

            cv2.setNumThreads(1)  # its crops and resizes: one thread, as for ONNX Runtime

            try:
                _engine = RapidOCR(
                    # one thread per engine: ONNX Runtime would otherwise start one per core
                    intra_op_num_threads=1,
                    inter_op_num_threads=1,
                    # the detector at the crop's own size: by default it scales the short side
                    # up to 736 px, and a 460x77 cell became 4400x736 (seconds, not 30 ms)
                    det_limit_type="max",
                    det_limit_side_len=960,
                    det_model_path=str(det),
                    rec_model_path=str(rec),
                    cls_model_path=str(cls),
                    print_verbose=False,
                )
            except Exception as exc:  # onnxruntime's errors are its own classes
                raise RapidError(f"RapidOCR could not load its models: {exc}") from exc
            loads += 1
        return _engine


@cache
def alphabet() -> frozenset[str]:
    """The characters RapidOCR's recogniser can write (its model's dictionary): a letter outside
    it (`ß`, `ø`, `ñ`) it reads as some other letter, and that is no dissent."""
    chars = engine().text_rec.postprocess_op.character
    return frozenset(c for c in chars if len(c) == 1)


def preload(*, sessions: bool = True) -> None:
    """Load the engine now and read one small drawn cell with it (ONNX Runtime sets up its
    first run lazily: in a forked reader that cost about 80 ms on its first cell); with
    `sessions=False` only its libraries (ONNX Runtime, OpenCV, RapidOCR)."""
    if sessions:
        engine()
        sample = Image.new("L", (240, 48), 255)
        ImageDraw.Draw(sample).text((12, 10), "Warm 2024", fill=0, font=ImageFont.load_default(24))
        RapidCellReader().read_cell(sample)
        return
    model_paths()
    try:
        import cv2  # noqa: F401
        import onnxruntime  # noqa: F401
        import rapidocr_onnxruntime  # noqa: F401
    except ImportError as exc:
        raise RapidError(f"RapidOCR's libraries are missing: {exc}") from exc


# ---- reading a cell -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RapidCellReader:
    """RapidOCR over one cell's crop. `mode`: `det` (detector finds the lines) or `lines`
    (lines cut by the ink's horizontal profile, recogniser alone)."""

    mode: str = "det"
    name: str = MODEL

    def read_cell(self, crop: Image.Image, *, lang_hint: str = LATIN) -> list[Reading]:
        # one model reads Chinese and Latin alike: the hint changes nothing
        gray = np.asarray(crop.convert("L"), dtype=np.uint8)
        if gray.size == 0 or min(gray.shape) < 4:
            return []
        with _busy:
            try:
                if self.mode == "lines":
                    return _read_lines(gray)
                pieces = [p for a, b in ink_spans(gray) for p in _detect(gray[:, a:b], a)]
                return lines_of(pieces, gray.shape[1])
            finally:
                trim()  # its tensors' memory, freed, given back: the reader's cap counts it


def lines_of(pieces: Sequence[Piece], width: int) -> list[Reading]:
    """The detected boxes of a crop `width` wide as its lines' readings, top down, without the
    rows that are specks: a row of a letter or two under half as tall as the crop's tallest
    (a worn copier's grain under `... Co., Ltd.` read `减` at 0.62 as a line of its own), and a
    row of one letter that `_speck` would trim from a line's end (a copier's streak beside
    `Full Professor` read `券` at 0.12 as a line of its own: no line of a value is one
    Chinese character among Latin lines, nor one letter read so unsurely)."""
    rows = _rows(pieces)
    tallest = max((_row_height(r) for r in rows), default=0.0)
    texts = ["".join(p[4] for p in row).replace(" ", "") for row in rows]
    kept = []
    for i, row in enumerate(rows):
        if _row_height(row) < 0.5 * tallest and len(texts[i]) <= 2:
            continue
        if len(rows) > 1 and len(texts[i]) == 1:
            prob = min((pr for p in row for pr in p[5]), default=0.0)
            others = [(t, 1.0) for j, t in enumerate(texts) if j != i and t]
            if others and _speck((texts[i], prob), others):
                continue
        kept.append(_reading(row, width))
    return kept


def _row_height(row: Sequence[Piece]) -> float:
    return max(p[1] for p in row) - min(p[0] for p in row)


#: Darker than this is ink (as `line_bands` and the cell passes take it).
INK = 150


def ink_spans(gray: np.ndarray) -> list[tuple[int, int]]:
    """The stretches of columns the detector needs to see: runs of inked columns, with a
    crop's height of paper either side (runs closer than that are one). RapidOCR pads a wide
    crop to a detector input a quarter as tall as it is wide, so a short email in a cell that
    runs on to a shadow at the page's edge (2022x76 px) cost half a second of detection on
    paper; read in stretches, with the blank between left out, it costs a fraction."""
    cols = np.nonzero((gray < INK).any(axis=0))[0]
    pad, width = gray.shape[0], gray.shape[1]
    spans: list[tuple[int, int]] = []
    for c in cols.tolist():
        a, b = max(0, c - pad), min(width, c + 1 + pad)
        if spans and a <= spans[-1][1]:
            spans[-1] = (spans[-1][0], b)
        else:
            spans.append((a, b))
    return spans


def _bgr(gray: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(np.repeat(gray[:, :, None], 3, axis=2))


def _recognise(images: Sequence[np.ndarray]) -> list[tuple[str, list[float]]]:
    """Text of each line image and the probability of each of its characters, with the spaces
    the recogniser left out put back where the image has a word's gap (`respace`)."""
    if not images:
        return []
    # one line at a time: RapidOCR batches lines padded to the widest, and five lines padded
    # to a long affiliation's 1,600 px took more memory than a reader's cap left it (`heap`)
    res = [engine().text_rec([image], True)[0][0] for image in images]
    out: list[tuple[str, list[float]]] = []
    for image, (text, _mean, info) in zip(images, res, strict=True):
        text = str(text)
        probs = [float(p) for p in info[4]] if len(info) > 4 else []
        chars = [c for word in info[1] for c in word] if len(info) > 2 else []
        cols = [int(c) for word in info[2] for c in word] if len(info) > 2 else []
        if "".join(chars) == text and len(probs) == len(text) and info[0] > 0:
            xs = [(c + 0.5) / float(info[0]) for c in cols]
            text, probs = respace(text, probs, xs, np.asarray(image)[:, :, 0])
        out.append((text, probs))
    return out


def respace(
    text: str, probs: Sequence[float], xs: Sequence[float], gray: np.ndarray
) -> tuple[str, list[float]]:
    """PP-OCR's recogniser often drops the space between Latin words (`HillcrestUniversity`,
    `Co.,Ltd.`): a space goes back between two characters wherever the line's image is blank
    between them over a stretch both twice as wide as the line's usual gap between letters
    and over 0.3 of its ink's height (a word space is a third of the type size; at 150 dpi
    the gaps between letters are a fifth). `xs`: each character's place along the line, as
    a fraction of its width. Chinese characters need no spaces between them."""
    if len(text) < 2 or gray.size == 0:
        return text, list(probs)
    lo, hi = float(np.percentile(gray, 5)), float(np.percentile(gray, 95))
    if hi - lo < 40:
        return text, list(probs)
    ink = gray < (lo + hi) / 2
    rows = np.nonzero(ink.any(axis=1))[0]
    cols = np.nonzero(ink.any(axis=0))[0]
    if rows.size == 0:
        return text, list(probs)
    height = float(rows[-1] - rows[0] + 1)
    blank: np.ndarray = np.asarray(~ink.any(axis=0))
    gaps = _runs(blank[cols[0] : cols[-1] + 1])
    usual = float(np.median(gaps)) if gaps else 0.0
    wide = max(0.3 * height, 2.0 * usual)
    width = gray.shape[1]
    out, kept = [text[0]], [probs[0]]
    for i in range(1, len(text)):
        a, b = text[i - 1], text[i]
        if not (a.isspace() or b.isspace() or (_cjk(a) and _cjk(b))):
            x0 = max(0, int(xs[i - 1] * width))
            x1 = min(width, int(xs[i] * width) + 1)
            # a digit `1` is a thin stem in a digit's whole width (digits are set to one
            # width): beside another digit its paper is no word's gap (`26/1 0/2023`)
            need = max(wide, ONE_GAP * height) if _thin_digit(a, b) else wide
            if max(_runs(blank[x0:x1]), default=0) > need:
                out.append(" ")
                kept.append(min(probs[i - 1], probs[i]))
        out.append(b)
        kept.append(probs[i])
    return "".join(out), kept


#: Paper between a `1` and a digit beside it, in ink heights, that makes a word's gap.
ONE_GAP = 0.47


def _thin_digit(a: str, b: str) -> bool:
    return a.isdigit() and b.isdigit() and "1" in (a, b)


def _cjk(ch: str) -> bool:
    return "\u3000" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef"


def _runs(flags: np.ndarray) -> list[int]:
    """Lengths of the runs of True."""
    out: list[int] = []
    run = 0
    for f in flags.tolist():
        if f:
            run += 1
        elif run:
            out.append(run)
            run = 0
    if run:
        out.append(run)
    return out


#: White margin put around a crop before detection. PP-OCR's detector finds a line by the
#: region its text shrinks to and grows back out; a line that touches the crop's edge (a
#: cell's first line under its rule, a name at a tight crop's left) loses its box: the first
#: line of a two-line affiliation went unread, `Jörg` came out `oro`. 16 px of paper each side
#: gives it back (bench/results/engines.md).
DETECT_MARGIN = 16


def _detect(gray: np.ndarray, offset: int = 0) -> list[Piece]:
    """The text boxes found in `gray` and read, placed `offset` columns right (`gray` is a
    stretch of the cell's crop: whether a line runs to an edge is judged on the whole)."""
    eng = engine()
    m = DETECT_MARGIN
    gray = np.pad(gray, m, mode="constant", constant_values=255)
    offset -= m
    img = _bgr(gray)
    h0, w0 = img.shape[:2]
    img, ratio_h, ratio_w = eng.preprocess(img)
    record: dict[str, Any] = {"preprocess": {"ratio_h": ratio_h, "ratio_w": ratio_w}}
    # a wide, short crop (an email's line) is padded above and below, as RapidOCR does
    img, record = eng.maybe_add_letterbox(img, record)
    boxes, _ = eng.auto_text_det(img)
    if boxes is None or len(boxes) == 0:
        return []
    crops = eng.get_crop_img_list(img, boxes)
    texts = _recognise(crops)
    pts = eng._get_origin_points(boxes, record, h0, w0)  # back to the crop
    pieces: list[Piece] = []
    for (text, probs), quad in zip(texts, pts, strict=True):
        xs, ys = quad[:, 0], quad[:, 1]
        if text.strip():
            pieces.append(
                (
                    float(ys.min()) - m,
                    float(ys.max()) - m,
                    float(xs.min()) + offset,
                    float(xs.max()) + offset,
                    text,
                    probs,
                )
            )
    return pieces


def _rows(pieces: Sequence[Piece]) -> list[list[Piece]]:
    """Detected boxes grouped into lines (a line may come as several boxes), left to right."""
    rows: list[list[Piece]] = []
    for p in sorted(pieces, key=lambda p: (p[0] + p[1]) / 2):
        for row in rows:
            t, b = min(q[0] for q in row), max(q[1] for q in row)
            overlap = min(b, p[1]) - max(t, p[0])
            if overlap > 0.5 * min(b - t, p[1] - p[0]):
                row.append(p)
                break
        else:
            rows.append([p])
    return [sorted(r, key=lambda p: p[2]) for r in rows]


#: What a stub of a cell's rule left in the crop reads as, at a line's either end (the
#: detector sees such stubs once the crop has a margin: `[ 21/08/2024 一`).
RULE_MARKS = frozenset("|[](){}一丨_-—–ー=")


def _stub(word: str) -> bool:
    return 0 < len(word) <= 2 and all(c in RULE_MARKS for c in word)


#: What a rule's upright stem reads as, alone, where a line touches the crop's edge (within
#: `EDGE_STEM` letter heights): a cell's column rule left in its crop.
STEMS = frozenset({"I", "l", "1", "|", "!"})
EDGE_STEM = 0.5
#: A lone letter at a line's end read less surely than this is a speck (Tesseract's words are
#: trimmed at the same confidence: `cell_ocr.trim_junk`).
SPECK_PROB = 0.7


def _speck(word: tuple[str, float], rest: Sequence[tuple[str, float]]) -> bool:
    """`word`, at an end of its line, is a speck of the copy, not the value's: one letter read
    unsurely (a rule's stub at the crop's edge read `I` at 0.59 before `38 Zheda Road`), or one
    Chinese character beside a line of Latin words (no Latin value begins or ends with one)."""
    text, prob = word
    if len(text) != 1:
        return False
    return prob < SPECK_PROB or (_cjk(text) and not any(_CJK.search(w) for w, _ in rest))


def _reading(row: Sequence[Piece], width: int) -> Reading:
    row = list(row)
    while len(row) > 1 and _stub(row[0][4].strip()):
        row.pop(0)  # a stub boxed on its own: not where the line starts or ends
    while len(row) > 1 and _stub(row[-1][4].strip()):
        row.pop()
    words: list[tuple[str, float]] = []
    for p in row:
        text = p[4].strip()
        probs = _word_probs(p[4], p[5])
        split = text.split()
        words += (
            list(zip(split, probs, strict=True))
            if len(split) == len(probs)
            else [(text, min(probs, default=0.0))]
        )
    height = max(1.0, sorted(p[1] - p[0] for p in row)[len(row) // 2] * 0.6)  # box > letters
    # a rule's stem at the crop's very edge reads as a letter of one stroke (`I Department`)
    at_left = row[0][2] <= EDGE_STEM * height
    at_right = row[-1][3] >= width - EDGE_STEM * height
    while len(words) > 1 and (
        _stub(words[0][0]) or _speck(words[0], words[1:]) or (at_left and words[0][0] in STEMS)
    ):
        words.pop(0)
        at_left = False
    while len(words) > 1 and (
        _stub(words[-1][0]) or _speck(words[-1], words[:-1]) or (at_right and words[-1][0] in STEMS)
    ):
        words.pop()
        at_right = False
    edged = edged_box(min(p[2] for p in row), max(p[3] for p in row), height, width)
    conf = min((pr for _, pr in words), default=0.0)
    return Reading(tidy_rapid(" ".join(w for w, _ in words)), round(conf, 4), edged, MODEL)


def _word_probs(text: str, probs: Sequence[float]) -> list[float]:
    """Each word's confidence (the mean of its letters'), as Tesseract gives a word's: a
    line is as sure as its weakest word."""
    if len(probs) != len(text):
        return [float(np.mean(probs))] if probs else []
    out: list[float] = []
    word: list[float] = []
    for ch, p in zip(text, probs, strict=True):
        if ch.isspace():
            if word:
                out.append(float(np.mean(word)))
            word = []
        else:
            word.append(p)
    if word:
        out.append(float(np.mean(word)))
    return out


# ---- lines by projection --------------------------------------------------------------------


def line_bands(gray: np.ndarray, *, ink: int = 150) -> list[tuple[int, int, int, int]]:
    """Boxes (x0, y0, x1, y1) of the text lines of a crop, from its rows' ink: runs of inked
    rows, with the small gap between an accent or an `i`'s dot and its letters closed, and
    specks (a run far shorter than the tallest) dropped."""
    mask = gray < ink
    rows = mask.sum(axis=1) > max(1, mask.shape[1] // 400)
    runs = [[a, b] for a, b in true_runs(rows)]
    if not runs:
        return []
    tallest = max(b - a for a, b in runs)
    merged: list[list[int]] = [runs[0]]
    for a, b in runs[1:]:
        last = merged[-1]
        small = min(b - a, last[1] - last[0]) < 0.45 * tallest
        if small and a - last[1] < 0.3 * tallest:
            last[1] = b  # an accent above its line, a descender's tail, a comma
        else:
            merged.append([a, b])
    out = []
    for a, b in merged:
        if b - a < 0.35 * tallest:
            continue
        cols = np.nonzero(mask[a:b].any(axis=0))[0]
        out.append((int(cols[0]), a, int(cols[-1]) + 1, b))
    return out


def read_line(crop: Image.Image) -> Reading | None:
    """`crop` recognised as one line of text, whatever gaps its rows have (a Chinese
    character's parts stand apart: `字`, cut by its rows, read as two lines); None: no text."""
    gray = np.asarray(crop.convert("L"), dtype=np.uint8)
    if gray.size == 0 or min(gray.shape) < 4:
        return None
    with _busy:
        ((text, probs),) = _recognise([_bgr(gray)])
    return _line_reading(text, probs, edged=False)


def _line_reading(text: str, probs: Sequence[float], *, edged: bool) -> Reading | None:
    """One recognised line as a `Reading` (its weakest word's probability); None: no text."""
    if not text.strip():
        return None
    conf = min(_word_probs(text, probs), default=0.0)
    return Reading(tidy_rapid(text), round(conf, 4), edged, MODEL)


def _read_lines(gray: np.ndarray) -> list[Reading]:
    bands = line_bands(gray)
    images = []
    h, w = gray.shape
    for x0, y0, x1, y1 in bands:
        pad = max(2, round((y1 - y0) * 0.25))
        images.append(
            _bgr(gray[max(0, y0 - pad) : min(h, y1 + pad), max(0, x0 - pad) : min(w, x1 + pad)])
        )
    out = []
    for (x0, y0, x1, y1), (text, probs) in zip(bands, _recognise(images), strict=True):
        reading = _line_reading(text, probs, edged=edged_box(x0, x1, (y1 - y0) * 0.7, w))
        if reading is not None:
            out.append(reading)
    return out


# ---- its text -------------------------------------------------------------------------------

_BETA = re.compile(r"(?<=[A-Za-z])β|β(?=[a-z])")


def tidy_rapid(text: str) -> str:
    """RapidOCR's text in the form Tesseract's comes in: NFC, single spaces, no padding; a
    Greek `β` inside a Latin word is the `ß` its alphabet lacks (`Groß` reads `Groβ`)."""
    t = unicodedata.normalize("NFC", text)
    t = _BETA.sub("ß", t)
    if not _CJK.search(t):
        # its Chinese alphabet's full-width punctuation in Latin print (`Parkway， Northgate`)
        # is the ASCII mark Tesseract reads there; in Chinese text it is the text's own
        t = _FULL_WIDTH.sub(lambda m: unicodedata.normalize("NFKC", m.group()), t)
        t = t.replace("\u3002", ".")
    return re.sub(r"\s+", " ", t).strip()


_CJK = re.compile(r"[\u3400-\u9fff]")
#: Full-width forms of ASCII's marks and letters (`，` `：` `（`).
_FULL_WIDTH = re.compile(r"[\uff01-\uff5e]")
