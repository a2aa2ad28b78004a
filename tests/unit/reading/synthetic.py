"""Signer tables drawn by other hands than the test factory's: for the layout-agnostic reader.

Each `draw_*` returns a one-page PDF (reportlab, real text, vector rules) and the values written
on it, each value's lines joined by a space. Coordinates here are the drawings' own (points from
the top-left); nothing in `src/` knows them.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pdfplumber
import pypdfium2 as pdfium
from PIL import Image, ImageFilter
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas

from licensebot.core.form import Source
from licensebot.reading.blank_form import CJK, register_fonts
from licensebot.reading.layout import Word

VALUES: dict[str, list[str]] = {
    "signer_name": ["Maria Keller"],
    "signer_title": ["Associate Professor"],
    "affiliation": ["Department of Computer Science,", "Northgate University"],
    "work_email": ["m.keller@northgate.edu"],
    "address": ["221 Harbour Street, Building C", "Northgate NG4 7XY, United Kingdom"],
    "date": ["14 March 2025"],
}
EN = {
    "signer_name": "Name",
    "signer_title": "Title",
    "affiliation": "Affiliation",
    "work_email": "Email",
    "address": "Address",
    "signature": "Signature",
    "date": "Date",
}
ZH = {
    "signer_name": "签字人姓名",
    "signer_title": "职务",
    "affiliation": "单位",
    "work_email": "电子邮箱",
    "address": "地址",
    "signature": "签名",
    "date": "日期",
}


def line_words(
    text: str,
    x: float,
    top: float,
    *,
    height: float = 10.0,
    char: float = 8.0,
    space: float = 4.0,
    conf: float = 1.0,
    page: int = 0,
) -> list[Word]:
    """`text`'s words on one line as a reader's words: from `x` at `top`, each `char` units
    wide per character and `height` tall, `space` units apart."""
    out = []
    for t in text.split():
        out.append(Word(t, x, top, x + char * len(t), top + height, conf, page))
        x += char * len(t) + space
    return out


def truth(values: dict[str, list[str]] = VALUES) -> dict[str, str]:
    return {k: " ".join(v) for k, v in values.items()}


@dataclass
class Drawing:
    canvas: Canvas
    height: float
    size: float = 10.0

    def font(self, text: str) -> str:
        return CJK if any("\u3400" <= c <= "\u9fff" for c in text) else "Helvetica"

    def text(self, x: float, top: float, text: str, size: float | None = None) -> None:
        """`text` with its cap line at `top`."""
        s = size or self.size
        self.canvas.setFont(self.font(text), s)
        self.canvas.drawString(x, self.height - top - 0.75 * s, text)

    def width(self, text: str, size: float | None = None) -> float:
        return float(pdfmetrics.stringWidth(text, self.font(text), size or self.size))

    def line(self, x0: float, y0: float, x1: float, y1: float, width: float = 0.8) -> None:
        self.canvas.setLineWidth(width)
        self.canvas.line(x0, self.height - y0, x1, self.height - y1)

    def scrawl(self, x: float, top: float, w: float, h: float) -> None:
        """A signature: loops of curves as tall as the box (`h`), no straight line."""
        c = self.canvas
        c.setLineWidth(1.2)
        p = c.beginPath()
        y = self.height - top - h
        p.moveTo(x, y + 0.3 * h)
        for k in range(4):
            x0 = x + k * w / 4
            # a loop up to the top and back down past the start: a looped letter
            p.curveTo(x0 + w / 4, y + 1.3 * h, x0 - w / 16, y + 1.3 * h, x0 + w / 8, y)
            p.curveTo(x0 + w / 6, y - 0.1 * h, x0 + w / 5, y + 0.2 * h, x0 + w / 4, y + 0.3 * h)
        c.drawPath(p, stroke=1, fill=0)


#: columns spanned, lines of text (None: a signature's ink, []: nothing), field
Cell = tuple[int, list[str] | None, str]


def table(
    d: Drawing,
    x: float,
    top: float,
    widths: Sequence[float],
    rows: Sequence[tuple[float, Sequence[Cell]]],
    *,
    verticals: bool = True,
    pad: float = 5.0,
) -> float:
    """A ruled table; each cell's lines centred in its height. Returns its bottom."""
    y = top
    total = sum(widths)
    d.line(x, y, x + total, y)
    for height, cells in rows:
        col = 0
        cx = x
        if verticals:
            d.line(x, y, x, y + height)
        for span, lines, _key in cells:
            w = sum(widths[col : col + span])
            if lines is None:
                d.scrawl(cx + pad, y + 0.2 * height, min(w - 2 * pad, 110), 0.5 * height)
            elif lines:
                step = 1.3 * d.size
                first = y + (height - (len(lines) - 1) * step - d.size * 0.75) / 2
                for i, text in enumerate(lines):
                    d.text(cx + pad, first + i * step, text)
            col += span
            cx += w
            if verticals:
                d.line(cx, y, cx, y + height)
        y += height
        d.line(x, y, x + total, y)
    return y


def _pdf(size: tuple[float, float], draw: Callable[[Drawing], None]) -> bytes:
    register_fonts()
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=size)
    d = Drawing(c, size[1])
    d.text(60, 50, "Licence Agreement - signer's details", 14)
    d.text(60, 75, "Please fill in the table below and sign it.", 9)
    draw(d)
    c.showPage()
    c.save()
    return buf.getvalue()


def draw_two_columns(
    labels: dict[str, str] = EN, size: tuple[float, float] = A4, *, signed: bool = True
) -> bytes:
    v, lab = VALUES, labels
    ink: list[str] | None = None if signed else []

    def draw(d: Drawing) -> None:
        rows: list[tuple[float, list[Cell]]] = [
            (26, [(1, [lab[k]], ""), (1, v[k], k)])
            for k in ("signer_name", "signer_title", "work_email")
        ]
        rows.insert(2, (38, [(1, [lab["affiliation"]], ""), (1, v["affiliation"], "affiliation")]))
        rows += [
            (38, [(1, [lab["address"]], ""), (1, v["address"], "address")]),
            (60, [(1, [lab["signature"]], ""), (1, ink, "signature")]),
            (26, [(1, [lab["date"]], ""), (1, v["date"], "date")]),
        ]
        table(d, 60, 110, [120, size[0] - 240], rows)

    return _pdf(size, draw)


def draw_four_columns(
    labels: dict[str, str] = EN,
    size: tuple[float, float] = LETTER,
    *,
    verticals: bool = True,
    signed: bool = True,
) -> bytes:
    v, lab = VALUES, labels
    ink: list[str] | None = None if signed else []
    aff = [" ".join(v["affiliation"])]

    def draw(d: Drawing) -> None:
        rows: list[tuple[float, list[Cell]]] = [
            (
                26,
                [
                    (1, [lab["signer_name"]], ""),
                    (1, v["signer_name"], "signer_name"),
                    (1, [lab["signer_title"]], ""),
                    (1, v["signer_title"], "signer_title"),
                ],
            ),
            (26, [(1, [lab["affiliation"]], ""), (3, aff, "affiliation")]),
            (26, [(1, [lab["work_email"]], ""), (3, v["work_email"], "work_email")]),
            (40, [(1, [lab["address"]], ""), (3, v["address"], "address")]),
            (
                56,
                [
                    (1, [lab["signature"]], ""),
                    (1, ink, "signature"),
                    (1, [lab["date"]], ""),
                    (1, v["date"], "date"),
                ],
            ),
        ]
        w = size[0] - 120
        table(d, 60, 110, [0.17 * w, 0.33 * w, 0.14 * w, 0.36 * w], rows, verticals=verticals)

    return _pdf(size, draw)


def draw_underlines(size: tuple[float, float] = A4) -> bytes:
    """`Name: ______` lines, two fields on the first; the address on two lines."""
    v = VALUES

    def draw(d: Drawing) -> None:
        y = 120.0
        right = size[0] - 60

        def field(x: float, label: str, lines: list[str], end: float) -> float:
            d.text(x, y, label)
            start = x + d.width(label) + 6
            yy = y
            for text in lines:
                d.text(start + 4, yy, text)
                d.line(start, yy + 10, end, yy + 10, 0.6)
                yy += 22
            return yy

        half = 60 + (right - 60) * 0.55
        field(60, "Name:", v["signer_name"], half - 10)
        y = field(half, "Title:", v["signer_title"], right) + 14
        for key, label in (
            ("affiliation", "Affiliation:"),
            ("work_email", "Email:"),
            ("address", "Address:"),
        ):
            y = field(60, label, v[key], right) + 14
        d.text(60, y, "Signature:")
        d.scrawl(130, y - 22, 100, 28)
        d.line(120, y + 10, half - 10, y + 10, 0.6)
        field(half, "Date:", v["date"], right)

    return _pdf(size, draw)


def draw_underlined_text(
    size: tuple[float, float] = A4, *, second_rule: bool = True, gap: float = 14
) -> bytes:
    """A word processor's `Label: value` with the value underlined (the rule ends where the
    text does), a value's second line starting at the margin under its label (its underline
    left out with `second_rule=False`: a photo loses short rules); `gap` points between one
    field's last line and the next field's."""
    v = VALUES

    def draw(d: Drawing) -> None:
        y = 120.0
        half = 60 + (size[0] - 120) * 0.55

        def field(x: float, label: str, lines: list[str]) -> float:
            d.text(x, y, label)
            start = x + d.width(label) + 6
            yy = y
            for i, text in enumerate(lines):
                at = start if i == 0 else x  # the next line wraps to the margin
                d.text(at, yy, text)
                if i == 0 or second_rule:
                    d.line(at, yy + 10, at + d.width(text), yy + 10, 0.6)
                yy += 18
            return yy

        field(60, "Name:", v["signer_name"])
        y = field(half, "Title:", v["signer_title"]) + gap
        for key, label in (
            ("affiliation", "Affiliation:"),
            ("work_email", "Email:"),
            ("address", "Address:"),
        ):
            y = field(60, label, v[key]) + gap
        d.text(60, y, "Signature:")
        d.scrawl(130, y - 22, 100, 28)
        d.line(120, y + 10, half - 10, y + 10, 0.6)
        field(half, "Date:", v["date"])

    return _pdf(size, draw)


def draw_stacked(size: tuple[float, float] = A4) -> bytes:
    """Labels above their values, no rules at all; two columns for name and title."""
    v = VALUES

    def draw(d: Drawing) -> None:
        y = 120.0
        mid = size[0] / 2

        def field(x: float, label: str, lines: list[str]) -> float:
            d.text(x, y, label, 8)
            yy = y + 13
            for text in lines:
                d.text(x, yy, text)
                yy += 13
            return yy

        field(60, "Signer name", v["signer_name"])
        y = field(mid, "Title / position", v["signer_title"]) + 14
        for key, label in (
            ("affiliation", "Institution"),
            ("work_email", "Work e-mail"),
            ("address", "Postal address"),
        ):
            y = field(60, label, v[key]) + 14
        d.text(60, y, "Signature", 8)
        d.scrawl(60, y + 12, 100, 24)
        field(mid, "Date", v["date"])

    return _pdf(size, draw)


def draw_ruled_stacked_one_line(size: tuple[float, float] = A4) -> bytes:
    """A ruled stacked table (labels at the top of their boxes, values under them) of two
    columns whose column rule runs on through the full-width rows, where a value on one line
    crosses it (a word processor's merged row, drawn as the grid carries the rule on)."""
    v = VALUES

    def draw(d: Drawing) -> None:
        x0, x1, mid = 60.0, size[0] - 60, size[0] / 2
        y = 110.0
        rows: list[list[tuple[float, str, str]]] = [
            [(x0, "Signer name", v["signer_name"][0]), (mid, "Title", v["signer_title"][0])],
            [(x0, "Affiliation", " ".join(v["affiliation"]))],
            [(x0, "Work e-mail", v["work_email"][0]), (mid, "Date", v["date"][0])],
            [(x0, "Postal address", " ".join(v["address"]))],
        ]
        for row in rows:
            d.line(x0, y, x1, y)
            for x, label, value in row:
                d.text(x + 4, y + 3, label, 8)
                d.text(x + 4, y + 15, value)
            y += 32
        d.line(x0, y, x1, y)
        d.text(x0 + 4, y + 3, "Signature", 8)
        d.scrawl(x0 + 10, y + 14, 100, 24)
        y += 48
        d.line(x0, y, x1, y)
        d.line(x0, 110, x0, y)
        d.line(x1, 110, x1, y)
        d.line(mid, 110, mid, y)  # the column rule, on through every row

    return _pdf(size, draw)


def draw_colon_text(size: tuple[float, float] = LETTER) -> bytes:
    """`Label: value` lines with no rules; the address wraps under its first line."""
    v = VALUES

    def draw(d: Drawing) -> None:
        y = 120.0
        for key, label in (
            ("signer_name", "Name of signatory:"),
            ("signer_title", "Position:"),
            ("affiliation", "Organization:"),
            ("work_email", "E-mail address:"),
            ("address", "Postal address:"),
            ("date", "Date signed:"),
        ):
            d.text(60, y, label)
            for text in v[key]:
                d.text(170, y, text)
                y += 14
            y += 10
        d.text(60, y, "Signature:")
        d.scrawl(170, y - 6, 100, 26)

    return _pdf(size, draw)


# ---- words and images -----------------------------------------------------------------------


def text_words(pdf: bytes, scale: float = 1.0) -> list[Word]:
    """The text layer's words (pdfplumber), in points times `scale`."""
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return [
            Word(
                w["text"],
                w["x0"] * scale,
                w["top"] * scale,
                w["x1"] * scale,
                w["bottom"] * scale,
                1.0,
                0,
                Source.TEXT,
            )
            for w in doc.pages[0].extract_words(keep_blank_chars=False, use_text_flow=False)
        ]


def render(pdf: bytes, dpi: float) -> Image.Image:
    doc = pdfium.PdfDocument(pdf)
    img: Image.Image = doc[0].render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
    doc.close()
    return img


def scan_like(img: Image.Image, angle: float, seed: int = 1) -> Image.Image:
    """A copier's image: turned `angle` degrees about its centre, blurred, noisy, rules faded
    and broken here and there."""
    rng = np.random.default_rng(seed)
    a = np.asarray(img, dtype=np.float32)
    # break the rules here and there: small blots of paper colour
    a = a.copy()
    for _ in range(400):
        y, x = rng.integers(0, a.shape[0] - 8), rng.integers(0, a.shape[1] - 8)
        k = int(rng.integers(2, 8))
        a[y : y + k, x : x + k] = np.maximum(a[y : y + k, x : x + k], 235)
    turned = Image.fromarray(a.clip(0, 255).astype(np.uint8)).rotate(
        angle, resample=Image.Resampling.BICUBIC, fillcolor=255
    )
    blurred = np.asarray(turned.filter(ImageFilter.GaussianBlur(0.8)), dtype=np.float32)
    noisy = blurred * 0.85 + 30 + rng.normal(0, 12, blurred.shape)
    return Image.fromarray(noisy.clip(0, 255).astype(np.uint8))


def turn_words(words: Sequence[Word], angle: float, size: tuple[int, int]) -> list[Word]:
    """Word boxes moved as `Image.rotate(angle)` moves the page (about its centre)."""
    cx, cy = size[0] / 2, size[1] / 2
    t = math.radians(angle)
    out: list[Word] = []
    for w in words:
        # PIL turns counter-clockwise on screen: a point (x, y) goes to
        # (cx + dx cos + dy sin, cy - dx sin + dy cos) with y downwards
        dx, dy = w.cx - cx, w.cy - cy
        nx = cx + dx * math.cos(t) + dy * math.sin(t)
        ny = cy - dx * math.sin(t) + dy * math.cos(t)
        hw, hh = (w.x1 - w.x0) / 2, (w.bottom - w.top) / 2
        out.append(Word(w.text, nx - hw, ny - hh, nx + hw, ny + hh, w.conf, w.page, w.source))
    return out


def image_pdf(img: Image.Image, dpi: float) -> bytes:
    """A scanner's PDF: the page image alone, no text layer."""
    buf = io.BytesIO()
    img.convert("L").save(buf, format="PDF", resolution=dpi)
    return buf.getvalue()
