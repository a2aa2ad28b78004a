"""The LA as an applicant's Word document (python-docx), exported to PDF by LibreOffice.

`build_docx(spec)` writes the LA text of `spec.version` (Markdown headings, bold and italics,
list items as Word styles) and then the signer table, filled in, in one of the table styles:

- `grid2`: a two-column grid, one label per row;
- `grid4`: the official four-column grid (Name | value | Title | value; Affiliation | value
  spanning; ...; Signature | space for the pen | Date | value);
- `underline`: no table, "Label: value" paragraphs with the value on an underline;
- `stacked`: a grid whose cells hold the label above the value;
- `bilingual` (held-out only): a two-column grid with Chinese and English labels;
- `chinese`, `tabbed` and `hinted` (development only): Chinese labels only on a Chinese office's
  grid, "Label:" with a tab to the value and no table, and a grid of two-line labels (the label
  over a smaller hint) (`tests/forms/wordproc_styles.py`).

Values typed by the applicant are black text. What is written later with a pen (handwritten
values, the signature) gets its space here as near-white text in a colour that codes the field
(`CODES`): invisible on paper, and `tests/forms/delivery.py` finds where to write from the
exported PDF's words. Born-digital forms carry no such text; a signed one has the signature
pasted in as a picture, as applicants do.

`docx_to_pdf(docs)` converts in one LibreOffice batch, with a private profile per process, and
caches each PDF under the hash of its document (in `$XDG_CACHE_HOME` or the system temp).
"""

from __future__ import annotations

import atexit
import hashlib
import io
import os
import re
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from docx import Document
from docx.enum.table import WD_ROW_HEIGHT_RULE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from licensebot.reading.blank_form import split_form_table
from tests.forms.independent import FIELDS, IndependentSpec

#: Field -> colour code of its pen-written space (near-white text, see `pen_color`).
CODES = {name: i for i, name in enumerate(FIELDS, 1)}
SIGNATURE_CODE = 7
MEMBER_CODE = 8  # member i: name 8 + 2i, id 9 + 2i
PAPER = {"A4": (210.0, 297.0), "Letter": (215.9, 279.4)}
CONVERTER = "wordproc-1"  # part of the cache key: bump when the export changes


def pen_color(code: int) -> tuple[int, int, int]:
    return (255, 255, 240 + code)


def code_of(color: Sequence[float] | None) -> int | None:
    """The code of a PDF fill colour (0..1 floats), if it is one of `pen_color`'s."""
    if color is None or len(color) != 3:
        return None
    r, g, b = (round(float(c) * 255) for c in color)
    if r == 255 and g == 255 and 241 <= b <= 254:
        return b - 240
    return None


# ---- the document ---------------------------------------------------------------------------


def _fonts(element: Any, font: str, cjk: str) -> None:
    """Set the fonts of a style (or of the document defaults), theme fonts removed: a theme's
    Calibri would become whatever LibreOffice substitutes."""
    if hasattr(element, "get_or_add_rPr"):
        rpr = element.get_or_add_rPr()
    else:
        rpr = element.find(qn("w:rPr"))
        if rpr is None:
            rpr = OxmlElement("w:rPr")
            element.append(rpr)
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        rfonts.attrib.pop(qn(attr), None)
    for attr in ("w:ascii", "w:hAnsi", "w:cs"):
        rfonts.set(qn(attr), font)
    rfonts.set(qn("w:eastAsia"), cjk)


def _styles(doc: Any, spec: IndependentSpec) -> None:
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    if defaults is not None:
        default = defaults.find(qn("w:rPrDefault"))
        if default is not None:
            _fonts(default, spec.font, spec.cjk_font)
    for name in ("Normal", "Title", "Heading 1", "Heading 2", "List Bullet"):
        style = doc.styles[name]
        _fonts(style.element, spec.font, spec.cjk_font)
        if (name.startswith("Heading") or name == "Title") and not spec.heading_color:
            style.font.color.rgb = RGBColor(0, 0, 0)
    doc.styles["Normal"].font.size = Pt(spec.font_size)
    doc.styles["Heading 1"].font.size = Pt(spec.font_size + 5)
    doc.styles["Heading 2"].font.size = Pt(spec.font_size + 2)


_INLINE = re.compile(r"(\*\*.+?\*\*|\*.+?\*)")


def _inline(paragraph: Any, text: str, size: float | None = None) -> None:
    """Markdown **bold** and *italic* as runs."""
    text = text.replace("\\_", "_").replace("\\*", "*")
    for part in _INLINE.split(text):
        if not part:
            continue
        if part.startswith("**") and part.endswith("**"):
            run = paragraph.add_run(part[2:-2])
            run.bold = True
        elif part.startswith("*") and part.endswith("*") and len(part) > 1:
            run = paragraph.add_run(part[1:-1])
            run.italic = True
        else:
            run = paragraph.add_run(part)
        if size:
            run.font.size = Pt(size)


def _body(doc: Any, text: str) -> None:
    first = True
    for raw in split_form_table(text).splitlines():
        line = raw.strip()
        if not line:
            continue
        m = re.match(r"^(#{1,4})\s+(.*)$", line)
        if m:
            title = m.group(2).replace("**", "")
            heading = doc.add_heading(title, 1 if first else 2)
            if first:
                heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
            first = False
        elif line.startswith("- "):
            _inline(doc.add_paragraph(style="List Bullet"), line[2:])
        else:
            _inline(doc.add_paragraph(), line)


def _run(paragraph: Any, text: str, *, color: tuple[int, int, int] | None = None) -> Any:
    """`text` as runs, a line break for each newline."""
    run = None
    for i, line in enumerate(text.split("\n")):
        run = paragraph.add_run(line)
        if i < len(text.split("\n")) - 1:
            run.add_break()
        if color is not None:
            run.font.color.rgb = RGBColor(*color)
    return run


def _underline_black(run: Any) -> None:
    run.font.underline = True
    u = run._element.get_or_add_rPr().find(qn("w:u"))
    u.set(qn("w:color"), "000000")


class _Filler:
    """Writes the values of one form: typed, or space kept for the pen."""

    def __init__(self, spec: IndependentSpec, signature_png: bytes | None) -> None:
        self.spec = spec
        self.printed = spec.medium != "digital"
        self.handwritten = spec.kind == "handwritten"
        self.signature_png = signature_png

    def value(self, paragraph: Any, key: str, text: str, *, underline: bool = False) -> None:
        if self.handwritten:
            code = CODES.get(key) or _member_code(key)
            run = _run(paragraph, text, color=pen_color(code))
        else:
            run = _run(paragraph, text)
        if underline:
            for r in paragraph.runs[-(text.count("\n") + 1) :]:
                _underline_black(r)
        del run

    def signature(self, paragraph: Any, *, width_mm: float, underline: bool = False) -> None:
        if self.printed:
            run = paragraph.add_run("x" * max(8, int(width_mm / 2.6)))
            run.font.color.rgb = RGBColor(*pen_color(SIGNATURE_CODE))
            if underline:
                _underline_black(run)
        elif self.signature_png is not None:
            paragraph.add_run().add_picture(io.BytesIO(self.signature_png), width=Mm(width_mm))
        elif underline:
            paragraph.add_run("_" * max(10, int(width_mm / 2.2)))


def _member_code(key: str) -> int:
    kind, _, index = key.rpartition("_")
    return MEMBER_CODE + 2 * int(index) + (1 if kind == "member_id" else 0)


def _widths(table: Any, fractions: Sequence[float], total_mm: float) -> None:
    table.autofit = False
    for row in table.rows:
        for cell, frac in zip(row.cells, fractions, strict=False):
            cell.width = Mm(total_mm * frac)


def _label(cell_or_par: Any, text: str, *, bold: bool = False, size: float | None = None) -> Any:
    par = cell_or_par.paragraphs[0] if hasattr(cell_or_par, "paragraphs") else cell_or_par
    for i, line in enumerate(text.split("\n")):
        run = par.add_run(line)
        run.bold = bold
        if size:
            run.font.size = Pt(size)
        if i < text.count("\n"):
            run.add_break()
    return par


def _grid2(doc: Any, spec: IndependentSpec, fill: _Filler, width: float) -> None:
    lab, w = spec.labels, spec.written
    keys = ["signer_name", "signer_title", "affiliation", "work_email", "address"]
    rows = [*keys, "signature", "date"]
    table = doc.add_table(rows=len(rows), cols=2)
    table.style = "Table Grid"
    split = 0.3 if spec.table_style == "grid2" else 0.34
    _widths(table, (split, 1 - split), width)
    bold = spec.seed % 2 == 0
    for row, key in zip(table.rows, rows, strict=True):
        _label(row.cells[0], lab[key], bold=bold)
        par = row.cells[1].paragraphs[0]
        if key == "signature":
            fill.signature(par, width_mm=width * 0.4)
            row.height = Mm(22)
            row.height_rule = WD_ROW_HEIGHT_RULE.AT_LEAST
        else:
            fill.value(par, key, w[key])


def _grid4(doc: Any, spec: IndependentSpec, fill: _Filler, width: float) -> None:
    lab, w = spec.labels, spec.written
    table = doc.add_table(rows=5, cols=4)
    table.style = "Table Grid"
    _widths(table, (0.2, 0.3, 0.2, 0.3), width)
    r = table.rows
    _label(r[0].cells[0], lab["signer_name"])
    fill.value(r[0].cells[1].paragraphs[0], "signer_name", w["signer_name"])
    _label(r[0].cells[2], lab["signer_title"])
    fill.value(r[0].cells[3].paragraphs[0], "signer_title", w["signer_title"])
    for i, key in enumerate(("affiliation", "work_email", "address"), 1):
        _label(r[i].cells[0], lab[key])
        cell = r[i].cells[1].merge(r[i].cells[3])
        fill.value(cell.paragraphs[0], key, w[key])
    _label(r[4].cells[0], lab["signature"])
    fill.signature(r[4].cells[1].paragraphs[0], width_mm=width * 0.26)
    _label(r[4].cells[2], lab["date"])
    fill.value(r[4].cells[3].paragraphs[0], "date", w["date"])
    r[4].height = Mm(24)
    r[4].height_rule = WD_ROW_HEIGHT_RULE.AT_LEAST


def _underline(doc: Any, spec: IndependentSpec, fill: _Filler, width: float) -> None:
    lab, w = spec.labels, spec.written
    for key in ("signer_name", "signer_title", "affiliation", "work_email", "address"):
        par = doc.add_paragraph()
        par.paragraph_format.space_after = Pt(8)
        par.add_run(f"{lab[key]}: ")
        fill.value(par, key, w[key], underline=True)
    par = doc.add_paragraph()
    par.paragraph_format.space_before = Pt(18)
    par.add_run(f"{lab['signature']}: ")
    fill.signature(par, width_mm=width * 0.35, underline=True)
    par.add_run("      ")
    par.add_run(f"{lab['date']}: ")
    fill.value(par, "date", w["date"], underline=True)


def _stacked(doc: Any, spec: IndependentSpec, fill: _Filler, width: float) -> None:
    lab, w = spec.labels, spec.written
    size = max(7.0, spec.font_size - 2.5)
    table = doc.add_table(rows=5, cols=2)
    table.style = "Table Grid"
    _widths(table, (0.55, 0.45), width)
    r = table.rows

    def cell(c: Any, key: str) -> None:
        _label(c, lab[key], bold=True, size=size)
        par = c.add_paragraph()
        if key == "signature":
            fill.signature(par, width_mm=width * 0.4)
        else:
            fill.value(par, key, w[key])

    cell(r[0].cells[0], "signer_name")
    cell(r[0].cells[1], "signer_title")
    cell(r[1].cells[0].merge(r[1].cells[1]), "affiliation")
    cell(r[2].cells[0], "work_email")
    cell(r[2].cells[1], "date")
    cell(r[3].cells[0].merge(r[3].cells[1]), "address")
    cell(r[4].cells[0].merge(r[4].cells[1]), "signature")
    r[4].height = Mm(26)
    r[4].height_rule = WD_ROW_HEIGHT_RULE.AT_LEAST


def _members(doc: Any, spec: IndependentSpec, fill: _Filler, width: float) -> None:
    if not spec.members:
        return
    doc.add_paragraph().add_run("Students / employees the signer signs for:")
    table = doc.add_table(rows=len(spec.members) + 1, cols=2)
    table.style = "Table Grid"
    _widths(table, (0.5, 0.5), width)
    _label(table.rows[0].cells[0], "Name", bold=True)
    _label(table.rows[0].cells[1], "Registered ID", bold=True)
    for i, (name, mid) in enumerate(spec.members):
        row = table.rows[i + 1]
        fill.value(row.cells[0].paragraphs[0], f"member_name_{i}", name)
        fill.value(row.cells[1].paragraphs[0], f"member_id_{i}", mid)


TABLES = {
    "grid2": _grid2,
    "grid4": _grid4,
    "underline": _underline,
    "stacked": _stacked,
    "bilingual": _grid2,
}
#: The styles whose Signature is a line the pen signs above (not a cell it signs in).
SIGNED_ON_A_LINE = ("underline", "tabbed")


def _table(style: str) -> Any:
    """The function that writes the signer table in `style`."""
    if style in TABLES:
        return TABLES[style]
    from tests.forms.wordproc_styles import TABLES as MORE  # it builds on this module

    return MORE[style]


def build_docx(spec: IndependentSpec, signature_png: bytes | None = None) -> bytes:
    """The filled-in LA of `spec` as .docx bytes (the same bytes for the same spec)."""
    if signature_png is None and spec.medium == "digital" and spec.signed:
        from tests.forms.delivery import signature_png as draw

        signature_png = draw(spec)
    doc = Document()
    pw, ph = PAPER[spec.paper]
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(pw), Mm(ph)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Mm(spec.margins_mm))
    _styles(doc, spec)
    _body(doc, spec.version.text)
    if spec.own_page:
        doc.add_page_break()
    else:
        doc.add_paragraph()
    width = pw - 2 * spec.margins_mm
    fill = _Filler(spec, signature_png)
    _table(spec.table_style)(doc, spec, fill, width)
    _members(doc, spec, fill, width)
    props = doc.core_properties
    props.author = props.last_modified_by = "applicant"
    props.created = props.modified = datetime(2024, 1, 1)
    props.revision = 1
    out = io.BytesIO()
    doc.save(out)
    return _normalised_zip(out.getvalue())


def _normalised_zip(data: bytes) -> bytes:
    """The same entries with fixed timestamps, so the same document gives the same bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


# ---- LibreOffice ----------------------------------------------------------------------------


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME")
    path = Path(base) / "licensebot-forms" if base else Path(tempfile.gettempdir())
    path = path / "licensebot-forms-cache" if not base else path
    path.mkdir(parents=True, exist_ok=True)
    return path


def _profile() -> Path:
    path = Path(tempfile.gettempdir()) / f"lo-profile-{os.getpid()}"
    if not path.exists():
        atexit.register(shutil.rmtree, path, True)
    return path


_VOLATILE = (
    re.compile(rb"/CreationDate\s*\(D:[^)]*\)"),
    re.compile(rb"/ModDate\s*\(D:[^)]*\)"),
    re.compile(rb"/ID\s*\[\s*<[0-9A-Fa-f]+>\s*<[0-9A-Fa-f]+>\s*\]"),
    re.compile(rb"<xmp:CreateDate>[^<]*</xmp:CreateDate>"),
)


def _stable_pdf(data: bytes) -> bytes:
    """The export without its time stamps and random ID, byte for byte the same length (the
    cross-reference offsets stay right)."""

    def blank(m: re.Match[bytes]) -> bytes:
        text = m.group(0)
        head = text[: text.index(b"(") + 1] if b"(" in text else b""
        if text.startswith(b"/ID"):
            return re.sub(rb"[0-9A-Fa-f]", b"0", text)
        if head:
            return head + b"D:20240101000000" + b" " * (len(text) - len(head) - 17) + b")"
        return text

    for pattern in _VOLATILE:
        data = pattern.sub(blank, data)
    return data


def docx_to_pdf(docs: Sequence[bytes], *, timeout: float = 300.0) -> list[bytes]:
    """PDF exports of `docs`, converted in one LibreOffice batch (cached by content)."""
    keys = [hashlib.sha256(CONVERTER.encode() + d).hexdigest() for d in docs]
    cache = cache_dir()
    todo = {k: d for k, d in zip(keys, docs, strict=True) if not (cache / f"{k}.pdf").exists()}
    if todo:
        with tempfile.TemporaryDirectory(prefix="wordproc-") as tmp:
            src, out = Path(tmp) / "src", Path(tmp) / "out"
            src.mkdir()
            for key, data in todo.items():
                (src / f"{key}.docx").write_bytes(data)
            soffice = shutil.which("soffice") or shutil.which("libreoffice")
            if soffice is None:
                raise RuntimeError("LibreOffice (soffice) is not installed: make apt")
            subprocess.run(
                [
                    soffice,
                    f"-env:UserInstallation=file://{_profile()}",
                    "--headless",
                    "--norestore",
                    "--convert-to",
                    "pdf",
                    "--outdir",
                    str(out),
                    *(str(src / f"{k}.docx") for k in todo),
                ],
                check=True,
                capture_output=True,
                timeout=timeout,
            )
            for key in todo:
                pdf = out / f"{key}.pdf"
                if not pdf.exists():
                    raise RuntimeError(f"LibreOffice did not convert {key}.docx")
                part = cache / f".{key}.{os.getpid()}.part"
                part.write_bytes(_stable_pdf(pdf.read_bytes()))
                part.replace(cache / f"{key}.pdf")
    return [(cache / f"{k}.pdf").read_bytes() for k in keys]
