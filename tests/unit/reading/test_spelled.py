"""Two engines reading the same words where one reading's word is English and the other's
none (`agreement.spelled`): when that makes the value, and when it must not."""

from __future__ import annotations

from licensebot.core.form import Reading
from licensebot.reading import lexicon
from licensebot.reading.agreement import respelled, spelled
from licensebot.reading.vote import vote

#: A small English of its own, so the rule's tests say what they assume.
WORDS = {
    "full": 370_278,
    "professor": 26_464,
    "of": 29_504_179,
    "college": 60_000,
    "tull": 50,
    "chief": 90_000,
    "technology": 150_000,
    "officer": 80_000,
}


def count(word: str) -> int:
    return WORDS.get(word.casefold(), 0)


def r(text: str, conf: float, model: str, *, edged: bool = False) -> Reading:
    return Reading(text, conf, edged, model)


def test_a_photos_misread_letter_that_makes_no_word_is_the_english_word() -> None:
    # one pass of Tesseract reads `Professor`; another and RapidOCR read the soft `f` as `t`
    readings = [
        r("Full Professor", 0.965, "eng"),
        r("Full Protessor", 0.912, "eng"),
        r("rull Protessor", 0.587, "Latin"),  # under the dissent floor: no voice
        r("Full Protessor", 0.953, "rapid"),
    ]
    assert spelled("signer_title", readings, count) == ("Full Professor", readings[0])


def test_a_short_word_misread_by_the_other_engine_is_the_english_one() -> None:
    text = "College of Computer Science and Technology, Zhejiang University"
    readings = [
        r(text, 0.964, "eng"),
        r(text, 0.821, "eng"),
        r(text.replace(" of ", " ot "), 0.918, "rapid"),
    ]
    got = spelled("affiliation", readings, count)
    assert got is not None and got[0] == text


def test_a_doubled_letter_read_once_is_the_english_word() -> None:
    # FreeSans sets `ffi` as a ligature: RapidOCR reads `Oficer`, one pass `Technoloay`; the
    # accented model reads every word (the title had been left unread)
    readings = [
        r("Chief Technoloay Officer", 0.922, "eng"),
        r("Chief Technology Officer", 0.91, "Latin"),
        r("Chief Technology Oficer", 0.952, "rapid"),
    ]
    assert spelled("signer_title", readings, count) == ("Chief Technology Officer", readings[1])
    # a letter left out that is no doubled one's is another word
    assert not respelled("Chief Technology Officer", "Chief Technology Ofice", count)
    assert not respelled("Chief Technology Officer", "Chief Technology Oficers", count)


def test_names_that_are_no_english_words_are_never_respelled() -> None:
    # `Hongshan` read `Hongshen`: neither is a word, nothing tells which is right
    readings = [r("Hongshan District", 0.95, "eng"), r("Hongshen District", 0.96, "rapid")]
    assert spelled("address", readings, count) is None


def test_the_other_engines_english_word_is_not_overruled() -> None:
    # Tesseract's `Tull` is a (rare) word: a word against a word is no misreading to undo
    readings = [r("Tull Professor", 0.95, "eng"), r("Full Professor", 0.96, "rapid")]
    assert spelled("signer_title", readings, count) is None
    # and Tesseract's non-word is never taken over RapidOCR's word by this rule
    readings = [r("Full Protessor", 0.95, "eng"), r("Full Professor", 0.96, "rapid")]
    assert spelled("signer_title", readings, count) is None


def test_two_letters_a_word_more_or_another_punctuation_is_no_respelling() -> None:
    assert not respelled("Full Professor", "Full Prolessar", count)
    assert not respelled("Full Professor", "Full Professor Emeritus", count)
    readings = [r("College of Arts, Ltd.", 0.95, "eng"), r("College ot Arts. Ltd.", 0.96, "rapid")]
    assert spelled("affiliation", readings, count) is None


def test_it_needs_the_other_engine_and_a_sure_tesseract_reading() -> None:
    two_passes = [r("Full Professor", 0.97, "eng"), r("Full Protessor", 0.95, "Latin")]
    assert spelled("signer_title", two_passes, count) is None
    unsure = [r("Full Professor", 0.85, "eng"), r("Full Protessor", 0.97, "rapid")]
    assert spelled("signer_title", unsure, count) is None
    cut = [r("Full Professor", 0.97, "eng"), r("Full Protessor", 0.97, "rapid", edged=True)]
    assert spelled("signer_title", cut, count) is None


def test_a_sure_reading_of_other_words_stops_it() -> None:
    readings = [
        r("Full Professor", 0.965, "eng"),
        r("Fellow Professor", 0.93, "Latin"),
        r("Full Protessor", 0.953, "rapid"),
    ]
    assert spelled("signer_title", readings, count) is None


def test_only_word_fields_are_spelled() -> None:
    readings = [r("Full Professor", 0.97, "eng"), r("Full Protessor", 0.97, "rapid")]
    assert spelled("signer_name", readings, count) is None
    assert spelled("work_email", readings, count) is None


def test_the_vote_settles_a_title_so_with_the_english_word_list() -> None:
    readings = [
        r("Full Professor", 0.965, "eng"),
        r("Full Protessor", 0.912, "eng"),
        r("Full Protessor", 0.953, "rapid"),
    ]
    got = vote("signer_title", readings)
    assert got is not None and got.value == "Full Professor"


def test_the_word_list_knows_common_words_and_not_misreadings() -> None:
    assert lexicon.count("Professor") >= 100 and lexicon.count("of") > lexicon.count("dean")
    assert lexicon.count("Protessor") == lexicon.count("Universitv") == 0
