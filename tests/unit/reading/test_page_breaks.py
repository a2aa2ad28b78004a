"""A value read in two parts across a page break (`page_breaks.joined`): the two parts
together, with the mark the cut part ended with, and unread when a part is."""

from __future__ import annotations

from licensebot.core.form import FieldValue, Source
from licensebot.reading.page_breaks import joined


def fv(raw: str, value: str | None = None, conf: float = 0.95) -> FieldValue:
    return FieldValue(value if value is not None else raw, conf, Source.OCR, raw=raw)


def test_a_value_cut_after_a_comma_takes_its_comma_back() -> None:
    head = fv("1037 Luoyu Road, Hongshan District,", "1037 Luoyu Road, Hongshan District")
    got = joined("address", head, fv("Wuhan, Hubei 430074, China"), cut=True)
    assert got.value == "1037 Luoyu Road, Hongshan District, Wuhan, Hubei 430074, China"
    assert got.confidence == 0.95


def test_a_value_cut_after_a_joining_word_keeps_the_word_and_takes_no_mark() -> None:
    # the word's last letter had been taken for the mark: `University off Melbourne`
    head = fv("Department of Computing, University of")
    got = joined("affiliation", head, fv("Melbourne"), cut=True)
    assert got.value == "Department of Computing, University of Melbourne"


def test_a_hyphen_joins_without_a_space_and_a_whole_head_adds_nothing() -> None:
    head = fv("Human-Computer Inter-", "Human-Computer Inter")
    assert joined("affiliation", head, fv("action Lab"), cut=True).value == (
        "Human-Computer Inter-action Lab"
    )
    whole = fv("Northgate Institute for Advanced Computational")
    got = joined("affiliation", whole, fv("Research and Human-Centred AI"), cut=False)
    assert (
        got.value == "Northgate Institute for Advanced Computational Research and Human-Centred AI"
    )


def test_a_part_unread_leaves_the_value_unread_with_what_was_read() -> None:
    head = fv("Department of Computing, University of")
    unread = FieldValue(None, 0.0, Source.OCR, raw="Melb0urne")
    got = joined("affiliation", head, unread, cut=True)
    assert got.value is None and got.raw == "Department of Computing, University of Melb0urne"
    assert joined("affiliation", head, None, cut=True).value is None
