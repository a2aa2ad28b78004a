"""Two engines agreeing on a cell: when that makes a value, and when it must not."""

from __future__ import annotations

from licensebot.core.form import Reading
from licensebot.reading.agreement import cross_engine_value


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
    readings = [r("Professor", 0.99, "rapid"), r("Professor", 0.5, "Latin")]
    assert cross_engine_value("signer_title", readings) is None


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
    weak = [r("Professor", 0.5, "Latin"), r("Professor", 0.99, "rapid")]
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
