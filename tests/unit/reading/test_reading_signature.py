"""The Signature cell of a page image: found by its rules, its ink judged (no OCR here).

The page is drawn like the official table's last row (300 dpi): the label cell, the signature
cell, the Date label's cell, the date's cell, and a caption under the table."""

from __future__ import annotations

import math
import random
from dataclasses import replace

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from licensebot.reading.blank_form import find_font
from licensebot.reading.facts import Found, PageSignature, settle_page_signature, typed_or_hand
from licensebot.reading.grid import Cell as GridCell
from licensebot.reading.grid import Grid
from licensebot.reading.layout import Label, Word, print_height
from licensebot.reading.limits import ReadLimits
from licensebot.reading.regions import ValueRegion
from licensebot.reading.signature import (
    LABEL_OVER_PRINT,
    SignatureInk,
    Stroke,
    cursive,
    find_cell,
    legs,
    measure,
    ring_line,
    seal_around,
    strokes_of,
    text_height,
    verdict,
)

ROW = (100, 380)  # the row's rules, y
COLS = (60, 380, 1200, 1400, 2000)  # the column rules, x
U = 38  # the label's height in pixels (9 pt at 300 dpi)


def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(find_font("DejaVuSans.ttf")), size)


def _cjk_font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(find_font("wqy-microhei.ttc")), size, index=0)


def _word(text: str, x0: float, top: float, x1: float, conf: float = 0.96) -> Word:
    return Word(text, x0, top, x1, top + U, conf=conf)


def _page(date_words: tuple[str, ...] = ("Date",)) -> tuple[Image.Image, Label, Label]:
    img = Image.new("L", (2100, 600), 242)
    d = ImageDraw.Draw(img)
    for y in ROW:
        d.line([(COLS[0], y), (COLS[-1], y)], fill=30, width=3)
    for x in COLS:
        d.line([(x, ROW[0]), (x, ROW[1])], fill=30, width=3)
    d.text((80, 222), "Signature", font=_font(34), fill=30)
    d.text((1220, 222), "Date", font=_font(34), fill=30)
    # the caption under the table, inside the old box's reach
    d.text(
        (60, 420),
        "Students / employees the signer signs for (may be left empty)",
        font=_font(34),
        fill=30,
    )
    sig = Label("signature", [_word("Signature", 80, 222, 250)], 1.0)
    words = [
        _word(t, 1220 - 200 * (len(date_words) - 1 - i), 222, 1300)
        for i, t in enumerate(date_words)
    ]
    date = Label("date", words, 1.0)
    return img, sig, date


def _scrawl(img: Image.Image, rng: random.Random, box: tuple[int, int, int, int]) -> None:
    """Loops across the cell, like the factory's `_scribble`."""
    x0, y0, x1, y1 = box
    d = ImageDraw.Draw(img)
    pts = []
    for i in range(120):
        t = i / 119
        x = x0 + (x1 - x0) * (0.15 + 0.6 * t)
        y = (y0 + y1) / 2 + (y1 - y0) * 0.32 * math.sin(t * 6 * math.pi + rng.uniform(0, 0.3))
        pts.append((x, y))
    d.line(pts, fill=35, width=5, joint="curve")


def _fallback(sig: Label, date: Label) -> tuple[float, float, float, float]:
    """The box from the labels alone (the reader's `_signature_box`): past the row's rules."""
    return (sig.x0 - U, sig.top - 5 * U, date.x0 - 8, sig.bottom + 6 * U)


def test_the_cell_is_found_by_its_rules() -> None:
    img, sig, date = _page()
    box = find_cell(np.asarray(img), sig, [sig, date], _fallback(sig, date))
    assert box[0] == pytest.approx(COLS[0], abs=3)
    assert box[2] == pytest.approx(COLS[2], abs=3)
    assert box[1] == pytest.approx(ROW[0], abs=3)
    assert box[3] == pytest.approx(ROW[1], abs=3)


def test_a_label_row_below_the_signature_ends_its_cell_with_no_rule_between() -> None:
    """A tabbed form: `Signature:` on one line, `Date: 2025 年 7 月 18 日` on the next, and
    the members' table's top rule under both: the cell ends above the Date row, not at that
    rule (the date's characters had been measured as a hand, and an unsigned form called
    signed)."""
    img = Image.new("L", (2100, 900), 242)
    d = ImageDraw.Draw(img)
    d.text((80, 222), "Signature:", font=_font(34), fill=30)
    d.text((80, 330), "Date:", font=_font(34), fill=30)
    d.text((420, 322), "2025 年 7 月 18 日", font=_cjk_font(44), fill=30)
    d.line([(60, 520), (2000, 520)], fill=30, width=3)
    sig = Label("signature", [_word("Signature:", 80, 222, 270)], 1.0)
    date = Label("date", [_word("Date:", 80, 330, 180)], 1.0)
    fallback = (sig.x0 - U, sig.top - 2 * U, 2000.0, sig.bottom + 6 * U)
    box = find_cell(np.asarray(img), sig, [sig, date], fallback)
    assert sig.bottom < box[3] <= date.top
    assert measure(img, sig, [sig, date], fallback).signed is not True


def test_an_underlined_rows_rule_above_another_label_is_not_the_signature_cells_top() -> None:
    """An underlined form: `Affiliation:` and its value's long underline run across the
    Signature row's span up to `Date:`, as a row rule would; between them stand `E-mail:` and
    `Address:` rows. The cell starts below the address, and an unsigned form is unsigned (the
    rows' letters had been measured as marks in the cell: unknown, a person looked)."""
    img = Image.new("L", (2100, 900), 242)
    d = ImageDraw.Draw(img)
    rows = (
        ("Affiliation:", 100, "College of Computer Science and Technology"),
        ("E-mail:", 190, "d.hughes@example.edu"),
        ("Address:", 280, "38 Zheda Road, Xihu"),
    )
    labels = []
    for text, y, value in rows:
        d.text((80, y), text, font=_font(34), fill=30)
        d.text((420, y), value, font=_font(34), fill=30)
        d.line([(420, y + 44), (420 + 26 * len(value), y + 44)], fill=30, width=3)
        labels.append(
            Label(text.lower().rstrip(":"), [_word(text, 80, y, 80 + 20 * len(text))], 1.0)
        )
    d.line([(20, 144), (1500, 144)], fill=30, width=3)  # the affiliation's underline, long
    d.text((80, 400), "Signed:", font=_font(34), fill=30)
    d.line([(240, 440), (900, 440)], fill=30, width=3)  # the signing line
    d.text((1000, 400), "Date:", font=_font(34), fill=30)
    sig = Label("signature", [_word("Signed:", 80, 400, 220)], 1.0)
    date = Label("date", [_word("Date:", 1000, 400, 1100)], 1.0)
    others = [*labels, sig, date]
    fallback = (sig.x1 + 10, sig.top - 1.5 * U, 980.0, sig.bottom + 0.3 * U)
    box = find_cell(np.asarray(img), sig, others, fallback)
    assert box[1] > labels[-1].bottom
    assert measure(img, sig, others, fallback).signed is False


def test_a_scrawl_is_signed() -> None:
    img, sig, date = _page()
    _scrawl(img, random.Random(1), (COLS[1], ROW[0], COLS[2], ROW[1]))
    got = measure(img, sig, [sig, date], _fallback(sig, date))
    assert got.signed is True and got.confidence > 0.8


def test_an_empty_cell_is_not_signed_whatever_lies_below_the_table() -> None:
    img, sig, date = _page()
    got = measure(img, sig, [sig, date], _fallback(sig, date))
    assert got.signed is False
    assert got.tall_ink == 0 and got.other_ink == 0


def test_a_typed_name_read_without_confidence_is_still_print() -> None:
    """`Ibáñez` read at 0.6 is not masked as a printed word; its letters sit on a line."""
    img, sig, date = _page()
    ImageDraw.Draw(img).text((420, 215), "Héctor Ibáñez", font=_font(44), fill=30)
    got = measure(img, sig, [sig, date], _fallback(sig, date))
    assert got.signed is False


def test_a_small_wave_broken_into_bumps_is_never_called_unsigned() -> None:
    """A photo's blur breaks a small wavy signature into bumps, each of a letter's size, their
    feet on the signing line: marks on a line, but each of its own height, as no print's
    letters are: a person looks (or a later pass finds the hand), never "not signed"."""
    img, sig, date = _page()
    d = ImageDraw.Draw(img)
    x = 430
    for height in (0.55, 0.8, 0.4, 0.65, 0.95, 0.5):  # label heights
        h, w = round(height * U), round(0.7 * U)
        d.arc([x, 260 - h, x + w, 260 + h], start=180, end=360, fill=40, width=3)
        x += w + 5
    got = measure(img, sig, [sig, date], _fallback(sig, date))
    assert got.signed is not False


def _faint_wave(img: Image.Image, rng: random.Random, dark: int = 95, light: int = 175) -> None:
    """A quick wave of a light pen, as a phone photo keeps it: a thin line of the paper's
    grey to mid-grey, dark enough to be ink only in stretches (a dash every so often), a
    text height from crest to trough."""
    d = ImageDraw.Draw(img)
    pts = [
        (430 + i * 2.0, 240 + 0.5 * U * math.sin(i / 11 + 0.4) + rng.uniform(-0.5, 0.5))
        for i in range(200)
    ]
    for k in range(len(pts) - 1):
        fill = dark if (k // 12) % 3 == 0 else light  # dashes of ink, the rest faint
        d.line([pts[k], pts[k + 1]], fill=fill, width=3)


def test_a_wave_of_the_pen_broken_into_dashes_is_signed() -> None:
    """A photo's blur leaves a light pen's wave as dashes of ink joined by lighter grey:
    each dash alone is a mark of print size; joined by the faint line between them, it is
    one pen line going up and down along the signing line."""
    img, sig, date = _page()
    _faint_wave(img, random.Random(5))
    cell = (COLS[1], ROW[0], COLS[2], ROW[1])
    got = measure(img, sig, [sig, date], _fallback(sig, date), cell=cell)
    assert got.signed is True
    # the same dashes without the faint line between them: a person looks
    img, sig, date = _page()
    _faint_wave(img, random.Random(5), light=242)
    assert measure(img, sig, [sig, date], _fallback(sig, date), cell=cell).signed is None


@pytest.mark.parametrize("font", ["DejaVuSans.ttf", "DejaVuSerif.ttf"])
def test_print_a_blur_joined_to_a_faint_underline_is_no_wave(font: str) -> None:
    """A typed name set large, its underline blurred lighter than ink: the letters' feet on
    the faint line would make one piece whose top edge goes up and down; a straight faint
    line is no pen's, and print's edge jumps from letter to letter."""
    img, sig, date = _page()
    d = ImageDraw.Draw(img)
    f = ImageFont.truetype(str(find_font(font)), 80)
    d.text((420, 200), "Oliver Hartley", font=f, fill=60)
    d.line([(415, 284), (420 + f.getlength("Oliver Hartley"), 284)], fill=60, width=3)
    img = img.filter(ImageFilter.GaussianBlur(2.5))
    cell = (COLS[1], ROW[0], COLS[2], ROW[1])
    assert measure(img, sig, [sig, date], _fallback(sig, date), cell=cell).signed is not True


def test_a_typed_word_whose_letters_run_together_is_no_wave() -> None:
    """`www` set tight is a zigzag of one piece; beside the rest of a line of print it is
    print all the same."""
    img, sig, date = _page()
    f = ImageFont.truetype(str(find_font("LiberationSans-Regular.ttf")), 55)
    ImageDraw.Draw(img).text((420, 210), "www.nnn.mmm", font=f, fill=30)
    cell = (COLS[1], ROW[0], COLS[2], ROW[1])
    assert measure(img, sig, [sig, date], _fallback(sig, date), cell=cell).signed is not True


def test_a_hand_drawn_line_is_no_wave() -> None:
    """A line drawn by hand under a typed name wavers by a pixel or two: it never turns."""
    img, sig, date = _page()
    rng = random.Random(6)
    pts = [(430 + i * 4.0, 262 + rng.uniform(-1.5, 1.5) + i * 0.02) for i in range(150)]
    ImageDraw.Draw(img).line(pts, fill=120, width=3)
    cell = (COLS[1], ROW[0], COLS[2], ROW[1])
    assert measure(img, sig, [sig, date], _fallback(sig, date), cell=cell).signed is not True


def test_legs_count_turns_of_a_trace_by_a_swing() -> None:
    assert legs(np.array([0, 5, 0, 5, 0], dtype=float), 4) == 4
    assert legs(np.array([0, 1, 0, 1, 0, 1], dtype=float), 4) == 0  # jitter
    assert legs(np.array([0, 2, 4, 6, 8], dtype=float), 4) == 1  # one rise


def test_a_name_typed_big_is_not_a_signature() -> None:
    img, sig, date = _page()
    ImageDraw.Draw(img).text((420, 150), "Ann Lee", font=_font(150), fill=30)
    got = measure(img, sig, [sig, date], _fallback(sig, date))
    assert got.signed is None


def test_a_short_name_typed_big_is_not_a_signature_either() -> None:
    img, sig, date = _page()
    ImageDraw.Draw(img).text((420, 150), "Li Na", font=_font(150), fill=30)
    got = measure(img, sig, [sig, date], _fallback(sig, date))
    assert got.signed is None


def test_a_neat_hand_with_a_few_tall_letters_among_small_ones_is_signed() -> None:
    # `Hannah Price` written neatly on a line: three pen strokes of signature height (H, h,
    # P) fit a baseline as any three points do, among letters of print size; big print is
    # big in every letter, or has a word's worth of big letters
    base = 100
    tall = [Stroke(x, base - 80, x + 50, base, 900) for x in (0, 260, 420)]
    small = [Stroke(x, base - 40, x + 30, base, 350) for x in (60, 110, 160, 210, 480, 530)]
    assert verdict(tall, small, [], U, 0.03, 0.005)[0] is True
    # the same three big letters and nothing smaller: a short name typed big
    assert verdict(tall, [], [], U, 0.03, 0.0)[0] is None
    # five or more letters of that size on one baseline: a name typed big, whatever else
    five = [Stroke(x, base - 80, x + 50, base, 900) for x in (0, 70, 140, 210, 280)]
    assert verdict(five, small, [], U, 0.05, 0.005)[0] is None


def test_a_scrawl_ocr_took_for_junk_before_the_date_label_still_counts() -> None:
    """OCR read the scrawl's end as `SNS` and joined it to the Date label (`SNS Date`): the
    cell still runs to the rule before `Date`, and the junk is not masked as label."""
    img, sig, _ = _page()
    _scrawl(img, random.Random(2), (COLS[1], ROW[0], COLS[2], ROW[1]))
    date = Label(
        "date", [_word("SNS", 700, 222, 900, conf=0.4), _word("Date", 1220, 222, 1300)], 0.9
    )
    got = measure(img, sig, [sig, date], (sig.x0 - U, sig.top - 5 * U, date.x0, sig.bottom + 6 * U))
    assert got.box[2] == pytest.approx(COLS[2], abs=3)
    assert got.signed is True


def test_another_labels_words_in_the_cell_are_print_however_unsure_ocr_was() -> None:
    """A crease bent the row rule above the Signature cell: the cell taken reaches into the
    Address row, whose label's `your` OCR read at 0.47. A label's word is print, never ink of
    the signer's: masked, the cell is empty. Junk OCR joined to a label is no label's word."""
    img, sig, date = _page()
    d = ImageDraw.Draw(img)
    d.text((520, 125), "your", font=_font(34), fill=30)
    d.line([(700, 330), (740, 330)], fill=30, width=4)  # a speck of the bent rule
    address = Label(
        "address",
        [
            _word("Address", 80, 125, 250),
            _word("of", 270, 125, 300),
            _word("your", 520, 125, 590, conf=0.47),
        ],
        1.0,
    )
    cell = (COLS[1], ROW[0], COLS[2], ROW[1])
    got = measure(img, sig, [sig, date, address], _fallback(sig, date), cell=cell)
    assert got.signed is False
    junk = Label(
        "address", [_word("Address", 80, 125, 250), _word("SNS", 520, 125, 590, conf=0.4)], 1.0
    )
    kept = measure(img, sig, [sig, date, junk], _fallback(sig, date), cell=cell)
    assert kept.signed is not False


def test_a_photo_with_uneven_light_and_a_keystone_is_read_the_same() -> None:
    for signed in (True, False):
        img, sig, date = _page()
        if signed:
            _scrawl(img, random.Random(3), (COLS[1], ROW[0], COLS[2], ROW[1]))
        # a slight keystone: the column rules lean
        w, h = img.size
        img = img.transform(
            (w, h),
            Image.Transform.AFFINE,
            (1, 0.012, 0, 0, 1, 0),
            Image.Resampling.BICUBIC,
            fillcolor=242,
        )
        img = img.filter(ImageFilter.GaussianBlur(0.8))
        noise = np.random.default_rng(4).normal(0, 5, (h, w))
        img = Image.fromarray(np.clip(np.asarray(img) + noise, 0, 255).astype(np.uint8))
        got = measure(img, sig, [sig, date], _fallback(sig, date))
        assert got.signed is signed


def test_a_little_ink_of_print_size_that_is_not_print_is_unknown() -> None:
    img, sig, date = _page()
    d = ImageDraw.Draw(img)
    for i, x in enumerate(range(450, 800, 60)):
        y = 230 + (25 if i % 2 else -10)
        d.ellipse([x, y, x + 30, y + 30], outline=30, width=4)
    got = measure(img, sig, [sig, date], _fallback(sig, date))
    assert got.signed is None


def test_strokes_are_connected_pieces() -> None:
    a = np.zeros((20, 30), dtype=bool)
    a[2:5, 2:10] = True
    a[5, 10] = True  # diagonal neighbour of the first piece
    a[12:18, 20:22] = True
    pieces = sorted((s.x0, s.y0, s.x1, s.y1, s.pixels) for s in strokes_of(a))
    assert pieces == [(2, 2, 10, 5, 25), (20, 12, 21, 17, 12)]


def _short_scrawl(img: Image.Image, height: float) -> None:
    """A quick signature no taller than `height` text heights: letters joined by the pen."""
    d = ImageDraw.Draw(img)
    mid = 240
    pts = [
        (420 + i * 3.0, mid + height * U / 2 * math.sin(i / 9) * (0.6 + 0.4 * math.cos(i / 23)))
        for i in range(160)
    ]
    d.line(pts, fill=35, width=4, joint="curve")


def test_a_signature_no_taller_than_a_capital_and_a_half_is_signed() -> None:
    """Signatures of other hands are often barely taller than print (1.3-1.8 text heights);
    the pen joins their letters into one long stroke, which print never is."""
    img, sig, date = _page()
    _short_scrawl(img, 1.4)
    got = measure(img, sig, [sig, date], _fallback(sig, date))
    assert got.signed is True


def test_a_label_box_a_speck_made_tall_is_measured_against_the_pages_print() -> None:
    """One label's box is one OCR word: a copier's speck joined to `Signature` made it twice
    the print's height, and a signature of a text height and a half then measured as print
    size (unknown). The page's print, many words, says how tall a text height is."""
    img, sig, date = _page()
    _short_scrawl(img, 1.4)
    tall = Label("signature", [Word("Signature", 80, 222 - U, 250, 222 + U, conf=0.9)], 1.0)
    print_words = [_word("Professor", 80 + 200 * i, 440, 250 + 200 * i) for i in range(24)]
    got = measure(img, tall, [tall], _fallback(sig, date), print_height=print_height(print_words))
    assert got.signed is True
    # a page of few words says nothing: the label's box stands
    assert print_height(print_words[:5]) is None
    assert text_height(tall, None) == 2 * U


def test_on_a_page_of_few_words_the_tables_other_labels_tell_the_print_height() -> None:
    """A photo's page of the table alone has too few words to tell its print's height; the
    `Signature` label's box, joined to the pen's wave above it, was twice the other labels'.
    The table's labels are set in one font: theirs is the text height."""
    img, sig, date = _page()
    _short_scrawl(img, 1.4)
    tall = Label("signature", [Word("Signature", 80, 222 - U, 250, 222 + U, conf=0.9)], 1.0)
    peers = [
        Label(k, [_word(k.title(), 80, 100 + 50 * i, 250)], 1.0)
        for i, k in enumerate(("signer_name", "signer_title", "affiliation"))
    ]
    assert text_height(tall, None, [tall, *peers]) == pytest.approx(LABEL_OVER_PRINT * U)
    got = measure(img, tall, [tall, date, *peers], _fallback(sig, date))
    assert got.signed is True
    # one other label says it too (the last row alone on its page: `Signed` and `Date:`);
    # labels of another page say nothing of this one
    assert text_height(tall, None, [tall, peers[0]]) == pytest.approx(LABEL_OVER_PRINT * U)
    overleaf = [Label(p.field, [replace(w, page=1) for w in p.words], 1.0) for p in peers]
    assert text_height(tall, None, [tall, *overleaf]) == 2 * U


def test_print_run_together_is_not_a_joined_hand() -> None:
    """A bold typed name whose letters a copier's bleed joined is dense, not a pen's line."""
    img, sig, date = _page()
    d = ImageDraw.Draw(img)
    d.rectangle((420, 215, 900, 255), fill=30)  # a bar as tall as the letters: no pen's line
    got = measure(img, sig, [sig, date], _fallback(sig, date))
    assert got.signed is not True


def _ring(img: Image.Image, fill: int | tuple[int, int, int]) -> None:
    d = ImageDraw.Draw(img)
    d.ellipse((560, 30, 860, 330), outline=fill, width=10)
    d.polygon([(710, 120), (740, 200), (680, 200)], fill=fill)


def test_a_seal_alone_copied_in_grey_is_not_a_signature() -> None:
    img, sig, date = _page()
    _ring(img, 90)
    got = measure(img, sig, [sig, date], _fallback(sig, date))
    assert got.signed is None  # a stamp and no hand: a person looks


def test_a_red_seal_is_seen_through_a_red_filter() -> None:
    from licensebot.reading.document import seal_free_gray

    gray, sig, date = _page()
    for signed in (False, True):
        img = gray.convert("RGB")
        if signed:
            _scrawl(img, random.Random(5), (COLS[1], ROW[0], COLS[2], ROW[1]))
        _ring(img, (205, 40, 45))
        got = measure(seal_free_gray(img), sig, [sig, date], _fallback(sig, date))
        assert got.signed is signed


def _name_in_the_cell(img: Image.Image, hand: bool) -> list[Word]:
    """`Elodie Garcon` in the signature cell: typed (one baseline), or written in a neat
    hand (a handwriting font, each letter a little off the line), and the words OCR would
    read there at print's confidence."""
    d = ImageDraw.Draw(img)
    x, base = 420.0, 270.0
    for i, ch in enumerate("Elodie Garcon"):
        font = ImageFont.truetype(str(find_font("dkg.ttf" if hand else "DejaVuSans.ttf")), 60)
        y = base + (12 * math.sin(1.3 * i) if hand else 0.0)  # a hand's line rises and falls
        d.text((x, y), ch, font=font, fill=30, anchor="ls")
        x += font.getlength(ch)
    return [
        Word("Elodie", 420, 220, 600, 285, conf=0.93, page=0),
        Word("Garcon", 640, 220, x, 285, conf=0.93, page=0),
    ]


@pytest.mark.parametrize(("hand", "signed"), [(True, None), (False, False)])
def test_a_legible_hand_read_as_words_is_never_called_unsigned(
    hand: bool, signed: bool | None
) -> None:
    # OCR reads a neat hand as words as surely as print: masked as print, the cell would be
    # empty; words off a straight baseline are not print, and a person looks
    img, sig, date = _page()
    words = _name_in_the_cell(img, hand)
    box = (float(COLS[1]), float(ROW[0]), float(COLS[2]), float(ROW[1]))
    cell = GridCell(*box)
    region = ValueRegion("signature", 0, box, "cell-right", 1, cell=cell)
    printed = [(w.x0, w.top, w.x1, w.bottom) for w in words]
    ps = PageSignature(sig, [sig, date], region, printed, SignatureInk(None, 0.0, box, 0, 0))
    ps.ink = ps.measure(img)
    assert ps.ink.signed is False  # the words masked, nothing is left
    assert typed_or_hand(img, ps, words, 0).signed is signed


def test_a_seals_own_star_and_characters_are_not_a_pen() -> None:
    # the seal's star and its characters are tall marks inside its ring: with no hand
    # outside the ring the cell is never signed (a seal alone, its inside as dark as ink)
    img, sig, date = _page()
    _ring(img, 60)
    d = ImageDraw.Draw(img)
    for i, x in enumerate((600, 640, 780, 810)):
        d.line([(x, 90 + 10 * i), (x + 12, 175)], fill=60, width=7)  # the ring's characters
    got = measure(img, sig, [sig, date], _fallback(sig, date))
    assert got.signed is not True
    assert got.seal


def _written(text: str, hand: bool) -> tuple[Image.Image, SignatureInk]:
    """`text` at print size in the signature cell, in a handwriting font or in print, and
    what `measure` leaves of it (the cell's ink after the masks, cut into strokes)."""
    img, sig, date = _page()
    d = ImageDraw.Draw(img)
    x = 420.0
    for i, ch in enumerate(text):
        # a hand's letters rise and fall and are not all of one size; print's are
        size = round(46 * (1 + 0.08 * math.sin(2.1 * i))) if hand else 46
        font = ImageFont.truetype(str(find_font("dkg.ttf" if hand else "DejaVuSans.ttf")), size)
        y = 270 + (5 * math.sin(1.3 * i) if hand else 0.0)
        d.text((x, y), ch, font=font, fill=30, anchor="ls")
        x += font.getlength(ch)
    ink = measure(img, sig, [sig, date], _fallback(sig, date))
    assert ink.signed is not True  # letters of print size: the geometry cannot tell
    return img, ink


def test_a_name_written_in_a_neat_hand_is_signed() -> None:
    from licensebot.reading.facts import written_by_hand
    from licensebot.reading.limits import ReadLimits

    img, ink = _written("Lucas Bennett", hand=True)
    assert written_by_hand(img, ink, U, ReadLimits())


@pytest.mark.parametrize("text", ["Lucas Bennett", "Anaïs Lefrançois", "Zhang Wei"])
def test_a_name_typed_at_print_size_is_never_written_by_hand(text: str) -> None:
    from licensebot.reading.facts import written_by_hand
    from licensebot.reading.limits import ReadLimits

    img, ink = _written(text, hand=False)
    assert not written_by_hand(img, ink, U, ReadLimits())


def test_joined_letters_taller_than_print_are_a_pens_and_print_sized_ones_are_not() -> None:
    # a neat hand's `Garçon`: one piece of ink 2.4 text heights wide, 1.5 tall, a pen's line
    u = 40.0
    assert cursive(Stroke(0, 0, 96, 60, 1373), u)
    # letters of print size bled together (1.2 text heights): no pen's
    assert not cursive(Stroke(0, 0, 96, 47, 1100), u)
    # a filled shape as big (a smudge, a thumb): no pen's line
    assert not cursive(Stroke(0, 0, 96, 60, 4000), u)


def test_a_scrawl_ocr_boxed_with_the_date_label_is_not_masked_as_print() -> None:
    """OCR read the scrawl's end and `Date:` as one word, `Date:`, boxed from the scrawl's
    middle: the box is far wider than four letters can be, and only where its letters reach
    is the label's print. Masked whole, the scrawl was gone and the form called unsigned."""
    img, sig, _ = _page()
    _scrawl(img, random.Random(2), (COLS[1], ROW[0], COLS[2], ROW[1]))
    date = Label("date", [_word("Date", 600, 222, 1300)], 1.0)
    got = measure(img, sig, [sig, date], (sig.x0 - U, sig.top - 5 * U, 600, sig.bottom + 6 * U))
    assert got.signed is True


def test_a_signature_under_the_label_in_its_own_cell_is_found_when_the_next_cell_is_empty() -> None:
    """A worn copier's streak down the Signature row, taken for a column rule, cut it in two:
    the cell right of the label's is empty, the wave stands under the label in its own cell.
    That cell is measured too, and the form is not called unsigned."""
    from licensebot.reading.facts import own_cell_instead

    img, sig, date = _page()
    label_cell = GridCell(COLS[0], ROW[0], COLS[1], ROW[1])
    right = GridCell(COLS[1], ROW[0], COLS[2], ROW[1])
    grid = Grid((), (label_cell, right), 300.0)
    d = ImageDraw.Draw(img)
    pts = [(90 + i * 1.7, 320 + 18 * math.sin(i / 8)) for i in range(150)]
    d.line(pts, fill=35, width=4, joint="curve")
    region = ValueRegion("signature", 0, right.box, "cell-right", None, cell=right)
    ps = PageSignature(sig, [sig, date], region, [], SignatureInk(None, 0.0, right.box, 0, 0))
    ps.ink = ps.measure(img)
    assert ps.ink.signed is False  # the right half alone
    assert own_cell_instead(img, ps, grid).ink.signed is True
    # both empty: unsigned it stays
    empty, sig, date = _page()
    ps = PageSignature(sig, [sig, date], region, [], SignatureInk(None, 0.0, right.box, 0, 0))
    ps.ink = ps.measure(empty)
    assert own_cell_instead(empty, ps, grid).ink.signed is False


def test_a_wave_the_chinese_model_reads_as_characters_stays_signed() -> None:
    """Pass 2 reads the Signature cell with Chinese (a typed Chinese name there is print):
    the Chinese model read a pen's long wave as `-一` at 0.75, one "word" ten heights wide.
    Two characters of print are two heights wide: that word is no print to mask, and the
    cell stays signed (masked, the wave was gone and the form went to review)."""
    img, sig, date = _page()
    ImageDraw.Draw(img).text((260, 222), "(签名)", font=_cjk_font(34), fill=30)
    _short_scrawl(img, 1.2)
    box = (float(COLS[1]), float(ROW[0]), float(COLS[2]), float(ROW[1]))
    region = ValueRegion("signature", 0, box, "cell-right", 1, cell=GridCell(*box))
    ps = PageSignature(sig, [sig, date], region, [], SignatureInk(None, 0.0, box, 0, 0))
    ps.ink = ps.measure(img)
    assert ps.ink.signed is True
    wave = Word("-一", 420, 240 - 0.6 * U, 900, 240 + 0.6 * U, conf=0.75)
    # the label's own `(签名)` beside it, read with it: two characters of print
    hint = Word("(签名", 260, 222, 370, 222 + U, conf=0.93)
    found = Found(signature_words=[hint, wave])
    settle_page_signature(ps, img, found, cell_read=True, limits=ReadLimits())
    assert found.signed is True
    # a typed Chinese name read there is print, masked: the cell holds nothing else
    img, sig, date = _page()
    ImageDraw.Draw(img).text((420, 218), "马俊杰", font=_cjk_font(40), fill=30)
    ps = PageSignature(sig, [sig, date], region, [], SignatureInk(None, 0.0, box, 0, 0))
    ps.ink = ps.measure(img)
    name = Word("马俊杰", 420, 218, 540, 262, conf=0.9)
    found = Found(signature_words=[name])
    settle_page_signature(ps, img, found, cell_read=True, limits=ReadLimits())
    assert found.signed is not True


def test_a_circle_through_lines_of_print_is_no_seals_ring() -> None:
    """A circle Hough fits through a block of print (a table's five lines of values and the
    wave under them) finds ink on every bearing, each at another radius; a seal's ring keeps
    its radius round the circle. The signed form had gone to a person as one with a seal."""
    rng = random.Random(3)
    ring = np.zeros((7, 72), dtype=bool)
    ring[3, :] = True
    ring[2, 10:30] = True  # a thick stretch of the ring
    assert ring_line(ring)
    print_ = np.zeros((7, 72), dtype=bool)
    for bearing in range(72):
        print_[rng.randrange(7), bearing] = True  # a letter here, a descender there
    assert not ring_line(print_)
    # on a page: lines of print with a signature's wave under them, and no seal (the photo
    # whose print fooled the circle test is tests/integration/reading/test_page_break_photos)
    img = Image.new("L", (2100, 900), 250)
    d = ImageDraw.Draw(img)
    for i, line in enumerate(
        (
            "Chief Technology Officer",
            "College of Computer Science and",
            "Technology, Zhejiang University",
            "lin.xiaofeng@zju.edu.cn",
            "38 Zheda Road, Xihu District,",
            "Hangzhou 310027, China",
        )
    ):
        d.text((420, 60 + 56 * i), line, font=_font(40), fill=40)
    d.line([(COLS[1], 410), (COLS[3], 410)], fill=60, width=3)
    wave = [(440 + i * 3.0, 470 + 0.6 * U * math.sin(i / 9)) for i in range(160)]
    d.line(wave, fill=35, width=4, joint="curve")
    box = (float(COLS[1]), 410.0, float(COLS[3]), 700.0)
    assert not seal_around(np.asarray(img), box, float(U))
    # a seal's ring there is one
    ring, _, _ = _page()
    _ring(ring, 90)
    assert seal_around(np.asarray(ring), (float(COLS[1]), 100.0, float(COLS[2]), 380.0), float(U))
