"""RapidOCR as a cell reader: what it reads from a printed cell, and how it is loaded."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from licensebot.reading import rapid
from licensebot.reading.blank_form import find_font
from licensebot.reading.clean import clean_email, clean_name, clean_text
from licensebot.reading.engines import CHINESE, joined
from licensebot.reading.rapid import RapidCellReader, line_bands, respace, tidy_rapid

pytest.importorskip("rapidocr_onnxruntime")


def cell(text: str, *, font: str = "DejaVuSans.ttf", px: int = 28) -> Image.Image:
    """A printed cell as a 200 dpi scan gives it: grey paper, soft edges, a little noise."""
    f = ImageFont.truetype(str(find_font(font)), px)
    lines = text.split("\n")
    w = round(max(f.getlength(line) for line in lines)) + 3 * px
    h = round(px * 1.3 * len(lines) + px)
    img = Image.new("L", (w, h), 242)
    draw = ImageDraw.Draw(img)
    for i, line in enumerate(lines):
        draw.text((px // 2, px // 2 + i * px * 1.3), line, font=f, fill=30)
    img = img.filter(ImageFilter.GaussianBlur(0.6))
    noise = np.random.default_rng(7).normal(0, 5, (h, w))
    return Image.fromarray(
        np.clip(np.asarray(img, dtype=np.float32) + noise, 0, 255).astype("uint8")
    )


def read(img: Image.Image, hint: str = "latin") -> str:
    got = joined(RapidCellReader().read_cell(img, lang_hint=hint))
    assert got is not None
    assert got.model == "rapid"
    return got.text


def test_a_printed_email_is_read_exactly() -> None:
    assert clean_email(read(cell("san.zhang@example.edu"))) == "san.zhang@example.edu"


def test_a_chinese_name_is_read_in_chinese() -> None:
    assert clean_name(read(cell("王小明", font="wqy-microhei.ttc"), CHINESE)) == "王小明"


def test_a_two_line_address_is_read_as_two_lines_in_order() -> None:
    img = cell("12 College Road,\nNorthfield NF1 2AB, UK")
    lines = RapidCellReader().read_cell(img)
    assert len(lines) == 2
    got = joined(lines)
    assert got is not None
    assert clean_text(got.text) == "12 College Road, Northfield NF1 2AB, UK"


def test_words_keep_their_spaces() -> None:
    # PP-OCR alone reads this `HillcrestUniversity`
    assert read(cell("Hillcrest University", px=21)) == "Hillcrest University"


def test_a_blank_cell_reads_nothing() -> None:
    assert RapidCellReader().read_cell(Image.new("L", (300, 60), 245)) == []


def test_the_engine_is_loaded_once() -> None:
    rapid.preload()
    first = rapid.engine()
    RapidCellReader().read_cell(cell("Dean"))
    rapid.preload()
    assert rapid.engine() is first
    assert rapid.loads == 1


def test_models_come_from_the_wheel() -> None:
    root = rapid.package_dir()
    for path in rapid.model_paths():
        assert path.is_file()
        assert root in path.parents
        assert "site-packages" in path.parts


NO_NETWORK = """
import socket, sys
def refuse(*a, **k):
    raise OSError("network access")
socket.socket.connect = refuse
socket.create_connection = refuse
socket.getaddrinfo = refuse
from PIL import Image, ImageDraw
from licensebot.reading import rapid
rapid.preload()
img = Image.new("L", (400, 60), 250)
ImageDraw.Draw(img).text((10, 15), "Professor", fill=0, font_size=28)
print(rapid.RapidCellReader().read_cell(img)[0].text)
"""


def test_loading_and_reading_need_no_network(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-c", NO_NETWORK], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "Professor"


ONE_THREAD = """
import os
from PIL import Image, ImageDraw
from licensebot.reading import rapid
def ticks():
    out = {}
    for t in os.listdir("/proc/self/task"):
        f = open(f"/proc/self/task/{t}/stat").read().rsplit(")", 1)[1].split()
        out[t] = int(f[11]) + int(f[12])
    return out
img = Image.new("L", (900, 140), 250)
d = ImageDraw.Draw(img)
d.text((10, 10), "12 College Road, Northfield", fill=0, font_size=30)
d.text((10, 70), "NF1 2AB, United Kingdom", fill=0, font_size=30)
reader = rapid.RapidCellReader()
reader.read_cell(img)
before = ticks()
for _ in range(12):
    reader.read_cell(img)
after = ticks()
busy = sorted((after[t] - before.get(t, 0) for t in after), reverse=True)
print(busy[0], sum(busy[1:]))
"""


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc")
def test_it_reads_on_one_thread() -> None:
    # ONNX Runtime's default starts a pool per core; all the work must be the caller's thread
    out = subprocess.run(
        [sys.executable, "-c", ONE_THREAD], capture_output=True, text=True, check=True
    )
    main, others = (int(v) for v in out.stdout.split())
    assert main > 0
    assert others <= max(2, main // 20)


def test_respace_puts_back_a_dropped_word_space() -> None:
    gray = np.full((20, 100), 250, dtype=np.uint8)
    for x0 in (5, 15, 25, 60, 70):  # letters 4 px apart, then a 27 px gap
        gray[4:16, x0 : x0 + 6] = 20
    text, probs = respace("abcde", [0.9] * 5, [0.08, 0.18, 0.28, 0.63, 0.73], gray)
    assert text == "abc de"
    assert len(probs) == len(text)


def test_respace_takes_the_paper_beside_a_digit_one_for_no_word_gap() -> None:
    # digits of one width, 3 px apart: `1` a 2 px stem with 7 px of paper either side
    gray = np.full((20, 100), 250, dtype=np.uint8)
    spans = [(5, 11), (14, 20), (23, 29), (32, 38), (41, 47), (54, 56), (63, 69)]
    for a, b in spans:
        gray[2:18, a:b] = 20
    xs = [(a + b) / 200 for a, b in spans]
    assert respace("2024010", [0.9] * 7, xs, gray)[0] == "2024010"
    # the same paper between letters is a word's gap
    assert respace("abcdeif", [0.9] * 7, xs, gray)[0] == "abcde i f"


def test_respace_leaves_chinese_alone() -> None:
    gray = np.full((20, 100), 250, dtype=np.uint8)
    gray[4:16, 5:15] = 20
    gray[4:16, 60:70] = 20
    assert respace("张三", [0.9, 0.9], [0.1, 0.65], gray)[0] == "张三"


def test_line_bands_keep_an_accent_with_its_line() -> None:
    img = cell("Álvaro Peña\nNorthfield", px=30)
    assert len(line_bands(np.asarray(img))) == 2


def test_the_second_engines_reading_joins_the_cells_readings() -> None:
    # what the vote weighs and the message may corroborate (`FieldValue.readings`)
    from licensebot.reading.cell_ocr import second_engine
    from licensebot.reading.cells import Cell

    page = Image.new("L", (900, 300), 255)
    page.paste(cell("Hillcrest University"), (120, 100))
    target = Cell("affiliation", (100, 80, 800, 200), pass1="Hillcrest Unlversity")
    second_engine(page, target, 1.0)
    assert [(r.text, r.model) for r in target.readings] == [("Hillcrest University", "rapid")]


def test_without_the_second_engine_the_cell_keeps_tesseracts_readings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from licensebot.reading import cell_ocr
    from licensebot.reading.cells import Cell

    class Missing:
        name = "rapid"

        def read_cell(self, crop: Image.Image, *, lang_hint: str = "latin") -> list[object]:
            raise rapid.RapidError("models missing from its wheel")

    monkeypatch.setattr(cell_ocr, "SECOND_ENGINE", Missing())
    target = Cell("affiliation", (0, 0, 100, 40))
    cell_ocr.second_engine(Image.new("L", (200, 100), 255), target, 1.0)
    assert target.readings == []


def test_a_rule_stub_at_a_lines_end_is_no_part_of_its_reading() -> None:
    # a cell's crop with the stubs of its side rules and of its bottom rule: the detector,
    # given a margin, boxes them as `[` and `一`; the value's reading is the date alone
    img = cell("21/08/2024", px=30)
    d = ImageDraw.Draw(img)
    d.line([(2, 0), (2, img.height - 1)], fill=20, width=3)
    d.line([(img.width - 24, img.height - 8), (img.width - 1, img.height - 8)], fill=20, width=3)
    readings = RapidCellReader().read_cell(img)
    assert [r.text for r in readings] == ["21/08/2024"]
    assert readings[0].confidence > 0.9


def test_a_line_touching_the_crops_edge_is_read() -> None:
    # a two-line value whose first line sits at the crop's very top (a tight cell crop):
    # the detector loses a line that touches the edge unless the crop is given a margin
    img = cell("Huazhong University of Science\nand Technology", px=30)
    img = img.crop((0, 12, img.width, img.height))
    got = [r.text for r in RapidCellReader().read_cell(img)]
    assert got == ["Huazhong University of Science", "and Technology"]


def test_a_two_line_value_broken_after_its_hyphen_is_one_word_again() -> None:
    img = cell("Institute for Human-\nCentred Computing")
    assert read(img) == "Institute for Human-Centred Computing"


def test_full_width_marks_in_latin_print_are_ascii_and_chinese_keeps_its_own() -> None:
    assert (
        tidy_rapid("Innovation Parkway， Northgate（East）")
        == "Innovation Parkway, Northgate(East)"
    )
    assert tidy_rapid("北京市，海淀区") == "北京市，海淀区"


def test_print_at_a_closed_side_of_its_crop_is_no_value_the_crop_cut() -> None:
    # `Address: Arcisstrasse 21, ...`: the crop starts where the label ends, the print with it
    from licensebot.reading.cell_ocr import second_engine
    from licensebot.reading.cells import Cell

    img = cell("Arcisstrasse 21, 80333 Munchen, Germany")
    img = img.crop((12, 0, img.width, img.height))  # the print at the crop's left edge
    after_label = Cell("address", (0, 0, img.width, img.height), ruled=(True, False))
    second_engine(img, after_label, 1.0)
    open_side = Cell("address", (0, 0, img.width, img.height), ruled=(False, False))
    second_engine(img, open_side, 1.0)
    (closed,), (opened,) = after_label.readings, open_side.readings
    assert "Germany" in closed.text and not closed.edged
    assert opened.edged  # the same print at an open side may go on beyond the crop


def piece(text: str, x0: float, x1: float, top: float = 0, bottom: float = 40, p: float = 0.99):
    """A box the detector found and the recogniser read (every letter at probability `p`)."""
    return (top, bottom, x0, x1, text, [p] * len(text))


def test_a_speck_read_as_a_row_of_its_own_is_no_line_of_the_value() -> None:
    value = piece("Bluepeak Vision Technologies (Shenzhen) Co., Ltd.", 30, 1110)
    speck = piece("减", 250, 264, top=42, bottom=56, p=0.62)
    lines = rapid.lines_of([value, speck], 1480)
    assert [r.text for r in lines] == ["Bluepeak Vision Technologies (Shenzhen) Co., Ltd."]


def test_a_lone_letter_as_tall_as_print_on_a_row_of_its_own_is_a_speck_if_unsure() -> None:
    # a copier's streak beside the value, as tall as its line, read as a row of its own
    value = piece("Full Professor", 30, 400)
    streak = piece("券", 470, 500, top=45, bottom=85, p=0.12)
    assert [r.text for r in rapid.lines_of([value, streak], 900)] == ["Full Professor"]
    # one Chinese character among Latin lines, however sure: no line of a Latin value
    sure = piece("券", 470, 500, top=45, bottom=85, p=0.95)
    assert [r.text for r in rapid.lines_of([value, sure], 900)] == ["Full Professor"]
    # a sure letter of its own line stays (the building's `B` under an address's line)
    letter = piece("B", 30, 60, top=45, bottom=85)
    assert [r.text for r in rapid.lines_of([value, letter], 900)] == ["Full Professor", "B"]
    # and a Chinese value's one-character line is its own
    name = piece("欧阳", 30, 120)
    given = piece("娜", 30, 70, top=45, bottom=85, p=0.95)
    assert [r.text for r in rapid.lines_of([name, given], 900)] == ["欧阳", "娜"]


def test_a_short_second_line_of_print_is_kept() -> None:
    first = piece("Floor 18, Tower B, 3388 Keyuan South Road,", 20, 977)
    second = piece("Nanshan District, Shenzhen 518057, China", 26, 942, top=49, bottom=89)
    last = piece("UK", 26, 80, top=95, bottom=135)  # as tall as print: a line, however short
    lines = rapid.lines_of([first, second, last], 1474)
    assert [r.text for r in lines][-1] == "UK"
    assert len(lines) == 3


def test_an_unsure_lone_letter_before_the_value_is_a_speck() -> None:
    line = piece("I 38 Zheda Road, Xihu District,", 2, 705)
    probs = [0.59, 0.8] + [1.0] * (len(line[4]) - 2)
    (got,) = rapid.lines_of([(*line[:5], probs)], 1576)
    assert got.text == "38 Zheda Road, Xihu District,"


def test_a_sure_lone_letter_of_the_value_stays() -> None:
    (got,) = rapid.lines_of([piece("Tower B", 10, 200)], 400)
    assert got.text == "Tower B"


def test_a_chinese_character_beside_latin_words_is_a_speck_and_chinese_text_keeps_its_own() -> None:
    (latin,) = rapid.lines_of([piece("Co., Ltd. 减", 10, 300)], 400)
    assert latin.text == "Co., Ltd."
    (chinese,) = rapid.lines_of([piece("海淀区 北京", 10, 300)], 400)
    assert chinese.text == "海淀区 北京"


def test_a_rules_stem_at_the_crops_edge_is_no_letter_of_the_value() -> None:
    # the cell's column rule left in its crop, read `I` before the value's first word
    (got,) = rapid.lines_of([piece("I Department of Computing", -3, 900)], 1612)
    assert got.text == "Department of Computing"
    (right,) = rapid.lines_of([piece("Hongshan District |", 10, 1608)], 1612)
    assert right.text == "Hongshan District"
    # a value's own first letter, clear of the edge, stays
    (kept,) = rapid.lines_of([piece("I Department of Computing", 60, 900)], 1612)
    assert kept.text == "I Department of Computing"
