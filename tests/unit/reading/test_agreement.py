"""Two engines agreeing on a cell: when that makes a value, and when it must not."""

from __future__ import annotations

import pytest

from licensebot.core.form import Reading
from licensebot.reading.agreement import (
    accented_by_latin,
    comma_for_period,
    cross_engine_value,
    unaccented,
    word_for_word,
)


def r(text: str, conf: float, model: str, *, edged: bool = False) -> Reading:
    return Reading(text, conf, edged, model)


def test_rapid_and_latin_agreeing_make_the_value() -> None:
    readings = [r("Northfield Universlty", 0.55, "eng"), r("Northfield University", 0.8, "Latin")]
    readings.append(r("Northfield University", 0.97, "rapid"))
    assert cross_engine_value("affiliation", readings) == "Northfield University"


def test_two_passes_of_tesseract_are_not_two_engines() -> None:
    readings = [r("Dean", 0.95, "eng"), r("Dean", 0.95, "Latin")]
    assert cross_engine_value("signer_title", readings) is None


def test_an_unsure_partner_confirms_nothing() -> None:
    readings = [r("Professor", 0.99, "rapid"), r("Professor", 0.3, "Latin")]
    assert cross_engine_value("signer_title", readings) is None
    # a name's partner must be sure: the engines' only wrong agreements were names
    readings = [r("Laura Wilson", 0.99, "rapid"), r("Laura Wilson", 0.6, "Latin")]
    assert cross_engine_value("signer_name", readings) is None


def test_a_fair_partner_confirms_an_email_read_letter_for_letter_alike() -> None:
    # a creased copy: Tesseract unsure of every letter, RapidOCR sure, both the same address
    readings = [r("c.donovan@lvl-lab.fr", 0.59, "eng"), r("c.donovan@lvl-lab.fr", 0.99, "rapid")]
    assert cross_engine_value("work_email", readings) == "c.donovan@lvl-lab.fr"
    # but not against a surer reading of other letters
    dissent = [*readings, r("c.donovan@ivl-lab.fr", 0.65, "eng")]
    assert cross_engine_value("work_email", dissent) is None


def test_an_unsure_rapid_reading_confirms_nothing() -> None:
    readings = [r("Professor", 0.8, "rapid"), r("Professor", 0.9, "Latin")]
    assert cross_engine_value("signer_title", readings) is None


def test_names_without_their_accents_are_not_confirmed_by_eng() -> None:
    # RapidOCR and `eng` both drop the accents: they agree on a name that is not the signer's
    readings = [r("Zoe Muller", 0.97, "rapid"), r("Zoe Muller", 0.9, "eng")]
    assert cross_engine_value("signer_name", readings) is None


def test_a_sure_dissent_stops_the_agreement() -> None:
    readings = [
        r("Francois Lefevre", 0.97, "rapid"),
        r("Francois Lefevre", 0.8, "Latin"),
        r("François Lefèvre", 0.7, "Latin"),
    ]
    assert cross_engine_value("signer_name", readings) is None


def test_a_faint_dissent_does_not() -> None:
    readings = [
        r("Laura Wilson", 0.98, "rapid"),
        r("Laura Wilson", 0.85, "Latin"),
        r("Laura Wi1son", 0.3, "eng"),
    ]
    assert cross_engine_value("signer_name", readings) == "Laura Wilson"


def test_a_chinese_name_is_confirmed_by_the_chinese_model_despite_latin_junk() -> None:
    readings = [r("K=", 0.68, "eng"), r("王小明", 0.95, "rapid"), r("王小明", 0.8, "chi_sim")]
    assert cross_engine_value("signer_name", readings) == "王小明"


def test_a_chinese_name_is_not_confirmed_by_a_latin_model() -> None:
    readings = [r("王小明", 0.95, "rapid"), r("王小明", 0.9, "Latin")]
    assert cross_engine_value("signer_name", readings) is None


def test_an_email_with_an_l_or_i_in_doubt_is_not_confirmed() -> None:
    readings = [
        r("I.wilson@northfield.edu", 0.97, "rapid"),
        r("I.wilson@northfield.edu", 0.9, "eng"),
    ]
    assert cross_engine_value("work_email", readings) is None


def test_an_email_cleaned_out_of_a_longer_reading_is_not_confirmed() -> None:
    readings = [
        r("|.wilson@northfield.edu", 0.97, "rapid"),
        r(".wilson@northfield.edu", 0.9, "eng"),
    ]
    assert cross_engine_value("work_email", readings) is None


def test_a_clear_email_is_confirmed() -> None:
    readings = [r("s.zhang@example.edu", 0.99, "rapid"), r("s.zhang@example.edu", 0.88, "eng")]
    assert cross_engine_value("work_email", readings) == "s.zhang@example.edu"


def test_a_reading_cut_at_the_crop_edge_cannot_vote() -> None:
    readings = [
        r("wilson@northfield.edu", 0.99, "rapid", edged=True),
        r("wilson@northfield.edu", 0.9, "Latin"),
    ]
    assert cross_engine_value("work_email", readings) is None


def test_dates_agree_on_the_day_whatever_the_writing() -> None:
    readings = [r("2024年7月25日", 0.99, "rapid"), r("2024 年 7 月 25 日", 0.8, "chi_sim")]
    assert cross_engine_value("date", readings) == "2024-07-25"


# ---- the vote with two engines (`vote.vote`) ---------------------------------------------


def _voted(key: str, readings: list[Reading]) -> str | None:
    from licensebot.reading.vote import vote

    got = vote(key, readings)
    return got.value if got else None


def test_in_the_vote_two_engines_count_for_more_than_two_passes_of_one() -> None:
    # Tesseract's passes disagree: no vote of theirs; RapidOCR sides with the sure Latin model
    passes = [r("Hillcrest University", 0.86, "Latin"), r("Hi1lcrest Unlversity", 0.55, "eng")]
    assert _voted("affiliation", passes) is None
    both = [*passes, r("Hillcrest University", 0.99, "rapid")]
    assert _voted("affiliation", both) == "Hillcrest University"


def test_in_the_vote_rapidocrs_confidence_is_not_what_makes_a_value_sure() -> None:
    # a weak Tesseract reading and a "sure" RapidOCR one: RapidOCR is sure of its errors too
    # (a fair partner, `PARTNER_FAIR`, is another matter)
    weak = [r("Professor", 0.3, "Latin"), r("Professor", 0.99, "rapid")]
    assert _voted("signer_title", weak) is None


def test_in_the_vote_one_engines_reading_twice_is_one_vote() -> None:
    twice = [r("Dean", 0.99, "rapid"), r("Dean", 0.99, "rapid")]
    assert _voted("signer_title", twice) is None
    same_model = [r("Dean of Studies", 0.92, "eng"), r("Dean of Studies", 0.92, "eng")]
    assert _voted("signer_title", same_model) is None


def test_in_the_vote_rapidocr_reading_otherwise_stops_two_agreeing_passes() -> None:
    passes = [r("Shuangging Li", 0.93, "eng"), r("Shuangging Li", 0.88, "chi_sim+eng")]
    assert _voted("signer_name", passes) == "Shuangging Li"  # Tesseract's habit, twice
    doubted = [*passes, r("Shuangqing Li", 0.99, "rapid")]
    assert _voted("signer_name", doubted) is None


def test_in_the_vote_a_pass_reading_an_l_for_an_i_against_both_engines_is_no_dissent() -> None:
    # (not `Human-Centred AI`: an affiliation's `Al` there is `AI`, `clean.clean_affiliation`)
    value = "Centre for Vision, Building I"
    passes = [r(value, 0.84, "Latin"), r(value, 0.83, "Latin"), r(value[:-1] + "l", 0.91, "eng")]
    assert _voted("affiliation", passes) is None  # one engine's passes disagree
    assert _voted("affiliation", [*passes, r(value, 0.8, "rapid")]) == value
    # not in a name, where every letter is the person's
    name = [r("Ilya Petrov", 0.84, "Latin"), r("Ilya Petrov", 0.83, "Latin")]
    name += [r("llya Petrov", 0.91, "eng"), r("Ilya Petrov", 0.8, "rapid")]
    assert _voted("signer_name", name) is None


def test_in_the_vote_rapidocr_dropping_accents_is_no_dissent() -> None:
    passes = [r("José Peña", 0.91, "Latin"), r("José Peña", 0.86, "Latin")]
    with_rapid = [*passes, r("Jose Pena", 0.99, "rapid")]
    assert _voted("signer_name", with_rapid) == "José Peña"
    # and RapidOCR with `eng` (both drop accents) never make a name
    dropped = [r("Jose Pena", 0.95, "eng"), r("Jose Pena", 0.99, "rapid")]
    assert _voted("signer_name", dropped) is None


def test_a_name_with_letters_of_its_own_is_confirmed_by_their_plain_spelling() -> None:
    # RapidOCR's alphabet has no ø or æ: it writes them as English does
    readings = [
        Reading("Søren Kjær", 0.96, model="Latin"),
        Reading("Sgren Kjeer", 0.85, model="eng"),  # a model without those letters: no dissent
        Reading("Soren Kjaer", 0.96, model="rapid"),
    ]
    assert cross_engine_value("signer_name", readings) == "Søren Kjær"


def test_a_plain_spelling_of_another_letter_confirms_nothing() -> None:
    readings = [
        Reading("Søren Kjær", 0.96, model="Latin"),
        Reading("Soren Kjeer", 0.96, model="rapid"),
    ]
    assert cross_engine_value("signer_name", readings) is None


# ---- word for word ----------------------------------------------------------------------------

ABC = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789,.-üäéèàÜ")


def words(key: str, readings: list[Reading]) -> str | None:
    found = word_for_word(key, readings, alphabet=lambda: ABC)
    return None if found is None else found[0]


def test_an_address_read_alike_but_for_a_digit_of_a_letters_shape_is_rapids() -> None:
    eng = "Cambridge CB4 OWS, United Kingdom"
    readings = [r(eng, 0.79, "eng"), r(eng, 0.67, "Latin")]
    readings.append(r("Cambridge CB4 0WS, United Kingdom", 0.91, "rapid"))
    assert words("address", readings) == "Cambridge CB4 0WS, United Kingdom"


def test_letters_rapid_cannot_write_are_the_latin_models() -> None:
    readings = [r("Arcisstraße 21, 80333 München, Germany", 0.82, "Latin")]
    readings.append(r("ArcisstraBe 21, 80333 Munchen, Germany", 0.93, "rapid"))
    assert words("address", readings) == "Arcisstraße 21, 80333 München, Germany"


def test_eng_cannot_give_back_the_letters_rapid_dropped() -> None:
    # `eng` reads no accents either: its `Munchen` is no evidence of `München`
    readings = [r("Technische Universitat Munchen", 0.9, "eng")]
    readings.append(r("Technische Universität München", 0.95, "rapid"))
    assert words("affiliation", readings) is None


def test_stray_marks_between_words_are_no_disagreement() -> None:
    readings = [r("Floor 18, Tower] B, Shenzhen 518057, China", 0.65, "Latin")]
    readings.append(r("Floor 18, Tower B, Shenzhen 518057, China", 0.86, "rapid"))
    assert words("address", readings) == "Floor 18, Tower B, Shenzhen 518057, China"


def test_a_word_more_or_another_word_is_no_agreement() -> None:
    more = [r("Research Group Leader", 0.95, "rapid"), r("Research Leader", 0.9, "Latin")]
    other = [r("Senior Lecturer", 0.95, "rapid"), r("Senior Student", 0.9, "Latin")]
    assert words("signer_title", more) is None
    assert words("signer_title", other) is None


def test_digits_and_letters_of_one_shape_settle_only_the_address() -> None:
    # the affiliation is judged by its letters (its domain, the `AI` of a name): no guessing
    readings = [r("Lab 10 of Vision", 0.95, "rapid"), r("Lab IO of Vision", 0.9, "Latin")]
    assert words("affiliation", readings) is None
    assert words("address", readings) == "Lab 10 of Vision"


def test_too_many_shape_swaps_are_another_reading() -> None:
    readings = [r("Unit 101, Block 0, 1010 Road", 0.95, "rapid")]
    readings.append(r("Unit IOI, Block O, IOIO Road", 0.9, "eng"))
    assert words("address", readings) is None


def test_a_fair_reading_of_other_words_stops_a_judged_field() -> None:
    readings = [r("Universität Wien", 0.95, "rapid"), r("Universität Wien", 0.9, "Latin")]
    agreed = [*readings, r("Universitat Wien", 0.9, "eng")]
    stopped = [*readings, r("Universitat Bern", 0.9, "eng")]
    assert words("affiliation", agreed) == "Universität Wien"
    assert words("affiliation", stopped) is None


def test_a_reading_cut_at_its_crops_edge_agrees_on_nothing() -> None:
    readings = [
        r("Floor 18, Tower B", 0.95, "rapid", edged=True),
        r("Floor 18, Tower B", 0.9, "eng"),
    ]
    assert words("address", readings) is None


def test_a_chinese_partner_needs_the_floor_tesseract_keeps_for_chinese() -> None:
    # Tesseract scores Chinese print lower than Latin print: 0.7 is a fair Chinese reading
    fair = [r("郭思远", 0.99, "rapid"), r("郭思远", 0.7, "chi_sim")]
    weak = [r("郭思远", 0.99, "rapid"), r("郭思远", 0.5, "chi_sim")]
    latin = [r("Guo Siyuan", 0.99, "rapid"), r("Guo Siyuan", 0.7, "Latin")]
    assert cross_engine_value("signer_name", fair) == "郭思远"
    assert cross_engine_value("signer_name", weak) is None
    assert cross_engine_value("signer_name", latin) is None


def test_a_rules_remnant_before_the_value_is_no_dissent() -> None:
    # `_s.reed@...` is no email at all (a rule's stub read as `_`), and its letters are the
    # value's: it does not stop two engines agreeing; another address does
    agree = [
        r("s.reed@bluepeak-vision.com", 0.99, "rapid"),
        r("s.reed@bluepeak-vision.com", 0.89, "eng"),
    ]
    stub = [*agree, r("_s.reed@bluepeak-vision.com", 0.9, "Latin")]
    other = [*agree, r("s.read@bluepeak-vision.com", 0.9, "Latin")]
    assert cross_engine_value("work_email", stub) == "s.reed@bluepeak-vision.com"
    assert cross_engine_value("work_email", other) is None


def test_a_rules_stub_glued_before_an_email_is_no_letter_of_it() -> None:
    readings = [
        r("_s.reed@bluepeak-vision.com", 0.89, "eng"),
        r("s.reed@bluepeak-vision.com", 0.99, "rapid"),
    ]
    assert cross_engine_value("work_email", readings) == "s.reed@bluepeak-vision.com"
    # a `|` where `l` may stand is still no agreement
    ambiguous = [r("|.wilson@westmoor.edu", 0.9, "eng"), r("l.wilson@westmoor.edu", 0.99, "rapid")]
    assert cross_engine_value("work_email", ambiguous) is None


def test_a_less_sure_pass_of_tesseract_does_not_outvote_two_engines() -> None:
    # a photo: Tesseract at 300 dpi reads `Protessor`, less sure than its own `Professor`,
    # which RapidOCR reads too; a surer dissent still stops it
    agreed = [r("Assistant Professor", 0.95, "rapid"), r("Assistant Professor", 0.96, "eng")]
    weaker = [*agreed, r("Assistant Protessor", 0.93, "eng")]
    surer = [*agreed, r("Assistant Protessor", 0.97, "Latin")]
    assert cross_engine_value("signer_title", weaker) == "Assistant Professor"
    assert cross_engine_value("signer_title", surer) is None


def test_a_date_only_rapidocr_reads_whole_and_sure_is_the_date() -> None:
    # Tesseract's digits of a photo's date come out as junk: the date read whole by RapidOCR
    junk = [r("2024+1HQ994", 0.3, "eng"), r("2024 €3A258", 0.3, "chi_sim+eng")]
    assert _voted("date", [*junk, r("2024-01-09", 1.0, "rapid")]) == "2024-01-09"
    # not surely read, cut at the crop's edge, or another date read there: no value
    assert _voted("date", [*junk, r("2024-01-09", 0.9, "rapid")]) is None
    assert _voted("date", [*junk, r("2024-01-09", 1.0, "rapid", edged=True)]) is None
    other = r("2024-01-08", 0.4, "eng")
    assert _voted("date", [other, r("2024-01-09", 1.0, "rapid")]) is None
    # other fields are never one engine's word alone
    assert _voted("signer_title", [*junk, r("Professor", 1.0, "rapid")]) is None


def test_an_l_for_a_capital_i_is_one_reading_and_the_partners_letter_stands() -> None:
    # RapidOCR reads a sans-serif `I` as `l`; Tesseract weighs the letter by its word
    tess = "Laboratoire d'Informatique et de Vision"
    readings = [r(tess, 0.88, "eng"), r(tess, 0.85, "Latin")]
    readings.append(r("Laboratoire d'lnformatique et de Vision", 0.94, "rapid"))
    assert words("affiliation", readings) == tess
    address = [
        r("2250 Innovation Parkway", 0.93, "eng"),
        r("2250 lnnovation Parkway", 0.77, "rapid"),
    ]
    assert words("address", address) == "2250 Innovation Parkway"


def test_a_letter_whose_capital_is_its_small_letter_bigger_is_the_partners_case() -> None:
    address = [
        r("38 Zheda Road, Xihu District, Hangzhou 310027, China", 0.927, "eng"),
        r("38 Zheda Road, xihu District, Hangzhou 310027, China", 0.87, "rapid"),
    ]
    assert words("address", address) == "38 Zheda Road, Xihu District, Hangzhou 310027, China"
    # a letter of two shapes (`h`, `H`) in another case is another reading
    other = [r("Hangzhou", 0.95, "eng"), r("hangzhou", 0.95, "rapid")]
    assert words("address", other) is None
    # three such doubts are too many; and where the rules judge the letters, one is a doubt
    many = [r("Ox Cos Vox Road", 0.95, "eng"), r("ox cos vox Road", 0.95, "rapid")]
    assert words("address", many) is None
    title = [r("Vice Dean", 0.95, "eng"), r("vice Dean", 0.95, "rapid")]
    assert words("signer_title", title) is None


def test_an_l_for_an_i_is_still_a_doubt_in_a_name_or_an_email() -> None:
    name = [r("Ilya Petrov", 0.9, "Latin"), r("llya Petrov", 0.95, "rapid")]
    email = [r("i.petrov@hse.ru", 0.9, "eng"), r("l.petrov@hse.ru", 0.95, "rapid")]
    assert words("signer_name", name) is None
    assert cross_engine_value("signer_name", name) is None
    assert cross_engine_value("work_email", email) is None


def test_a_letter_rapid_cannot_write_spelt_with_its_own_letters_is_the_latin_models() -> None:
    # `ß` read `S`, `ü` read `ui`: the accented model's letters, word for word
    readings = [r("Arcisstrage 21, 80333 Miinchen, Germany", 0.52, "eng")]
    readings.append(r("Arcisstraße 21, 80333 München, Germany", 0.6, "Latin"))
    readings.append(r("ArcisstraSe 21, 80333 Muinchen, Germany", 0.89, "rapid"))
    assert words("address", readings) == "Arcisstraße 21, 80333 München, Germany"
    # but plain letters read otherwise are other words, and `eng` gives back no accents
    other = r("ArcisstraSe 21, 80333 Muinchen, Gormany", 0.89, "rapid")
    assert words("address", [readings[1], other]) is None
    assert words("address", [readings[0], readings[2]]) is None


def test_a_letter_rapidocr_left_out_of_the_address_is_the_partners() -> None:
    tess = "Cambridge CB4 OWS, United Kingdom"
    readings = [r(tess, 0.9, "eng"), r("Cambridge CB4 0WS, Unitd Kingdom", 0.8, "rapid")]
    assert words("address", readings) == "Cambridge CB4 0WS, United Kingdom"
    # an unsure partner's letter more is its own misreading (a `g`'s tail on an underline)
    douga = [r("Douga McDonell Building", 0.62, "Latin"), r("Doug McDonell Building", 0.9, "rapid")]
    assert words("address", douga) is None
    # in a field the rules judge, a letter less is another reading
    title = [r("Associate Professor", 0.9, "eng"), r("Associate Profesor", 0.95, "rapid")]
    assert words("signer_title", title) is None


def test_an_accented_letter_rapidocr_read_as_another_is_the_latin_models_in_the_address() -> None:
    latin = r("Arcisstraße 21, 80333 München, Germany", 0.92, "Latin")
    rapid = r("ArcisstraBe 21, 80333 Minchen, Germany", 0.95, "rapid")
    assert words("address", [latin, rapid]) == "Arcisstraße 21, 80333 München, Germany"
    # `eng` has no accents to give back, and a judged field takes no such letter
    assert (
        words("address", [r("Arcisstrasse 21, 80333 Munchen, Germany", 0.92, "eng"), rapid]) is None
    )
    uni = [
        r("Technische Universität München", 0.92, "Latin"),
        r("Technische Universitat Minchen", 0.95, "rapid"),
    ]
    assert words("affiliation", uni) is None


def test_a_comma_one_engine_read_as_a_period_is_a_comma() -> None:
    # blur and an erased underline take a comma's tail; nothing gives a period one
    assert (
        comma_for_period("Wuhan. Hubei 430074. China", "Wuhan, Hubei 430074, China")
        == "Wuhan, Hubei 430074, China"
    )
    assert comma_for_period("Co.. Ltd.", "Co., Ltd.") == "Co., Ltd."
    # letters RapidOCR cannot write stay the value's
    assert comma_for_period("Arcisstraße 21. Munich", "ArcisstraBe 21, Munich") == (
        "Arcisstraße 21, Munich"
    )
    # RapidOCR leaves out spaces: the value keeps its own
    assert comma_for_period(
        "12 Rue des Sciences. 53000 Laval", "12 Rue desSciences,53000 Laval"
    ) == ("12 Rue des Sciences, 53000 Laval")


@pytest.mark.parametrize(
    ("value", "other"),
    [
        ("Wuhan, Hubei", "Wuhan, Hubei"),  # the same: nothing to settle
        ("Wuhan. Hubei", "Wuhan. Hubel"),  # another letter: another value
        ("Wuhan. Hubei", "Wuhan; Hubei"),  # a semicolon is no comma
        ("Wuhan. Hubei", "Wuhan, Hubei 1"),  # another length
        ("Wuhan. Hubei", "Wuhan, Hube"),  # a letter short
    ],
)
def test_only_commas_for_periods_are_settled(value: str, other: str) -> None:
    assert comma_for_period(value, other) is None


def test_a_chinese_name_tesseract_reads_alike_at_two_sizes_however_unsure_and_rapid_is_it() -> None:
    name = [
        r("徐文博", 0.072, "chi_sim"),
        r("徐文博", 0.349, "chi_sim"),
        r("徐文博", 0.999, "rapid"),
    ]
    assert cross_engine_value("signer_name", name) == "徐文博"
    # one Tesseract reading (or one read twice: the same confidence) is not enough
    assert cross_engine_value("signer_name", [name[0], name[2]]) is None
    assert cross_engine_value("signer_name", [name[0], name[0], name[2]]) is None
    # nor when Tesseract's two sizes read two names
    other = [r("徐文博", 0.072, "chi_sim"), r("徐文傅", 0.349, "chi_sim"), name[2]]
    assert cross_engine_value("signer_name", other) is None


_STRASSE = "Arcisstraße 21, 80333 München, Germany"


def test_letters_rapidocr_lacks_come_from_the_latin_model_when_the_rest_agrees() -> None:
    # the accented model alone writes `ß` and `ü`, at 0.54 (those letters are its doubt);
    # RapidOCR reads every other letter alike, surely; the models without them are junk
    readings = [
        r("Arcisstrape 21, 80333 Munchen, Germany", 0.55, "chi_sim+eng"),
        r(_STRASSE, 0.54, "Latin"),
        r("ArcisstraBe 21, 80333 Munchen, Germany", 0.98, "rapid"),
    ]
    found = accented_by_latin("address", readings)
    assert found is not None and found[0] == _STRASSE
    # not a name (its own rules), an email or a date (every character counts)
    assert accented_by_latin("work_email", readings) is None


def test_accents_one_model_saw_unsurely_where_both_engines_read_plain_letters_are_specks() -> None:
    # a worn copy's specks under `e` and `a`: the accented model alone, at 0.48, writes
    # `Scięnce` and `Chiņą`; `eng` reads the plain letters at 0.96, as RapidOCR does
    plain = "University of Science and Technology of China"
    readings = [
        r(plain, 0.96, "eng"),
        r("University of Scięnce and Technology of Chiņą", 0.48, "Latin"),
        r(plain, 0.998, "rapid"),
    ]
    assert accented_by_latin("affiliation", readings) is None
    # where the print has the letters, the passes without them read junk there
    readings[0] = r("Arcisstrage 21, 80333 Munchen, Germany", 0.07, "eng")
    readings[1:] = [
        r(_STRASSE, 0.54, "Latin"),
        r("ArcisstraBe 21, 80333 Munchen, Germany", 0.98, "rapid"),
    ]
    found = accented_by_latin("address", readings)
    assert found is not None and found[0] == _STRASSE


def test_an_accent_one_model_saw_where_a_sure_pass_keeping_the_others_reads_plain_is_a_speck() -> (
    None
):
    # a worn copier's speck over the last `a`: the accented model writes `Politécnicá` at 0.92;
    # `eng`, which has `é` and keeps it, reads a plain `a` at 0.96, and RapidOCR (no accents)
    # reads every letter alike: neither word for word nor by the accented model's letters does
    # `Politécnicá` stand (it had been recorded); `Politécnica` by `eng` alone does not either
    readings = [
        r("Universidad Politécnica de Madrid", 0.96, "eng"),
        r("Universidad Politécnicá de Madrid", 0.92, "Latin"),
        r("Universidad Politecnica de Madrid", 0.989, "rapid"),
    ]
    assert word_for_word("affiliation", readings) is None
    assert accented_by_latin("affiliation", readings) is None
    # with the `eng` pass unsure of its plain letter, the accented model's letters stand
    readings[0] = r("Universidad Politécnica de Madrid", 0.6, "eng")
    found = word_for_word("affiliation", readings)
    assert found is not None and found[0] == "Universidad Politécnicá de Madrid"


@pytest.mark.parametrize(
    "rapid, conf",
    [
        ("ArcisstraBe 21, 80333 Munchen, Germany", 0.8),  # RapidOCR unsure
        ("ArcisstraBe 27, 80333 Munchen, Germany", 0.98),  # another letter than the Latin's
        ("ArcisstraBe21, 80333 Munchen, Germany", 0.98),  # a space lost: not word for word
    ],
)
def test_accented_letters_need_rapidocr_sure_of_every_other_letter(rapid: str, conf: float) -> None:
    readings = [r(_STRASSE, 0.54, "Latin"), r(rapid, conf, "rapid")]
    assert accented_by_latin("address", readings) is None


def test_accented_letters_stop_at_a_sure_reading_with_other_letters() -> None:
    readings = [
        r(_STRASSE, 0.54, "Latin"),
        r("ArcisstraBe 21, 80333 Munchen, Germany", 0.98, "rapid"),
        r("Arcisstrafge 21, 80333 Munchen, Germany", 0.71, "eng"),  # a letter more
    ]
    assert accented_by_latin("address", readings) is None
    # a value with no letter RapidOCR lacks is the ordinary agreement's, not this one's
    plain = [r("Parkville 3010", 0.5, "Latin"), r("Parkville 3010", 0.98, "rapid")]
    assert accented_by_latin("address", plain) is None


def test_a_partner_reading_every_mark_rapidocr_reads_comes_first() -> None:
    # `d'Informatique`: a surer pass lost the apostrophe (`d Informatique`), `eng` read it,
    # as RapidOCR did (its spaces lost): the apostrophe is the value's
    value = "Laboratoire d'Informatique et de Vision de Laval"
    readings = [
        r("Laboratoire d Informatique et de Vision de Laval", 0.88, "chi_sim+eng"),
        r(value, 0.82, "eng"),
        r("Laboratoired'Informatiqueet deVision de Laval", 0.97, "rapid"),
    ]
    assert words("affiliation", readings) == value


@pytest.mark.parametrize(
    ("value", "other", "same"),
    [
        ("Søren Kjær", "Soren Kjaer", True),  # letters of their own as English writes them
        ("Łukasz Wójcik", "Lukasz Wojcik", True),
        ("Arcisstraße 21", "ArcisstraBe 21", True),  # `ß` read as the `B` of its shape
        ("Peña", "Pena", True),
        # a worn `n` the accented model read `ħ`: RapidOCR's `n` does not confirm it
        ("Techħical University of Munich", "Technical University of Munich", False),
        ("Søren", "Sxren", False),
    ],
)
def test_a_value_read_plain_by_the_other_engine_is_only_its_letters_plain(
    value: str, other: str, same: bool
) -> None:
    assert unaccented(value, other) is same


def test_passes_without_the_letters_read_other_shapes_there_and_do_not_dissent() -> None:
    # a worn copy: Tesseract's passes without `ß` read `p` and `g` in its place; RapidOCR reads
    # it `B` and `ü` plain: the accented model's letters stand
    value = "Arcisstraße 21, 80333 München, Germany"
    readings = [
        r(value, 0.53, "Latin"),
        r("Arcisstrape 21, 80333 Munchen, Germany", 0.71, "chi_sim+eng"),
        r("Arcisstrage 21, 80333 Munchen, Germany", 0.07, "eng"),
        r("ArcisstraBe 21, 80333 Munchen, Germany", 0.98, "rapid"),
    ]
    got = accented_by_latin("address", readings)
    assert got is not None and got[0] == value
    # ... but RapidOCR's `n` confirms no `ħ` the accented model read for a worn `n`
    worn = [
        r("Techħical University of Munich", 0.81, "Latin"),
        r("Techhical University of Munich", 0.91, "eng"),
        r("Technical University of Munich", 0.99, "rapid"),
    ]
    assert accented_by_latin("affiliation", worn) is None
