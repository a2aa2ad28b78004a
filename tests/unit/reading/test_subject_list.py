"""The subject list's lines read by the second engine (`reading.subject_list`)."""

from __future__ import annotations

import pytest
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from licensebot.reading.blank_form import find_font
from licensebot.reading.layout import Word
from licensebot.reading.subject_list import list_by_second_engine

pytest.importorskip("rapidocr_onnxruntime")

LINES = [
    "sub. 051, 055, 058, 069, 072, 073, 085, 086, 089, 097, 100,",
    "sub. 101, 102, 110, 115, 122, 131, 136, 137, 140, 141, 145, 150,",
    "sub. 153, 158, 160, 161, 165, 166, 167, 172, 177, 185, 186,",
]


def _page() -> tuple[Image.Image, list[Word]]:
    """The list as a soft photo gives it, and the words Tesseract read of it, `110, 115`
    among them lost (they still stand in the image)."""
    px = 30
    font = ImageFont.truetype(str(find_font("LiberationSerif-Regular.ttf")), px)
    img = Image.new("L", (2000, 400), 245)
    d = ImageDraw.Draw(img)
    words: list[Word] = []
    for i, line in enumerate(LINES):
        y, x = 60 + i * 1.6 * px, 80.0
        d.text((x, y), line, font=font, fill=40)
        for tok in line.split():
            w = font.getlength(tok)
            if tok not in ("110,", "115,"):
                words.append(Word(tok, x, y, x + w, y + px, 0.9))
            x += w + font.getlength(" ")
    return img.filter(ImageFilter.GaussianBlur(0.9)), words


def test_the_lines_of_the_list_are_read_whole_by_the_second_engine() -> None:
    img, words = _page()
    listed = list_by_second_engine(img, words)
    numbers = {t.strip(",.") for t in listed.split()}
    assert {"110", "115", "051", "186"} <= numbers
    assert listed.count("sub") == len(LINES)


def test_a_page_without_the_list_gives_nothing() -> None:
    img, words = _page()
    assert list_by_second_engine(img, words[:10]) == ""
