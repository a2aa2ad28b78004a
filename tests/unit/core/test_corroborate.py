"""An unreadable email or name settled by the message: only by a reading that says exactly
what the sender's address or the file name says."""

from __future__ import annotations

from dataclasses import replace

import pytest

from licensebot.core.corroborate import corroborate
from licensebot.core.decide import decide
from licensebot.core.form import FieldValue, ReadForm, Reading, Source
from licensebot.core.reasons import Decision, Reason
from tests.unit.core.core_factories import SENDER, context, form


def _unsure(*readings: Reading) -> FieldValue:
    return FieldValue(None, 0.5, Source.OCR, raw=readings[0].text, readings=readings)


def test_an_unsure_email_read_once_as_the_sender_address_is_settled_by_it() -> None:
    read = form()
    email = _unsure(Reading("zhangsan@ustc.edu.cn.", 0.7), Reading("ZhangSan@ustc.edu.cn", 0.6))
    read = replace(read, fields={**read.fields, "work_email": email})
    out = corroborate(read, sender=SENDER, filename_name="San Zhang")
    fv = out.fields["work_email"]
    assert fv.value is not None and fv.value.lower() == SENDER
    assert fv.corroborated_by == "sender"
    judgement = decide(context(read=out))
    assert judgement.decision is Decision.APPROVE
    unreadable = next(r for r in judgement.results if r.rule == "unreadable")
    assert unreadable.facts["corroborated"] == ("work_email:sender",)


@pytest.mark.parametrize(
    "text",
    [
        "zhang1i@ustc.edu.cn",
        "zhang|i@ustc.edu.cn",
        "zhangli@ustc.edu.cn",
        "<zhangli@ustc.edu.cn>",
        "[zhangli@ustc.edu.cn]",
    ],
)
def test_print_look_alikes_in_an_email_are_the_sender_s_letters(text: str) -> None:
    """`l` read as `1` or `|` (or, opening the address, as a `]`) is still the sender's `l`;
    brackets around the whole address are no part of it."""
    read = form()
    read = replace(read, fields={**read.fields, "work_email": _unsure(Reading(text, 0.6))})
    out = corroborate(read, sender="zhangli@ustc.edu.cn", filename_name="San Zhang")
    assert out.fields["work_email"].value == "zhangli@ustc.edu.cn"  # the sender's, as typed
    # another letter in that place is another address
    other = _unsure(Reading(text.replace("zhang", "zhanq"), 0.9))
    read = replace(read, fields={**read.fields, "work_email": other})
    assert (
        corroborate(read, sender="zhangli@ustc.edu.cn", filename_name=None)
        .fields["work_email"]
        .value
        is None
    )


def test_an_l_read_as_a_bracket_opening_the_address_is_the_senders_l() -> None:
    read = form()
    email = _unsure(Reading("].bennett@tum.de", 0.67), Reading("bennett@tum.de", 0.4))
    read = replace(read, fields={**read.fields, "work_email": email})
    out = corroborate(read, sender="l.bennett@tum.de", filename_name=None)
    assert out.fields["work_email"].value == "l.bennett@tum.de"
    assert out.fields["work_email"].corroborated_by == "sender"
    # without the bracket the letter is missing: another address
    gone = _unsure(Reading("bennett@tum.de", 0.9))
    read = replace(read, fields={**read.fields, "work_email": gone})
    assert (
        corroborate(read, sender="l.bennett@tum.de", filename_name=None).fields["work_email"].value
        is None
    )


@pytest.mark.parametrize(
    "reading",
    [
        Reading("zhangsan@ustc.edu", 0.9),  # one letter short of the sender: another address
        Reading("zhangsam@ustc.edu.cn", 0.9),
        Reading("zhangsan@ustc.edu.cn", 0.9, edged=True),  # cut at the crop: may go on
    ],
)
def test_an_email_that_is_not_exactly_the_sender_stays_unreadable(reading: Reading) -> None:
    read = form()
    read = replace(read, fields={**read.fields, "work_email": _unsure(reading)})
    out = corroborate(read, sender=SENDER, filename_name="San Zhang")
    assert out.fields["work_email"].value is None
    assert decide(context(read=out)).decision is Decision.REVIEW


@pytest.mark.parametrize(
    ("filename_name", "reading", "settled"),
    [
        ("Alvaro Pena", "Álvaro Peña", "Álvaro Peña"),  # accents
        ("Pena Alvaro", "Álvaro Peña", "Álvaro Peña"),  # order
        ("San Zhang", "张三", "张三"),  # pinyin
        ("San Zhang", "张二", None),  # another name
        ("Jonathan Smithson", "Jonathan Smithsen", None),  # a typo is never enough here
        ("Maria Lopez", "Marie Lopez", None),
    ],
)
def test_a_name_is_settled_only_by_the_same_name_in_the_file_name(
    filename_name: str, reading: str, settled: str | None
) -> None:
    read = form()
    name = _unsure(Reading("RR", 0.8), Reading(reading, 0.75))
    read = replace(read, fields={**read.fields, "signer_name": name})
    out = corroborate(read, sender=SENDER, filename_name=filename_name)
    assert out.fields["signer_name"].value == settled
    if settled:
        assert out.fields["signer_name"].corroborated_by == "filename"


def _name_read(read_name: str, filename_name: str, conf: float = 0.92) -> ReadForm:
    """A form whose signer's name OCR read surely as `read_name`, corroborated by the file
    name's `filename_name`."""
    read = form()
    sure = FieldValue(read_name, conf, Source.OCR, raw=read_name)
    read = replace(read, fields={**read.fields, "signer_name": sure})
    return corroborate(read, sender=SENDER, filename_name=filename_name)


def test_blank_and_confident_fields_are_left_as_they_are() -> None:
    read = form(fields={"work_email": ""})
    out = corroborate(read, sender="other@ustc.edu.cn", filename_name="Si Li")
    assert out == read
    assert Reason.MISSING_FIELDS in decide(context(read=out)).reasons


@pytest.mark.parametrize(
    ("read_name", "filename_name", "settled"),
    [
        # a copier's streak through the `l`: both engines read `Ciaire`
        ("Ciaire Donovan", "Claire Donovan", "Claire Donovan"),
        ("Ciaire Donovan", "Donovan Claire", "Claire Donovan"),
        ("MiIler Hans", "Hans Miller", "Miller Hans"),
        # more than a misreading apart: the reading stands, and the rule compares it
        ("Ciaire Donovan", "Clara Donovan", "Ciaire Donovan"),
        ("Marie Curie", "Bernard Curie", "Marie Curie"),
    ],
)
def test_a_name_ocr_read_surely_takes_the_file_names_letters_only_for_print_look_alikes(
    read_name: str, filename_name: str, settled: str
) -> None:
    fv = _name_read(read_name, filename_name, conf=0.9).fields["signer_name"]
    assert fv.value == settled
    assert (fv.corroborated_by == "filename") is (settled != read_name)


def test_a_typed_name_is_never_respelled_by_the_file_name() -> None:
    read = form()
    typed = FieldValue("Ciaire Donovan", 1.0, Source.TEXT, raw="Ciaire Donovan")
    read = replace(read, fields={**read.fields, "signer_name": typed})
    out = corroborate(read, sender=SENDER, filename_name="Claire Donovan")
    assert out.fields["signer_name"].value == "Ciaire Donovan"
    filename = "DFME_License_Agreement_Claire_Donovan.pdf"
    assert Reason.BAD_FILENAME in decide(context(read=out, filename=filename)).reasons


@pytest.mark.parametrize(
    ("read_name", "filename_name"),
    [
        ("Jöra Schäfer", "Schäfer_Jörg"),  # a photo's `g` read `a` by both engines
        ("Marie Curie", "Maria Curie"),
        ("Jonathan Smithsen", "Jonathan Smithson"),
        ("Mia Castafio", "Mía Castaño"),  # `ñ` read `fi`: two letters
    ],
)
def test_a_name_ocr_read_a_letter_or_two_from_the_file_names_goes_to_a_person(
    read_name: str, filename_name: str
) -> None:
    """Not rejected for the file name (the applicant would rename a file named right): the
    name is unread, its reading kept, and the application goes to review."""
    out = _name_read(read_name, filename_name)
    fv = out.fields["signer_name"]
    assert fv.value is None and fv.unreadable
    assert read_name in [r.text for r in fv.readings]
    filename = f"DFME_License_Agreement_{filename_name.replace(' ', '_')}.pdf"
    judgement = decide(context(read=out, filename=filename))
    assert judgement.decision is Decision.REVIEW
    assert Reason.BAD_FILENAME not in judgement.reasons


@pytest.mark.parametrize(
    ("read_name", "filename_name"),
    [
        ("Li Bo", "Li Bu"),  # short names: another person as likely as a misreading
        ("Jörg Schäfer", "Hans Schäfer"),  # another given name
        ("Anna Maria Lopez", "Anna Lopez"),  # a name more
    ],
)
def test_a_name_further_from_the_file_names_is_rejected_for_the_file_name(
    read_name: str, filename_name: str
) -> None:
    out = _name_read(read_name, filename_name)
    assert out.fields["signer_name"].value == read_name
    filename = f"DFME_License_Agreement_{filename_name.replace(' ', '_')}.pdf"
    assert Reason.BAD_FILENAME in decide(context(read=out, filename=filename)).reasons
