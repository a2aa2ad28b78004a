"""Page geometry: the page found in a phone photo, flattened, upright; a flat scan left whole.

Photos come from tests/forms/photo.py at a low resolution (100 dpi) so that these stay fast;
the OCR of flattened photos is in tests/integration/reading/test_geometry_ocr.py.
"""

from __future__ import annotations

import random

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter

from licensebot.core.la import LaVersion
from licensebot.reading.geometry import PAPERS, FlatPage, flatten_page
from licensebot.reading.page_image import upright
from tests.forms.factory import make_spec, render
from tests.forms.photo import PhotoTruth, cut_off, empty_desk, phone_photo, render_page

DPI = 100


@pytest.fixture(scope="module")
def form_page(current: LaVersion) -> Image.Image:
    """The form page (table, labels, values) of a digital LA, at `DPI`."""
    pdf = render(make_spec(11, current, medium="digital", layout="word"))
    return render_page(pdf, 1, DPI)


@pytest.fixture(scope="module")
def text_page(current: LaVersion) -> Image.Image:
    """A page of the LA's text only."""
    pdf = render(make_spec(12, current, medium="digital", layout="word"))
    return render_page(pdf, 0, DPI)


def corner_error(page: FlatPage, truth: PhotoTruth) -> float:
    """The worst corner's distance from the truth, as a share of the page's width."""
    assert page.quad is not None
    found = np.array(page.quad)
    want = np.array(truth.corners)
    return float(np.linalg.norm(found - want, axis=1).max() / (truth.ppi * truth.page_width_in))


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5, 6])
def test_the_page_in_a_phone_photo_is_found_flattened_and_upright(
    seed: int, form_page: Image.Image, text_page: Image.Image
) -> None:
    page_image = form_page if seed % 2 else text_page
    photo, truth = phone_photo(page_image, random.Random(seed), turn=[0, 90, 180, 270][seed % 4])
    page = flatten_page(photo.convert("L"), dpi=DPI)
    assert page.found
    assert corner_error(page, truth) < 0.03
    assert page.turned == truth.turn
    # flattened to paper proportions at the dpi asked for, standing upright
    w, h = page.image.size
    short, long = PAPERS[page.paper]
    assert abs(w - short * DPI) <= 2 and abs(h - long * DPI) <= 2
    assert page.lit


def test_the_flattened_page_reads_like_the_original(form_page: Image.Image) -> None:
    photo, _ = phone_photo(form_page, random.Random(7), turn=180)
    page = flatten_page(photo.convert("L"), dpi=DPI)
    assert page.found and page.paper == "A4"
    flat = np.asarray(page.image.resize(form_page.size), dtype=np.float32)
    orig = np.asarray(form_page.convert("L"), dtype=np.float32)
    # the same page, not its mirror or its neighbour: the print lies where it lay
    ink_f, ink_o = flat < 128, orig < 128
    overlap = (ink_f & _grow(ink_o, 3)).sum() / max(1, ink_f.sum())
    assert overlap > 0.8
    # evenly lit: the paper is white everywhere, in the shadow too
    paper = flat[~_grow(ink_o, 3)]
    assert np.percentile(paper, 5) > 180


def _grow(mask: np.ndarray, r: int) -> np.ndarray:
    out = mask.copy()
    for dy in range(-r, r + 1):
        for dx in range(-r, r + 1):
            out |= np.roll(np.roll(mask, dy, axis=0), dx, axis=1)
    return out


@pytest.mark.parametrize("turn", [0, 90, 180, 270])
def test_a_flat_scan_keeps_its_size_and_is_turned_upright(
    turn: int, form_page: Image.Image
) -> None:
    angle = [1.2, -1.7, 0.6, -0.4][turn // 90]
    scan = form_page.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=250)
    scan = scan.filter(ImageFilter.GaussianBlur(0.5))
    if turn:
        scan = scan.rotate(turn, expand=True)  # fed to the scanner a quarter or half turn off
    page = flatten_page(scan, dpi=DPI)
    assert not page.found and page.quad is None
    assert page.turned == (360 - turn) % 360
    assert abs(page.skew + angle) < 0.4
    w, h = page.image.size
    assert abs(w - form_page.width) <= 0.02 * form_page.width
    assert abs(h - form_page.height) <= 0.02 * form_page.height
    assert not page.lit  # an evenly lit scan's grey levels are left alone


def test_a_hard_shadow_along_a_scans_edge_is_evened_away(text_page: Image.Image) -> None:
    """A phone scanner app's shadow along the left edge, over the first letters of every line
    (a tenth of the page's width, fading out over another 3 %): the light is evened and those
    letters are print again on white (the shadow had been left, the lines' first numbers
    unread and the version unsure)."""
    a = np.asarray(text_page.convert("L"), dtype=np.float32)
    w = a.shape[1]
    band, fade = round(0.10 * w), round(0.03 * w)
    light = np.ones(w, dtype=np.float32)
    light[:band] = 0.45  # paper ~110, print ~10: the letters under it are dark on grey
    light[band : band + fade] = np.linspace(0.45, 1.0, fade)
    shaded = a * light[None, :]
    scan = Image.fromarray(shaded.clip(0, 255).astype(np.uint8))
    page = flatten_page(scan, dpi=DPI)
    assert page.lit
    out = np.asarray(page.image, dtype=np.uint8)
    # the shadowed strip's paper is paper again (its median near white)
    assert np.median(out[:, 5:band]) > 200
    # and a thin scanner's border alone does not count as uneven light
    bordered = a.copy()
    bordered[:, : round(0.02 * w)] = 40
    assert not flatten_page(Image.fromarray(bordered.astype(np.uint8)), dpi=DPI).lit


def test_a_desk_without_a_page_is_not_taken_for_one() -> None:
    for seed in range(3):
        desk = empty_desk(900, 1200, random.Random(seed))
        page = flatten_page(desk.convert("L"), dpi=DPI)
        assert not page.found
        assert page.image.size in (desk.size, desk.size[::-1])


def test_a_page_cut_off_by_the_photo_is_not_cropped(form_page: Image.Image) -> None:
    photo, truth = phone_photo(form_page, random.Random(8), turn=0)
    cut = cut_off(photo, truth, 0.15)
    page = flatten_page(cut.convert("L"), dpi=DPI)
    assert not page.found
    # nothing cropped away: the whole photo goes on to be read
    assert page.image.size in (cut.size, cut.size[::-1])


@pytest.mark.parametrize("size", [(1, 1), (12, 9), (300, 40)])
def test_tiny_and_blank_images_pass_through(size: tuple[int, int]) -> None:
    for colour in (255, 0):
        img = Image.new("L", size, colour)
        page = flatten_page(img, dpi=DPI)
        assert not page.found and page.turned in (0, 90, 180, 270)


def _numbers_page() -> Image.Image:
    """A page of the LA's list of subjects: lines of three-digit numbers and commas."""
    from PIL import ImageDraw, ImageFont

    page = Image.new("L", (1240, 1754), 255)
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype("LiberationSans-Regular.ttf", 30)
    for row in range(24):
        nums = ", ".join(f"{(row * 37 + k * 13) % 700:03d}" for k in range(14))
        draw.text((100, 120 + row * 60), f"sub.  {nums},", fill=0, font=font)
    return page


def test_a_page_of_numbers_is_not_turned_on_its_head() -> None:
    # digits stand at capital height and commas hang below the line: the ascenders' count
    # leans the wrong way, and a page turned for it reads as junk (every clause on it
    # "missing": a current LA judged an older one)
    from licensebot.reading.orientation import upside_down

    page = np.asarray(_numbers_page())
    assert upside_down(page)[0] is False
    assert upside_down(np.ascontiguousarray(page[::-1, ::-1]))[0] is True


def test_a_copiers_drum_streak_down_the_page_is_no_line_of_print(form_page: Image.Image) -> None:
    # a worn drum leaves a column of dashes the page's full height: on a sparse form page it
    # outweighed the few lines of print, and the page was turned a quarter turn off
    sparse = form_page.copy()
    ImageDraw.Draw(sparse).rectangle(
        [0, sparse.height // 10, sparse.width, sparse.height], fill=250
    )
    scan = sparse.copy()  # a few lines of print, and the streak
    draw = ImageDraw.Draw(scan)
    rng = random.Random(3)
    x, y = round(0.42 * scan.width), 0
    while y < scan.height:
        dash = rng.randint(8, 24)
        draw.rectangle([x + rng.randint(-1, 1), y, x + 14, y + dash], fill=rng.randint(30, 100))
        y += dash + rng.randint(2, 6)
    assert flatten_page(scan, dpi=DPI, upright=False).turned == 0
    # those few lines fed a quarter turn off (no streak) are still turned back
    assert flatten_page(sparse.rotate(90, expand=True), dpi=DPI, upright=False).turned in (90, 270)


def test_grain_streaks_down_a_sparse_page_do_not_turn_it_when_its_letters_run_across(
    current: LaVersion,
) -> None:
    """A worn copier's streaks of grain (clouds of specks, several down the page) outweigh the
    few lines of print of a sparse page in the profiles; the letters' shapes (Tesseract's
    orientation detection, asked before a quarter turn) say the lines run across. A page that
    does lie a quarter turn off is still turned."""
    dpi = 150  # the resolution the detection reads at
    page = render_page(render(make_spec(11, current, medium="digital", layout="word")), 1, dpi)
    ImageDraw.Draw(page).rectangle([0, page.height // 5, page.width, page.height], fill=250)
    scan = page.copy()
    draw = ImageDraw.Draw(scan)
    rng = random.Random(5)
    for k in range(6):
        x0 = round((0.1 + 0.16 * k) * scan.width)
        for _ in range(3000):
            x, y, r = x0 + round(rng.gauss(0, 4)), rng.randrange(scan.height), rng.choice((1, 2, 3))
            draw.ellipse([x, y, x + r, y + r], fill=rng.randint(60, 160))
    assert flatten_page(scan, dpi=dpi, upright=False).turned == 90  # the profiles alone
    assert upright(scan, dpi).turned == 0
    assert upright(page.rotate(90, expand=True), dpi).turned in (90, 270)


def test_a_second_opinion_that_the_lines_run_across_keeps_a_page_from_a_quarter_turn(
    form_page: Image.Image,
) -> None:
    sideways = form_page.rotate(90, expand=True)
    assert flatten_page(sideways, dpi=DPI, upright=False).turned == 90
    asked: list[tuple[int, int]] = []

    def across(gray: np.ndarray) -> bool | None:
        asked.append(gray.shape)
        return True

    assert flatten_page(sideways, dpi=DPI, upright=False, across=across).turned == 0
    assert len(asked) == 1
    # unsure (None) or sure the lines run down (False): the profiles' quarter turn stands
    for opinion in (None, False):
        kept = flatten_page(sideways, dpi=DPI, upright=False, across=lambda g, o=opinion: o)
        assert kept.turned == 90


def test_a_block_of_print_too_dense_to_close_away_is_on_the_page(form_page: Image.Image) -> None:
    """A column of bold Chinese labels, too dense for the paper's closing to take away, left
    its outline inside the sheet, and the sheet was refused as one that took in a piece of
    desk: an outline closed on itself inside the sheet is something on it."""
    page = form_page.convert("RGB")
    w, h = page.size
    d = ImageDraw.Draw(page)
    for i in range(3):
        for j in range(2):
            x, y = 0.12 + 0.28 * i, 0.45 + 0.2 * j
            box = (round(x * w), round(y * h), round((x + 0.2) * w), round((y + 0.12) * h))
            d.rectangle(box, fill=(25, 25, 25))
    photo, truth = phone_photo(page, random.Random(3), turn=0)
    found = flatten_page(photo.convert("L"), dpi=DPI)
    assert found.found
    assert corner_error(found, truth) < 0.03
