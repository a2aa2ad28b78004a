"""Two more ways applicants fill in the LA's signer table in a word processor (used by
`tests/forms/wordproc.py`'s `build_docx`; which split draws them: `tests/forms/split.py`):

- `chinese`: a form as Chinese offices lay it out, labels in Chinese only (with a full-width
  colon or none), centred in their cells and on some forms shaded grey: Name | value | Title |
  value; Affiliation, Email and Address on rows of their own; the Signature a tall row across
  the table, the Date on the last row;
- `tabbed`: no table at all: one paragraph a field, "Label:" and a tab to the value (a tab stop
  set by the applicant, on some forms with a dot leader, on some with a hanging indent so that
  a long value wraps under itself), the labels in English, on some forms with the Chinese in
  parentheses ("Name (姓名)"); the Signature an underlined blank for the pen, the Date below;
- `hinted`: a two-column grid whose label cells hold two lines, the English label over a smaller
  hint (the Chinese, or "(in full, as in your passport)"), on some forms grey and italic, the
  values on some forms centred in their cells' height; the Signature row tall.
"""

from __future__ import annotations

from typing import Any

from docx.enum.table import WD_ALIGN_VERTICAL, WD_ROW_HEIGHT_RULE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT, WD_TAB_LEADER
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from tests.forms.independent import IndependentSpec
from tests.forms.wordproc import _Filler, _label, _widths

VALUES = ("signer_name", "signer_title", "affiliation", "work_email", "address")


def _shade(cell: Any, fill: str) -> None:
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shd)


def chinese(doc: Any, spec: IndependentSpec, fill: _Filler, width: float) -> None:
    lab, w = spec.labels, spec.written
    table = doc.add_table(rows=6, cols=4)
    table.style = "Table Grid"
    _widths(table, (0.2, 0.3, 0.16, 0.34), width)
    shaded = spec.seed % 2 == 0
    r = table.rows

    def label(cell: Any, key: str) -> None:
        _label(cell, lab[key], bold=shaded).alignment = WD_ALIGN_PARAGRAPH.CENTER
        cell.vertical_alignment = WD_ALIGN_VERTICAL.CENTER
        if shaded:
            _shade(cell, "E7E6E6")

    label(r[0].cells[0], "signer_name")
    fill.value(r[0].cells[1].paragraphs[0], "signer_name", w["signer_name"])
    label(r[0].cells[2], "signer_title")
    fill.value(r[0].cells[3].paragraphs[0], "signer_title", w["signer_title"])
    for i, key in enumerate(("affiliation", "work_email", "address"), 1):
        label(r[i].cells[0], key)
        fill.value(r[i].cells[1].merge(r[i].cells[3]).paragraphs[0], key, w[key])
    label(r[4].cells[0], "signature")
    fill.signature(r[4].cells[1].merge(r[4].cells[3]).paragraphs[0], width_mm=width * 0.4)
    r[4].height = Mm(26)
    r[4].height_rule = WD_ROW_HEIGHT_RULE.AT_LEAST
    label(r[5].cells[0], "date")
    fill.value(r[5].cells[1].merge(r[5].cells[3]).paragraphs[0], "date", w["date"])


def tabbed(doc: Any, spec: IndependentSpec, fill: _Filler, width: float) -> None:
    lab, w = spec.labels, spec.written
    glossed = "(" in lab["signer_name"]
    stop = Mm(width * (0.36 if glossed else 0.28))
    leader = WD_TAB_LEADER.DOTS if spec.seed % 3 == 0 else WD_TAB_LEADER.SPACES
    hanging = spec.seed % 2 == 0

    def line(key: str, *, lead: Any = leader) -> Any:
        par = doc.add_paragraph()
        fmt = par.paragraph_format
        fmt.tab_stops.add_tab_stop(stop, WD_TAB_ALIGNMENT.LEFT, lead)
        fmt.space_after = Pt(4)
        if hanging:
            fmt.left_indent, fmt.first_line_indent = stop, -stop
        par.add_run(f"{lab[key]}:\t")
        return par

    for key in VALUES:
        # a line break of the applicant's: the next line tabbed to the value's column too
        text = w[key] if hanging else w[key].replace("\n", "\n\t")
        fill.value(line(key), key, text)
    par = line("signature", lead=WD_TAB_LEADER.SPACES)
    par.paragraph_format.space_before = Pt(20)
    fill.signature(par, width_mm=width * 0.4, underline=True)
    par = line("date")
    par.paragraph_format.space_before = Pt(6)
    fill.value(par, "date", w["date"])


def hinted(doc: Any, spec: IndependentSpec, fill: _Filler, width: float) -> None:
    lab, w = spec.labels, spec.written
    rows = [*VALUES, "signature", "date"]
    table = doc.add_table(rows=len(rows), cols=2)
    table.style = "Table Grid"
    _widths(table, (0.36, 0.64), width)
    grey = spec.seed % 2 == 0
    centred = spec.seed % 3 != 0
    small = Pt(max(7.0, spec.font_size - 2.5))
    for row, key in zip(table.rows, rows, strict=True):
        label, hint = lab[key].split("\n")
        par = row.cells[0].paragraphs[0]
        first = par.add_run(label)
        first.bold = True
        first.add_break()
        second = par.add_run(hint)
        second.font.size = small
        if grey:
            second.italic = True
            second.font.color.rgb = RGBColor(90, 90, 90)
        if centred:
            row.cells[1].vertical_alignment = WD_ALIGN_VERTICAL.CENTER
        value = row.cells[1].paragraphs[0]
        if key == "signature":
            fill.signature(value, width_mm=width * 0.4)
            row.height = Mm(24)
            row.height_rule = WD_ROW_HEIGHT_RULE.AT_LEAST
        else:
            fill.value(value, key, w[key])


TABLES = {"chinese": chinese, "tabbed": tabbed, "hinted": hinted}
