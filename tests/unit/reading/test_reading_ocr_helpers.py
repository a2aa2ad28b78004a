"""The per-field OCR pass's pure parts: edge clearing, and when two readings agree."""

import threading
from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from licensebot.core.form import Reading
from licensebot.reading import ocr
from licensebot.reading.blank_form import find_font
from licensebot.reading.cell_ocr import near_by_accents, trim_junk
from licensebot.reading.clean import clean_date, clean_text, cut_short
from licensebot.reading.layout import Word, join_words
from licensebot.reading.ocr import OcrError, clear_edges, erase_leaders, preload, true_runs
from licensebot.reading.vote import accented, edged, plausible_name, vote


def test_ink_reaching_in_from_an_edge_goes_and_the_value_stays() -> None:
    img = Image.new("L", (400, 80), 255)
    draw = ImageDraw.Draw(img)
    draw.line([(0, 70), (30, 30), (45, 25)], fill=0, width=4)  # a stroke from the next cell
    draw.rectangle([100, 25, 160, 55], fill=0)  # the value, clear of the edges
    out = np.asarray(clear_edges(img)) < 170
    assert not out[:, :60].any()
    assert out[30:50, 110:150].all()


def test_a_crop_without_edge_ink_is_left_alone() -> None:
    img = Image.new("L", (200, 60), 255)
    ImageDraw.Draw(img).rectangle([50, 20, 120, 40], fill=0)
    assert np.array_equal(np.asarray(clear_edges(img)), np.asarray(img))


@pytest.mark.parametrize(
    ("latin", "other"),
    [
        ("Søren Nørgaard", "Sgren Norgaard"),
        ("Jürgen Groß", "Jurgen Gro&"),
        ("José García", "José Garcia"),
        ("Héctor Ibáñez", "Héctor Ibanez"),
    ],
)
def test_a_reading_that_differs_only_at_its_accents_agrees(latin: str, other: str) -> None:
    assert accented(latin, other)


@pytest.mark.parametrize(
    ("latin", "other"),
    [
        ("Søren Nørgaard", "Karen Norgaard"),  # a plain letter differs
        ("Jürgen Groß", "Jurgen Grosse"),  # a letter more at a plain letter
        ("Smith", "Smyth"),
        ("øren Nørgaard", "Sgren Norgaard"),  # its first letter cut away
        ("Søren Nørgaard", None),
    ],
)
def test_a_reading_that_differs_at_plain_letters_does_not(latin: str, other: str | None) -> None:
    assert not accented(latin, other)


def test_a_value_with_a_speck_beside_it_agrees_but_a_cut_one_does_not() -> None:
    assert edged("liu.yang@westmoor.edu", "liu.yang@westmoor.edu j")
    assert edged("2025/06/29", "7 2025/06/29")
    assert not edged("2025/06/2", "_72025/06/29")  # the crop lost a digit: never a date
    assert not edged("smith@x.edu", "j.smith@x.edu")  # the edge clearing cut a letter
    assert not edged("2025/06/29", "1234 2025/06/29")


def test_two_letters_are_no_latin_name_but_chinese_characters_are() -> None:
    assert not plausible_name("RH")
    assert plausible_name("Li Bo")
    assert plausible_name("吴敏")


def test_junk_at_the_edges_of_a_date_or_a_text_is_no_part_of_it() -> None:
    assert clean_date("_/2025/06/29") == "2025-06-29"
    assert clean_date("2025/06/29/") == "2025-06-29"
    assert (
        clean_text('"400 Lake Avenue, Eastlake, CA 94000') == "400 Lake Avenue, Eastlake, CA 94000"
    )


_ADDR = "30 Shuangqing Road, Haidian, Beijing"
_MISREAD = "30 Shuangging Road, Haidian, Beijing"


@pytest.mark.parametrize(
    ("readings", "value"),
    [
        # two models agree, the third's dissent is weak: the print was read
        ([(_ADDR, 0.89), (_MISREAD, 0.28), (_ADDR, 0.71)], _ADDR),
        # more readings for it, and its surest clearly surer than the dissent
        ([(_MISREAD, 0.77), (_ADDR, 0.87), (_ADDR, 0.42)], _ADDR),
        # a sure dissent as strong as the agreement: not sure at all
        ([(_MISREAD, 0.85), (_MISREAD, 0.85), (_ADDR, 0.82)], None),
        # agreement, but nobody sure
        ([(_MISREAD, 0.66), (_MISREAD, 0.43)], None),
        # one reading is no vote
        ([(_ADDR, 0.99)], None),
        # readings of a crop that cut the value agree on the cut, so they cannot vote
        ([("on@hillcrest.ac.uk", 0.95, True), ("on@hillcrest.ac.uk", 0.9, True)], None),
        # an email its cleaning cut out of the reading (`|.` for `l.`) is no reading of it
        ([("|.wilson@lab.org", 0.85, False, "eng"), ("|.wilson@lab.org", 0.83, False, "x")], None),
        # accents dropped by the English model are no dissent; a "name" of two letters neither
        ([("Jürgen Groß", 0.9), ("Jurgen Gro&", 0.9), ("Jürgen Groß", 0.6)], "Jürgen Groß"),
    ],
)
def test_a_vote_needs_two_agreeing_readings_one_sure_and_no_weighty_dissent(
    readings: list[tuple[Any, ...]], value: str | None
) -> None:
    key = "signer_name" if "Gro" in readings[0][0] else "address"
    if "@" in readings[0][0]:
        key = "work_email"
    voted = vote(key, [Reading(*r) for r in readings])
    assert (voted.value if voted else None) == value


def test_a_chinese_name_wins_over_a_two_letter_misreading() -> None:
    readings = [("RR", 0.83), ("RR", 0.58), ("赵磊", 0.80), ("赵磊", 0.59)]
    voted = vote("signer_name", [Reading(*r) for r in readings])
    assert voted is not None and voted.value == "赵磊"


def test_every_model_agreeing_needs_a_little_less_sureness_but_one_model_twice_does_not() -> None:
    agree = [Reading(_ADDR, 0.2, model="eng"), Reading(_ADDR, 0.734, model="Latin")]
    voted = vote("address", agree)
    assert voted is not None and voted.value == _ADDR
    same_model = [Reading(_ADDR, 0.2, model="eng"), Reading(_ADDR, 0.734, model="eng")]
    assert vote("address", same_model) is None
    dissent = [*agree, Reading(_MISREAD, 0.3, model="eng")]
    assert vote("address", dissent) is None


def test_a_lone_lower_case_letter_after_a_value_is_a_speck() -> None:
    words = [Word("Northfield", 0, 0, 90, 20, 0.96), Word("University", 100, 0, 190, 20, 0.96)]
    speck = Word("j", 230, 0, 236, 20, 0.93)
    assert [w.text for w in trim_junk([*words, speck])] == ["Northfield", "University"]
    assert [w.text for w in trim_junk([Word("Block", 0, 0, 50, 20), Word("C", 60, 0, 70, 20)])] == [
        "Block",
        "C",
    ]


def test_a_letter_standing_apart_from_the_value_on_its_line_is_a_speck() -> None:
    # a worn copier's grain after the value, read as a capital with some confidence
    words = [Word("Science", 0, 0, 90, 20, 0.96), Word("Technology", 100, 0, 220, 20, 0.96)]
    speck = Word("Š", 300, 0, 312, 20, 0.73)
    assert [w.text for w in trim_junk([*words, speck])] == ["Science", "Technology"]
    assert [w.text for w in trim_junk([Word("Š", -80, 0, -68, 20, 0.8), *words])] == [
        "Science",
        "Technology",
    ]
    # a letter a word's gap away is the value's; one on the next line is not "apart"
    near = Word("B", 228, 0, 240, 20, 0.9)
    assert [w.text for w in trim_junk([*words, near])] == ["Science", "Technology", "B"]
    below = Word("B", 0, 30, 12, 50, 0.9)
    assert [w.text for w in trim_junk([*words, below])] == ["Science", "Technology", "B"]


def test_a_missing_model_is_named_and_the_others_still_load(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ocr, "_engines", {})  # a process that has loaded none yet
    with pytest.raises(OcrError, match="klingon"):
        preload(("klingon", "eng"), body=("eng",))
    assert sorted(ocr._engines) == [("body", "eng", ()), ("main", "eng", ())]


def test_the_body_pages_thread_reads_with_engines_of_its_own() -> None:
    # two threads never share a Tesseract engine: the body pages' worker has its lane
    img = Image.new("L", (400, 80), 255)
    ImageDraw.Draw(img).text((10, 30), "licence agreement", fill=0)
    seen: dict[str, object] = {}

    def run() -> None:
        seen["words"] = ocr.tesseract_words(img, lang="eng", psm=7, lane=ocr.BODY)

    t = threading.Thread(target=run)
    t.start()
    t.join()
    assert ocr._engine("eng", lane=ocr.BODY) is not ocr._engine("eng")
    assert isinstance(seen["words"], list)


def test_true_runs_are_half_open_and_reach_both_ends() -> None:
    assert true_runs(np.array([], dtype=bool)) == []
    assert true_runs(np.array([1, 1, 0, 0, 1, 0, 1, 1, 1])) == [(0, 2), (4, 5), (6, 9)]
    assert true_runs(np.zeros(5, dtype=bool)) == []


def test_a_value_broken_after_a_hyphen_at_its_lines_end_is_joined_again() -> None:
    first = [Word("Human-", 10, 0, 70, 12), Word("Centred", 10, 16, 80, 28)]
    assert join_words([*first, Word("AI", 85, 16, 100, 28)]) == "Human-Centred AI"
    # a dash between words, and digits before a hyphen, are left as they are
    assert (
        join_words([Word("Lab", 0, 0, 30, 12), Word("-", 32, 0, 36, 12), Word("B", 40, 0, 50, 12)])
        == "Lab - B"
    )
    assert join_words([Word("2024-", 0, 0, 50, 12), Word("11", 0, 16, 20, 28)]) == "2024- 11"


def test_a_reading_that_stops_where_its_value_goes_on_is_cut_short() -> None:
    assert cut_short("1037 Luoyu Road, Hongshan District,")
    assert cut_short("Institute for Human- ")
    assert not cut_short("1037 Luoyu Road, Hongshan District, Wuhan 430074, China")
    assert not cut_short(None)
    # a second line the reader did not take: the first stops on a word that joins the next
    assert cut_short("Department of Computing and Information Systems, University of")
    assert cut_short("Laboratoire d'Informatique et de")
    assert not cut_short("Universidad Politécnica de Madrid")
    assert not cut_short("of")  # a one-word reading is no value's first line


def test_a_full_resolution_reading_stands_over_the_english_pass_only_by_its_accents() -> None:
    assert near_by_accents("Pena", "Peña")
    assert near_by_accents("Pefia", "Peña")  # `ñ` is no letter of the English model's
    assert near_by_accents("Miiller", "Müller")
    # a photo's soft `f` read `t` by one pass: two readings, not an accent
    assert not near_by_accents("Full Professor", "Full Protessor")
    assert not near_by_accents(None, "Peña")


def test_the_rule_eraser_takes_a_grey_pages_darker_stretch_for_paper_not_a_rule() -> None:
    # a scanner app's page: grey paper that darkens to 150 in the middle, words on it, and
    # the cell's bottom rule; the rule goes, every letter's stroke stays
    w, h = 900, 120
    ramp = 185 - 35 * np.exp(-(((np.arange(w) - 450) / 150.0) ** 2))
    img = Image.fromarray(np.tile(ramp, (h, 1)).astype("uint8"))
    draw = ImageDraw.Draw(img)
    for x in range(60, 840, 40):
        draw.rectangle([x, 30, x + 6, 80], fill=60)  # the letters' stems, on light and dark grey
    draw.line([(0, 110), (w, 110)], fill=40, width=3)  # the cell's rule
    out = np.asarray(ocr.erase_rules(img, length=60))
    assert (out[109:112] == 255).mean() > 0.9  # the rule is gone
    for x in range(60, 840, 40):
        assert (out[30:80, x + 1 : x + 6] < 100).all(), x  # every stem is where it was


def test_a_dot_leader_is_erased_and_the_values_own_periods_stay() -> None:
    """`Name:` and a tab's dot leader up to the value: Tesseract read the dots as a long junk
    word joined to the value (`Baseessessress... LOMÁŠ`). The dots go; a period inside the
    value (`t.dvorak`), or after a word (`Co., Ltd.`), comes after a letter, at more than the
    leader's step, and stays."""
    font = ImageFont.truetype(str(find_font("DejaVuSans.ttf")), 42)
    img = Image.new("L", (1500, 90), 250)
    d = ImageDraw.Draw(img)
    d.text((10, 20), "E-mail:", font=font, fill=20)
    for k in range(40):  # the leader: a dot every 12 pixels on the baseline
        x = 170 + 12 * k
        d.ellipse([x, 58, x + 4, 62], fill=30)
    d.text((660, 20), "t.dvorak@x.cn Co., Ltd.", font=font, fill=20)
    before = np.asarray(img) < 170
    after = np.asarray(erase_leaders(img)) < 170
    assert not after[:, 165:655].any()  # every dot of the leader
    assert (after[:, 655:] == before[:, 655:]).all()  # the value untouched, its periods too
    # the label stays (its colon's lower dot may go with the leader)
    assert after[:, :160].sum() > 0.9 * before[:, :160].sum()
    # a value with no leader is left as it is
    plain = Image.new("L", (900, 90), 250)
    ImageDraw.Draw(plain).text((10, 20), "a.b.c.d.e.f.g.h@x.cn", font=font, fill=20)
    assert (np.asarray(erase_leaders(plain)) == np.asarray(plain)).all()


def _line(text: str, lift: dict[int, int] | None = None) -> Image.Image:
    """`text` printed letter by letter on one baseline, letter i raised by `lift[i]` px."""
    font = ImageFont.truetype(str(find_font("DejaVuSans.ttf")), 40)
    img = Image.new("L", (40 + round(font.getlength(text)) + 10 * len(text), 90), 255)
    draw = ImageDraw.Draw(img)
    x = 20.0
    for i, ch in enumerate(text):
        draw.text((x, 15 - (lift or {}).get(i, 0)), ch, font=font, fill=0)
        x += font.getlength(ch) + 4
    return img


def test_a_blot_under_a_printed_letter_does_not_make_the_line_handwriting() -> None:
    img = _line("28 April 2025")
    assert ocr.baseline_wobble(img) == pytest.approx(0.0, abs=0.02)
    # a worn copier's blot joined to the last digit's foot, reaching well below the line
    ImageDraw.Draw(img).rectangle([img.width - 45, 50, img.width - 28, 80], fill=90)
    wobble = ocr.baseline_wobble(img)
    assert wobble is not None and wobble <= 0.02


def test_letters_each_off_the_line_are_still_handwriting() -> None:
    lifts = {i: (7 if i % 3 == 0 else -6 if i % 3 == 1 else 0) for i in range(13)}
    wobble = ocr.baseline_wobble(_line("Helen Baker's", lifts))
    assert wobble is not None and wobble > 0.06


def _soft_cell(rng: np.random.Generator) -> Image.Image:
    """A cell cut with its rules from a phone photo: paper at 230, the rules a soft grey
    (120-180) broken every few pixels, the value's print dark, a `g` whose tail reaches the
    bottom rule."""
    img = Image.new("L", (900, 90), 230)
    d = ImageDraw.Draw(img)
    d.text(
        (30, 20),
        "Huazhong Technology",
        font=ImageFont.truetype(str(find_font("DejaVuSans.ttf")), 40),
        fill=60,
    )
    a = np.asarray(img).copy()
    for rows in (slice(2, 4), slice(84, 86)):
        grey = rng.integers(120, 181, size=a[rows].shape)
        grey[:, rng.random(a.shape[1]) < 0.05] = 205  # broken: no run of ink is long
        a[rows] = np.minimum(a[rows], grey)
    for cols in (slice(3, 5), slice(894, 896)):
        a[:, cols] = np.minimum(a[:, cols], rng.integers(120, 181, size=a[:, cols].shape))
    return Image.fromarray(a.astype(np.uint8))


def test_a_photos_soft_rules_along_a_crops_edges_are_erased_and_the_print_kept() -> None:
    img = _soft_cell(np.random.default_rng(3))
    before = np.asarray(img)
    out = np.asarray(ocr.erase_rules(img, length=60, soft=True))
    # the rules: nothing darker than the paper's grain is left along the edges
    for band in (out[1:5], out[83:87], out[:, 2:6], out[:, 893:897]):
        assert (band < 200).mean() < 0.02
    # the print: every pixel of its strokes' cores where it was
    core = before < 100
    core[:6] = core[80:] = False
    assert (out[core] < 100).all()


def test_a_tail_of_print_that_reaches_a_soft_rule_keeps_its_grey() -> None:
    """A coarse scan's comma: its tail comes down into the soft rule under it, its edge
    grey. A stroke's dark core and the grey beside it are the stroke's: cut, the comma reads
    as a period."""
    img = _soft_cell(np.random.default_rng(5))
    a = np.asarray(img).copy()
    a[60:84, 600:604] = 60  # the comma's body, dark, down to the rule
    a[84:86, 600:604] = 160  # its tail's grey edge, in the rule
    out = np.asarray(ocr.erase_rules(Image.fromarray(a), length=60, soft=True))
    assert (out[84:86, 600:604] < 200).all()
    # the rule itself, away from the tail, goes
    assert (out[83:87, 100:500] < 200).mean() < 0.02


def test_print_across_a_whole_crop_is_no_rule() -> None:
    # a value's line of print: fainter edges, but no band of it covers the crop's width
    img = Image.new("L", (420, 80), 230)
    ImageDraw.Draw(img).text(
        (4, 20),
        "Technology",
        font=ImageFont.truetype(str(find_font("DejaVuSans.ttf")), 72),
        fill=60,
    )
    before = np.asarray(img)
    out = np.asarray(ocr.erase_rules(img, length=60, soft=True))
    assert ((before < 100) == (out < 100)).all()
    # and a crop on an underline (`soft=False`) is left to the runs of ink alone
    soft_cell = _soft_cell(np.random.default_rng(3))
    kept = np.asarray(ocr.erase_rules(soft_cell, length=60, soft=False))
    assert (kept[84:86, 100:500] < 200).mean() > 0.5
