"""`cell_ocr.confirmed`: a value OCR gave stands only when the second engine reads it too."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from PIL import Image

from licensebot.core.form import FieldValue, Reading, Source
from licensebot.reading import cell_ocr
from licensebot.reading.cells import Cell


@dataclass(frozen=True)
class FakeEngine:
    text: str
    name: str = "rapid"
    conf: float = 0.98

    def read_cell(self, crop: Image.Image, *, lang_hint: str = "latin") -> list[Reading]:
        return [Reading(self.text, self.conf, False, "rapid")]


PAGE = Image.new("L", (400, 100), 255)


def confirm(monkeypatch: pytest.MonkeyPatch, key: str, value: str, rapid: str) -> FieldValue:
    monkeypatch.setattr(cell_ocr, "SECOND_ENGINE", FakeEngine(rapid))
    cell = Cell(key, (0, 0, 400, 100), pass1=value, pass1_conf=0.95)
    cell.readings += [Reading(value, 0.95, False, "eng"), Reading(value, 0.93, False, "Latin")]
    read = FieldValue(value, 0.95, Source.OCR, raw=value)
    return cell_ocr.confirmed(PAGE, cell, read, 1.0)


def test_two_tesseract_passes_alike_are_not_enough(monkeypatch: pytest.MonkeyPatch) -> None:
    got = confirm(monkeypatch, "affiliation", "Westmoor Universitv", "Westmoor University")
    assert got.value is None and got.unreadable


def test_a_comma_one_engine_read_as_a_period_is_the_comma(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # blur takes a comma's tail, never gives a period one: whichever engine saw the tail
    got = confirm(
        monkeypatch, "affiliation", "Westmoor University. Leeds", "Westmoor University, Leeds"
    )
    assert got.value == "Westmoor University, Leeds"
    got = confirm(
        monkeypatch, "affiliation", "Westmoor University, Leeds", "Westmoor University. Leeds"
    )
    assert got.value == "Westmoor University, Leeds"


def test_a_period_against_another_mark_is_not_confirmed(monkeypatch: pytest.MonkeyPatch) -> None:
    got = confirm(
        monkeypatch, "affiliation", "Westmoor University. Leeds", "Westmoor University; Leeds"
    )
    assert got.value is None


def test_an_address_read_alike_word_for_word_stands(monkeypatch: pytest.MonkeyPatch) -> None:
    # no rule judges the address by its letters: the same words are the same address, with
    # Tesseract's spaces and punctuation and RapidOCR's digit where Tesseract read the letter
    # of its shape
    got = confirm(
        monkeypatch, "address", "12 Mill Road, Leeds LS2 OJT", "12MillRoad. Leeds LS2 0JT"
    )
    assert got.value == "12 Mill Road, Leeds LS2 0JT"
    other = confirm(monkeypatch, "address", "12 Mill Road, Leeds", "12 Hill Road, Leeds")
    assert other.value is None


def test_both_engines_agreeing_stand(monkeypatch: pytest.MonkeyPatch) -> None:
    assert confirm(monkeypatch, "affiliation", "Westmoor University", "Westmoor University").value
    # RapidOCR's alphabet lacks the accent Latin reads: still the same name
    assert confirm(monkeypatch, "signer_name", "José Peña", "Jose Pena").value == "José Peña"


def test_an_email_must_agree_exactly(monkeypatch: pytest.MonkeyPatch) -> None:
    got = confirm(monkeypatch, "work_email", "l.wilson@westmoor.edu", "l.wi1son@westmoor.edu")
    assert got.value is None


def test_a_case_misread_is_not_confirmed(monkeypatch: pytest.MonkeyPatch) -> None:
    got = confirm(monkeypatch, "affiliation", "westmoor University", "Westmoor University")
    assert got.value is None


def test_nothing_read_by_the_second_engine_confirms_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert confirm(monkeypatch, "affiliation", "Technical Universitv of Munich", "").value is None


def test_spaces_the_second_engine_left_out_are_no_difference(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    title = "Principal Research Scientist"
    assert confirm(monkeypatch, "signer_title", title, "PrincipalResearchScientist").value == title


def _name(monkeypatch: pytest.MonkeyPatch, passes: list[Reading], rapid: str) -> FieldValue:
    monkeypatch.setattr(cell_ocr, "SECOND_ENGINE", FakeEngine(rapid))
    cell = Cell("signer_name", (0, 0, 400, 100))
    cell.readings += passes
    read = FieldValue(passes[0].text, passes[0].confidence, Source.OCR, raw=passes[0].text)
    return cell_ocr.confirmed(PAGE, cell, read, 1.0)


def test_a_names_accents_are_the_accented_models_to_confirm(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # `eng` keeps the `é` of `Andrés Muñoz` and drops the `ñ`; RapidOCR drops both: its
    # reading up to accents confirms none of them
    eng = Reading("Andrés Munoz", 0.95, False, "eng")
    assert _name(monkeypatch, [eng], "Andres Munoz").value is None
    latin = Reading("Andrés Muñoz", 0.9, False, "Latin")
    assert _name(monkeypatch, [latin, eng], "Andres Munoz").value == "Andrés Muñoz"
    # nor does RapidOCR reading `eng`'s plain spelling letter for letter, where the accented
    # model read the accents
    plain = Reading("Andres Munoz", 0.95, False, "eng")
    assert _name(monkeypatch, [plain, latin], "Andres Munoz").value != "Andres Munoz"


@dataclass(frozen=True)
class FakeLines:
    lines: tuple[str, ...]
    name: str = "rapid"

    def read_cell(self, crop: Image.Image, *, lang_hint: str = "latin") -> list[Reading]:
        return [Reading(t, 0.97, False, "rapid") for t in self.lines]


def test_the_next_rows_line_in_the_second_engines_crop_is_no_dissent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # an underlined address's region ran over the row below: the second engine reads every
    # line of its crop, the next row's `Signature: ... Date: ...` too
    address = "Suite 400, 2250 Innovation Parkway, Cambridge CB4 0WS, United Kingdom"
    lines = (address, "Signature: Date: 21 June 2024")
    monkeypatch.setattr(cell_ocr, "SECOND_ENGINE", FakeLines(lines))
    cell = Cell("address", (0, 0, 400, 100), pass1=address, pass1_conf=0.95)
    cell.readings += [Reading(address, 0.95, False, "eng")]
    got = cell_ocr.confirmed(PAGE, cell, FieldValue(address, 0.95, Source.OCR, raw=address), 1.0)
    assert got.value == address
    # a later line of the value with a colon in it is the value's
    two = FakeLines(("Suite 400", "Building 3: Floor 2")).read_cell(PAGE)
    assert cell_ocr.own_lines(two) == two


def test_a_chinese_labels_tail_in_the_second_engines_crop_is_no_dissent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    value = "College of Computer Science and Technology, Zhejiang University"
    assert confirm(monkeypatch, "affiliation", value, f"位： {value}").value == value


def test_letters_of_one_shape_in_an_affiliation_stand_as_tesseract_read_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`I` and `l` are one glyph in a sans-serif font: Tesseract's Latin model read `AI`,
    RapidOCR `Al`; no engine can see which, and the affiliation's letters are compared
    loosely if at all (the affiliation went unread and the form to a person). Not so where
    the letters are the rule's: a name."""
    value = "Northgate Institute for Advanced Computational Research and Human-Centred AI"
    other = value[:-1] + "l"
    # (RapidOCR unsure of it: no word-for-word agreement settles it)
    monkeypatch.setattr(cell_ocr, "SECOND_ENGINE", FakeEngine(other, conf=0.73))
    cell = Cell("affiliation", (0, 0, 400, 100), pass1=value, pass1_conf=0.88)
    cell.readings += [Reading(other, 0.77, False, "eng"), Reading(value, 0.88, False, "Latin")]
    cell.underlined = True
    read = FieldValue(value, 0.88, Source.OCR, raw=value)
    assert cell_ocr.confirmed(PAGE, cell, read, 1.0).value == value
    assert confirm(monkeypatch, "signer_name", "Ilse Weber", "lIse Weber").value is None


def test_periods_no_engine_read_as_commas_in_soft_print_are_the_commas(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A photo's soft print shrinks a comma's tail to a dot for both engines, underline or
    not (`Road. Hongshan`, `Wuhan. Hubei 430074. China`): after a word no abbreviation is
    (an abbreviation is three letters or fewer, or a known shortening), or a number, the
    period between words is the comma typed there; an abbreviation keeps its period."""
    read = "1037 Luoyu Road. Hongshan District, Wuhan. Hubei 430074. China"
    got = confirm(monkeypatch, "address", read, read)
    assert got.value == "1037 Luoyu Road, Hongshan District, Wuhan, Hubei 430074, China"
    kept = "Dept. of Informatics, Univ. of Tokyo"
    assert confirm(monkeypatch, "affiliation", kept, kept).value == kept
    kept = "Inst. of Automation, 95 Zhongguancun East Rd. Haidian Dist. Beijing"
    assert confirm(monkeypatch, "address", kept, kept).value == kept
    # a tower's letter before its number (an initial stands before a name)
    read = "Floor 18. Tower B. 3388 Keyuan South Road, Nanshan District"
    got = confirm(monkeypatch, "address", read, read)
    assert got.value == "Floor 18, Tower B, 3388 Keyuan South Road, Nanshan District"
    kept = "Dept. of Computing, John F. Kennedy School"
    assert confirm(monkeypatch, "affiliation", kept, kept).value == kept
    # a title's periods are its abbreviations'
    title = "Assoc. Professor. Research Group Leader"
    assert confirm(monkeypatch, "signer_title", title, title).value == title


def test_a_name_the_accented_model_spelled_with_letters_of_its_own_is_not_confirmed_plain(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A tabbed form's name after dot leaders: the accented model read the leaders as letters
    and then `Kjær`; the mixed pass and RapidOCR, without `æ`, agree on `Soren Kjaer`. The
    print may have the letters: the plain name is no confirmed value (it had been recorded)."""
    monkeypatch.setattr(cell_ocr, "SECOND_ENGINE", FakeEngine("Soren Kjaer"))
    value = "Soren Kjaer"

    def read_with(latin: str) -> FieldValue:
        cell = Cell("signer_name", (0, 0, 400, 100))
        cell.readings += [
            Reading(value, 0.81, False, "chi_sim+eng"),
            Reading(latin, 0.0, False, "Latin"),
        ]
        return cell_ocr.confirmed(PAGE, cell, FieldValue(value, 0.81, Source.OCR, raw=value), 1.0)

    assert read_with("seassssereseserree ne ODrCN Kjær").value is None
    # a plain name the accented model read plain too stands
    assert read_with("seassssereseserree ne Soren Kjaer").value == value


def test_an_accent_a_sure_pass_read_plain_is_not_confirmed_by_an_engine_without_accents(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # a worn copier's speck over the last `a`: the accented model's `Politécnicá` at 0.92,
    # `eng` (which has `é` and keeps it) reading a plain `a` at 0.96, RapidOCR no accent at
    # all: its plain letters confirm no accent only the accented model saw (recorded before)
    monkeypatch.setattr(cell_ocr, "SECOND_ENGINE", FakeEngine("Universidad Politecnica de Madrid"))
    value = "Universidad Politécnicá de Madrid"
    cell = Cell("affiliation", (0, 0, 400, 100), pass1=value, pass1_conf=0.92)
    cell.readings += [
        Reading("Universidad Politécnica de Madrid", 0.96, False, "eng"),
        Reading(value, 0.92, False, "Latin"),
    ]
    got = cell_ocr.confirmed(PAGE, cell, FieldValue(value, 0.92, Source.OCR, raw=value), 1.0)
    assert got.value is None
