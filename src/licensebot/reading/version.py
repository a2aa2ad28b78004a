"""Which registered LA version a document's text is, clause by clause.

A version is recognised only when the document carries every one of its clauses (headings with
their numbers, each sentence and list item, the citation, the set of unpublishable subjects,
each contact address, the naming note; of its plain sentences, two may be read only in part)
and none of the clauses that set another registered version apart. Overlap of the text as a
whole is not enough: an older LA shares most of its words with the current one, so a missing
section or an older citation hides in a high overall similarity. Each clause is found on its
own, robust to what OCR and layout do to text (line breaks, hyphenation, columns read in
another order, dropped punctuation, `l`/`1` and `O`/`0`).

Each clause comes out present, absent or unsure (between the two margins). The verdict:
MATCH a version; OUTDATED (an LA, read well, that lacks or changes a clause of every registered
version); NOT_LA (read well, shares almost nothing); UNSURE (anything else: a person looks).
Pure: text in, verdict out.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from functools import lru_cache

from rapidfuzz import fuzz, process
from rapidfuzz.distance import LCSseq, Levenshtein

from licensebot.core.form import VersionStatus
from licensebot.core.la import LaVersion

#: A clause whose best alignment keeps at least this share of its words (in order) is present;
#: at most ABSENT, it is absent; between the two margins, unsure.
PRESENT = 0.8
#: A clause of at least LONG words is present from this share: on a long sentence a quarter of
#: its words is what OCR loses on a poor line (a misread word, the end of a line), while
#: another wording of it shares far less (a reworded section: under 0.2).
PRESENT_LONG = 0.75
LONG = 8
ABSENT = 0.45
#: At most this share found, and another number where the clause has one: another wording.
REWORDED = 0.7
#: A document is "read well" when at least this share of the nearest version's clauses are
#: present and at most UNSURE_SHARE of them are unsure: only then does an absence count.
READ_WELL = 0.75
UNSURE_SHARE = 0.15
#: Evidence an LA differs from a version: the sum of the weights of its confident differences.
#: A clause no longer than a printed line (a short sentence, a list item, a contact address)
#: weighs less than that alone: one line OCR lost looks the same.
OUTDATED_WEIGHT = 1.0
#: Words on a printed line: a clause no longer than this may have been lost with one line OCR
#: dropped, so its absence weighs less than a longer clause's.
LINE = 15
#: A version is recognised with at most this many of its plain sentences read only in part
#: (unsure, at least PARTLY of their words in order): what OCR does to a line or two of a
#: poor scan. Only sentences no other version differs in, whose sections are read, with no
#: number; never a heading, the citation, the subjects, an address or the naming note, where
#: an older LA differs.
PARTLY_READ = 2
PARTLY = 0.6
#: Recognisably an LA: this share of a version's clauses present (or the signer table found).
IS_LA_SHARE = 0.5
#: Plainly no LA: at most this share present, with at least NOT_LA_WORDS word-like tokens read.
NOT_LA_SHARE = 0.1
NOT_LA_WORDS = 40


class ClauseKind(StrEnum):
    TEXT = "text"  # a sentence, a list item, the title, the citation, the naming note
    HEADING = "heading"  # a numbered section heading: its words, and the number before them
    SUBJECTS = "subjects"  # the unpublishable subjects, compared as a set of numbers
    CONTACT = "contact"  # one contact address: its local part, then its domain


class ClauseState(StrEnum):
    PRESENT = "present"
    ABSENT = "absent"  # not in the text (another wording, or nothing)
    CHANGED = "changed"  # in the text, with another number (a section, a year, a subject list)
    UNSURE = "unsure"


@dataclass(frozen=True, slots=True)
class Clause:
    name: str  # "3.heading", "4.text2", "citation", "4.subjects", "contact a@b.c", ...
    kind: ClauseKind
    tokens: tuple[str, ...]  # normalised words (HEADING: without the number)
    number: str | None = None  # HEADING: the section number
    numbers: frozenset[str] = frozenset()  # SUBJECTS: the set
    line_length: int = 0  # SUBJECTS: the most numbers on one line of the list
    weight: float = 1.0  # how much its confident absence says about the version


@dataclass(frozen=True, slots=True)
class ClauseScore:
    clause: Clause
    state: ClauseState
    score: float  # 0..1, share of the clause found (SUBJECTS: share of the set found)
    #: HEADING: where its words stand in the document with its number before them (PRESENT)
    #: or with no number there (OCR lost it: UNSURE, until the headings around it tell).
    at: tuple[int, ...] = ()
    #: TEXT read PRESENT: the first and last document positions its words were found at.
    span: tuple[int, int] | None = None
    #: HEADING read CHANGED: the other numbers read before its words (at `at`).
    numbered: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class VersionMatch:
    version: str | None  # the registered version recognised (status MATCH), else None
    similarity: float  # share of the nearest version's clauses present (0..1)
    is_la: bool  # anything but NOT_LA: the form rules run
    scores: dict[str, float]  # per version id: share of its clauses present
    status: VersionStatus = VersionStatus.UNSURE
    nearest: str | None = None  # the version with the most clauses present
    #: Clauses of the nearest version confidently absent / changed (OUTDATED's evidence), and
    #: those that could not be told either way.
    missing: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    unsure: tuple[str, ...] = ()
    clauses: dict[str, tuple[ClauseScore, ...]] = field(default_factory=dict)
    #: The registered versions the text confidently is not (an LA read well that lacks or
    #: changes clauses of each of them), when no version is recognised: an UNSURE text that is
    #: surely not the version applications must use is an LA of another version, whichever
    #: (`rules.OutdatedForm`). Every version when OUTDATED.
    excluded: tuple[str, ...] = ()


# ---- normalising text -------------------------------------------------------------------------

_MARKUP = re.compile(r"[*_#`>\\]")
_QUOTES = str.maketrans(
    # `$` is how OCR reads a small print `S` or `5` (`$06` for 506)
    {"‘": "'", "’": "'", "“": '"', "”": '"', "¬": "-", "‐": "-", "‑": "-", "$": "s"}
)
_PIPE = re.compile(r"(?<=[a-z])[|!](?=[a-z])|(?<=[a-z])[|!]$|^[|!](?=[a-z])")
_PIECE = re.compile(r"[a-z0-9]+")
_TO_LETTER = str.maketrans({"0": "o", "1": "l", "5": "s"})
_TO_DIGIT = str.maketrans({"o": "0", "l": "1", "i": "1", "s": "5"})
_EMAIL = re.compile(r"^\S+@\S+\.[a-z]{2,}\.?$")


def _fix(piece: str) -> str:
    """A word with OCR's digit-for-letter confusions undone, or a number with the reverse."""
    digits = sum(c.isdigit() for c in piece)
    if digits == 0 or digits == len(piece):
        return piece
    if digits * 2 > len(piece):
        return piece.translate(_TO_DIGIT)
    return piece.translate(_TO_LETTER)


def _pieces(text: str) -> list[tuple[str, bool]]:
    """(word, the raw word it came from ended in a hyphen), in reading order."""
    t = unicodedata.normalize("NFKC", text).translate(_QUOTES).lower()
    t = _MARKUP.sub(" ", t)
    out: list[tuple[str, bool]] = []
    for raw in t.split():
        raw = _PIPE.sub("l", raw)
        parts = [_fix(p) for p in _PIECE.findall(raw)]
        for i, p in enumerate(parts):
            out.append((p, i == len(parts) - 1 and raw.endswith("-")))
    return out


def _keep(tok: str) -> bool:
    # single letters are list markers, initials and OCR specks; single digits are section numbers
    return len(tok) > 1 or tok.isdigit()


def tokens(text: str) -> list[str]:
    """A registered text's words as the clauses compare them."""
    return [p for p, _ in _pieces(text) if _keep(p)]


def _doc_tokens(text: str, vocab: frozenset[str]) -> list[str]:
    """A read document's words, hyphenated and split words rejoined when the whole is a word of
    the registered texts, misread words snapped to the nearest such word (one edit, two in a
    long word)."""
    pieces = _pieces(text)
    joined: list[str] = []
    i = 0
    while i < len(pieces):
        tok, hyphen = pieces[i]
        if i + 1 < len(pieces) and tok.isalpha():
            nxt = pieces[i + 1][0]
            whole = tok + nxt
            if whole in vocab and (hyphen or (tok not in vocab and nxt not in vocab)):
                joined.append(whole)
                i += 2
                continue
        joined.append(tok)
        i += 1
    return [_snap(t, vocab) for t in joined if _keep(t)]


#: A word OCR cut short (`3. Citati` for `3. Citations`, the rest of a heading's line lost) is
#: the one word of the texts it begins, when it keeps this many letters and this share of it.
CUT_LETTERS = 5
CUT_SHARE = 0.6


@lru_cache(maxsize=8192)
def _snap_cached(tok: str, vocab: frozenset[str], choices: tuple[str, ...]) -> str:
    limit = 1 if len(tok) <= 6 else 2
    best = process.extractOne(tok, choices, scorer=Levenshtein.distance, score_cutoff=limit)
    if best is not None:
        return str(best[0])
    return cut_word(tok, choices) or tok


def cut_word(tok: str, choices: Sequence[str]) -> str | None:
    """The word of the texts `tok` is the start of, when it is the only one (`citati`:
    `citations`; `inform` begins `information` and `informed`: neither)."""
    if len(tok) < CUT_LETTERS:
        return None
    whole = [w for w in choices if w.startswith(tok) and len(w) > len(tok)]
    if len(whole) != 1 or len(tok) < CUT_SHARE * len(whole[0]):
        return None
    return whole[0]


def _snap(tok: str, vocab: frozenset[str]) -> str:
    if tok in vocab or len(tok) < 4 or not tok.isalpha():
        return tok
    return _snap_cached(tok, vocab, _sorted_vocab(vocab))


@lru_cache(maxsize=16)
def _sorted_vocab(vocab: frozenset[str]) -> tuple[str, ...]:
    return tuple(sorted(w for w in vocab if w.isalpha() and len(w) >= 3))


# ---- a version's clauses ----------------------------------------------------------------------

_HEADING = re.compile(r"^#{1,6}\s*(?:\*\*)?\s*(?:(\d+)\.?\s+)?(.+?)\s*(?:\*\*)?\s*$")
_SENTENCE = re.compile(r"(?<=[.!?;:])\s+(?=[A-Z(*])")
_SUBJECT_NUMBER = re.compile(r"\b\d{3}\b")


def _is_table_line(line: str) -> bool:
    # The registered text ends with the signer table (cells separated by tabs); the reader
    # finds that table by its labels, it is not a clause of the text.
    return "\t" in line and not line.lstrip().lower().startswith("sub")


def _blocks(text: str) -> list[list[str]]:
    blocks: list[list[str]] = [[]]
    for line in text.splitlines():
        if _is_table_line(line):
            break
        if line.strip():
            blocks[-1].append(line.strip())
        elif blocks[-1]:
            blocks.append([])
    return [b for b in blocks if b]


@lru_cache(maxsize=32)
def clauses_of(text: str) -> tuple[Clause, ...]:
    """A registered version's text split into the clauses a form of it must carry."""
    out: list[Clause] = []
    section = "0"
    counter = 0

    def add_text(body: str, name: str | None = None) -> None:
        nonlocal counter
        toks = tuple(tokens(body))
        if not toks:
            return
        if name is None:
            counter += 1
            name = f"{section}.text{counter}"
        out.append(Clause(name, ClauseKind.TEXT, toks, weight=1.0 if len(toks) > LINE else 0.4))

    subjects: set[str] = set()
    line_length = 0
    for block in _blocks(text):
        first = block[0]
        if first.startswith("#"):
            m = _HEADING.match(first)
            if m is None:
                continue
            number, title = m.group(1), m.group(2)
            if number is None:
                add_text(title, "title" if not out else None)
                continue
            section, counter = number, 0
            toks = tuple(tokens(title))
            out.append(
                Clause(f"{number}.heading", ClauseKind.HEADING, toks, number=number, weight=0.4)
            )
            continue
        if all(line.lower().startswith("sub") for line in block):
            subjects.update(_SUBJECT_NUMBER.findall(" ".join(block)))
            line_length = max(line_length, *(len(_SUBJECT_NUMBER.findall(x)) for x in block))
            if not any(c.kind is ClauseKind.SUBJECTS for c in out):
                out.append(Clause(f"{section}.subjects", ClauseKind.SUBJECTS, (), weight=2.0))
            continue
        joined = " ".join(block)
        if len(block) == 1 and _EMAIL.match(first.replace("\\", "")):
            address = first.replace("\\", "").rstrip(".").lower()
            toks = tuple(tokens(address))
            out.append(Clause(f"contact {address}", ClauseKind.CONTACT, toks, weight=0.6))
            continue
        if "license_agreement" in joined.replace("\\", "").lower():
            add_text(joined, "naming note")
            continue
        if first.startswith("*") and not first.startswith("**") and joined.rstrip().endswith("*"):
            add_text(joined, "citation")
            continue
        if all(line.startswith(("- ", "* ")) for line in block):
            for line in block:
                add_text(line[2:])
            continue
        for sentence in _SENTENCE.split(joined):
            add_text(sentence)
    return tuple(
        Clause(c.name, c.kind, c.tokens, c.number, frozenset(subjects), line_length, c.weight)
        if c.kind is ClauseKind.SUBJECTS
        else c
        for c in out
    )


# ---- finding a clause in a document -----------------------------------------------------------


@dataclass(frozen=True)
class _Doc:
    """A document's words, and the same as one character per word for fast alignment."""

    toks: list[str]
    chars: str
    codes: dict[str, str]
    compact: str  # the words run together (addresses, whatever OCR made of `@` and `.`)

    @classmethod
    def of(cls, toks: list[str], vocab: Iterable[str]) -> _Doc:
        codes = {w: chr(0x100 + i) for i, w in enumerate(sorted(vocab))}
        other = chr(0x100 + len(codes))  # every word no registered text has
        return cls(toks, "".join(codes.get(t, other) for t in toks), codes, "".join(toks))

    def encode(self, toks: Sequence[str]) -> str:
        return "".join(self.codes[t] for t in toks)


def _is_number(tok: str) -> bool:
    return tok.isdigit()


def _in_place_of(i: int, matched: Sequence[tuple[int, int]]) -> range:
    """The document's words standing where the clause's unmatched word `i` would be: between
    the matched words around it."""
    before = [d for ci, d in matched if ci < i]
    after = [d for ci, d in matched if ci > i]
    start = before[-1] + 1 if before else (after[0] - 1 if after else 0)
    end = after[0] if after else start + 1
    return range(max(0, start), end)


def _score_text(c: Clause, doc: _Doc) -> ClauseScore:
    """The share of the clause's words found in order in its best window of the document;
    a number of the clause (a year) found replaced by another number is CHANGED."""
    needle = doc.encode(c.tokens)
    m = len(needle)
    if not doc.chars:
        return ClauseScore(c, ClauseState.ABSENT, 0.0)
    if len(doc.chars) <= m:
        lo, hi = 0, len(doc.chars)
    else:
        al = fuzz.partial_ratio_alignment(needle, doc.chars)
        if al is None:
            return ClauseScore(c, ClauseState.ABSENT, 0.0)
        pad = max(2, m // 4)
        lo, hi = max(0, al.dest_start - pad), min(len(doc.chars), al.dest_end + pad)
    window = doc.chars[lo:hi]
    matched: list[tuple[int, int]] = []  # (clause index, doc index)
    for op in LCSseq.opcodes(needle, window):
        if op.tag == "equal":
            matched += [
                (op.src_start + k, lo + op.dest_start + k) for k in range(op.src_end - op.src_start)
            ]
    if not matched:
        return ClauseScore(c, ClauseState.ABSENT, 0.0)
    span = matched[-1][1] - matched[0][1] + 1
    slack = 1 + m // 8  # OCR specks and split words inside the clause
    score = len(matched) / max(m, span - slack)
    if score <= ABSENT:
        return ClauseScore(c, ClauseState.ABSENT, score)
    found = {i for i, _ in matched}
    for i, tok in enumerate(c.tokens):
        if not _is_number(tok) or i in found:
            continue
        others = [doc.toks[j] for j in _in_place_of(i, matched) if j < len(doc.toks)]
        if score <= REWORDED and any(_is_number(t) and len(t) == len(tok) for t in others):
            # the clause stands there reworded and with another number (a year): another
            # text. Only the number differing is more likely a misread digit: unsure.
            return ClauseScore(c, ClauseState.CHANGED, score)
        return ClauseScore(c, ClauseState.UNSURE, score)
    if score < (PRESENT_LONG if m >= LONG else PRESENT):
        return ClauseScore(c, ClauseState.UNSURE, score)
    return ClauseScore(c, ClauseState.PRESENT, score, span=(matched[0][1], matched[-1][1]))


def _score_heading(c: Clause, doc: _Doc) -> ClauseScore:
    """Every place the heading's words stand; the number just before them says whether it is
    this section, another section (CHANGED) or cannot be told (OCR lost the number)."""
    k = len(c.tokens)
    needle = doc.encode(c.tokens)
    tolerated = 0 if k < 4 else 1
    numbers: list[str | None] = []
    places: list[int] = []
    best = 0
    for j in range(len(doc.chars) - k + 1):
        if doc.chars[j] != needle[0] and doc.chars[j + k - 1] != needle[-1]:
            continue
        common = LCSseq.similarity(needle, doc.chars[j : j + k])
        best = max(best, common)
        if common < k - tolerated:
            continue
        before = [t for t in doc.toks[max(0, j - 2) : j] if _is_number(t)]
        numbers.append(before[-1] if before else None)
        places.append(j)
    if c.number in numbers:
        at = tuple(p for p, n in zip(places, numbers, strict=True) if n == c.number)
        return ClauseScore(c, ClauseState.PRESENT, 1.0, at)
    others = [(p, n) for p, n in zip(places, numbers, strict=True) if n and len(n) <= 2]
    if others:
        at, numbered = zip(*others, strict=True)
        return ClauseScore(c, ClauseState.CHANGED, (k - 1) / max(k, 1), at, numbered=numbered)
    if numbers:
        return ClauseScore(c, ClauseState.UNSURE, best / k, tuple(places))
    score = best / k if k else 0.0
    state = ClauseState.ABSENT if score <= ABSENT or k - best >= 2 else ClauseState.UNSURE
    return ClauseScore(c, state, score)


#: A heading stands within this many words after the last sentence of the section before it
#: (its number, and a speck or two OCR read between).
HEADING_AFTER = 4


def _numbered_by_neighbours(scored: Sequence[ClauseScore]) -> tuple[ClauseScore, ...]:
    """Headings whose number OCR lost, PRESENT when they stand between the headings numbered
    one below and one above them, both read with their numbers (the first heading needs the
    next one, the last the one before): sections are numbered in turn, so the number between
    is this one. A renumbered text still reads CHANGED at the headings whose numbers were read.

    No text numbers two sections alike, so a number read before the words of two headings was
    misread at one of them (`8. Warranty` read `7. Warranty` after `7. Intellectual
    Property`). The heading it is the own number of keeps it only where the heading before
    (n-1) was read with its number, uncontested, ahead of it; the other heading, and one read
    with the number of a heading read in its own place elsewhere, right after the last
    sentence of the section before it, is told by its neighbours as one whose number OCR
    lost. So an older text's heading is not found in a current text by a misread number, nor
    the other way round."""
    headings = {s.clause.number: s for s in scored if s.clause.kind is ClauseKind.HEADING}
    # A heading's words inside a sentence read there are the sentence's ("without any
    # warranty"), not the heading with its number lost.
    sentences = [s.span for s in scored if s.span is not None]
    # each number read before a heading's words: where, and before which heading
    read_with: dict[str, set[tuple[int, str | None]]] = {}
    for s in headings.values():
        if s.state is ClauseState.PRESENT and s.clause.number:
            read_with.setdefault(s.clause.number, set()).update((p, s.clause.number) for p in s.at)
        for p, n in zip(s.at, s.numbered, strict=False):
            read_with.setdefault(n, set()).add((p, s.clause.number))
    contested = {n for n, seen in read_with.items() if len({h for _, h in seen}) > 1}

    def in_sentence(p: int) -> bool:
        return any(lo < p <= hi for lo, hi in sentences)

    def anchored(s: ClauseScore) -> bool:
        """A heading read with its own contested number, after the heading before it read
        with its (uncontested) number."""
        before = headings.get(str(int(s.clause.number or 0) - 1))
        return (
            before is not None
            and before.state is ClauseState.PRESENT
            and before.clause.number not in contested
            and bool(before.at)
            and max(s.at, default=-1) > min(before.at)
        )

    resolved: dict[str | None, ClauseScore] = {}
    for number, s in headings.items():
        if s.state is ClauseState.PRESENT and number in contested and not anchored(s):
            s = ClauseScore(s.clause, ClauseState.UNSURE, s.score, s.at)
        resolved[number] = s

    def place(number: str) -> tuple[int, ...] | None:
        """Where the heading `number` stands read with its number; () when the text has no
        such heading; None when it was not read so."""
        s = resolved.get(number)
        if s is None:
            return ()
        return s.at if s.state is ClauseState.PRESENT else None

    def misnumbered(s: ClauseScore, previous: ClauseScore | None) -> bool:
        """Read with numbers of headings read in their own places, right after the last
        sentence of the section before it (no section of another text between)."""
        end = previous.span[1] if previous is not None and previous.span is not None else None
        return (
            end is not None
            and any(0 < p - end <= HEADING_AFTER for p in s.at)
            and all(
                n != s.clause.number and bool(place(n)) and not set(place(n) or ()) & set(s.at)
                for n in s.numbered
            )
        )

    out = []
    for i, s in enumerate(scored):
        c = s.clause
        if c.kind is not ClauseKind.HEADING:
            out.append(s)
            continue
        s = resolved[c.number]
        if s.state is ClauseState.CHANGED and misnumbered(s, scored[i - 1] if i else None):
            s = ClauseScore(c, ClauseState.UNSURE, s.score, s.at)
        if s.state is ClauseState.UNSURE and s.at and c.number:
            before, after = place(str(int(c.number) - 1)), place(str(int(c.number) + 1))
            if before is not None and after is not None and (before or after):
                lo = min(before, default=-1)
                hi = max(after, default=max(s.at) + 1)
                if any(lo < p < hi and not in_sentence(p) for p in s.at):
                    s = ClauseScore(c, ClauseState.PRESENT, s.score, s.at)
        out.append(s)
    return tuple(out)


#: What OCR confuses in the letters of an address, each class written as one letter.
_LOOKALIKE = str.maketrans({"l": "i", "1": "i", "j": "i", "h": "n", "e": "c", "0": "o", "5": "s"})


def _lookalike(text: str) -> str:
    return text.replace("rn", "m").replace("vv", "w").translate(_LOOKALIKE)


def _score_contact(c: Clause, doc: _Doc) -> ClauseScore:
    """The address, letters and digits only, in the document's letters and digits (OCR reads
    `@` as anything or nothing), with the letters OCR confuses taken as one (`iamthy` read
    `lamtny`); its local part must be there with the start of its domain, so the other
    contact's domain alone does not count."""
    address = _lookalike("".join(c.tokens))
    head = _lookalike(c.tokens[0] + (c.tokens[1] if len(c.tokens) > 1 else ""))
    compact = _lookalike(doc.compact)
    whole = fuzz.partial_ratio(address, compact) / 100
    local = fuzz.partial_ratio(head, compact) / 100
    score = min(whole, local)
    if score >= 0.85:
        return ClauseScore(c, ClauseState.PRESENT, score)
    if score <= 0.7:
        return ClauseScore(c, ClauseState.ABSENT, score)
    return ClauseScore(c, ClauseState.UNSURE, score)


#: Words before the first `sub` marker and after the last where the list's numbers may still
#: stand (OCR may lose a marker, not only a number: the last lines may have none read).
_LIST_CONTEXT = 40
_LIST_AFTER = 80


def _list_end(toks: Sequence[str], last_marker: int) -> int:
    """Where the list ends: `_LIST_AFTER` words after its last `sub` marker read, or further
    while numbers go on (OCR loses the markers of the last lines, not their numbers)."""
    end = min(len(toks), last_marker + _LIST_AFTER)
    j = end
    while j < len(toks) and any(_subject(t) for t in toks[j : j + _LIST_GAP]):
        j += 1
    return max(end, min(len(toks), j + _LIST_GAP))


def _list_start(toks: Sequence[str], first_marker: int) -> int:
    """Where the list starts: `_LIST_CONTEXT` words before its first `sub` marker read, or
    further back while numbers go on (a photo's OCR lost the markers of the first six lines
    and kept their numbers)."""
    start = max(0, first_marker - _LIST_CONTEXT)
    j = start
    while j > 0 and any(_subject(t) for t in toks[max(0, j - _LIST_GAP) : j]):
        j -= 1
    return max(0, min(start, j - _LIST_GAP))


#: Words without a subject number that end the list when the markers are lost.
_LIST_GAP = 8


def _subject(tok: str) -> bool:
    return len(tok) == 3 and tok.isdigit()


def _score_subjects(c: Clause, doc: _Doc) -> ClauseScore:
    """The set of three-digit numbers where the list stands (from the `sub` markers on).

    The same list read in order, give or take what OCR did (each number missing has a damaged
    token or another number in its place) is PRESENT. Three numbers or more missing (or extra)
    beyond what OCR damaged, in a list otherwise read well, is CHANGED, unless the missing
    numbers are one run of the list no longer than two of its lines: a line OCR lost looks the
    same."""
    region = _list_region(doc)
    if region is None:
        return ClauseScore(c, ClauseState.ABSENT if doc.toks else ClauseState.UNSURE, 0.0)
    found = {t for t in region if _subject(t)}
    # anything at all that is no number, marker or word of the texts: what OCR may have made
    # of a number (merged, read as letters), which forbids calling the list changed
    junk = sum(1 for t in region if not _subject(t) and t != "sub" and t not in doc.codes)
    expected = c.numbers
    missing, extra = expected - found, found - expected
    share = len(expected & found) / len(expected) if expected else 0.0
    if _each_missing_has_a_misread_one(c.numbers, region):
        return ClauseScore(c, ClauseState.PRESENT, share)
    explained = len(extra) + junk
    # each run of missing numbers: left out (its neighbours read side by side) or with
    # something OCR made in its place (junk, a damaged token, a marker): only the former
    # says the list is another one
    omitted = [run for run, clean in _missing_runs(c.numbers, region, doc) if clean]
    unexplained = sum(len(r) for r in omitted) + max(0, len(extra) - len(missing))
    # one run no longer than two lines of the list, with nothing in its place: a line OCR
    # lost whole looks the same
    lost_lines = len(omitted) == 1 and len(omitted[0]) <= 2 * c.line_length
    well_read = explained <= max(3, len(expected) // 20) and share >= 0.3
    if unexplained >= 3 and well_read and not lost_lines:
        return ClauseScore(c, ClauseState.CHANGED, share)
    return ClauseScore(c, ClauseState.UNSURE, share)


def _list_region(doc: _Doc) -> list[str] | None:
    """The words where the subject list stands (None: no `sub` marker read at all), two
    numbers OCR ran together taken apart (`_apart`)."""
    idx = [j for j, t in enumerate(doc.toks) if t == "sub"]
    if not idx:
        return None
    region = doc.toks[_list_start(doc.toks, idx[0]) : _list_end(doc.toks, idx[-1])]
    return [n for t in region for n in _apart(t)]


def _apart(tok: str) -> list[str]:
    """Two numbers of the list that OCR read as one token: their comma lost (`030031`, six
    digits) or read as a digit (`0304031`, seven: the comma's tail is a `4`'s or a `9`'s
    stroke on a worn copy). Any other token is itself."""
    if tok.isdigit() and len(tok) in (6, 7):
        return [tok[:3], tok[-3:]]
    return [tok]


def _subjects_in_readings(
    c: Clause, scores: Sequence[ClauseScore], docs: Sequence[_Doc]
) -> ClauseScore:
    """The subject list over several readings of its page: present when every number was read
    in one of them; changed when a reading called it another list and every number it lacks
    every reading lacks (an older, shorter list); else present when every number no reading
    read has a damaged token in its place in a reading of the list in order (`_stood_in`: two
    readings of a worn copy misread other numbers, each in its place); unsure when between
    them they read numbers each missed (a line one reading lost, another read: OCR's loss,
    whatever each alone looked like); else the best reading's verdict."""
    best = min(scores, key=lambda s: (_BEST.index(s.state), -s.score))
    if best.state is ClauseState.PRESENT:
        return best
    regions = [_list_region(d) or [] for d in docs]
    each = [{t for t in region if _subject(t)} for region in regions]
    found = set().union(*each)
    share = len(c.numbers & found) / len(c.numbers) if c.numbers else 0.0
    missing = c.numbers - found
    if not missing:
        return ClauseScore(c, ClauseState.PRESENT, share)
    for score, seen in zip(scores, each, strict=True):
        # a reading that called the list another one stands when no other reading found a
        # number it lacks: what it lacks, every reading lacks
        if score.state is ClauseState.CHANGED and c.numbers - seen <= missing:
            return score
    if not any(s.state is ClauseState.CHANGED for s in scores) and missing <= _stood_in(
        c.numbers, regions
    ):
        return ClauseScore(c, ClauseState.PRESENT, share)
    if len(missing) < min(len(c.numbers - f) for f in each):
        return ClauseScore(c, ClauseState.UNSURE, share)
    return best


def _missing_runs(
    expected: frozenset[str], region: Sequence[str], doc: _Doc
) -> list[tuple[list[str], bool]]:
    """The list's missing numbers in runs (consecutive in the list), each with whether it was
    cleanly left out: the numbers either side of it read next to each other (a line's `sub.`
    between them at most), or at an end
    of the list the number there followed (or preceded) by a word of the texts."""
    order = sorted(expected)
    where: dict[str, int] = {}
    for j, t in enumerate(region):
        if t in expected and t not in where:
            where[t] = j
    runs: list[tuple[list[str], bool]] = []
    k = 0
    while k < len(order):
        if order[k] in where:
            k += 1
            continue
        start = k
        while k < len(order) and order[k] not in where:
            k += 1
        run = order[start:k]
        before = where.get(order[start - 1]) if start > 0 else None
        after = where.get(order[k]) if k < len(order) else None
        if before is not None and after is not None:
            # nothing between them but the `sub.` that starts a line of the list
            clean = all(t == "sub" for t in region[before + 1 : after])
        elif before is not None:  # the list's end: a word of the text follows its last number
            rest = [t for t in region[before + 1 :] if t != "sub"]
            clean = bool(rest) and rest[0] in doc.codes
        elif after is not None:
            rest = [t for t in region[:after] if t != "sub"]
            clean = bool(rest) and rest[-1] in doc.codes
        else:
            clean = False
        runs.append((run, clean))
    return runs


@dataclass(frozen=True, slots=True)
class _Misreads:
    """One reading of the list lined up with the published list, number by number."""

    stood_in: frozenset[str]  # missing, with a damaged token (with a digit) in its place
    left_out: frozenset[str]  # missing, with nothing in its place (an older list's shape)

    def in_order(self, expected: frozenset[str]) -> bool:
        """Damaged no more than OCR damages a list it reads in order."""
        return len(self.stood_in) <= max(6, len(expected) // 10)


def _misreads(expected: frozenset[str], region: Sequence[str]) -> _Misreads | None:
    """The list read in order against the published one (None: no number of it read as
    such). A number with a damaged token (with a digit, or three letters OCR reads for
    digits) in its place was misread; one with
    nothing there may have been left off the list (an older list is a shorter one). The
    sequence is taken from the first to the last number of the list read as such, so nothing
    outside the list stands in for a number at either end; but for a token next to either
    end that is one character from the number the list has there (`_damaged_end`: a crease
    through the list's last line read `670` as `679`)."""
    at = [j for j, t in enumerate(region) if _numberish(t)]
    exact = [k for k, j in enumerate(at) if region[j] in expected]
    if not exact:
        return None
    order = sorted(expected)  # a published list is in ascending order (if not: never present)
    first, last = exact[0], exact[-1]
    first -= _damaged_end(region, at, first, -1, order)
    last += _damaged_end(region, at, last, 1, order)
    seq = [region[j] for j in at[first : last + 1]]
    stood_in: set[str] = set()
    left_out: set[str] = set()
    for op in Levenshtein.opcodes(order, seq):
        numbers = order[op.src_start : op.src_end]
        if op.tag == "delete":
            left_out.update(numbers)
        elif op.tag == "replace":
            # a token of nine digits or more is numbers OCR ran together (`_apart` took two
            # apart already)
            stand_ins = sum(max(1, len(t) // 3) for t in seq[op.dest_start : op.dest_end])
            (stood_in if stand_ins >= len(numbers) else left_out).update(numbers)
    return _Misreads(frozenset(stood_in), frozenset(left_out))


#: Letters OCR reads for digits (`ggs` for `085` on a creased copy): three of them in the list
#: stand where a number was printed, as a token with a digit does. A speck reads as letters of
#: any kind (`ie`, `a`), seldom as three of these.
_DIGIT_LIKE = frozenset("olizsgqb")


def _numberish(tok: str) -> bool:
    """What may stand where a number of the list was printed: a token with a digit, or
    three letters OCR reads for digits."""
    return any(ch.isdigit() for ch in tok) or (len(tok) == 3 and set(tok) <= _DIGIT_LIKE)


def _damaged_end(
    region: Sequence[str], at: Sequence[int], end: int, step: int, order: Sequence[str]
) -> int:
    """1 when the number-like token next to the list's number read at `at[end]` (after it,
    `step` 1; before it, -1), with no more than a line's `sub` marker between, is one
    character from the number the published list has next there: that number, damaged."""
    k = end + step
    if not 0 <= k < len(at) or abs(at[k] - at[end]) > 2:
        return 0
    if any(region[j] != "sub" for j in range(min(at[k], at[end]) + 1, max(at[k], at[end]))):
        return 0
    n = order.index(region[at[end]]) + step
    if not 0 <= n < len(order):
        return 0
    return int(Levenshtein.distance(region[at[k]], order[n]) <= 1)


def _each_missing_has_a_misread_one(expected: frozenset[str], region: Sequence[str]) -> bool:
    """The list read in order, each of its numbers there or a damaged token (`_numberish`) in
    its place: OCR misread it. A number with nothing in its place keeps the list from being
    called present."""
    seen = _misreads(expected, region)
    return seen is not None and not seen.left_out and seen.in_order(expected)


def _stood_in(expected: frozenset[str], regions: Sequence[Sequence[str]]) -> frozenset[str]:
    """The list's numbers some reading (its list's words in `regions`), read in order, has a
    damaged token in the place of: printed there, whatever each reading made of them. A
    number every reading left out with nothing in its place is not among them (an older list
    lacks it so)."""
    out: set[str] = set()
    for region in regions:
        seen = _misreads(expected, region)
        if seen is not None and seen.in_order(expected):
            out |= seen.stood_in
    return frozenset(out)


#: Which reading's score of a clause counts (`_best_of`): the first state in this order.
_BEST = (ClauseState.PRESENT, ClauseState.UNSURE, ClauseState.CHANGED, ClauseState.ABSENT)


def _best_of(
    readings: Sequence[tuple[ClauseScore, ...]], docs: Sequence[_Doc]
) -> tuple[ClauseScore, ...]:
    """Each clause as the reading that found most of it: present in any reading (OCR loses
    lines, it prints no clause), else unsure in any (one reading's difference is another's
    doubt), else changed, else absent; of two alike, the higher score. The subject list is
    taken number by number (`_subjects_in_readings`)."""
    if len(readings) == 1:
        return readings[0]
    return tuple(
        _subjects_in_readings(scores[0].clause, scores, docs)
        if scores[0].clause.kind is ClauseKind.SUBJECTS
        else min(scores, key=lambda s: (_BEST.index(s.state), -s.score))
        for scores in zip(*readings, strict=True)
    )


def score_clause(c: Clause, doc: _Doc) -> ClauseScore:
    if c.kind is ClauseKind.HEADING:
        return _score_heading(c, doc)
    if c.kind is ClauseKind.CONTACT:
        return _score_contact(c, doc)
    if c.kind is ClauseKind.SUBJECTS:
        return _score_subjects(c, doc)
    return _score_text(c, doc)


# ---- the verdict ------------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _vocab(texts: tuple[str, ...]) -> frozenset[str]:
    return frozenset(t for text in texts for t in tokens(text))


@lru_cache(maxsize=32)
def _distinguishing(texts: tuple[str, ...], other: int, against: int) -> frozenset[str]:
    """The clauses of version `other` that version `against`'s own text does not carry."""
    vocab = _vocab(texts)
    doc = _Doc.of(tokens(texts[against]), vocab)
    return frozenset(
        c.name
        for c in clauses_of(texts[other])
        if score_clause(c, doc).state is not ClauseState.PRESENT
    )


_READ = frozenset({ClauseState.PRESENT, ClauseState.CHANGED})  # the text there was read


def _there(s: ClauseScore) -> bool:
    """The clause is in the text, or may be: present, or a plain sentence read in part (what
    a version is recognised with)."""
    return s.state is ClauseState.PRESENT or (_plain(s.clause) and _in_part(s))


def _confident_differences(
    scored: Sequence[ClauseScore], *, partial: bool, form_table_found: bool
) -> list[ClauseScore]:
    """Clauses that differ for sure: a changed number anywhere, and (on the whole document)
    a run of absent clauses with present clauses around it, so a page OCR lost half of is not
    taken for a missing section."""
    out = [s for s in scored if s.state is ClauseState.CHANGED]
    if partial:
        return out
    n = len(scored)
    for i, s in enumerate(scored):
        if s.state is not ClauseState.ABSENT:
            continue
        j = i - 1
        while j >= 0 and scored[j].state is ClauseState.ABSENT:
            j -= 1
        k = i + 1
        while k < n and scored[k].state is ClauseState.ABSENT:
            k += 1
        before = j >= 0 and scored[j].state in _READ
        after = (k >= n and form_table_found) or (k < n and scored[k].state in _READ)
        if before and after:
            out.append(s)
    return out


def _section(c: Clause) -> str:
    return c.name.split(".")[0] if "." in c.name else "0"


def _plain(c: Clause) -> bool:
    """A plain sentence: no heading, citation, subject list, address or naming note, and no
    number in it."""
    return (
        c.kind is ClauseKind.TEXT
        and c.name not in ("citation", "naming note")
        and not any(_is_number(t) for t in c.tokens)
    )


def _in_part(s: ClauseScore) -> bool:
    return s.state is ClauseState.UNSURE and s.score >= PARTLY


def _partly_read(scored: Sequence[ClauseScore], own: frozenset[str]) -> list[ClauseScore]:
    """The plain sentences read only in part that a version may be recognised with: no clause
    of its own (one another registered version lacks), most of their words there, and
    something else of their section read."""
    read: dict[str, int] = {}
    for s in scored:
        if s.state is ClauseState.PRESENT:
            read[_section(s.clause)] = read.get(_section(s.clause), 0) + 1
    return [
        s
        for s in scored
        if _plain(s.clause)
        and _in_part(s)
        and s.clause.name not in own
        and read.get(_section(s.clause), 0) > 0
    ]


def _difference_weight(s: ClauseScore) -> float:
    """How much a confident difference says. A sentence absent that is no longer than two
    printed lines weighs half: on a skewed page OCR can lose a whole line, and with it most
    of such a sentence (a changed number is no lost line: it keeps its weight)."""
    c = s.clause
    if s.state is ClauseState.ABSENT and c.kind is ClauseKind.TEXT and len(c.tokens) <= 2 * LINE:
        return min(c.weight, 0.5)
    return c.weight


#: Neighbouring clauses of a line each, absent together, that weigh as one (`LOST_LINES` at
#: most): the lines stand together on the page, and OCR loses a stretch of it as readily as a
#: line (a photo's two contact addresses in small print, both lost at every resolution: a
#: current LA was rejected as an older one, whose difference is one contact line, not two).
LOST_LINES = 2


def _one_line(s: ClauseScore) -> bool:
    c = s.clause
    return s.state is ClauseState.ABSENT and (
        c.kind is ClauseKind.CONTACT or (c.kind is ClauseKind.TEXT and len(c.tokens) <= LINE)
    )


def _differences_weight(diffs: Sequence[ClauseScore], scored: Sequence[ClauseScore]) -> float:
    """The weight of a version's confident differences (`_difference_weight` each), a run of
    up to `LOST_LINES` neighbouring one-line clauses absent together weighing as its heaviest."""
    index = {s.clause.name: k for k, s in enumerate(scored)}
    ordered = sorted(diffs, key=lambda s: index.get(s.clause.name, -1))
    total = 0.0
    run: list[ClauseScore] = []

    def close() -> float:
        if not run:
            return 0.0
        weights = [_difference_weight(s) for s in run]
        return max(weights) if len(run) <= LOST_LINES else sum(weights)

    for s in ordered:
        if (
            _one_line(s)
            and run
            and index.get(s.clause.name) == index.get(run[-1].clause.name, -9) + 1
        ):
            run.append(s)
            continue
        total += close()
        run = [s] if _one_line(s) else []
        if not run:
            total += _difference_weight(s)
    return total + close()


def _word_like(toks: Sequence[str]) -> int:
    return sum(1 for t in toks if t.isalpha() and len(t) >= 3 and re.search("[aeiouy]", t))


def after_reread(
    first: VersionMatch, again: VersionMatch, both: Callable[[], VersionMatch]
) -> VersionMatch:
    """The verdict of an OCR'd LA read again where its deciding clauses stand (`first`: the
    first reading's, `again`: the better reading's; `both`: the two readings together, each
    clause as the reading that found it, `match_version(also=...)`, asked for only when
    needed).

    Unsure by a few clauses OCR read badly (a soft photo's list of numbers at the body pages'
    low resolution): only a verdict the better reading reaches (MATCH, OUTDATED) replaces the
    first. Outdated: it stands only if the better reading says so too (OCR at 100 dpi drops
    numbers of the list without a trace, as an older list would lack them); a current LA
    rejected as an older one costs the applicant a needless round. When the better reading is
    no match either, the two readings together may be. And an outdated verdict, first or
    again, stands only where the two together say so: OCR loses lines of a page, it prints no
    clause, so a clause one reading found is there (a photo's re-read that lost a sentence of
    section 4 the first reading had called a current LA outdated). An older LA's difference is
    in both readings: no union hides it. So too a version left unsure is surely not one of
    the registered versions (`VersionMatch.excluded`) only where the two together say so."""
    outdated = first.status is VersionStatus.OUTDATED
    union: VersionMatch | None = None
    if again.status is not VersionStatus.MATCH:
        union = both()
        if union.status is VersionStatus.MATCH or (
            (outdated or again.status is VersionStatus.OUTDATED)
            and union.status is not VersionStatus.OUTDATED
        ):
            again = union
    if outdated:
        settled = again if again.status is not VersionStatus.OUTDATED else first
    else:
        settled = again if again.status is not VersionStatus.UNSURE else first
    if settled.status is VersionStatus.UNSURE and settled.excluded:
        # a version is surely not the text only where the readings together say so too
        union = union or both()
        kept = tuple(v for v in settled.excluded if v in union.excluded)
        settled = replace(settled, excluded=kept)
    return settled


def subjects_alone_unsure(match: VersionMatch) -> bool:
    """Whether the version is unsure for its subject list alone: every other clause of the
    nearest version read, none missing or changed."""
    if match.status is not VersionStatus.UNSURE or match.missing or match.changed:
        return False
    kinds = {s.clause.name: s.clause.kind for s in match.clauses.get(match.nearest or "", ())}
    return bool(match.unsure) and all(kinds.get(n) is ClauseKind.SUBJECTS for n in match.unsure)


def match_version(
    text: str,
    versions: Sequence[LaVersion],
    *,
    partial: bool = False,
    form_table_found: bool = False,
    exact_text: bool = False,
    also: Sequence[str] = (),
) -> VersionMatch:
    """The version `text` is. `partial`: the text is only part of the document (the pages read
    so far), so a clause not found there may stand on another page: only a changed clause
    counts against a version. `form_table_found`: the reader found the signer table's labels,
    strong evidence the document is an LA whatever its text reads like. `exact_text`: the
    text is the document's own text layer, no OCR: a short text is short, not badly read.
    `also`: other readings of the same document (OCR at another resolution): each clause is
    scored in every reading and counts as its best (`_best_of`)."""
    if not versions:
        return VersionMatch(None, 0.0, False, {}, VersionStatus.UNSURE)
    texts = tuple(v.text for v in versions)
    vocab = _vocab(texts)
    doc_toks = _doc_tokens(text, vocab)
    docs = [_Doc.of(doc_toks, vocab), *(_Doc.of(_doc_tokens(t, vocab), vocab) for t in also)]
    scored = {
        v.id: _best_of(
            [
                _numbered_by_neighbours([score_clause(c, doc) for c in clauses_of(v.text)])
                for doc in docs
            ],
            docs,
        )
        for v in versions
    }
    share = {
        vid: sum(s.state is ClauseState.PRESENT for s in sc) / max(len(sc), 1)
        for vid, sc in scored.items()
    }
    nearest = max(share, key=lambda vid: share[vid])
    best = scored[nearest]

    def complete(i: int) -> bool:
        v = versions[i]
        own = frozenset().union(
            *(_distinguishing(texts, i, j) for j in range(len(versions)) if j != i)
        )
        partly = _partly_read(scored[v.id], own)
        if len(partly) > PARTLY_READ:
            return False
        if any(s.state is not ClauseState.PRESENT and s not in partly for s in scored[v.id]):
            return False
        for j, w in enumerate(versions):
            if j == i:
                continue
            # what sets another version apart must not be there, not even in part
            others = _distinguishing(texts, j, i)
            if any(_there(s) for s in scored[w.id] if s.clause.name in others):
                return False
        return True

    def names(state: ClauseState, of: Iterable[ClauseScore]) -> tuple[str, ...]:
        return tuple(s.clause.name for s in of if s.state is state)

    diffs = {
        vid: _confident_differences(sc, partial=partial, form_table_found=form_table_found)
        for vid, sc in scored.items()
    }
    confident = {s.clause.name for s in diffs[nearest]}

    def verdict(
        status: VersionStatus, version: str | None = None, excluded: tuple[str, ...] = ()
    ) -> VersionMatch:
        return VersionMatch(
            version,
            similarity=round(share[nearest], 3),
            is_la=status is not VersionStatus.NOT_LA,
            scores={vid: round(x, 3) for vid, x in share.items()},
            status=status,
            nearest=nearest,
            missing=tuple(n for n in names(ClauseState.ABSENT, best) if n in confident),
            changed=names(ClauseState.CHANGED, best),
            unsure=tuple(
                s.clause.name
                for s in best
                if s.state is ClauseState.UNSURE
                or (s.state is ClauseState.ABSENT and s.clause.name not in confident)
            ),
            clauses=scored,
            excluded=excluded,
        )

    matches = [versions[i].id for i in range(len(versions)) if complete(i)]
    if len(matches) == 1:
        return verdict(VersionStatus.MATCH, matches[0])

    n = len(best)
    unsure_share = sum(s.state is ClauseState.UNSURE for s in best) / max(n, 1)
    read_well = share[nearest] >= READ_WELL and unsure_share <= UNSURE_SHARE
    an_la = share[nearest] >= IS_LA_SHARE or form_table_found

    def differs(i: int) -> bool:
        """Confidently not version i: its clauses absent or changed, or the clauses that set
        another version apart from it present."""
        vid = versions[i].id
        weight = _differences_weight(diffs[vid], scored[vid])
        for j, w in enumerate(versions):
            if j != i:
                others = _distinguishing(texts, j, i)
                weight += sum(
                    s.clause.weight
                    for s in scored[w.id]
                    if s.clause.name in others and s.state is ClauseState.PRESENT
                )
        return weight >= OUTDATED_WEIGHT

    excluded = (
        tuple(v.id for i, v in enumerate(versions) if differs(i))
        if an_la and read_well and not matches
        else ()
    )
    if len(excluded) == len(versions):
        return verdict(VersionStatus.OUTDATED, excluded=excluded)
    plainly_other = (
        not form_table_found
        and not partial
        and share[nearest] <= NOT_LA_SHARE
        and (
            exact_text  # no OCR: what a short or odd text layer says is all there is
            or (
                _word_like(doc_toks) >= NOT_LA_WORDS and _word_like(doc_toks) >= 0.6 * len(doc_toks)
            )
        )
    )
    if plainly_other:
        return verdict(VersionStatus.NOT_LA)
    return verdict(VersionStatus.UNSURE, excluded=excluded)


#: Numbers of the subject list a page holds at least to hold part of the list (`pages_of`).
LIST_ON_A_PAGE = 10


def pages_of(match: VersionMatch, names: set[str], page_text: dict[int, str]) -> list[int]:
    """The pages (of `page_text`, each page's text) where the clauses `names` of the nearest
    version stand: for each, the page whose text holds most of the words only it has (the
    list of subjects: every page with `LIST_ON_A_PAGE` of its numbers); for one of which
    nothing was read, the pages of the clauses before and after it."""
    if match.nearest is None or not names:
        return []
    words = {i: set(tokens(t)) for i, t in page_text.items()}
    scored = match.clauses.get(match.nearest, ())
    wanted = [
        set(s.clause.numbers) if s.clause.kind is ClauseKind.SUBJECTS else set(s.clause.tokens)
        for s in scored
    ]
    # a word many clauses share (`mail`, `ustc` of both contact addresses) says little of
    # where one of them stands: each clause by the words only it has, where it has some
    shared = Counter(t for want in wanted for t in want)

    def page_of(k: int) -> int | None:
        own = {t for t in wanted[k] if shared[t] == 1} or wanted[k]
        best = max(words, key=lambda i: (len(own & words[i]), -i))
        return best if own & words[best] else None

    out: set[int] = set()
    for k, s in enumerate(scored):
        if s.clause.name not in names or not wanted[k]:
            continue
        here = page_of(k)
        if here is not None:
            out.add(here)
            if s.clause.kind is ClauseKind.SUBJECTS:
                # a list a page break cut stands on both pages: each is read again
                out.update(i for i in words if len(wanted[k] & words[i]) >= LIST_ON_A_PAGE)
            continue
        # nothing of it read on any page (a page's last line, lost at the body's low
        # resolution): it stands between the clauses around it, on one of their pages
        for j in (k - 1, k + 1):
            if 0 <= j < len(scored) and wanted[j] and (there := page_of(j)) is not None:
                out.add(there)
    return sorted(out)
