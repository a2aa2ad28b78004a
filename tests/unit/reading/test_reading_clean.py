import pytest

from licensebot.reading.clean import CLEANERS, clean_date, clean_email, clean_name, clean_text


@pytest.mark.parametrize(
    ("written", "iso"),
    [
        ("15/03/2024", "2024-03-15"),
        ("March 15, 2024", "2024-03-15"),
        ("2024年3月15日", "2024-03-15"),
        ("2024 年 3 月 15 日", "2024-03-15"),
        ("2024-03-15", "2024-03-15"),
        ("15 March 2024", "2024-03-15"),
        ("Mar. 15, 2024", "2024-03-15"),
        ("15.03.2024", "2024-03-15"),
        ("2024/03/15", "2024-03-15"),
        ("03/15/2024", "2024-03-15"),
        ("5th of June 2024", "2024-06-05"),
        # a month name read with one letter wrong (RapidOCR's `0` for `O`, a `J` lost)
        ("15 0ctober 2024", "2024-10-15"),
        ("6 anuary 2025", "2025-01-06"),
        ("Septernber 3, 2024", "2024-09-03"),
        # RapidOCR leaves out a line's spaces: the month and its numbers glued together
        ("September8,2024", "2024-09-08"),
        ("June3,2024", "2024-06-03"),
        ("8June2025", "2025-06-08"),
        ("3 0ctober 2024", "2024-10-03"),
    ],
)
def test_dates_become_iso_whatever_way_they_were_written(written: str, iso: str) -> None:
    assert clean_date(written) == iso


@pytest.mark.parametrize(
    "written",
    ["03/04/2024", "March 2024", "31/02/2024", "soon", "", "4 Jxxe 2024", "Jun32024"],
)
def test_ambiguous_or_impossible_dates_are_not_guessed(written: str) -> None:
    assert clean_date(written) is None


def test_emails_are_normalised_and_invalid_ones_refused() -> None:
    assert clean_email(" San.Zhang@Example.EDU ") == "san.zhang@example.edu"
    assert clean_email("san.zhang @ example.edu") == "san.zhang@example.edu"
    assert clean_email("mailto:a@b.org") == "a@b.org"
    assert clean_email("san.zhang at example") is None
    assert clean_email("a@@b.org") is None


def test_names_keep_accents_and_chinese_and_refuse_noise() -> None:
    assert clean_name("  José   García ") == "José García"
    assert clean_name("张 三") == "张三"
    assert clean_name("J0hn Sm1th") is None
    assert clean_name("___") is None
    assert clean_text("Southbay Technology Co., Ltd.") == "Southbay Technology Co., Ltd."


def test_part_of_a_chinese_name_is_no_name() -> None:
    assert clean_name("陈静") == "陈静"
    assert clean_name("陈") is None
    assert clean_name("陈静 x") is None


def test_an_address_email_validator_refuses_is_no_work_email() -> None:
    """Its syntax is email-validator's to judge, not a hand-written pattern's."""
    assert clean_email("Z.San@USTC.edu.cn") == "z.san@ustc.edu.cn"
    for misread in ("z..san@ustc.edu.cn", "z.san@-ustc.edu.cn", "z.san@ustc..edu.cn", "z.san@cn"):
        assert clean_email(misread) is None, misread
    assert clean_email("z|san@ustc.edu.cn") is None  # a cell's rule read as a character


def test_the_cleaners_compile_no_pattern_while_they_clean(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A single-use reader forked from the warmed fork server cleans a form's values with
    patterns compiled when the modules were imported (the CJK ranges take ~2 ms each to
    compile), not through the `re` module's cache, which holds only what the server's warm-up
    happened to read."""
    import re
    import traceback

    from licensebot.reading.clean import clean_date, clean_email, clean_name, clean_text
    from licensebot.reading.layout import Word, join_words

    compiled: list[object] = []
    real = re._compiler.compile  # type: ignore[attr-defined]

    def counting(pattern: object, flags: int = 0) -> object:
        caller = next(f for f in traceback.extract_stack()[-2::-1] if "/re/" not in f.filename)
        if "licensebot" in caller.filename:  # a library's own patterns are its business
            compiled.append(pattern)
        return real(pattern, flags)

    re.purge()
    monkeypatch.setattr(re._compiler, "compile", counting)  # type: ignore[attr-defined]
    words = [Word(t, 10.0 * i, 0.0, 10.0 * i + 8, 10.0) for i, t in enumerate(["张", "三"])]
    assert join_words(words) == "张三"
    assert clean_name(" 张 三 ") == "张三"
    assert clean_name("Dr. Anna   Fischer ,") == "Dr. Anna Fischer"
    assert clean_text("Northfield  University ( UK )") == "Northfield University (UK)"
    assert clean_email("mailto: a.fischer@northfield.edu") == "a.fischer@northfield.edu"
    assert clean_date("15th March 2024") == "2024-03-15"
    assert compiled == []


@pytest.mark.parametrize(
    ("key", "read", "value"),
    [
        # `E-mail (邮箱):` with its Chinese read as junk before the value: the label's end
        ("work_email", "fal): yang.liu@tum.de", "yang.liu@tum.de"),
        ("work_email", "箱）： yang.liu@tum.de", "yang.liu@tum.de"),
        ("affiliation", "42): Technical University of Munich", "Technical University of Munich"),
        ("date", "期): 2024-05-06", "2024-05-06"),
        ("work_email", "箱 ): l.bennett@upm.es", "l.bennett@upm.es"),
        ("date", "日期 ): September 8, 2024", "2024-09-08"),
        # a Chinese label's last characters and its colon (`工作单位：`, `姓名：`)
        (
            "affiliation",
            "位： College of Computer Science and Technology, Zhejiang University",
            "College of Computer Science and Technology, Zhejiang University",
        ),
        ("signer_name", "名：张三", "张三"),
        # `Affiliation (institute, university, company)` over its value, its last word in
        # the value's crop
        (
            "affiliation",
            "company) College of Computer Science, Zhejiang University",
            "College of Computer Science, Zhejiang University",
        ),
        # brackets that are the value's own stay
        (
            "affiliation",
            "Bluepeak Vision (Shenzhen) Co., Ltd.",
            "Bluepeak Vision (Shenzhen) Co., Ltd.",
        ),
        ("address", "(Building 3) 12 Road", "(Building 3) 12 Road"),
        ("signer_title", "Professor (Emeritus)", "Professor (Emeritus)"),
    ],
)
def test_a_labels_bracketed_tail_read_before_the_value_is_no_part_of_it(
    key: str, read: str, value: str
) -> None:
    from licensebot.reading.clean import CLEANERS

    assert CLEANERS[key](read) == value


def test_a_word_that_is_all_a_labels_tail_is_told_from_a_values_own_brackets() -> None:
    from licensebot.reading.clean import label_tail

    assert all(label_tail(w) for w in ("fal):", "箱）：", "42):", '#8)"', "位：", "单位:"))
    assert not any(label_tail(w) for w in ("(Shenzhen)", "Co.,", "Professor", "2024", "张三"))


@pytest.mark.parametrize(
    "read, value",
    [
        # a speck beside a comma read as a second one; a star of dirt before the value
        ("*Suite 400, 3 Main Road, ,London", "Suite 400, 3 Main Road, London"),
        ("Floor 18,, Tower B ;; Shenzhen", "Floor 18, Tower B; Shenzhen"),
        # one separator, and a comma inside a number, are the value's
        ("12 Rue des Sciences, 53000 Laval", "12 Rue des Sciences, 53000 Laval"),
        ("Suite 1,200, Main Road", "Suite 1,200, Main Road"),
        # a UK postcode's inward code starts with a digit, read as the letter of its shape
        # by both engines alike in a sans-serif print
        ("Cambridge CB4 OWS, United Kingdom", "Cambridge CB4 0WS, United Kingdom"),
        ("London SW1A lAA, UK", "London SW1A 1AA, UK"),
        # ... and only there: a right postcode, and words that only look like one, stay
        ("Cambridge CB4 0WS, United Kingdom", "Cambridge CB4 0WS, United Kingdom"),
        ("Room B2 OAK Hall", "Room B2 OAK Hall"),  # `OAK`: K is no inward code's letter
        # a letter of the shape of `1` or `0` inside a number is that digit (RapidOCR's
        # `Victoria 30i0`: the address had been left unread for it); a unit's `B` stays
        ("Parkville, Victoria 30i0, Australia", "Parkville, Victoria 3010, Australia"),
        ("Room 3O1, Block 2l", "Room 301, Block 2l"),
        ("Flat 3B4, 12 Main Road", "Flat 3B4, 12 Main Road"),
        # an underscore at a word's edge is an underline's end, read with the word
        (
            "Science Park, Cambridge _CB4 0WS, United Kingdom",
            "Science Park, Cambridge CB4 0WS, United Kingdom",
        ),
        ("Hefei_ Anhui", "Hefei Anhui"),
        # a crease or a column rule read as a bar between two words is no part of it
        (
            "1037 Luoyu Road, Hongshan District, \\ Wuhan",
            "1037 Luoyu Road, Hongshan District, Wuhan",
        ),
        ("38 Zheda Road | Hangzhou", "38 Zheda Road Hangzhou"),
        ("Flat 3/12, 5 Hill Road", "Flat 3/12, 5 Hill Road"),  # a slash of its own stays
    ],
)
def test_an_address_is_cleaned_of_what_ocr_adds_and_keeps_its_own(read: str, value: str) -> None:
    assert CLEANERS["address"](read) == value


def test_a_comma_ocr_ran_into_the_next_word_gets_its_space_back() -> None:
    # soft print's `430074,China`: a value's commas are followed by a space
    assert CLEANERS["address"]("Wuhan, Hubei 430074,China") == "Wuhan, Hubei 430074, China"
    assert CLEANERS["affiliation"]("Bluepeak Co.,Ltd.") == "Bluepeak Co., Ltd."
    # not between digits, nor in Chinese
    assert CLEANERS["address"]("Building 1,2") == "Building 1,2"
    assert CLEANERS["address"]("北京市,海淀区") == "北京市,海淀区"


def test_the_last_dots_of_a_leader_are_no_part_of_the_value() -> None:
    assert CLEANERS["address"](".Suite 400, Cambridge") == "Suite 400, Cambridge"
    assert CLEANERS["signer_title"]("... Chief Technology Officer") == "Chief Technology Officer"
    # a dot inside or at the end is the value's
    assert CLEANERS["affiliation"]("Bluepeak Co., Ltd.") == "Bluepeak Co., Ltd."


@pytest.mark.parametrize(
    "key, read",
    [
        # a stacked label's second line above the value (a photo's crop took it in)
        ("address", "of the affiliation Doug McDonell Building, Parkville, Victoria 3010"),
        # a hinted label's Chinese line beside the value's last line
        ("address", "地址 28040 Madrid, Spain"),
        ("affiliation", "Technical University of Munich Affiliation"),
        ("signer_title", "Position: Full Professor"),
        ("signer_name", "Signer's name Grace Whitmore"),
    ],
)
def test_a_value_with_a_labels_words_at_an_edge_is_unread(key: str, read: str) -> None:
    # the label's words are no part of the value, and the crop that took them in may have
    # lost the value's own first line: neither `28040 Madrid, Spain` nor the label's words
    assert CLEANERS[key](read) is None


@pytest.mark.parametrize(
    "key, value",
    [
        ("affiliation", "Department of Computing and Information Systems, University of Melbourne"),
        ("affiliation", "Institute of Automation, Chinese Academy of Sciences"),
        ("affiliation", "Smithsonian Institution"),
        ("signer_title", "Head of Department"),
        ("signer_title", "Professor and Dean"),
        ("address", "96 Jinzhai Road, Baohe District, Hefei, Anhui 230026, China"),
        ("signer_name", "Dean Martin"),
    ],
)
def test_a_value_that_begins_or_ends_with_words_labels_share_is_kept(key: str, value: str) -> None:
    # `of`, `the`, `university`, `department`, `dean` are words of labels and of values alike
    assert CLEANERS[key](value) == value


@pytest.mark.parametrize(
    "read, value",
    [
        # `I` and `l` are one glyph in a sans-serif print: `AI` where only that word stands
        (
            "Northgate Institute for Advanced Computational Research and Human-Centred Al",
            "Northgate Institute for Advanced Computational Research and Human-Centred AI",
        ),
        ("School of Al, Peking University", "School of AI, Peking University"),
        ("Shanghai Al Laboratory", "Shanghai AI Laboratory"),
        ("Institute of Al (IAI)", "Institute of AI (IAI)"),
        ("School of Al and Robotics", "School of AI and Robotics"),
        # the Arabic article before a name stays, and so do words that only begin so
        ("Al Ain University, College of IT", "Al Ain University, College of IT"),
        ("Al-Farabi Kazakh National University", "Al-Farabi Kazakh National University"),
        ("Alan Turing Institute", "Alan Turing Institute"),
    ],
)
def test_an_affiliations_ai_read_as_al_is_ai_where_only_that_word_stands(
    read: str, value: str
) -> None:
    assert CLEANERS["affiliation"](read) == value
