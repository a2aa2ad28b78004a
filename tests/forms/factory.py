"""A factory of filled LA forms with their ground truth, for the tests and the benchmark.

`make_spec(seed, **choices)` draws one form (layout, values, how it was filled and delivered);
`render(spec)` turns it into PDF bytes. Everything is generated: fictional people, fictional
institutions, no real personal data.

Categories: three layouts (`word`: Word-like export with the table on the second page;
`compact`: one dense page; `retyped`: retyped wording, labels above their values), typed or
handwritten values, signed (ink) / unsigned / a printed name instead of a signature, fillable
or flat, and delivered digital, printed-and-scanned (image only, or image plus an OCR text
layer; 150-300 dpi, a degree or two of skew, noise, JPEG, sometimes sideways or upside down) or
photographed with a phone (perspective, skew, uneven light).
"""

from __future__ import annotations

import io
import math
import random
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cache
from typing import Any

import numpy as np
import pdfplumber
import pypdfium2 as pdfium
from PIL import Image, ImageDraw, ImageFilter, ImageFont
from pypdf import PdfReader, PdfWriter
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import CondPageBreak, Paragraph, SimpleDocTemplate, Spacer

from licensebot.core.la import LaVersion
from licensebot.reading.blank_form import (
    CJK,
    MEMBERS_CAPTION,
    SANS,
    Cell,
    FormTable,
    Rect,
    body_flowables,
    fillable_cell,
    find_font,
    members_rows,
    official_rows,
    register_fonts,
    with_cjk,
)

HAND = "F-Hand"
HAND_CJK = "F-Hand-CJK"
SERIF = "F-Serif"
SERIF_BOLD = "F-Serif-Bold"

LAYOUTS = ("word", "compact", "retyped")
MEDIA = ("digital", "scan", "scan_ocr", "photo")
NAME_STYLES = ("western", "accented", "chinese")

WESTERN = [
    ("John", "Smith"),
    ("Emily", "Clark"),
    ("Michael", "Brown"),
    ("Sarah", "Johnson"),
    ("David", "Miller"),
    ("Laura", "Wilson"),
    ("Peter", "Taylor"),
    ("Anna", "Fischer"),
    ("Thomas", "Walker"),
    ("Helen", "Baker"),
]
ACCENTED = [
    ("José", "García"),
    ("Zoë", "Müller"),
    ("François", "Lefèvre"),
    ("Søren", "Nørgaard"),
    ("Álvaro", "Peña"),
    ("Renée", "Dubois"),
    ("Jürgen", "Groß"),
    ("Inês", "Conceição"),
    ("Héctor", "Ibáñez"),
    ("Björn", "Åström"),
]
CHINESE = [
    ("张三", "zhang.san"),
    ("李四", "li.si"),
    ("王小明", "wang.xiaoming"),
    ("刘洋", "liu.yang"),
    ("陈静", "chen.jing"),
    ("赵磊", "zhao.lei"),
    ("黄晓燕", "huang.xiaoyan"),
    ("周杰", "zhou.jie"),
    ("吴敏", "wu.min"),
    ("孙丽华", "sun.lihua"),
]
TITLES = [
    "Professor",
    "Associate Professor",
    "Assistant Professor",
    "Dean",
    "Lecturer",
    "Senior Researcher",
    "Research Scientist",
    "Principal Investigator",
]
PLACES = [
    ("Northfield University", "northfield.edu", "12 College Road, Northfield NF1 2AB, UK"),
    (
        "Eastlake Institute of Technology",
        "eastlake-tech.edu",
        "400 Lake Avenue, Eastlake, CA 94000",
    ),
    ("Riverside Research Laboratory", "riverside-lab.org", "7 Mill Lane, Riverside 50321, Germany"),
    ("Hillcrest University", "hillcrest.ac.uk", "Hillcrest Campus, Oxford Road, HX4 9QT"),
    ("Institute of Vision Science", "ivs-research.cn", "88 Science Avenue, Hefei 230000, China"),
    ("Southbay Technology Co., Ltd.", "southbay-tech.com", "Building 5, 21 Harbour Road, Shenzhen"),
    ("Westmoor University", "westmoor.edu", "1 University Plaza, Westmoor, OR 97000"),
    ("Lakeside Polytechnic", "lakeside-poly.fr", "15 Rue des Lilas, 69000 Lyon, France"),
]
DATE_FORMATS = (
    "iso",
    "dmy_slash",
    "month_name",
    "day_month_name",
    "chinese",
    "ymd_slash",
    "dmy_dot",
)

RETYPED_LABELS = {
    "signer_name": [
        "Name of signer",
        "Signer name",
        "Signer's full name",
        "签字人姓名 / Signer name",
    ],
    "signer_title": [
        "Title / position",
        "Signer title",
        "Position (professor, dean...)",
        "职称 / Title",
    ],
    "affiliation": [
        "Institution",
        "Affiliation",
        "Organisation / university",
        "单位 / Affiliation",
    ],
    "work_email": [
        "Work e-mail",
        "E-mail (institutional)",
        "Email address",
        "工作邮箱 / Work email",
    ],
    "address": ["Postal address of the institution", "Address", "Full address", "地址 / Address"],
    "signature": ["Signature", "Signed", "签名 / Signature"],
    "date": ["Date signed", "Date", "日期 / Date"],
}


def write_date(d: date, fmt: str) -> str:
    month = d.strftime("%B")
    return {
        "iso": d.isoformat(),
        "dmy_slash": f"{d.day:02d}/{d.month:02d}/{d.year}",
        "month_name": f"{month} {d.day}, {d.year}",
        "day_month_name": f"{d.day} {month} {d.year}",
        "chinese": f"{d.year}年{d.month}月{d.day}日",
        "ymd_slash": f"{d.year}/{d.month:02d}/{d.day:02d}",
        "dmy_dot": f"{d.day:02d}.{d.month:02d}.{d.year}",
    }[fmt]


@dataclass(frozen=True)
class FormSpec:
    """One generated form: how it looks, how it was filled and delivered, and the truth."""

    seed: int
    layout: str = "word"
    hand: str = "typed"  # typed | handwritten
    signature: str = "ink"  # ink | none | printed
    fillable: bool = False
    medium: str = "digital"  # digital | scan | scan_ocr | photo
    dpi: int = 200
    angle: float = 0.0  # skew in degrees (scans and photos)
    turn: int = 0  # 0, 90, 180, 270: how the page was fed to the scanner
    name_style: str = "western"
    written: dict[str, str] = field(default_factory=dict)  # the values as written on the form
    truth: dict[str, str | None] = field(default_factory=dict)  # cleaned values expected
    members: tuple[tuple[str, str], ...] = ()
    labels: dict[str, str] = field(default_factory=dict)  # retyped layout's labels
    version: LaVersion | None = None  # the LA text printed on the form

    @property
    def scanned(self) -> bool:
        return self.medium != "digital"

    @property
    def signed(self) -> bool:
        return self.signature == "ink"

    @property
    def category(self) -> str:
        kind = "fillable" if self.fillable else self.hand
        return f"{self.medium}/{kind}"


def make_spec(seed: int, version: LaVersion, **choices: Any) -> FormSpec:
    """A random form for `seed`; keyword arguments fix any of FormSpec's choices."""
    rng = random.Random(seed)
    name_style = choices.pop("name_style", rng.choice(NAME_STYLES))
    place, domain, address = rng.choice(PLACES)
    if name_style == "chinese":
        name, local = rng.choice(CHINESE)
    else:
        first, last = rng.choice(WESTERN if name_style == "western" else ACCENTED)
        name = f"{first} {last}"
        local = f"{first[0]}.{last}".lower()
        local = unicodedata.normalize("NFKD", local).encode("ascii", "ignore").decode()
        local = "".join(c for c in local if c.isalnum() or c == ".")
    day = date(2024, 1, 1).fromordinal(date(2023, 6, 1).toordinal() + rng.randrange(900))
    fmt = rng.choice(DATE_FORMATS)
    if fmt in ("dmy_slash", "dmy_dot") and day.day <= 12:
        day = day.replace(day=day.day + 12)  # unambiguous day-first dates only
    email = f"{local}@{domain}"
    written = {
        "signer_name": name,
        "signer_title": rng.choice(TITLES),
        "affiliation": place,
        "work_email": email,
        "address": address,
        "date": write_date(day, fmt),
    }
    truth: dict[str, str | None] = dict(written)
    truth["date"] = day.isoformat()
    n_members = rng.choice((0, 0, 1, 2, 3))
    pool = CHINESE if name_style == "chinese" else WESTERN
    members = tuple(
        (
            m[0] if name_style == "chinese" else f"{m[0]} {m[1]}",
            f"MEGC2024-{rng.randrange(10000):04d}",
        )
        for m in rng.sample(pool, n_members)
    )
    spec = FormSpec(
        seed=seed,
        layout=rng.choice(LAYOUTS),
        hand=rng.choice(("typed", "typed", "handwritten")),
        signature=rng.choice(("ink", "ink", "ink", "none", "printed")),
        fillable=False,
        medium=rng.choice(MEDIA),
        dpi=rng.choice((150, 200, 300)),
        angle=round(rng.uniform(-2.0, 2.0), 2),
        turn=rng.choice((0, 0, 0, 0, 0, 0, 90, 180)),
        name_style=name_style,
        written=written,
        truth=truth,
        members=members,
        labels={k: rng.choice(v) for k, v in RETYPED_LABELS.items()},
        version=version,
    )
    spec = replace(spec, **choices)
    if spec.medium == "photo":
        spec = replace(spec, angle=choices.get("angle", round(rng.uniform(-5.0, 5.0), 2)))
    if spec.medium in ("digital", "scan_ocr", "photo") and "turn" not in choices:
        spec = replace(spec, turn=0)
    if spec.medium == "digital" and "angle" not in choices:
        spec = replace(spec, angle=0.0)
    if spec.fillable:
        spec = replace(spec, hand="typed")
    if spec.layout == "compact" and len(spec.members) > 2:
        spec = replace(spec, members=spec.members[:2])
    return spec


# ---- drawing --------------------------------------------------------------------------------


@cache
def _fonts() -> None:
    register_fonts()
    pdfmetrics.registerFont(TTFont(HAND, str(find_font("dkg.ttf"))))
    pdfmetrics.registerFont(TTFont(HAND_CJK, str(find_font("ukai.ttc")), 0))
    pdfmetrics.registerFont(TTFont(SERIF, str(find_font("DejaVuSerif.ttf"))))
    pdfmetrics.registerFont(TTFont(SERIF_BOLD, str(find_font("DejaVuSerif-Bold.ttf"))))


def _is_cjk(ch: str) -> bool:
    return "\u3000" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef"


def _typed(canv: Canvas, text: str, rect: Rect, size: float = 10.0) -> None:
    x, y, w, h = rect
    font = CJK if any(_is_cjk(c) for c in text) else SANS
    while size > 6 and pdfmetrics.stringWidth(text, font, size) > w - 10:
        size -= 0.5
    canv.setFont(font, size)
    canv.setFillColorRGB(0, 0, 0)
    canv.drawString(x + 5, y + h / 2 - size * 0.35, text)


def _handwritten(canv: Canvas, text: str, rect: Rect, rng: random.Random) -> None:
    """Handwriting is ink, not text: drawn into an image (no text layer), jittered per letter."""
    x, y, w, h = rect
    k = 4.0  # pixels per point (288 dpi)
    size = min(h * 0.55, 15.0) * rng.uniform(0.9, 1.05)
    while size > 7 and pdfmetrics.stringWidth(text, HAND, size) * 1.12 > w - 12:
        size -= 0.5
    img = Image.new("LA", (round(w * k), round(h * k)), (0, 0))
    draw = ImageDraw.Draw(img)
    cx = (5 + rng.uniform(0, 6)) * k
    base = h * k / 2 + size * k * 0.35 + rng.uniform(-1.5, 1.5) * k
    slope = rng.uniform(-0.03, 0.03)
    ink = rng.randint(20, 60)
    for ch in text:
        cjk = _is_cjk(ch)
        s = size * k * rng.uniform(0.92, 1.08) * (1.1 if cjk else 1.0)
        font = _pil_font(HAND_CJK if cjk else HAND, round(s))
        glyph = Image.new("LA", (round(s * 2.2), round(s * 2.2)), (0, 0))
        ImageDraw.Draw(glyph).text((s * 0.5, s * 1.4), ch, font=font, fill=(ink, 255), anchor="ls")
        glyph = glyph.rotate(rng.uniform(-6, 6), resample=Image.Resampling.BICUBIC)
        gy = base + cx * slope + rng.uniform(-0.8, 0.8) * k
        img.alpha_composite(glyph, (round(cx - s * 0.5), round(gy - s * 1.4)))
        cx += draw.textlength(ch, font=font) * rng.uniform(1.0, 1.12)
    rgba = Image.new("RGBA", img.size, (20, 25, 90, 0))
    rgba.putalpha(img.getchannel("A"))
    canv.drawImage(ImageReader(rgba), x, y, w, h, mask="auto")


@cache
def _pil_font(name: str, size: int) -> ImageFont.FreeTypeFont:
    path = find_font("dkg.ttf" if name == HAND else "ukai.ttc")
    return ImageFont.truetype(str(path), size)


def _scribble(canv: Canvas, rect: Rect, rng: random.Random) -> None:
    """A handwritten signature: a few connected loops and strokes of ink."""
    x, y, w, h = rect
    canv.setStrokeColorRGB(0.05, 0.08, 0.3)
    canv.setLineWidth(rng.uniform(1.0, 1.8))
    canv.setLineCap(1)
    canv.setLineJoin(1)
    path = canv.beginPath()
    px, py = x + w * rng.uniform(0.1, 0.25), y + h * rng.uniform(0.3, 0.6)
    path.moveTo(px, py)
    end = x + w * rng.uniform(0.6, 0.9)
    step = (end - px) / rng.randint(4, 7)
    while px < end:
        nx = px + step
        ny = y + h * rng.uniform(0.25, 0.75)
        path.curveTo(
            px + step * 0.3,
            y + h * rng.uniform(0.6, 0.95),
            px + step * 0.7,
            y + h * rng.uniform(0.05, 0.4),
            nx,
            ny,
        )
        px, py = nx, ny
    canv.drawPath(path, stroke=1, fill=0)
    canv.line(x + w * 0.12, y + h * 0.25, x + w * rng.uniform(0.5, 0.8), y + h * 0.2)


def _members_table(spec: FormSpec, fill: Any, heights: float = 22) -> list[Any]:
    rows = members_rows(max(len(spec.members), 1 if spec.layout == "compact" else 3))
    rows = [(cells, heights) for cells, _ in rows]
    return [
        Spacer(1, 10),
        Paragraph(with_cjk(MEMBERS_CAPTION), ParagraphStyle("cap", fontName=SANS, fontSize=8)),
        Spacer(1, 3),
        FormTable(rows, fill=fill, label_size=8),
    ]


def _layout_rows(spec: FormSpec) -> list[tuple[list[Cell], float]]:
    if spec.layout == "word":
        return official_rows()
    if spec.layout == "compact":
        rows = official_rows()
        return [
            ([replace(c, width=c.width) for c in cells], h * 0.7 if h < 60 else 48)
            for cells, h in rows
        ]
    lab = spec.labels
    return [
        (
            [
                Cell(0.55, lab["signer_name"], field="signer_name"),
                Cell(0.45, lab["signer_title"], field="signer_title"),
            ],
            46,
        ),
        ([Cell(1.0, lab["affiliation"], field="affiliation")], 46),
        ([Cell(1.0, lab["work_email"], field="work_email")], 46),
        ([Cell(1.0, lab["address"], field="address")], 46),
        (
            [Cell(0.6, lab["signature"], field="signature"), Cell(0.4, lab["date"], field="date")],
            70,
        ),
    ]


def _digital_pdf(spec: FormSpec) -> bytes:
    _fonts()
    assert spec.version is not None
    rng = random.Random(spec.seed * 7919 + 1)
    values = dict(spec.written)
    for i, (mname, mid) in enumerate(spec.members):
        values[f"member_name_{i}"] = mname
        values[f"member_id_{i}"] = mid

    def fill(canv: Canvas, key: str, rect: Rect) -> None:
        if key == "signature":
            if spec.signature == "ink":
                _scribble(canv, rect, rng)
            elif spec.signature == "printed":
                _typed(canv, spec.written["signer_name"], rect)
            return
        text = values.get(key)
        if spec.fillable:
            fillable_cell(canv, key, rect)
        elif text:
            if spec.hand == "handwritten":
                _handwritten(canv, text, rect, rng)
            else:
                _typed(canv, text, rect)

    if spec.layout == "compact":
        story = body_flowables(spec.version.text, font_size=5.0)
        story += [Spacer(1, 6), FormTable(_layout_rows(spec), fill=fill, label_size=7)]
        if spec.members:
            story += _members_table(spec, fill, heights=16)
        margins = 24.0
    elif spec.layout == "retyped":
        story = body_flowables(spec.version.text, font_size=8.5, font=SERIF, bold_font=SERIF_BOLD)
        story += [CondPageBreak(300), Spacer(1, 10)]
        story += [
            FormTable(_layout_rows(spec), fill=_stacked(fill), label_size=8, label_font=SERIF)
        ]
        if spec.members:
            story += _members_table(spec, fill)
        margins = 50.0
    else:
        story = body_flowables(spec.version.text, font_size=9.0)
        story += [CondPageBreak(230), Spacer(1, 10), FormTable(_layout_rows(spec), fill=fill)]
        if spec.members:
            story += _members_table(spec, fill)
        margins = 50.0
    buf = io.BytesIO()
    SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=margins,
        rightMargin=margins,
        topMargin=margins,
        bottomMargin=margins,
    ).build(story)
    data = buf.getvalue()
    if spec.fillable:
        data = _fill_fields(data, values)
    return data


def _stacked(fill: Any) -> Any:
    """Retyped layout: the label sits at the top of the cell, the value below it."""

    def inner(canv: Canvas, key: str, rect: Rect) -> None:
        x, y, w, h = rect
        fill(canv, key, (x, y, w, h - 14))

    return inner


def _fill_fields(data: bytes, values: dict[str, str]) -> bytes:
    """Fill the AcroForm fields as a PDF viewer would (values and appearance streams)."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    for page in writer.pages:
        try:
            writer.update_page_form_field_values(page, values, auto_regenerate=False)
        except Exception:  # noqa: S112 - pages without fields
            continue
    writer.set_need_appearances_writer(True)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# ---- scanning and photographing -------------------------------------------------------------


def _raster(data: bytes, dpi: int) -> list[Image.Image]:
    pdf = pdfium.PdfDocument(data)
    pdf.init_forms()
    pages = []
    for page in pdf:
        bitmap = page.render(scale=dpi / 72, may_draw_forms=True)
        pages.append(bitmap.to_pil().convert("RGB"))
    pdf.close()
    return pages


def _noise(img: Image.Image, rng: random.Random, sigma: float) -> Image.Image:
    arr = np.asarray(img, dtype=np.float32)
    gen = np.random.default_rng(rng.randrange(2**32))
    arr = arr + gen.normal(0, sigma, arr.shape)
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))


def _scan_page(img: Image.Image, spec: FormSpec, rng: random.Random) -> Image.Image:
    g = img.convert("L")
    g = g.point(lambda v: int(v * 0.93 + 12))  # paper is not white, toner not black
    g = g.rotate(
        spec.angle + rng.uniform(-0.2, 0.2), resample=Image.Resampling.BICUBIC, fillcolor=250
    )
    g = g.filter(ImageFilter.GaussianBlur(0.6))
    g = _noise(g, rng, 6.0)
    if spec.turn:
        g = g.rotate(spec.turn, expand=True)
    return g


def _photo_page(img: Image.Image, spec: FormSpec, rng: random.Random) -> Image.Image:
    w, h = img.size
    pad = int(w * 0.06)
    bg = Image.new("RGB", (w + 2 * pad, h + 2 * pad), (70, 62, 55))
    bg.paste(img, (pad, pad))
    img = bg.rotate(spec.angle, resample=Image.Resampling.BICUBIC, fillcolor=(70, 62, 55))
    # a phone held not quite parallel: a mild keystone
    W, H = img.size
    k = rng.uniform(0.01, 0.03) * W
    coeffs = _perspective_coeffs(
        [(0, 0), (W, 0), (W, H), (0, H)], [(k, 0), (W - k, 0), (W, H), (0, H)]
    )
    img = img.transform((W, H), Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BICUBIC)
    arr = np.asarray(img, dtype=np.float32)
    light = np.linspace(rng.uniform(0.72, 0.85), 1.0, H, dtype=np.float32)[:, None, None]
    arr = arr * light * np.array([1.0, 0.97, 0.9], dtype=np.float32)
    img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    img = img.filter(ImageFilter.GaussianBlur(0.8))
    return _noise(img, rng, 5.0)


def _perspective_coeffs(
    src: Sequence[tuple[float, float]], dst: Sequence[tuple[float, float]]
) -> list[float]:
    matrix = []
    for (x, y), (u, v) in zip(dst, src, strict=True):
        matrix.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        matrix.append([0, 0, 0, x, y, 1, -v * x, -v * y])
    a = np.array(matrix, dtype=np.float64)
    b = np.array([c for p in src for c in p], dtype=np.float64)
    return [float(c) for c in np.linalg.solve(a, b)]


def _images_pdf(images: Sequence[Image.Image], dpi: int, quality: int) -> bytes:
    out = io.BytesIO()
    first, *rest = images
    first.save(out, "PDF", resolution=dpi, save_all=True, append_images=rest, quality=quality)
    return out.getvalue()


def _ocr_layer_pdf(digital: bytes, images: Sequence[Image.Image], quality: int) -> bytes:
    """Page images with an invisible text layer, as a scanner's OCR would add."""
    out = io.BytesIO()
    canv = Canvas(out, pagesize=A4)
    with pdfplumber.open(io.BytesIO(digital)) as pdf:
        for page, img in zip(pdf.pages, images, strict=True):
            pw, ph = float(page.width), float(page.height)
            buf = io.BytesIO()
            img.save(buf, "JPEG", quality=quality)
            canv.drawImage(ImageReader(io.BytesIO(buf.getvalue())), 0, 0, pw, ph)
            text = canv.beginText()
            text.setTextRenderMode(3)
            for word in page.extract_words():
                size = max(4.0, float(word["bottom"] - word["top"]))
                font = CJK if any(_is_cjk(c) for c in word["text"]) else SANS
                text.setFont(font, size)
                text.setTextOrigin(float(word["x0"]), ph - float(word["bottom"]) + size * 0.2)
                text.textOut(word["text"])
            canv.drawText(text)
            canv.showPage()
    canv.save()
    return out.getvalue()


def render(spec: FormSpec) -> bytes:
    """The form of `spec` as the applicant would send it."""
    digital = _digital_pdf(spec)
    if spec.medium == "digital":
        return digital
    if spec.fillable:
        # printed from a viewer: what is on paper is the filled-in look, which pypdf's
        # Helvetica appearance streams cannot give Chinese; draw the values instead
        digital = _digital_pdf(replace(spec, fillable=False))
    rng = random.Random(spec.seed * 104729 + 3)
    quality = rng.randint(55, 85)
    if spec.medium == "photo":
        pages = [_photo_page(p, spec, rng) for p in _raster(digital, 170)]
        return _images_pdf(pages, 170, quality)
    pages = [_scan_page(p, spec, rng) for p in _raster(digital, spec.dpi)]
    if spec.medium == "scan_ocr":
        return _ocr_layer_pdf(digital, pages, quality)
    return _images_pdf(pages, spec.dpi, quality)


# ---- other documents ------------------------------------------------------------------------


def older_version(current: LaVersion) -> LaVersion:
    """A plausible earlier LA: no intellectual-property section, older wording elsewhere."""
    text = current.text
    start = text.index("## 7. Intellectual Property")
    end = text.index("## **8. Warranty**")
    text = text[:start] + text[end:].replace("8. Warranty", "7. Warranty")
    text = text.replace(
        "Usage of the **DFME** for any commercial purpose is **strictly forbidden**.",
        "The **DFME** may only be used for non-commercial academic research.",
    )
    text = text.replace(
        "*Zhao S, Tang H, Mao X, et al. DFME: A New Benchmark for Dynamic Facial "
        "Micro-expression Recognition[J]. IEEE Transactions on Affective Computing, 2023.*",
        "*Zhao S, et al. DFME: Dynamic Facial Micro-expression Database, technical report, 2021.*",
    )
    return LaVersion(id="2021", effective=date(2021, 6, 1), text=text, title=current.title)


def not_la_pdf(seed: int) -> bytes:
    """A filled-in form that is not the LA (a conference registration)."""
    _fonts()
    rng = random.Random(seed)
    paras = [
        "## Conference Registration Form",
        "Thank you for registering for the annual workshop on affective computing. Please "
        "complete the form below and return it to the organising committee before the "
        "early registration deadline. Fees are payable by bank transfer; invoices are issued "
        "on request. Accommodation is not included in the registration fee.",
        "Cancellation policy: registrations cancelled more than thirty days before the event "
        "are refunded in full, less an administration charge. Later cancellations cannot be "
        "refunded, but a colleague may attend in your place.",
    ]
    story = body_flowables("\n\n".join(paras), font_size=10)
    name = " ".join(rng.choice(WESTERN))
    rows = [
        ([Cell(0.3, "Participant name"), Cell(0.7, field="n")], 30),
        ([Cell(0.3, "Email"), Cell(0.7, field="e")], 30),
        ([Cell(0.3, "Date"), Cell(0.7, field="d")], 30),
    ]
    vals = {"n": name, "e": "participant@example.org", "d": "2024-05-02"}

    def fill(canv: Canvas, key: str, rect: Rect) -> None:
        _typed(canv, vals[key], rect)

    story += [Spacer(1, 12), FormTable(rows, fill=fill)]
    buf = io.BytesIO()
    SimpleDocTemplate(buf, pagesize=A4).build(story)
    return buf.getvalue()


def angle_of(spec: FormSpec) -> float:
    return math.fabs(spec.angle)
