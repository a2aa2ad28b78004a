"""The independent form source itself: Word documents through LibreOffice, then the pen and
the scanner. Slow (LibreOffice, augraphy): a handful of forms, converted in one batch."""

from __future__ import annotations

import io
import re
from collections import Counter
from collections.abc import Callable
from functools import cache
from typing import Any

import pdfplumber
import pytest

from tests.forms import split
from tests.forms.delivery import _deliver, deliver, pen_spaces
from tests.forms.independent import FIELDS, IndependentSpec, draw_spec
from tests.forms.wordproc import CODES, SIGNATURE_CODE, build_docx, docx_to_pdf

# One worker makes the LibreOffice batch that `_exported` caches for the whole module.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("independent_forms_export")]


def _plain(spec: IndependentSpec) -> bool:
    return True


def _dots_and_glosses(spec: IndependentSpec) -> bool:
    """A `tabbed` form with a dot leader to each value and the Chinese after each label."""
    return spec.seed % 3 == 0 and "(" in spec.labels["signer_name"]


def _colons(spec: IndependentSpec) -> bool:
    return spec.labels["signer_name"].endswith("：")


PAPERS = ("A4", "Letter", "A4", "Letter")
#: (test id, style, paper, which form of the style): every style, the development-only ones
#: (`chinese`, `tabbed`) in their variants, with the development-only fonts
CASES: tuple[tuple[str, str, str, Callable[[IndependentSpec], bool]], ...] = (
    *((s, s, p, _plain) for s, p in zip(split.TABLE_STYLES, PAPERS, strict=True)),
    *((s, s, "A4", _plain) for s in split.HELDOUT_TABLE_STYLES),
    ("chinese-colons", "chinese", "A4", _colons),
    ("chinese", "chinese", "Letter", lambda spec: not _colons(spec)),
    ("tabbed-dots-glosses", "tabbed", "Letter", _dots_and_glosses),
    ("tabbed", "tabbed", "A4", lambda spec: not _dots_and_glosses(spec)),
    ("hinted", "hinted", "Letter", _plain),
)
STYLES = tuple(style for _, style, _, _ in CASES)
IDS = tuple(name for name, _, _, _ in CASES)
#: printed forms of the development-only styles (after CASES' forms, before the last two)
PRINTED: tuple[dict[str, Any], ...] = (
    {"table_style": "chinese", "kind": "typed", "preset": "worn_copier"},
    {"table_style": "tabbed", "kind": "handwritten", "preset": "worn_copier", "dpi": 150},
    {"table_style": "hinted", "kind": "typed", "preset": "creased"},
)
PRINTED_IDS = ("chinese-worn_copier", "tabbed-worn_copier", "hinted-creased")
#: the development-only fonts, each on a form of its own
FONTS = dict(zip(IDS[-5:], (*split.DEV_FONTS, split.DEV_FONTS[0], *split.WIDER_FONTS), strict=True))


def _long_one(
    split_name: str, style: str, paper: str, want: Callable[[IndependentSpec], bool], font: str
) -> IndependentSpec:
    """A typed digital form of `style` whose affiliation and address wrap in their cells."""
    fixed = {"font": font} if font else {}
    for seed in split.seeds(split_name, 200):
        spec = draw_spec(
            seed, table_style=style, medium="digital", kind="typed", paper=paper, **fixed
        )
        long = len(spec.written["affiliation"]) > 60 and len(spec.written["address"]) > 50
        if long and want(spec):
            return spec
    raise AssertionError("no long values drawn")


@cache
def _exported() -> tuple[list[IndependentSpec], list[bytes]]:
    specs = [
        _long_one(
            split.HELDOUT if s in split.HELDOUT_TABLE_STYLES else split.DEV,
            s,
            paper,
            want,
            FONTS.get(name, ""),
        )
        for name, s, paper, want in CASES
    ]
    specs += [
        draw_spec(seed, medium="scan", **fixed)
        for seed, fixed in zip((31, 32, 33), PRINTED, strict=True)
    ]
    specs.append(draw_spec(21, medium="scan", kind="handwritten", dpi=150, turn=90))
    specs.append(draw_spec(22, medium="photo", kind="typed"))
    return specs, docx_to_pdf([build_docx(s) for s in specs])


def _words(pdf: bytes) -> Counter[str]:
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return Counter(w["text"] for p in doc.pages for w in p.extract_words())


def _pieces(text: str) -> list[str]:
    """Words, cut at hyphens too (a wrapped `Human-Centred` is `Human-` and `Centred`) and at a
    tab's dot leader (`Name:.......Oliver` is `Name:` and `Oliver`)."""
    return [p for w in text.split() for q in re.split(r"\.{4,}", w) for p in q.split("-") if p]


def _text(pdf: bytes) -> str:
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return "".join("".join((p.extract_text() or "").split()) for p in doc.pages)


@pytest.mark.parametrize("index", range(len(STYLES)), ids=IDS)
def test_each_table_style_holds_every_label_and_value(index: int) -> None:
    specs, pdfs = _exported()
    spec, words = specs[index], Counter(_pieces(" ".join(_words(pdfs[index]).elements())))
    flat = _text(pdfs[index])
    for key in FIELDS:
        value = spec.written[key]
        if any("\u4e00" <= c <= "\u9fff" for c in value):  # CJK: no spaces to count words by
            assert "".join(value.split()) in flat, f"{spec.table_style} {key}: {value!r}"
            continue
        missing = Counter(_pieces(value)) - words
        assert not missing, f"{spec.table_style} {key}: {dict(missing)} not in the text layer"
    for key, label in spec.labels.items():
        missing = Counter(_pieces(label)) - words
        if missing:  # Chinese labels: as a run of text
            assert "".join(label.split()) in flat, f"{spec.table_style} label {key}: {label!r}"


@pytest.mark.parametrize("index", range(len(STYLES)), ids=IDS)
def test_the_text_is_in_the_chosen_font(index: int) -> None:
    """LibreOffice puts another font in place of one it does not have, silently: the export's
    text must be in the spec's font (its Latin letters; CJK ones are in the CJK font)."""
    specs, pdfs = _exported()
    with pdfplumber.open(io.BytesIO(pdfs[index])) as doc:
        used = Counter(
            c["fontname"].split("+")[-1] for p in doc.pages for c in p.chars if c["text"].isascii()
        )
    assert used.most_common(1)[0][0].startswith(specs[index].font.replace(" ", "")), used


@pytest.mark.parametrize("index", range(len(STYLES)), ids=IDS)
def test_paper_size_is_the_chosen_one(index: int) -> None:
    specs, pdfs = _exported()
    want = {"A4": (595.3, 841.9), "Letter": (612.0, 792.0)}[specs[index].paper]
    with pdfplumber.open(io.BytesIO(pdfs[index])) as doc:
        for page in doc.pages:
            assert abs(float(page.width) - want[0]) < 1.5
            assert abs(float(page.height) - want[1]) < 1.5


def test_pen_work_has_a_place_for_every_value_and_the_signature() -> None:
    _, pdfs = _exported()
    spaces = pen_spaces(pdfs[-2])
    codes = {code for page in spaces for code in page}
    assert {CODES[k] for k in FIELDS} | {SIGNATURE_CODE} <= codes


@pytest.mark.parametrize("index", range(len(CASES), len(CASES) + len(PRINTED)), ids=PRINTED_IDS)
def test_the_pen_finds_its_places_on_the_pages_pdfium_saw_them(index: int) -> None:
    """pdfplumber reads only the pages where pdfium saw text in a code's colour: what it
    finds so is what it finds reading every page."""
    _, pdfs = _exported()
    assert pen_spaces(pdfs[index]) == pen_spaces(pdfs[index], every_page=True)


@pytest.mark.parametrize("index", range(len(CASES), len(CASES) + len(PRINTED)), ids=PRINTED_IDS)
def test_the_pen_signs_in_the_signature_place_of_a_new_style(index: int) -> None:
    """The coded space the pen signs in is the Signature's: right of its label, on the label's
    line (`tabbed`: the pen signs above the underline) or in its row (`chinese`)."""
    specs, pdfs = _exported()
    spec, pdf = specs[index], pdfs[index]
    found = [
        (i, b) for i, page in enumerate(pen_spaces(pdf)) for b, _ in page.get(SIGNATURE_CODE, [])
    ]
    assert found, f"{spec.table_style}: no space for the signature"
    page_no, (x0, top, _, bottom) = found[0]
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        words = doc.pages[page_no].extract_words()
    label = spec.labels["signature"].split()[0].rstrip(":：")
    at = [w for w in words if w["text"].startswith(label)]
    assert at, f"{spec.table_style}: the label {label!r} is not on the signature's page"
    assert x0 > float(at[0]["x1"])
    if spec.table_style == "tabbed":
        assert abs(float(at[0]["bottom"]) - bottom) < 4  # the same line
    else:
        assert top >= float(at[0]["top"]) - 40  # the row's top, at most a line above the label
    # and the pen writes the handwritten values too: a place for each of them
    if spec.kind == "handwritten":
        codes = {code for page in pen_spaces(pdf) for code in page}
        assert {CODES[k] for k in FIELDS} <= codes


@pytest.mark.parametrize(
    "index",
    [len(CASES), len(CASES) + 1, len(CASES) + 2, -2, -1],
    ids=[*PRINTED_IDS, "scan-turned", "photo"],
)
def test_delivery_is_an_image_only_pdf_of_every_page(index: int) -> None:
    specs, pdfs = _exported()
    spec, exported = specs[index], pdfs[index]
    sent = deliver(exported, spec)
    with pdfplumber.open(io.BytesIO(exported)) as doc:
        n_pages = len(doc.pages)
    with pdfplumber.open(io.BytesIO(sent)) as doc:
        assert len(doc.pages) == n_pages
        for page in doc.pages:
            assert not page.chars
            assert len(page.images) == 1
            if spec.turn in (90, 270):
                assert page.width > page.height  # fed sideways


def test_the_same_seed_gives_the_same_bytes() -> None:
    """The same document, the same export (cached by the document's hash: LibreOffice's own
    export of it can differ in its internals from run to run), the same scan."""
    specs, pdfs = _exported()
    spec = specs[-2]
    assert docx_to_pdf([build_docx(draw_spec(spec.seed, **_fixed(spec)))]) == [pdfs[-2]]
    assert _deliver(pdfs[-2], spec) == _deliver(pdfs[-2], spec)


def _fixed(spec: IndependentSpec) -> dict[str, object]:
    return {"medium": spec.medium, "kind": spec.kind, "dpi": spec.dpi, "turn": spec.turn}
