"""Render an LA version into a clean blank form PDF (flat or with fillable fields).

The LA text is the published Markdown; its trailing form table is replaced by a drawn table whose
value cells are AcroForm text fields when `fillable`, named by the contract's JSON keys. A
members table (students/employees with their registered IDs) follows it.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
)

from licensebot.core.la import LaVersion
from licensebot.errors import LicensebotError

SANS = "LB-Sans"
SANS_BOLD = "LB-Sans-Bold"
CJK = "LB-CJK"

_FONT_FILES = {
    SANS: ("DejaVuSans.ttf", None),
    SANS_BOLD: ("DejaVuSans-Bold.ttf", None),
    CJK: ("wqy-microhei.ttc", 0),
}
FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"))

#: The official labels, as printed on the form.
OFFICIAL_LABELS = {
    "signer_name": "The Signer's Name",
    "signer_title": "The Signer's Title (dean, professor...)",
    "affiliation": "Affiliation (Institute, University, company...)",
    "work_email": "Work email (at your affiliation)",
    "address": "Detail Address of your affiliation",
    "signature": "Signature",
    "date": "Date",
}
MEMBERS_CAPTION = "Students / employees the signer signs for (may be left empty)"
MEMBERS_HEADER = ("Name", "Registered ID (for the competition)")

_CJK_RUN = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]+")


class FontMissingError(LicensebotError):
    """A font the renderer needs is not installed (see APT_PACKAGES in the Makefile)."""


def find_font(filename: str) -> Path:
    for root in FONT_DIRS:
        if root.is_dir():
            for path in root.rglob(filename):
                return path
    raise FontMissingError(f"font {filename} not found under {FONT_DIRS}: install the fonts")


@cache
def register_fonts() -> None:
    """Register the project's fonts with reportlab (once per process)."""
    for name, (filename, index) in _FONT_FILES.items():
        path = find_font(filename)
        font = TTFont(name, str(path)) if index is None else TTFont(name, str(path), index)
        pdfmetrics.registerFont(font)


def with_cjk(text: str) -> str:
    """Escape `text` for a Paragraph, switching to the CJK font for runs of Chinese."""
    out = []
    last = 0
    for m in _CJK_RUN.finditer(text):
        out.append(escape(text[last : m.start()]))
        out.append(f'<font name="{CJK}">{escape(m.group())}</font>')
        last = m.end()
    out.append(escape(text[last:]))
    return "".join(out)


def _inline(md: str) -> str:
    text = with_cjk(md.replace("\\_", "_"))
    text = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", text)
    text = re.sub(r"(?<![*\w])\*(?!\s)(.+?)(?<!\s)\*(?!\w)", r"<i>\1</i>", text)
    return text.replace("\t", " ")


def split_form_table(text: str) -> str:
    """The LA text without its trailing form table (which is drawn, not typeset)."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.strip().startswith("The Signer's Name"):
            return "\n".join(lines[:i])
    return text


def body_flowables(
    text: str,
    *,
    font_size: float = 10.0,
    font: str = SANS,
    bold_font: str = SANS_BOLD,
) -> list[Flowable]:
    """The LA body (Markdown) as reportlab flowables, the form table left out."""
    register_fonts()
    lead = font_size * 1.3
    body = ParagraphStyle("body", fontName=font, fontSize=font_size, leading=lead, spaceAfter=3)
    bullet = ParagraphStyle("bullet", parent=body, leftIndent=14, bulletIndent=4, spaceAfter=1)
    heads = {
        2: ParagraphStyle(
            "h2", parent=body, fontName=bold_font, fontSize=font_size * 1.35, spaceBefore=6
        ),
        3: ParagraphStyle(
            "h3", parent=body, fontName=bold_font, fontSize=font_size * 1.15, spaceBefore=4
        ),
    }
    story: list[Flowable] = []
    for raw in split_form_table(text).splitlines():
        line = raw.strip()
        if not line:
            continue
        m = re.match(r"^(#{1,3})\s+(.*)$", line)
        if m:
            level = max(2, len(m.group(1)))
            story.append(Paragraph(_inline(m.group(2).replace("**", "")), heads[level]))
        elif line.startswith("- "):
            story.append(Paragraph(_inline(line[2:]), bullet, bulletText="•"))
        else:
            story.append(Paragraph(_inline(line), body))
    return story


# ---- the form table -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Cell:
    """One cell of a drawn form table: a label, or the value cell of a field."""

    width: float  # fraction of the table width
    label: str | None = None  # printed label text
    field: str | None = None  # the value cell of this field key


Row = Sequence[Cell]
Rect = tuple[float, float, float, float]  # x, y (bottom), width, height in points
FillCell = Callable[[Canvas, str, Rect], None]


def official_rows() -> list[tuple[list[Cell], float]]:
    """The official table: rows of cells with their heights (points)."""
    lab = OFFICIAL_LABELS
    return [
        (
            [
                Cell(0.2, lab["signer_name"]),
                Cell(0.3, field="signer_name"),
                Cell(0.2, lab["signer_title"]),
                Cell(0.3, field="signer_title"),
            ],
            40,
        ),
        ([Cell(0.3, lab["affiliation"]), Cell(0.7, field="affiliation")], 40),
        ([Cell(0.3, lab["work_email"]), Cell(0.7, field="work_email")], 32),
        ([Cell(0.3, lab["address"]), Cell(0.7, field="address")], 40),
        (
            [
                Cell(0.2, lab["signature"]),
                Cell(0.4, field="signature"),
                Cell(0.1, lab["date"]),
                Cell(0.3, field="date"),
            ],
            64,
        ),
    ]


class FormTable(Flowable):  # type: ignore[misc]
    """A drawn table of label and value cells; `fill` draws (or declares) each value cell."""

    def __init__(
        self,
        rows: Sequence[tuple[Sequence[Cell], float]],
        *,
        fill: FillCell | None = None,
        label_font: str = SANS,
        label_size: float = 9.0,
        line_width: float = 0.8,
    ) -> None:
        super().__init__()
        self.rows = rows
        self.fill = fill
        self.label_font = label_font
        self.label_size = label_size
        self.line_width = line_width
        self.total_height = sum(h for _, h in rows)

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        self.width = avail_width
        return avail_width, self.total_height

    def draw(self) -> None:
        canv: Canvas = self.canv
        style = ParagraphStyle(
            "label",
            fontName=self.label_font,
            fontSize=self.label_size,
            leading=self.label_size * 1.25,
        )
        y = self.total_height
        canv.setLineWidth(self.line_width)
        for cells, height in self.rows:
            y -= height
            x = 0.0
            for cell in cells:
                w = cell.width * self.width
                canv.rect(x, y, w, height)
                if cell.label:
                    para = Paragraph(with_cjk(cell.label), style)
                    _, ph = para.wrap(w - 8, height)
                    # a cell with both a label and a value has the label at its top
                    top = cell.field is not None
                    para.drawOn(canv, x + 4, y + height - ph - 3 if top else y + (height - ph) / 2)
                if cell.field and self.fill:
                    canv.saveState()
                    self.fill(canv, cell.field, (x, y, w, height))
                    canv.restoreState()
                x += w


def members_rows(count: int) -> list[tuple[list[Cell], float]]:
    rows: list[tuple[list[Cell], float]] = [
        ([Cell(0.45, MEMBERS_HEADER[0]), Cell(0.55, MEMBERS_HEADER[1])], 22)
    ]
    rows += [
        ([Cell(0.45, field=f"member_name_{i}"), Cell(0.55, field=f"member_id_{i}")], 22)
        for i in range(count)
    ]
    return rows


def fillable_cell(canv: Canvas, field: str, rect: Rect, value: str = "") -> None:
    """Declare an AcroForm text field filling `rect` (in the current frame's coordinates)."""
    x, y, w, h = rect
    fh = min(h - 4, 22)
    canv.acroForm.textfield(
        name=field,
        tooltip=field,
        value=value,
        x=x + 2,
        y=y + (h - fh) / 2,
        width=w - 4,
        height=fh,
        borderWidth=0,
        fillColor=None,
        fontName="Helvetica",
        fontSize=10,
        maxlen=200,
        relative=True,
    )


def render_blank_form(version: LaVersion, *, fillable: bool = True, member_rows: int = 5) -> bytes:
    """The blank LA of `version` as PDF bytes: the text, the form table, the members table."""
    register_fonts()

    def fill(canv: Canvas, field: str, rect: Rect) -> None:
        if fillable and field != "signature":
            fillable_cell(canv, field, rect)

    def story() -> list[Flowable]:
        caption = Paragraph(MEMBERS_CAPTION, ParagraphStyle("cap", fontName=SANS, fontSize=9))
        return [
            *body_flowables(version.text, font_size=9.5),
            CondPageBreak(250),
            Spacer(1, 12),
            FormTable(official_rows(), fill=fill),
            Spacer(1, 18),
            # the members heading never ends a page without its table
            KeepTogether([caption, Spacer(1, 4), FormTable(members_rows(member_rows), fill=fill)]),
        ]

    def build(pages: int) -> tuple[bytes, int]:
        """The PDF with "Page i of `pages`" at each page's foot, and how many pages it has."""
        buf = io.BytesIO()
        doc = SimpleDocTemplate(
            buf,
            pagesize=A4,
            leftMargin=50,
            rightMargin=50,
            topMargin=50,
            bottomMargin=50,
            title=version.title or "License Agreement",
            subject=f"LA version {version.id}",
        )
        counted = [0]

        def foot(canv: Canvas, _doc: object) -> None:
            counted[0] = canv.getPageNumber()
            canv.saveState()
            canv.setFont(SANS, 8)
            canv.drawCentredString(A4[0] / 2, 28, f"Page {counted[0]} of {pages}")
            canv.restoreState()

        doc.build(story(), onFirstPage=foot, onLaterPages=foot)
        return buf.getvalue(), counted[0]

    _, pages = build(0)  # the first pass counts the pages
    return build(pages)[0]
