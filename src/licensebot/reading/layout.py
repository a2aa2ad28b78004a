"""Find the form's labels among positioned words and read the value that belongs to each.

Words come from the text layer, from AcroForm widgets or from OCR, all as `Word`s with a box
(top-left origin, any unit) and a confidence. A label is found by meaning: fuzzy-matched against
a catalogue of wordings (English and Chinese), at the start of a run of words. Its value is what
stands right of it in its row (up to the next label), or else below it (up to the next label).
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from dataclasses import field as dc_field
from functools import lru_cache
from statistics import StatisticsError

from rapidfuzz import fuzz, process

from licensebot.core.form import TEXT_FIELDS, Source


@dataclass(frozen=True, slots=True)
class Word:
    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    conf: float = 1.0  # 0..1
    page: int = 0
    source: Source = Source.TEXT

    @property
    def height(self) -> float:
        return self.bottom - self.top

    @property
    def cy(self) -> float:
        return (self.top + self.bottom) / 2

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2


#: What a word made only of is filler, never a value: a table's rules read as `|`, a line for
#: the pen as underscores or dashes, dot leaders, stray punctuation.
FILLER = "|_—–-.,:;'\"·•…‥"


def is_filler(w: Word) -> bool:
    """A word of filler characters only (`FILLER`)."""
    return not w.text.strip(FILLER)


#: Wordings of each label, by field; matched after `norm`. Order does not matter.
LABELS: dict[str, tuple[str, ...]] = {
    "signer_name": (
        "the signer's name",
        "signer's name",
        "signer name",
        "name of signer",
        "name of the signer",
        "signer's full name",
        "full name of signer",
        "signatory name",
        "name of signatory",
        "签字人姓名",
        "签署人姓名",
        "签名人姓名",
        "签字人",
        "name (signer)",
        "name of authorised signatory",
        "name of authorized signatory",
        "authorised signatory",
        "authorized signatory",
        "printed name",
        "name (printed)",
        "full name",
        "name in full",
        "签署人",
    ),
    "signer_title": (
        "the signer's title",
        "the signer's title (dean, professor...)",
        "signer's title",
        "signer title",
        "title of signer",
        "title / position",
        "title",
        "position",
        "job title",
        "position (professor, dean...)",
        "职称",
        "职务",
        "签字人职称",
        "position / title",
        "title or position",
        "position held",
        "designation",
        "职位",
    ),
    "affiliation": (
        "affiliation",
        "affiliation (institute, university, company...)",
        "institution",
        "organisation",
        "organization",
        "organisation / university",
        "institute",
        "单位",
        "工作单位",
        "所属单位",
        "university / institution",
        "institution / organisation",
        "institution / organization",
        "organization / institution",
        "company / institution",
        "employer",
        "department and institution",
        "单位名称",
        "所在单位",
    ),
    "work_email": (
        "work email",
        "work email (at your affiliation)",
        "work e-mail",
        "e-mail",
        "email",
        "email address",
        "e-mail address",
        "e-mail (institutional)",
        "institutional email",
        "institutional e-mail",
        "official email",
        "official e-mail",
        "work email address",
        "work e-mail address",
        "电子邮箱地址",
        "工作邮箱",
        "邮箱",
        "电子邮箱",
        "电子邮件",
    ),
    "address": (
        "detail address of your affiliation",
        "detailed address of your affiliation",
        "detail address",
        "address",
        "postal address",
        "postal address of the institution",
        "full address",
        "address of affiliation",
        "mailing address",
        "institution address",
        "address of institution",
        "address of the institution",
        "office address",
        "work address",
        "通讯地址",
        "通信地址",
        "地址",
        "详细地址",
        "单位地址",
    ),
    "signature": (
        "signature",
        "signed",
        "sign here",
        # a wording that goes on after "Signature" is running text unless it is listed
        "signature of signer",
        "signature of the signer",
        "signer's signature",
        "signature of signatory",
        "authorized signature",
        "签名",
        "签字",
        "签字人签名",
    ),
    "date": (
        "date",
        "date signed",
        "signing date",
        "date of signing",
        "date of signature",
        "signature date",
        "signed on",
        "dated",
        "日期",
        "签字日期",
        "签署日期",
        "签名日期",
    ),
    "members_name": ("name", "姓名", "student name", "member name", "name of student"),
    "members_id": (
        "registered id",
        "registered id (for the competition)",
        "registration id",
        "competition id",
        "注册号",
        "注册编号",
    ),
}
FIELD_KEYS = TEXT_FIELDS  # the form's text fields, as `core.form` lists them
_SEPARATORS = {"/", "|", "-", "–", ":", "：", "(", ")"}
_CJK = re.compile(r"[\u3400-\u9fff]")


_NOT_LABEL_CHARS = re.compile(r"[^\w'@.\-\u3400-\u9fff]+")
_CJK_SPACE = re.compile(r"(?<=[\u3400-\u9fff]) (?=[\u3400-\u9fff])")
_SPACES = re.compile(r"\s+")


def norm(text: str) -> str:
    """Lower-case, NFKC, apostrophes unified, punctuation dropped, CJK un-spaced."""
    if text.isascii():  # NFKC, the curly apostrophe and CJK change nothing in ASCII
        t = text.lower().replace("`", "'")
        t = _NOT_LABEL_CHARS.sub(" ", t).replace("'", "")
        return _SPACES.sub(" ", t).strip(" .-")
    t = unicodedata.normalize("NFKC", text).lower().replace("’", "'").replace("`", "'")
    t = _NOT_LABEL_CHARS.sub(" ", t)
    t = t.replace("'", "")
    t = _CJK_SPACE.sub("", t)
    return _SPACES.sub(" ", t).strip(" .-")


def median(values: Iterable[float]) -> float:
    """`statistics.median`, the same value without its generality (called on every line)."""
    data = sorted(values)
    n = len(data)
    if n == 0:
        raise StatisticsError("no median for empty data")
    if n % 2 == 1:
        return data[n // 2]
    return (data[n // 2 - 1] + data[n // 2]) / 2


#: Confident words of print a page needs for its print's height to be known.
PRINT_WORDS = 20


def print_height(words: Sequence[Word]) -> float | None:
    """The height of the page's print: the 75th percentile of its confident words' boxes (a
    word with an ascender or a capital), None with fewer than `PRINT_WORDS` of them."""
    heights = sorted(
        w.bottom - w.top for w in words if w.conf >= 0.8 and len(w.text) >= 3 and w.text.isalpha()
    )
    if len(heights) < PRINT_WORDS:
        return None
    at = 0.75 * (len(heights) - 1)  # numpy's linear percentile
    lo = int(at)
    hi = min(lo + 1, len(heights) - 1)
    return heights[lo] + (heights[hi] - heights[lo]) * (at - lo)


_NORMED = {
    f: tuple(sorted({norm(s) for s in syns}, key=len, reverse=True)) for f, syns in LABELS.items()
}


#: A label word this many times as tall as the labels' lines was boxed over the line below
#: it too (`own_line`).
MERGED_LABEL = 1.6


def own_line(lab: Label, u: float) -> Label:
    """`lab` with each word far taller than the labels' line height `u` (`MERGED_LABEL` times)
    cut to its first line: on a phone photo's small print OCR boxed `The Signer's Name` down
    over `Position` below it. A label wrapped over two lines of its own words (`Work email
    (at your` / `affiliation)`) is left as it is: each word is a line's height."""
    if all(w.height <= MERGED_LABEL * u for w in lab.words):
        return lab
    words = [replace(w, bottom=w.top + u) if w.height > MERGED_LABEL * u else w for w in lab.words]
    return replace(lab, words=words)


#: Every word of the labels the reader knows (`LABELS`, normalised): a label's word is print.
LABEL_WORDS = frozenset(w for syns in _NORMED.values() for syn in syns for w in syn.split())


def label_word(text: str) -> bool:
    """`text` (one OCR word) is a word of a known label, up to case and punctuation: print,
    however unsure OCR was of it; a word OCR joined to a label that is none (a scrawl read
    `SNS` before `Date`) is not."""
    t = norm(text)
    return bool(t) and t in LABEL_WORDS


def _required_score(label: str) -> float:
    n = len(label.replace(" ", ""))
    if _CJK.search(label):
        return 100.0 if n <= 2 else 80.0
    if n <= 4:
        return 100.0
    if n <= 6:
        return 83.0
    return 85.0


_CHOICES = [syn for syns in _NORMED.values() for syn in syns]
_FIELD_OF = {syn: f for f, syns in _NORMED.items() for syn in syns}
_LONGEST = max(len(c) for c in _CHOICES)


@lru_cache(maxsize=16384)
def match_label(text: str) -> tuple[str, float] | None:
    """The field whose label `text` is (fuzzy, by meaning), with a 0..1 score.

    Cached: the LA's own wording is the same on every form, so a long-lived reader matches
    each of its runs of words once."""
    t = norm(text)
    if not t or len(t) > _LONGEST + 6:
        return None
    hit = process.extractOne(t, _CHOICES, scorer=fuzz.ratio, score_cutoff=80)
    if (
        hit is None
        or hit[1] < _required_score(hit[0])
        or _another_word(t, hit[0])
        or _inflected(t, hit[0])
    ):
        return chinese_label(t)
    syn, score, _ = hit
    return _FIELD_OF[syn], score / 100


def _another_word(t: str, syn: str) -> bool:
    """`t`, one word, is a word of the labels' own (`LABEL_WORDS`) other than `syn` and not
    its start: that word, not `syn` misread (`signer` of `Name of the signer`, a worn
    copier's blot over `Name of the`, is no `signed`: the form was called unsigned)."""
    return " " not in t and t in LABEL_WORDS and t != syn and not syn.startswith(t)


#: English endings: a label's word with one is another word (`addresses`, `titles`, `emails`).
INFLECTIONS = ("s", "es", "ed", "ing")


def _inflected(t: str, syn: str) -> bool:
    """`t`, one word, is the one-word label `syn` with an English ending: another word, not
    the label misread (OCR does not add a word's ending). A sentence above the table wrapped
    so that `addresses:` (of `... to the following email addresses:`) stood alone on its line,
    where a handwritten form's own `ADDRESS` was lost under the pen; the empty line right of
    it was reported as the address left blank, and the form rejected for a missing field."""
    return " " not in t and t.startswith(syn) and t[len(syn) :] in INFLECTIONS


#: A Chinese label is a few characters built from one field's term (`签署人签字`, `职称/职务`,
#: `单位名称`, `签署日期`): the terms, looked for in this order (`单位地址` is an address, `签字人
#: 姓名` a name, `签名日期` a date, `签字人职称` a title).
CHINESE_TERMS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("address", ("地址",)),
    ("signer_name", ("姓名",)),
    ("date", ("日期",)),
    ("work_email", ("邮箱", "邮件", "电邮")),
    ("signer_title", ("职称", "职务", "职位")),
    ("signature", ("签名", "签字", "签章")),
    ("affiliation", ("单位", "机构")),
)
#: ... of this many Chinese characters at most (a sentence is no label).
CHINESE_LABEL_CHARS = 8
_CJK_ONLY = re.compile(r"^[\u3400-\u9fff/／、 ]+$")


def chinese_label(t: str) -> tuple[str, float] | None:
    """The field of a short label in Chinese characters alone (normalised, `norm`), by the
    term it is built from (`CHINESE_TERMS`), at 0.9; None for anything else."""
    chars = _CJK.findall(t)
    if not _CJK_ONLY.match(t) or not 2 <= len(chars) <= CHINESE_LABEL_CHARS:
        return None
    for fld, terms in CHINESE_TERMS:
        if any(term in t for term in terms):
            return fld, 0.9
    return None


# ---- lines and segments ---------------------------------------------------------------------


_COLON_SPLIT = re.compile(r"^(.+?[:：])(.+)$")
_URL = re.compile(r"^https?:", re.I)


def split_colons(words: Iterable[Word]) -> list[Word]:
    """`Name:San` as one word becomes `Name:` and `San` (so a label can end at the colon)."""
    out: list[Word] = []
    for w in words:
        m = _COLON_SPLIT.match(w.text)
        if m and not _URL.match(w.text):
            a, b = m.group(1), m.group(2)
            cut = w.x0 + (w.x1 - w.x0) * len(a) / len(w.text)
            out.append(Word(a, w.x0, w.top, cut, w.bottom, w.conf, w.page, w.source))
            out.append(Word(b, cut, w.top, w.x1, w.bottom, w.conf, w.page, w.source))
        else:
            out.append(w)
    return out


#: A word at most this many times the words' median height may stand for its line
#: (`lines_of`): print's ascenders and descenders, not a scrawl or a rule read as a glyph.
LINE_REFERENCE = 1.4


def lines_of(words: Sequence[Word]) -> list[list[Word]]:
    """Words grouped into visual lines (per page), each sorted left to right.

    Each line is known by one word of it, its reference: the first, until a taller word of
    print's size joins (no taller than `LINE_REFERENCE` times the words' median height). A
    speck read as a word (`ste`, 12 px over 24 px print) that opened a line no longer stands
    for it: `Signer's` of `The Signer's Name` had fallen to the next line, and the label taken
    the value's misread under it for its own."""
    lines: list[list[Word]] = []
    heads: list[tuple[int, float, float, float]] = []  # each line's reference: page, box, height
    heights = sorted(w.bottom - w.top for w in words)
    tallest = LINE_REFERENCE * heights[len(heights) // 2] if heights else 0.0
    for w in sorted(words, key=lambda w: (w.page, (w.top + w.bottom) / 2, w.x0)):
        page, top, bottom = w.page, w.top, w.bottom
        height = bottom - top
        for k in range(len(lines) - 1, max(len(lines) - 7, -1), -1):  # the last six, newest first
            ref_page, ref_top, ref_bottom, ref_height = heads[k]
            if ref_page != page:
                continue
            overlap = (bottom if bottom < ref_bottom else ref_bottom) - (
                top if top > ref_top else ref_top
            )
            if overlap > 0.5 * (height if height < ref_height else ref_height):
                lines[k].append(w)
                if ref_height < height <= tallest:
                    heads[k] = (page, top, bottom, height)
                break
        else:
            lines.append([w])
            heads.append((page, top, bottom, height))
    for line in lines:
        line.sort(key=lambda w: w.x0)
    return lines


def segments_of(line: Sequence[Word]) -> list[list[Word]]:
    """A line cut where the gap between words is wide (a cell border, a column): wider than
    `COLUMN_GAP` letters' height, or wider than `NARROW_COLUMN_GAP` and `SPACES` of the
    line's spaces (a narrow label cell's `Affiliation (Institute,` a space and a half from
    `Department of ...` in the next cell: the value had been read into the label's
    explanation, and the affiliation reported as its second line, `Melbourne`)."""
    if not line:
        return []
    h = median(w.height for w in line)
    gaps = [w.x0 - prev.x1 for prev, w in itertools.pairwise(line)]
    space = median(gaps) if len(gaps) >= SPACED_WORDS else None
    segs: list[list[Word]] = [[line[0]]]
    for (prev, w), gap in zip(itertools.pairwise(line), gaps, strict=True):
        wide = gap > COLUMN_GAP * h or (
            space is not None and gap > NARROW_COLUMN_GAP * h and gap > SPACES * max(space, 0.0)
        )
        if wide or Source.FORM in (w.source, prev.source):
            segs.append([w])
        else:
            segs[-1].append(w)
    return segs


#: A gap between words wider than this many letters' heights parts two cells (or columns) ...
COLUMN_GAP = 1.2
#: ... and so does one wider than this many, where it is `SPACES` of the line's usual space
#: (its median gap, on a line of `SPACED_WORDS` words or more).
NARROW_COLUMN_GAP = 0.8
SPACES = 3.0
SPACED_WORDS = 4


# ---- labels ---------------------------------------------------------------------------------


@dataclass
class Label:
    field: str
    words: list[Word]
    score: float
    inline: list[Word] = dc_field(default_factory=list)  # value after "Label:" in the same run

    @property
    def page(self) -> int:
        return self.words[0].page

    @property
    def box(self) -> tuple[float, float, float, float]:
        """(x0, top, x1, bottom)."""
        return (self.x0, self.top, self.x1, self.bottom)

    @property
    def x0(self) -> float:
        return min(w.x0 for w in self.words)

    @property
    def x1(self) -> float:
        return max(w.x1 for w in self.words)

    @property
    def top(self) -> float:
        return min(w.top for w in self.words)

    @property
    def bottom(self) -> float:
        return max(w.bottom for w in self.words)

    @property
    def height(self) -> float:
        return median(w.height for w in self.words)


def _match_run(seg: Sequence[Word], start: int) -> tuple[str, float, int] | None:
    """The longest label starting at seg[start], up to its colon: (field, score, end index
    exclusive)."""
    best: tuple[str, float, int] | None = None
    text = ""
    for end in range(start + 1, min(len(seg), start + 9) + 1):
        text = f"{text} {seg[end - 1].text}" if end > start + 1 else seg[start].text
        if len(text) > _LONGEST + 6:
            break
        hit = match_label(text)
        if not any(ch.isalnum() for ch in seg[end - 1].text):
            # marks alone end no label (`Signature ~~.`: the pen's wave read as a word
            # beside it, masked as the label's own print, and the form called unsigned)
            hit = None
        if hit and (
            best is None
            or hit[1] >= best[1] - 0.02
            or (hit[0] != best[0] and _chinese_head(seg, start, end))
        ):
            best = (hit[0], hit[1], end)
        if seg[end - 1].text.endswith((":", "：")) and best is not None:
            break  # the label ends at its colon: what follows is its value (`name: 高翔`
            # read `&`, no part of the label however well the text with it matches)
    return best


def _chinese_head(seg: Sequence[Word], start: int, end: int) -> bool:
    """`seg[start:end]` is one word of Chinese characters that OCR cut in pieces (on one line,
    no gap wider than a character between them): a Chinese label names its field last
    (`签署人签字`, the signer's signature, is no `签署人`, the signer), so the whole word's
    field wins over the field of its first piece. Not across lines: the label of the row
    below (`名称` of `单位名称` under `姓名`) is another label."""
    words = seg[start:end]
    if not all(_CJK_ONLY.match(w.text) for w in words):
        return False
    return all(
        b.x0 - a.x1 < 0.6 * max(a.height, b.height)
        and min(a.bottom, b.bottom) - max(a.top, b.top) > 0.5 * min(a.height, b.height)
        for a, b in itertools.pairwise(words)
    )


def _skip_parenthetical(seg: Sequence[Word], i: int) -> int:
    """Skip `(dean, professor...)` and similar explanations that follow a label; not past a
    value (an email, a number: `Work email (at your` `lin.xiaofeng@zju.edu.cn`, its
    `affiliation)` wrapped to the next line, had the email taken into the label and the
    email reported blank)."""
    if i < len(seg) and seg[i].text.startswith("("):
        start = i
        while i < len(seg) and ")" not in seg[i].text:
            if i > start and _value_like(seg[i].text):
                return i
            i += 1
        return min(i + 1, len(seg))
    return i


def _close_bracket(seg: Sequence[Word], end: int) -> int:
    """`end` past the word that closes a bracket the label's words (`seg[:end]`) left open:
    `Name (in full, as in your passport)` matches the wording `name in full`, and the rest of
    its hint, `as in your passport)`, had been read as the value typed after the label (the
    name, in Chinese print pass 1 did not read, was recorded as `as in your passport)`, and
    the applicant told the file name does not name the signer). Not past a value, and not
    where no word closes it (a bracket OCR never saw closed takes no value with it)."""
    text = " ".join(w.text for w in seg[:end])
    if text.count("(") <= text.count(")") or "(" in seg[0].text:
        # (a bracket the words open with is a sentence's aside, `(name, registered ID for the
        # competition) that associate with ...`, no label's hint)
        return end
    i = end
    while i < len(seg) and ")" not in seg[i].text:
        if _value_like(seg[i].text):
            return end
        i += 1
    return i + 1 if i < len(seg) else end


def _value_like(text: str) -> bool:
    """A word no label's explanation holds: an email address, a number."""
    return "@" in text or any(ch.isdigit() for ch in text)


def _continuation(
    seg: Sequence[Word], line_no: int, segs: Sequence[tuple[int, list[Word]]]
) -> tuple[int, list[Word]] | None:
    """The run of words right below `seg`, starting where it starts, and its line number: a
    wrapped label's tail."""
    h = median(w.height for w in seg)
    x0 = seg[0].x0
    for ln, other in segs:
        if ln <= line_no or ln > line_no + 2 or other[0].page != seg[0].page:
            continue
        dy = median(w.cy for w in other) - median(w.cy for w in seg)
        if abs(other[0].x0 - x0) < 2.0 * h and 0.6 * h < dy < 2.6 * h:
            return ln, other
    return None


def _free_continuation(
    seg: Sequence[Word],
    line_no: int,
    segs: Sequence[tuple[int, list[Word]]],
    consumed: set[int],
) -> tuple[int, list[Word]] | None:
    """`_continuation`, unless another label took that line already or it is a form field's
    value."""
    found = _continuation(seg, line_no, segs)
    if found is None or id(found[1]) in consumed or found[1][0].source == Source.FORM:
        return None
    return found


#: Fields one label may name in either language: a bare `Name` and `姓名` are the members'
#: label until a table proves otherwise (`regions.assign_fields`), the signer's otherwise.
_NAMES = {"signer_name", "members_name"}


def _same_field(a: str, b: str) -> bool:
    return a == b or {a, b} <= _NAMES


def _has_cjk(ws: Sequence[Word]) -> bool:
    return any(_CJK.search(w.text) for w in ws)


def _whole(seg: Sequence[Word], hit: tuple[str, float, int]) -> bool:
    """`hit` is all of `seg`, its explanation in parentheses included."""
    return _skip_parenthetical(seg, hit[2]) >= len(seg)


def _wrapped(
    seg: list[Word],
    line_no: int,
    hit: tuple[str, float, int],
    segs: Sequence[tuple[int, list[Word]]],
    consumed: set[int],
) -> tuple[list[Word], tuple[str, float, int]]:
    """`seg`'s label with the lines of it below it, and its match: a wrapped label's tail
    (`Work email (at your` / `affiliation)`; over three lines in a narrow label column,
    `Detail Address` / `of your` / `affiliation`, whose middle line alone matches nothing),
    the label in its other language (`Full name` / `姓名`, `签署人姓名` / `The Signer's Name`),
    or a hint in parentheses under it (`(as in your passport)`). Each line taken is consumed:
    the `affiliation` that ends the address's label is no Affiliation label of its own, nor
    the `姓名` under `Full name` the members' `Name`."""
    below: list[list[Word]] = []
    line, ln = seg, line_no
    while len(below) < 2:
        found = _free_continuation(line, ln, segs, consumed)
        if found is None:
            break
        ln, line = found
        below.append(line)
    if below and (split := _wrapped_before_value(seg, hit, below[0])) is not None:
        consumed.add(id(below[0]))
        return split
    if not below or _own_label(seg, hit, below[0]):
        return seg, hit  # `Work e-mail` over `Address`: two rows, not `Work e-mail address`
    joined = list(seg)
    for n, cont in enumerate(below, 1):
        before, joined = len(joined), joined + cont
        taken = below[:n]
        hit2 = _match_run(joined, 0)
        if hit2 and hit2[2] > before and hit2[1] >= hit[1] - 0.1:
            # the label's own words go on here (`Detail Address of your` `affiliation`)
            consumed.update(id(c) for c in taken)
            return joined, (hit2[0], hit2[1], _skip_parenthetical(joined, hit2[2]))
        # its parenthesis closes here (`Work email (at your` `affiliation)`), or a word or two
        # of it stand here under the label's own line (`affili` `tion)`, OCR's two pieces of
        # one word, the second on a line of its own); one OCR never saw closed (`company)`
        # lost) does not take the value's line under it
        best = hit2 if hit2 and hit2[1] >= hit[1] - 0.1 else hit
        closes = any(")" in w.text for w in cont) or (
            len(cont) <= 2 and max(w.x1 for w in cont) <= max(w.x1 for w in seg)
        )
        if closes and _skip_parenthetical(joined, best[2]) > before:
            text = " ".join(w.text for w in joined)
            if (
                text.count("(") > text.count(")")
                and n < len(below)
                and any(")" in w.text for w in below[n])
            ):
                continue  # its bracket closes a line further down: `(dean,` / `professor...)`
            consumed.update(id(c) for c in taken)
            return joined, (best[0], best[1], _skip_parenthetical(joined, best[2]))
    cont = below[0]
    if not _whole(seg, hit):
        return seg, hit
    alone = _match_run(cont, 0)
    other_language = (
        alone is not None
        and _same_field(alone[0], hit[0])
        and _whole(cont, alone)
        and _has_cjk(seg) != _has_cjk(cont)
    )
    hint = cont[0].text.startswith("(") and _skip_parenthetical(cont, 0) >= len(cont)
    if other_language or hint:
        consumed.add(id(cont))
        return list(seg) + cont, (hit[0], hit[1], len(seg) + len(cont))
    return seg, hit


def _wrapped_head(
    seg: Sequence[Word],
    line_no: int,
    segs: Sequence[tuple[int, list[Word]]],
    consumed: set[int],
) -> tuple[list[Word], tuple[str, float, int]] | None:
    """A label wrapped in a narrow label cell whose first line alone matches nothing (`The
    Signer's` / `Name`): the two lines when together they start with a label that runs on
    into the second, and every word of the first is a label's word (a value over the next
    row's label, `吴敏` over `Organisation / university`, is no label's first line). Alone,
    `Name` was a bare Name label, and the rest of the cell, `Signer's` cut to `igner's`, was
    recorded as the signer's name."""
    if not all(label_word(w.text) for w in seg):
        return None
    found = _free_continuation(seg, line_no, segs, consumed)
    if found is None:
        return None
    joined = [*seg, *found[1]]
    hit = _match_run(joined, 0)
    if hit is None or hit[2] <= len(seg):
        return None
    consumed.add(id(found[1]))
    return joined, (hit[0], hit[1], _skip_parenthetical(joined, hit[2]))


def _wrapped_before_value(
    seg: Sequence[Word], hit: tuple[str, float, int], cont: Sequence[Word]
) -> tuple[list[Word], tuple[str, float, int]] | None:
    """A label whose wording runs on past its match on its line (`Detail Address` `of your`),
    then the value on the same line (`Floor 18, ...`: a photo's column rule erased, the gap
    too small to part them), and ends on the line below (`affiliation`): the label is the
    three parts, the value the rest of the line. Alone, `affiliation` was the Affiliation
    label, and the address's last line was recorded as the affiliation. The seg returned
    holds the label's words first, then the value's."""
    k = hit[2]
    while k < len(seg) and norm(seg[k].text) in LABEL_WORDS:
        k += 1
    if k == hit[2] or k >= len(seg):
        return None
    joined = [*seg[:k], *cont]
    hit2 = _match_run(joined, 0)
    if hit2 is None or hit2[0] != hit[0] or hit2[2] <= k or hit2[1] < hit[1] - 0.1:
        return None
    return [*joined[: hit2[2]], *seg[k:], *joined[hit2[2] :]], hit2


def _own_label(seg: Sequence[Word], hit: tuple[str, float, int], cont: Sequence[Word]) -> bool:
    """The line below is a whole label of another field, and the line itself a whole, sure
    label: the next row's label (a table whose rule between the rows the image lost), not
    the tail of this one. A line that leaves a parenthesis open (`Work email (at your`) or a
    tail in lower case (`affiliation)`) goes on below."""
    alone = _match_run(cont, 0)
    text = " ".join(w.text for w in seg)
    if text.count("(") > text.count(")") or cont[0].text[:1].islower():
        return False
    return (
        alone is not None
        and not _same_field(alone[0], hit[0])
        and _skip_parenthetical(cont, alone[2]) >= len(cont)
        and hit[1] >= 0.95
        and _skip_parenthetical(seg, hit[2]) >= len(seg)
    )


#: A junk word wider than this many text heights is no part of a label (see `find_labels`).
_JUNK_WIDTH = 8
#: ... or wider than this many text heights a letter read in it (a scrawl read `SS`, six text
#: heights wide, is no Chinese half of a label: the Signature cell ended where it began).
_JUNK_LETTER = 1.6


def _closes_a_bracket(words: Sequence[Word]) -> bool:
    """Whether the words close a bracket they do not open."""
    text = "".join(w.text for w in words)
    depth = 0
    for ch in text:
        if ch in "(（":
            depth += 1
        elif ch in ")）":
            if depth == 0:
                return True
            depth -= 1
    return False


def _junk(w: Word) -> bool:
    return w.text in _SEPARATORS or (w.source == Source.OCR and w.conf < 0.5)


def find_labels(words: Sequence[Word]) -> list[Label]:
    """Every label that starts a run of words (wrapped over two lines or not)."""
    segs = [
        (n, seg)
        for n, line in enumerate(lines_of(split_colons(words)))
        for seg in segments_of(line)
    ]
    consumed: set[int] = set()
    labels: list[Label] = []
    for n, seg in segs:
        if id(seg) in consumed:
            continue
        # OCR in English reads a Chinese half of a bilingual label as junk: skip over it
        skip = 0
        if _match_run(seg, 0) is None:
            while skip < min(3, len(seg) - 1) and (
                _junk(seg[skip]) or (skip + 1 < len(seg) and seg[skip + 1].text in ("/", "|"))
            ):
                skip += 1
        junk, seg = list(seg[:skip]), seg[skip:]
        # a junk word as wide as many letters is a scrawl beside the label (the signature's
        # ink read as `Ree` before `Date`), not half of a bilingual one: it stays out of the
        # label's box, or the Signature cell would end where the scrawl begins
        h = median(w.height for w in seg)
        junk = [
            w
            for w in junk
            if w.x1 - w.x0 <= min(_JUNK_WIDTH, _JUNK_LETTER * max(1, len(w.text))) * h
        ]
        if seg[0].source == Source.FORM:
            continue  # a form field's value is never a label
        hit = _match_run(seg, 0)
        if hit is None and (head := _wrapped_head(seg, n, segs, consumed)) is not None:
            seg, hit = head
        elif hit is not None:
            seg, hit = _wrapped(list(seg), n, hit, segs, consumed)
        if not hit:
            continue
        fld, score, end = hit
        if _closes_a_bracket(seg[:end]):
            # `affiliation)` of `Work email (at your affiliation)`, a gap OCR read between the
            # two: a bracket's end is another label's hint, no label (its region was the
            # email's cell, and the email was reported as the affiliation)
            continue
        end = _close_bracket(seg, _skip_parenthetical(seg, end))
        # bilingual labels: "签字人姓名 / Signer name"
        while end < len(seg):
            j = end
            while j < len(seg) and seg[j].text in _SEPARATORS:
                j += 1
            more = _match_run(seg, j) if j < len(seg) else None
            if not more or more[0] != fld:
                break
            end = _skip_parenthetical(seg, more[2])
        rest = list(seg[end:])
        colon = seg[end - 1].text.endswith((":", "："))
        if rest and rest[0].text in (":", "："):
            rest, colon = rest[1:], True
        words_after = [w for w in rest if any(ch.isalnum() for ch in w.text)]
        if words_after and not colon and (score < 0.95 or end < 2):
            # a loose or one-word match followed by more words is running text, not a label
            # (marks are no words: the pen's wave beside `Signature`, read `~~.`)
            continue
        labels.append(Label(fld, junk + list(seg[:end]), score, inline=rest))
    return labels


def pick_labels(labels: Sequence[Label]) -> dict[str, Label]:
    """One label per field: the best score, ties to the one nearest the form (the last)."""
    chosen: dict[str, Label] = {}
    for lab in labels:
        cur = chosen.get(lab.field)
        key = (lab.score, lab.page, lab.top)
        if cur is None or key >= (cur.score, cur.page, cur.top):
            chosen[lab.field] = lab
    # the form's labels sit together: drop a stray match pages away from the others
    if len(chosen) >= 3:
        main_page = median(lab.page for lab in chosen.values())
        chosen = {f: lab for f, lab in chosen.items() if abs(lab.page - main_page) <= 1}
    return chosen


# ---- values ---------------------------------------------------------------------------------


def first_lines(words: Sequence[Word], max_lines: int = 2) -> list[Word]:
    """The value's words in reading order: its first line(s), continuation lines close below."""
    lines = lines_of(words)
    if not lines:
        return []
    out = list(lines[0])
    h = median(w.height for w in lines[0])
    last_bottom = max(w.bottom for w in lines[0])
    for line in lines[1:max_lines]:
        if min(w.top for w in line) - last_bottom > 0.8 * h:
            break
        out += line
        last_bottom = max(w.bottom for w in line)
    return out


def join_words(words: Sequence[Word]) -> str:
    text = " ".join(w.text for w in words)
    text = _CJK_SPACE.sub("", text)
    return close_hyphens(text).strip()


#: A word that ends in a hyphen, and the word after it: one word, broken at the end of a line
#: after its own hyphen (`Human-` / `Centred` of `Human-Centred`). Word processors break a
#: line after a compound's hyphen and do not hyphenate words by themselves; within a line the
#: engines read a compound as one word. So the hyphen stays and the space goes.
_BROKEN_AT_HYPHEN = re.compile(r"(?<=[^\W\d_]-) (?=[^\W_])")


def close_hyphens(text: str) -> str:
    """`text` (a value's lines joined by spaces) with each line broken after a hyphen joined
    again (`Human- Centred` -> `Human-Centred`)."""
    return _BROKEN_AT_HYPHEN.sub("", text)
