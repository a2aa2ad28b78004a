"""Same person or not: the pairs that must pass, and the different people who must never."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from licensebot.core.names import (
    FilenameProblem,
    MatchHow,
    parse_la_filename,
    same_person,
)

SAME = [
    ("San Zhang", "San Zhang", MatchHow.EXACT),
    ("san zhang", "SAN ZHANG", MatchHow.EXACT),
    ("San_Zhang", "San Zhang", MatchHow.EXACT),
    ("San Zhang", "Zhang San", MatchHow.ORDER),
    ("Zhang, San", "San Zhang", MatchHow.ORDER),
    ("José García", "Jose Garcia", MatchHow.ACCENTS),
    ("García José", "Jose Garcia", MatchHow.ACCENTS),
    ("Jürgen Müller", "Jurgen Muller", MatchHow.ACCENTS),
    ("张三", "San_Zhang", MatchHow.PINYIN),
    ("张三", "Zhang San", MatchHow.PINYIN),
    ("张三", "ZHANGSAN", MatchHow.PINYIN),
    ("曾小明", "Zeng Xiaoming", MatchHow.PINYIN),
    ("曾小明", "Ceng Xiao-Ming", MatchHow.PINYIN),
    ("单田芳", "Shan Tianfang", MatchHow.PINYIN),
    ("单田芳", "Tianfang Dan", MatchHow.PINYIN),
    ("吕布", "Lyu Bu", MatchHow.PINYIN),
    ("吕布", "Lu Bu", MatchHow.PINYIN),
    ("欧阳娜娜", "Nana Ouyang", MatchHow.PINYIN),
    ("王小明", "Xiao Ming Wang", MatchHow.PINYIN),
    ("张三 (San Zhang)", "Zhang San", MatchHow.ORDER),
    ("张三", "张三", MatchHow.EXACT),
    ("Xiao-Ming Wang", "Wang Xiaoming", MatchHow.ORDER),
    ("Xiao Ming Wang", "Xiaoming Wang", MatchHow.EXACT),
    ("John A. Smith", "John Smith", MatchHow.EXACT),
    ("Prof. San Zhang", "San Zhang", MatchHow.EXACT),
    ("Dr. José García, PhD", "Jose Garcia", MatchHow.ACCENTS),
    ("Jose Garcia, Ph.D.", "Jose Garcia", MatchHow.EXACT),
    ("张三教授", "San Zhang", MatchHow.PINYIN),
    ("Christopher Johnson", "Christopher Jonhson", MatchHow.FUZZY),
    ("Alexandra Konstantinova", "Alexandra Konstantimova", MatchHow.FUZZY),
]

DIFFERENT = [
    ("Zhang San", "Zhang Shan"),
    ("Wang Wei", "Wang Wen"),
    ("Li Na", "Li Nan"),
    ("Liu Yang", "Liu Yan"),
    ("Chen Jie", "Chen Jia"),
    ("Hu Jun", "Xu Jun"),
    ("Wang Wei", "Wang Weiwei"),
    ("San Zhang", "San"),
    ("San Zhang", "Zhang"),
    ("张三", "张珊"),
    ("张三", "Zhang Shan"),
    ("张三", "Zhangs An"),
    ("王伟", "Wang Wen"),
    ("张三", "李四"),
    ("Marie Curie", "Maria Curie"),
    ("Christopher Johnson", "Christopher Johnston"),
    ("Hans Andersen", "Hans Anderson"),
    ("Jon Smith", "John Smith"),
    ("Daniel Smith", "Danielle Smith"),
    ("Alexander Hamilton", "Alexandre Hamilton"),
    ("Anna Lee", "Ann Alee"),
    ("John A Smith", "John B Smith"),
    ("Mohammed Ali", "Muhammad Ali"),
    ("Katarzyna Nowak", "Katarzyna Novak"),
    ("Bernhard Schmidt", "Leonhard Schmidt"),
    ("", "San Zhang"),
    ("San Zhang", "---"),
]


@pytest.mark.parametrize(("a", "b", "how"), SAME, ids=[f"{a}={b}" for a, b, _ in SAME])
def test_same_person_written_differently(a: str, b: str, how: MatchHow) -> None:
    for x, y in ((a, b), (b, a)):
        m = same_person(x, y)
        assert m.matched and m.how is how, (x, y, m)


@pytest.mark.parametrize(("a", "b"), DIFFERENT, ids=[f"{a}!={b}" for a, b in DIFFERENT])
def test_different_people_never_match(a: str, b: str) -> None:
    assert not same_person(a, b).matched
    assert not same_person(b, a).matched


SYLLABLES = [
    "zhang",
    "wang",
    "li",
    "liu",
    "chen",
    "yang",
    "san",
    "wei",
    "wen",
    "na",
    "nan",
    "ming",
    "min",
    "jun",
    "jie",
    "jia",
    "hua",
    "xiao",
    "hong",
    "shan",
    "lei",
    "yan",
]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from(SYLLABLES), min_size=2, max_size=3),
    st.data(),
)
def test_changing_one_pinyin_syllable_always_changes_the_person(
    name: list[str], data: st.DataObject
) -> None:
    i = data.draw(st.integers(0, len(name) - 1))
    other = data.draw(st.sampled_from([s for s in SYLLABLES if s != name[i]]))
    changed = [*name[:i], other, *name[i + 1 :]]
    if "".join(changed) == "".join(name):
        return
    assert not same_person(" ".join(name), " ".join(changed)).matched


@settings(max_examples=200, deadline=None)
@given(
    st.text("abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=6),
    st.text("abcdefghijklmnopqrstuvwxyz", min_size=3, max_size=12),
    st.data(),
)
def test_one_letter_off_in_a_short_word_is_another_person(
    short: str, other: str, data: st.DataObject
) -> None:
    i = data.draw(st.integers(0, len(short) - 1))
    letter = data.draw(st.sampled_from([c for c in "abcdefghijklmnopqrstuvwxyz" if c != short[i]]))
    changed = short[:i] + letter + short[i + 1 :]
    assert not same_person(f"{short} {other}", f"{changed} {other}").matched


def test_fuzzy_can_be_turned_off() -> None:
    assert not same_person("Christopher Johnson", "Christopher Jonhson", min_score=1.01).matched


FILENAMES = [
    ("DFME_License_Agreement_San_Zhang.pdf", "San Zhang", None, False),
    ("DFME_License_Agreement_San_Zhang (1).pdf", "San Zhang", None, True),
    ("DFME_License_Agreement_San_Zhang(2).pdf", "San Zhang", None, True),
    ("dfme_license_agreement_San_Zhang.PDF", "San Zhang", None, False),
    ("DFME_License_Agreement_张三.pdf", "张三", None, False),
    ("DFME_License_Agreement_Xiao-Ming_Wang.pdf", "Xiao-Ming Wang", None, False),
    ("DFME_License_Agreement_San Zhang.pdf", "San Zhang", FilenameProblem.SPACES, False),
    ("DFME License Agreement San Zhang.pdf", None, FilenameProblem.PREFIX, False),
    ("DFME_License_Agreement.pdf", None, FilenameProblem.PREFIX, False),
    ("DFME_License_Agreement_.pdf", None, FilenameProblem.NO_NAME, False),
    ("DFME_License_Agreement_San_Zhang.docx", None, FilenameProblem.EXTENSION, False),
    ("", None, FilenameProblem.EXTENSION, False),
]


@pytest.mark.parametrize(("filename", "name", "problem", "copy"), FILENAMES)
def test_name_in_the_file_name(
    filename: str, name: str | None, problem: FilenameProblem | None, copy: bool
) -> None:
    parsed = parse_la_filename(filename, prefix="DFME_License_Agreement_")
    assert (parsed.name, parsed.problem, parsed.download_copy) == (name, problem, copy)
