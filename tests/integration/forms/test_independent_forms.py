"""The independent form source itself: Word documents through LibreOffice, then the pen and
the scanner. Slow (LibreOffice, augraphy): a handful of forms, converted in one batch."""

from __future__ import annotations

import io
from collections import Counter
from functools import cache

import pdfplumber
import pytest

from tests.forms import split
from tests.forms.delivery import _deliver, deliver, pen_spaces
from tests.forms.independent import FIELDS, IndependentSpec, draw_spec
from tests.forms.wordproc import CODES, SIGNATURE_CODE, build_docx, docx_to_pdf

# One worker makes the LibreOffice batch that `_exported` caches for the whole module.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("independent_forms_export")]

STYLES = (*split.TABLE_STYLES, *split.HELDOUT_TABLE_STYLES)


def _long_one(split_name: str, style: str, paper: str) -> IndependentSpec:
    """A typed digital form of `style` whose affiliation and address wrap in their cells."""
    for seed in split.seeds(split_name, 200):
        spec = draw_spec(seed, table_style=style, medium="digital", kind="typed", paper=paper)
        if len(spec.written["affiliation"]) > 60 and len(spec.written["address"]) > 50:
            return spec
    raise AssertionError("no long values drawn")


@cache
def _exported() -> tuple[list[IndependentSpec], list[bytes]]:
    specs = [
        _long_one(split.HELDOUT if s in split.HELDOUT_TABLE_STYLES else split.DEV, s, paper)
        for s, paper in zip(STYLES, ("A4", "Letter", "A4", "Letter", "A4"), strict=True)
    ]
    specs.append(draw_spec(21, medium="scan", kind="handwritten", dpi=150, turn=90))
    specs.append(draw_spec(22, medium="photo", kind="typed"))
    return specs, docx_to_pdf([build_docx(s) for s in specs])


def _words(pdf: bytes) -> Counter[str]:
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return Counter(w["text"] for p in doc.pages for w in p.extract_words())


def _pieces(text: str) -> list[str]:
    """Words, cut at hyphens too (a wrapped `Human-Centred` is `Human-` and `Centred`)."""
    return [p for w in text.split() for p in w.split("-") if p]


def _text(pdf: bytes) -> str:
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return "".join("".join((p.extract_text() or "").split()) for p in doc.pages)


@pytest.mark.parametrize("index", range(len(STYLES)), ids=STYLES)
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


@pytest.mark.parametrize("index", range(len(STYLES)), ids=STYLES)
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


@pytest.mark.parametrize("index", [-2, -1], ids=["scan-turned", "photo"])
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
