"""Where each field's value lives on the page, from its label, the words and the table's rules.

Pure geometry: labels (`layout.Label`), positioned words (`layout.Word`) and the page's rules
and cells (`grid.Grid`) in one unit; no pixels, no OCR. Every distance is a multiple of the
label's own text height, so the same rules hold at any size, dpi or page format. In order:

- **cells**: a label in a cell of a ruled table has its value in the next cell to the right in
  its row, unless that cell holds another label (a header row): then in the space below the
  label in its own cell, or in the cell below. A label sharing its cell with words (`Name: ...`
  in one cell, or the label at the top of a box and the value under it) has them there. A value
  cell is taken whole, however many lines it holds (a two-line address).
- **underlines**: `Name: ________` has its value on the rule, and a second rule right below with
  no label carries the value's second line.
- **text alone**: words right of the label in its row up to the next label (and the lines that
  continue them below), or else words right under the label (a stacked form: labels above
  values) down to the next label or rule; a label printed under a line (`______` over
  `Signature`) has its value above the line.

Each answer is a `ValueRegion` saying how it was found, so a reading can be explained.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from licensebot.reading.clean import ends_open
from licensebot.reading.grid import Box, Cell, Grid, Rule
from licensebot.reading.layout import (
    FIELD_KEYS,
    MERGED_LABEL,
    Label,
    Word,
    is_filler,
    join_words,
    lines_of,
    median,
    own_line,
    pick_labels,
    print_height,
)

#: Fields whose value region `locate_values` finds by default: the six texts and the ink.
VALUE_KEYS = (*FIELD_KEYS, "signature")
#: A value runs to at most this many lines when nothing (a label, a rule) ends it sooner.
MAX_LINES = 4
#: An enclosing "cell" taller than this many text heights is a frame around a form, no cell.
MAX_CELL = 14.0
#: ... but the Signature's: room for a hand under a label set in small capitals (a 73 pt row
#: under a 5 pt `SIGNATURE`: the cell was refused, the region taken over the row's top rule,
#: in the row above, and a signed form called unsigned).
MAX_SIGNATURE_CELL = 24.0

#: A value on an underline may run this many text heights past the rule's end (underlined
#: text's rule ends where the text does; the crop must not cut its last letter).
UNDERLINE_RUN = 2.0
#: A value's cell is at least this many text heights wide (a short date, a two-letter name).
MIN_VALUE = 4.0


@dataclass(frozen=True, slots=True)
class ValueRegion:
    """Where a field's value is: a box on `page`, and how it was found.

    `how`: `cell-right` (the next cell in the row), `cell-below` (the cell under a header
    cell), `cell-same` (in the label's own cell, beside or under it), `inline` (after
    `Label:` in the label's run of words), `leader` (after the dots that lead to it from its
    label), `underline` (on the rule after the label), `right`
    (text right of the label), `below` (text under the label), `over-line` (above the line the
    label is printed under), `right-below` (ink with no rule to place it, on a form whose
    other values do not tell: right of the Signature label and under it). `lines_expected`:
    the lines of words seen in the box (None when no word was seen there: blank, or ink yet
    to be read). `mask`: boxes of labels inside
    `box` (a label sharing its cell with the value), to blank before reading the pixels."""

    field: str
    page: int
    box: Box
    how: str
    lines_expected: int | None
    mask: tuple[Box, ...] = ()
    cell: Cell | None = None  # the table cell the box lies in, if any


def region_words(
    region: ValueRegion, words: Sequence[Word], grids: Mapping[int, Grid] | None = None
) -> list[Word]:
    """The words whose middle lies in the region (and in its cell: on a skewed table a cell's
    box overlaps its neighbours'), in reading order."""
    grid = (grids or {}).get(region.page)
    x0, top, x1, bottom = region.box
    inside = [
        w
        for w in words
        if w.page == region.page
        and x0 <= w.cx <= x1
        and top <= w.cy <= bottom
        and (region.cell is None or grid is None or grid.in_cell(region.cell, w.cx, w.cy))
    ]
    return [w for line in lines_of(inside) for w in line]


def assign_fields(labels: Sequence[Label]) -> dict[str, Label]:
    """One label per field (`layout.pick_labels`), with a bare `Name` / `姓名` that heads no
    members table taken as the signer's name when no label names the signer otherwise."""
    chosen = pick_labels(labels)
    if "signer_name" in chosen:
        return chosen
    heads = [lab for lab in labels if lab.field == "members_id"]
    signature = chosen.get("signature")
    loose = [
        lab
        for lab in labels
        if lab.field == "members_name"
        and not any(_heads_with(lab, h) for h in heads)
        # the signer's name comes before the signature in every form: a `Name` below it
        # is the members table's
        and not (
            signature is not None and signature.page == lab.page and lab.top > signature.bottom
        )
    ]
    if loose:
        lab = min(loose, key=lambda lab: (lab.page, lab.top))
        chosen["signer_name"] = Label("signer_name", lab.words, lab.score, lab.inline)
        if chosen.get("members_name") is lab:
            del chosen["members_name"]
    return chosen


def locate_values(
    labels: Mapping[str, Label],
    words: Sequence[Word],
    *,
    page_size: tuple[float, float],
    grids: Mapping[int, Grid] | None = None,
    keys: Sequence[str] = VALUE_KEYS,
    overleaf: bool = False,
) -> dict[str, ValueRegion]:
    """The value region of each of `keys` that has a label. `words` may be of any pages;
    `grids` by page index (a page without one is read from its words alone). `overleaf`: the
    form's labels go on at the next page, which `labels` do not hold (a page read apart)."""
    own = own_lines(labels)
    finder = _Finder(own, words, page_size, grids or {}, also=labels.values(), overleaf=overleaf)
    out = {key: finder.region(own[key]) for key in keys if key in own}
    if _stacked(out, own):
        # a table that sets its values under their labels sets them all so: a value under
        # its label is the label's own, whatever the next cell holds (that column's own
        # label missed: a stacked table's small `TITLE`, its value taken for the name)
        for key, region in list(out.items()):
            if key in FIELD_KEYS and region.how == "cell-right":
                out[key] = finder.region(own[key], stacked=True)
    elif _values_right(out):
        # a table that sets its values in the cells right of their labels sets them all so:
        # unsure marks under a label in its own cell are its hint (`签名` under `Signature`,
        # read `#8`), and a label with nothing beside it in its own cell has its value right
        # of it, up to the row's next label (a Chinese name pass 1 read nothing of, the column
        # rule before the next label lost on a worn copy); whether it is blank, or signed, is
        # the ink's to say
        for key, region in list(out.items()):
            if key in (*FIELD_KEYS, "signature") and region.how == "cell-same":
                out[key] = finder.region(own[key], values_right=True)
    out = _one_value_each(out)
    if "signature" in out and out["signature"].how == "right-below":
        # ink with nothing to place it: where the form puts its other values, right of
        # their labels or under them
        others = [r for k, r in out.items() if k != "signature"]
        out["signature"] = finder.signature_by(own["signature"], others)
    return out


#: Values under their labels in the labels' own cells, at least, and twice as many as values
#: in the cells right of their labels, for a table to set its values under its labels.
STACKED = 3


def _stacked(regions: Mapping[str, ValueRegion], labels: Mapping[str, Label]) -> bool:
    """Most of the table's values stand under their labels, in the labels' own cells."""
    under = sum(
        1
        for key, r in regions.items()
        if key in FIELD_KEYS
        and r.how == "cell-same"
        # under it, or the whole cell with the label masked (a value wrapped under it)
        and (r.box[1] >= labels[key].bottom - 0.5 * labels[key].height or bool(r.mask))
    )
    return under >= STACKED and under > 2 * _placed(regions, "cell-right")


def _values_right(regions: Mapping[str, ValueRegion]) -> bool:
    """Most of the table's values stand in the cells right of their labels."""
    right = _placed(regions, "cell-right")
    return right >= STACKED and right > 2 * _placed(regions, "cell-same")


def _placed(regions: Mapping[str, ValueRegion], how: str) -> int:
    """How many of the form's values were placed so."""
    return sum(1 for key, r in regions.items() if key in FIELD_KEYS and r.how == how)


def _one_value_each(regions: dict[str, ValueRegion]) -> dict[str, ValueRegion]:
    """The regions less those two labels' fields share: one cell holds one value, and which
    field's it is cannot be told (`单位` of `单位地址`, the affiliation's address, read apart
    from `地址` and taken for the Affiliation label: the address was reported as the
    affiliation too, and the form sent to a person as a mismatch). Neither is located, and
    neither is read: a person looks."""
    seen: dict[tuple[int, tuple[int, ...]], list[str]] = {}
    for key, region in regions.items():
        if key in FIELD_KEYS:
            at = (region.page, tuple(round(v) for v in region.box))
            seen.setdefault(at, []).append(key)
    shared = {key for keys in seen.values() if len(keys) > 1 for key in keys}
    return {key: region for key, region in regions.items() if key not in shared}


#: How far below a line wrapped to the margin the next row's label may start (label heights:
#: a blank line between rows, `regions._Finder.label_next`).
NEXT_LABEL = 4.5


def within_cells(labels: Mapping[str, Label], grids: Mapping[int, Grid]) -> dict[str, Label]:
    """`labels` less the words of their bracketed hints that stand in another cell of the
    table than the label's first word, to its right: the next cell's value on the hint's
    line. Pass 1 reads a row as one line across the column rule it erased, and a hint's
    bracket closing on the line below (`The Signer's Title (dean,` / `professor...)`) took
    the words between (`Principal Research`, the title's first words in the next cell) into
    the label: the title was recorded as `Scientist`. Only a hint's words: a label's own
    wording stays whole whatever the grid says of it (a streak may cut a cell in two)."""
    out = dict(labels)
    for key, lab in labels.items():
        grid = grids.get(lab.page)
        opened = next((i for i, w in enumerate(lab.words) if w.text.startswith("(")), None)
        if grid is None or opened is None or opened == 0:
            continue
        first = lab.words[0]
        cell = grid.cell_containing((first.x0, first.top, first.x1, first.bottom))
        if cell is None:
            continue
        kept = lab.words[: opened + 1] + [
            w for w in lab.words[opened + 1 :] if grid.in_cell(cell, w.cx, w.cy) or w.x0 < cell.x1
        ]
        if len(kept) < len(lab.words):
            out[key] = replace(lab, words=kept)
    return out


def own_lines(labels: Mapping[str, Label]) -> dict[str, Label]:
    """`labels` each looked up by its own line (`layout.own_line`, against the median height
    of the page's labels, three at least): a photo's `The Signer's Name` boxed down over the
    row below had its box's middle on the rule between the rows, and the name's value was
    looked for in the rows below. Not the Signature label: the pen's ink beside it grows its
    box up as often (`signature.text_height` measures it against the print)."""
    heights: dict[int, list[float]] = {}
    for lab in labels.values():
        heights.setdefault(lab.page, []).append(lab.height)
    return {
        key: lab
        if key == "signature" or len(heights[lab.page]) < 3
        else own_line(lab, median(heights[lab.page]))
        for key, lab in labels.items()
    }


def members_region(
    labels: Mapping[str, Label],
    *,
    page_size: tuple[float, float],
    grids: Mapping[int, Grid] | None = None,
) -> Box | None:
    """The rows of the members table under its `Name | Registered ID` header, or None."""
    head = labels.get("members_id")
    if head is None:
        return None
    name = labels.get("members_name")
    h = head.height
    left = name.x0 - h if name is not None and _same_row(name, head) else head.x0 - 12 * h
    grid = (grids or {}).get(head.page)
    cell = grid.cell_containing(head.box) if grid else None
    if grid is not None and cell is not None and cell.height < MAX_CELL * h:
        first = grid.cell_containing(name.box) if name is not None else None
        left = first.x0 if first is not None else left
        bottom, below = cell.bottom, grid.below(cell)
        while below is not None:
            bottom = below.bottom
            below = grid.below(below)
        return (max(0.0, left), cell.bottom, cell.x1, bottom)
    stop = min(
        (o.top for o in labels.values() if o.page == head.page and o.top > head.bottom + h),
        default=head.bottom + 16 * h,
    )
    return (
        max(0.0, left),
        head.bottom + 0.3 * h,
        page_size[0] - h,
        min(stop, head.bottom + 16 * h),
    )


# ---- the finder -----------------------------------------------------------------------------


#: A word this unsure, of a letter or two, is a speck OCR read, no value.
SPECK_CONF = 0.5


def _centred(lab: Label, cell: Cell) -> bool:
    """`lab` stands in the middle of `cell`'s width, paper on both sides (a table's label
    cell, its text centred), not at its left edge with room for a value beside it."""
    left, right = lab.x0 - cell.x0, cell.x1 - lab.x1
    return min(left, right) >= lab.height and abs(left - right) <= 1.5 * lab.height


#: A value's line under its label runs on across the column rule when it reaches this close to
#: the rule (in the label's heights: a word's width or so).
RUNS_ON = 6.0


#: Words under a label read less surely than this are its hint in another script (`签名` under
#: `Signature` read `#8` at 0.65 by the English pass), no value, where the table sets its values
#: right of their labels.
HINT_CONF = 0.8


def _speck(w: Word) -> bool:
    return len(w.text.strip()) <= 2 and w.conf < SPECK_CONF


def _in(w: Word, box: Box) -> bool:
    cx, cy = (w.x0 + w.x1) / 2, (w.top + w.bottom) / 2
    return box[0] <= cx <= box[2] and box[1] <= cy <= box[3]


#: A header row's labels lie within this many label heights of each other (a header cell
#: aligned to its top beside one aligned to its bottom, a line apart).
HEADER_ROW = 2.5


def _heads_with(name: Label, head: Label) -> bool:
    """Whether `name` heads the members table with `head` (`Registered ID`): in its row, or
    a line above or below it in a header row whose cells align their text differently, and
    left of it."""
    h = min(name.height, head.height)
    return (
        name.page == head.page
        and name.x1 <= head.x0 + h
        and abs(name.top + name.bottom - head.top - head.bottom) / 2 <= HEADER_ROW * h
    )


def _one_line(a: Word, b: Word) -> bool:
    """`a` and `b` stand on one line: they overlap by half the shorter's height."""
    return min(a.bottom, b.bottom) - max(a.top, b.top) > 0.5 * min(a.height, b.height)


def _same_row(a: Label, b: Label) -> bool:
    overlap = min(a.bottom, b.bottom) - max(a.top, b.top)
    return a.page == b.page and overlap > 0.3 * min(a.height, b.height)


class _Finder:
    def __init__(
        self,
        labels: Mapping[str, Label],
        words: Sequence[Word],
        page_size: tuple[float, float],
        grids: Mapping[int, Grid],
        also: Iterable[Label] = (),
        overleaf: bool = False,
    ) -> None:
        self.labels = list(labels.values())
        self.overleaf = overleaf  # the labels go on at the next page (`locate_values`)
        # the labels' words as read too (`also`), where `labels` holds them cut to a line
        self.label_ids = {id(w) for lab in [*self.labels, *also] for w in lab.words}
        self.words = words
        self.width, self.height = page_size
        self.grids = grids
        # per page, in order: each word that may be a value (no label's, no filler) and its
        # middle; `free` is asked hundreds of times over the same words
        self._free_words: dict[int, list[tuple[float, float, Word]]] = {}
        for w in words:
            if id(w) not in self.label_ids and not is_filler(w):
                at = ((w.x0 + w.x1) / 2, (w.top + w.bottom) / 2, w)
                self._free_words.setdefault(w.page, []).append(at)
        self._print_h: dict[int, float | None] = {}

    def print_height(self, page: int) -> float | None:
        """The page's print height (`layout.print_height`), once a page."""
        if page not in self._print_h:
            self._print_h[page] = print_height([w for w in self.words if w.page == page])
        return self._print_h[page]

    def line_of(self, lab: Label) -> tuple[float, float]:
        """Where `lab`'s line of print starts, and its height: from its words' median top to
        their median bottom (its first line, for a label wrapped over two), unless that is far
        taller than the page's print (`MERGED_LABEL` times: a crease lifted some of its
        letters, and the hint under it joined them); then a line of print around its middle."""
        u = self.print_height(lab.page)
        # its words' middle line: one word boxed up over the row above (`名` of `单位名称`)
        # moves neither end
        top = median(w.top for w in lab.words)
        bottom = median(w.bottom for w in lab.words)
        if u is None or bottom - top <= MERGED_LABEL * u:
            return top, bottom - top
        return (top + bottom) / 2 - 0.5 * u, u

    # -- helpers --

    def free(self, page: int, box: Box, cell: Cell | None = None) -> list[Word]:
        """The words in `box` (and `cell`) that are no label's and no filler (rules read as
        `|`, `___`)."""
        grid = self.grids.get(page) if cell is not None else None
        x0, top, x1, bottom = box
        inside = [
            (cx, cy, w)
            for cx, cy, w in self._free_words.get(page, ())
            if x0 <= cx <= x1 and top <= cy <= bottom
        ]
        if grid is None or cell is None:
            return [w for _, _, w in inside]
        return [w for cx, cy, w in inside if grid.in_cell(cell, cx, cy)]

    def text_margin(self, page: int) -> float:
        """The right margin of `page`'s text: where its longest line ends (the LA's body text,
        or the form's widest value)."""
        return max((w.x1 for _, _, w in self._free_words.get(page, ())), default=self.width)

    def labels_in(self, page: int, box: Box, but: Label) -> list[Label]:
        return [
            o
            for o in self.labels
            if o is not but
            and o.page == page
            and box[0] <= (o.x0 + o.x1) / 2 <= box[2]
            and box[1] <= (o.top + o.bottom) / 2 <= box[3]
        ]

    def right_limit(self, lab: Label, edge: float) -> float:
        """Where a value right of `lab` ends: `edge` (its cell's right rule, the page's), or
        the next label of its row before it (a table with no column rules); never beyond the
        cell (the Date label two cells on made the Signature label's own cell reach over the
        signature's)."""
        nxt = [o.x0 for o in self.labels if o is not lab and _same_row(lab, o) and o.x0 > lab.x1]
        return min([edge, *nxt])

    def left_limit(self, lab: Label, edge: float) -> float:
        """Where a value under `lab` starts: `edge` (its cell's left rule), or, where a label
        of its row stands left of it in the same cell (the column rule between them lost on
        a worn copy), its own left edge: a stacked table's title had been read under its
        label from the cell's left rule, the name under the name's label with it (`Chloé
        Bérubé Professor`)."""
        before = [
            o
            for o in self.labels
            if o is not lab and _same_row(lab, o) and edge <= o.x0 and o.x1 < lab.x0
        ]
        return max(edge, lab.x0 - 0.5 * lab.height) if before else edge

    def result(
        self,
        lab: Label,
        box: Box,
        how: str,
        mask: tuple[Box, ...] = (),
        cell: Cell | None = None,
    ) -> ValueRegion:
        inside = self.free(lab.page, box, cell)
        lines = len(lines_of(inside)) if inside else None
        return ValueRegion(lab.field, lab.page, box, how, lines, mask, cell)

    # -- the cases --

    def region(
        self, lab: Label, *, stacked: bool = False, values_right: bool = False
    ) -> ValueRegion:
        """`lab`'s value region; `stacked`: the table sets its values under their labels, in
        the label's own cell, so a value there is the label's own; `values_right`: it sets them in
        the cells right of their labels, so unsure marks under a label are its hint and an
        empty label cell's value is right of it."""
        grid = self.grids.get(lab.page)
        if grid is not None:
            cell = grid.cell_containing(lab.box)
            tallest = MAX_SIGNATURE_CELL if lab.field == "signature" else MAX_CELL
            if cell is not None and cell.height <= tallest * lab.height:
                found = self.in_cell(lab, grid, cell, stacked=stacked, values_right=values_right)
                found = self.own_row(lab, cell, found)
                x0, _, x1, _ = found.box
                if x1 - x0 >= MIN_VALUE * lab.height:
                    return found
                # no room for a value: handwriting's tall strokes taken for column rules
                # split the cell; the words say where the value is
        return self.in_text(lab, grid)

    def own_row(self, lab: Label, cell: Cell, found: ValueRegion) -> ValueRegion:
        """`found` cut to the label's own row when its cell holds other labels above or below
        it: a rule between two rows that the image lost (a copier's faint line) merged them,
        and each row's value stops where the next row's label starts."""
        start, h = self.line_of(lab)
        stacked = [
            (o, self.line_of(o)[0])
            for o in self.labels
            if o is not lab
            and o.page == lab.page
            and cell.x0 <= (o.x0 + o.x1) / 2 <= cell.x1
            and cell.top <= (o.top + o.bottom) / 2 <= cell.bottom
        ]
        stacked = [(o, y) for o, y in stacked if abs(y - start) > 0.8 * h]
        if not stacked:
            return found
        top = start - 0.3 * h if any(y < start for _, y in stacked) else cell.top
        bottom = min((y - 0.3 * h for _, y in stacked if y > start), default=cell.bottom)
        x0, y0, x1, y1 = found.box
        box = (x0, max(y0, top), x1, min(y1, bottom))
        return self.result(lab, box, found.how, mask=found.mask, cell=found.cell)

    def in_cell(
        self,
        lab: Label,
        grid: Grid,
        cell: Cell,
        *,
        stacked: bool = False,
        values_right: bool = False,
    ) -> ValueRegion:
        # the label's line of print: a photo's small label boxed down over the value under it
        # (`of` and `the` boxed two lines tall) ends where its letters do, not its boxes
        start, h = self.line_of(lab)
        page, lab_bottom = lab.page, start + h
        limit = self.right_limit(lab, cell.x1)  # a row of a table with no column rules
        beside = (lab.x1, cell.top, limit, cell.bottom)
        under = (self.left_limit(lab, cell.x0), lab_bottom, limit, cell.bottom)
        # a copier's streak read as `i` and `sf` at 0.1 is no value in the label's cell
        own = [w for w in self.free(page, (cell.x0, cell.top, cell.x1, cell.bottom), cell)]
        own = [w for w in own if not _speck(w)]
        # (beside: its middle on the label's line; a photo's soft value under a small label,
        # boxed up over the label's foot by a few pixels, is under it)
        own_beside = [w for w in own if _in(w, beside) and w.cy < lab_bottom]
        # (under: its top below the label's line; or its middle, its top in the line's lower
        # half: a photo's boxes of a small label and the value under it overlap by a few
        # pixels, while a mark down the cell's edge starts on the label's line)
        own_under = [
            w
            for w in own
            if _in(w, under)
            and (w.top >= lab_bottom - 0.2 * h or (w.cy >= lab_bottom and w.top >= start + 0.5 * h))
        ]
        right = grid.right_of(cell, at=start + h / 2)
        if right is not None and self.rule_of_its_row_alone(lab, grid, cell, right):
            right = grid.right_of(right, at=start + h / 2)
        if right is not None:
            right = self.whole_cell(lab, grid, cell, right)
        right_free = right is not None and not self.labels_in(page, right.box, lab)
        # what the right cell holds, specks aside (a streak's dot read `s` at 0.3 is no value)
        right_words = (
            [w for w in self.free(page, right.box, right) if not _speck(w)] if right else []
        )
        if right is not None and right_free and own_under:
            # the line under the label reaches the column rule (a hint of the label in the
            # other language under it, `姓名` read `ue`, does not: the row's value is the
            # right cell's, beside it)
            reaching = [o for o in own_under if o.x1 >= cell.x1 - RUNS_ON * h]
            # (on their line: overlapping by half a line, not a few pixels of a photo's
            # boxes, as the label's hint under it and the value centred beside both lines do)
            across = [w for w in right_words if any(_one_line(w, o) for o in reaching)]
            if across:
                # the value under the label runs on across a column rule on its own lines
                # (a merged row whose rule the grid carried through from the rows around it):
                # one value over both cells, not the right cell's half of it
                box = (cell.x0, lab_bottom, right.x1, max(cell.bottom, right.bottom))
                return self.result(lab, box, "cell-same")
        if (
            right is not None
            and right_free
            and (
                right_words
                or not (own_beside or own_under)
                # a hint under the label in another script, read as a few unsure marks
                or (values_right and not own_beside and all(w.conf < HINT_CONF for w in own_under))
            )
            and not (stacked and own_under)
        ):
            return self.result(lab, right.box, "cell-right", cell=right)
        if right is not None and not right_free and not (own_beside or own_under):
            # the cell to the right runs on to the next label of the row (the rules between
            # them lost: a shaded label cell's drawing, a faint copy): the value is what stands
            # before that label
            row = [o for o in self.labels_in(page, right.box, lab) if _same_row(lab, o)]
            cut = min((o.x0 for o in row), default=right.x0)
            part = (right.x0, right.top, cut - 0.3 * h, right.bottom)
            # a label centred in a cell with no room under it is all its cell holds (and any
            # label of a table that sets its values right of their labels): the value is in
            # that part even when pass 1 read no word there (a Chinese name, a hand), and
            # whether it is blank is the ink's to say
            label_cell = values_right or (
                _centred(lab, cell) and cell.bottom - lab_bottom < 1.5 * h
            )
            if cut - right.x0 >= MIN_VALUE * h and (self.free(page, part, right) or label_cell):
                return self.result(lab, part, "cell-right", cell=right)
        if own_beside and own_under and min(w.x0 for w in own_under) < lab.x1 - h:
            # a value beside the label that wraps under it: the whole cell, the label masked
            box = (cell.x0, cell.top, limit, cell.bottom)
            return self.result(lab, box, "cell-same", mask=(lab.box,), cell=cell)
        if own_beside:
            return self.result(lab, beside, "cell-same", cell=cell)
        if own_under:
            return self.result(lab, under, "cell-same", cell=cell)
        # an empty value (or ink): under a label that heads its box, else beside it
        if start - cell.top < 0.8 * h and cell.bottom - lab_bottom >= 1.5 * h:
            return self.result(lab, under, "cell-same", cell=cell)
        if limit - lab.x1 >= 3 * h:
            return self.result(lab, beside, "cell-same", cell=cell)
        below = grid.below(cell, at=(lab.x0 + lab.x1) / 2)
        if below is not None and not self.labels_in(page, below.box, lab):
            return self.result(lab, below.box, "cell-below", cell=below)
        return self.result(lab, beside, "cell-same", cell=cell)  # a blank label cell

    def rule_of_its_row_alone(self, lab: Label, grid: Grid, cell: Cell, right: Cell) -> bool:
        """The rule between the label's cell and `right` is no column rule of the table: of
        the labels above and below in the label's column (their cells starting where the
        label's does), two at least have cells that end where `right` ends, and more than end
        where the label's does. A copier's streak down the labels' column is a rule in each
        row tall enough (the Signature's, a two-line affiliation's): it split `签名`'s cell,
        and the empty piece right of the streak, still in the labels' column, was measured
        for the signature (no ink: called unsigned; the pen's ink stood beyond the real
        rule), and the piece beside a handwritten address was taken for the address left
        blank."""
        tol = grid.across_rule
        ends = [
            c.x1
            for o in self.labels
            if o is not lab and o.page == lab.page and o.x0 < lab.x1 and lab.x0 < o.x1
            if not _same_row(lab, o)
            if (c := grid.cell_containing(o.box)) is not None
            # in the label's column: a cell starting where the label's does (the members'
            # header under the table, its cell the page's width, is in no column of it)
            if abs(c.x0 - cell.x0) <= tol
        ]
        beyond = sum(abs(x - right.x1) <= tol for x in ends)
        return (
            beyond >= 2
            and beyond > sum(abs(x - cell.x1) <= tol for x in ends)
            and right.x1 - cell.x1 > tol
        )

    def whole_cell(self, lab: Label, grid: Grid, cell: Cell, right: Cell) -> Cell:
        """The cell right of the label's, whole: where marks inside it that are no table's
        rules (a signing line drawn across it, a pen's upright stroke) cut it into pieces, the
        pieces right of the label's cell, within its row and before the next label, make one
        cell again (the signature was measured in a piece above its signing line, its letters
        cut there, and went unjudged). A cell that fills the row is the cell."""
        tol = grid.across_rule
        if right.top <= cell.top + tol and right.bottom >= cell.bottom - tol:
            return right
        stop = min(
            (o.x0 for o in self.labels if o is not lab and _same_row(lab, o) and o.x0 > right.x0),
            default=max(c.x1 for c in grid.cells),
        )
        pieces = [
            c
            for c in grid.cells
            if c.top >= cell.top - tol
            and c.bottom <= cell.bottom + tol
            and c.x0 >= right.x0 - tol
            and c.x1 <= stop + tol
            and not self.labels_in(lab.page, c.box, lab)
        ]
        if len(pieces) < 2:
            return right
        whole = Cell(
            min(c.x0 for c in pieces),
            min(c.top for c in pieces),
            max(c.x1 for c in pieces),
            max(c.bottom for c in pieces),
        )
        covered = sum(c.width * c.height for c in pieces)
        # the pieces tile their box (a signing line cuts, it leaves no hole)
        return whole if covered >= 0.85 * whole.width * whole.height else right

    def in_text(self, lab: Label, grid: Grid | None) -> ValueRegion:
        h, page = lab.height, lab.page
        limit = self.right_limit(lab, self.width)
        row = (lab.x1, lab.top - 0.5 * h, limit - 0.2 * h, lab.bottom + 0.5 * h)
        line = grid.underline_after(lab.box, h) if grid is not None else None
        if line is not None and self.leader(lab, line, row):
            # dots led to the value: it is right of them, as a tab's value is
            after = (line.x1 - 0.2 * h, row[1], row[2], row[3])
            x0 = min(w.x0 for w in self.free(page, after))
            box, mask = self.continued(lab, after, x0)
            return self.result(lab, box, "leader", mask=mask)
        if grid is not None and line is not None:
            box, mask = self.on_lines(lab, grid, line.x0, line.x1, limit)
            return self.result(lab, box, "underline", mask=mask)
        if lab.field == "signature":
            return self.ink_only(lab, grid, limit)
        if lab.inline:
            x0 = min(w.x0 for w in lab.inline)
            first = (x0 - 0.2 * h, row[1], row[2], row[3])
            box, mask = self.continued(lab, first, x0)
            return self.result(lab, box, "inline", mask=mask)
        beside = self.free(page, row)
        if beside:
            x0 = min(w.x0 for w in beside)
            box, mask = self.continued(lab, row, x0)
            return self.result(lab, box, "right", mask=mask)
        stacked = self.stacked(lab, grid, limit)
        if stacked is not None:
            return self.result(lab, stacked, "below")
        return self.over_line(lab, grid, limit) or self.result(lab, row, "right")

    def leader(self, lab: Label, line: Rule, row: Box) -> bool:
        """Whether the line after the label leads to the value rather than underlining it
        (`Address:.........Suite 400, ...`: a photo's dots run into a line): no word stands
        over it, and the label's row goes on with words where it ends."""
        h = lab.height
        words = self.free(lab.page, row)
        over = [w for w in words if line.x0 + h <= w.cx <= line.x1 - h]
        after = [w for w in words if w.cx > line.x1]
        return not over and bool(after) and min(w.x0 for w in after) <= line.x1 + 2 * h

    def over_line(self, lab: Label, grid: Grid | None, limit: float) -> ValueRegion | None:
        """Above the line a label is printed under, or None."""
        h = lab.height
        over = grid.rule_above(lab.box, h) if grid is not None else None
        if over is None:
            return None
        y = over.at((lab.x0 + lab.x1) / 2)
        x1 = min(over.x1, limit)
        return self.result(lab, (over.x0, y - 3.5 * h, x1, y - 0.1 * h), "over-line")

    def ink_only(self, lab: Label, grid: Grid | None, limit: float) -> ValueRegion:
        """The Signature's ink with no cell or underline: above the line the label is printed
        under; else right of the label (a scrawl, taller than a line of print, reaches above
        and below it) and under it, until `locate_values` knows where the other values are.
        Words read there are no guide: OCR reads a scrawl as junk."""
        over = self.over_line(lab, grid, limit)
        if over is not None:
            return over
        h = lab.height
        below = self.below_box(lab, grid, limit)
        box = (below[0], lab.top - 1.5 * h, below[2], max(below[3], lab.bottom + 1.5 * h))
        return self.result(lab, box, "right-below")

    def signature_by(self, lab: Label, others: Sequence[ValueRegion]) -> ValueRegion:
        """The Signature's ink where most other values are: right of the label (as tall as
        a scrawl) or under it; both when the form does not tell."""
        h = lab.height
        grid = self.grids.get(lab.page)
        limit = self.right_limit(lab, self.width)
        below = self.below_box(lab, grid, limit)
        # as tall as a scrawl, but not into the next row (`Date (日期): 2023 年 9 月 29 日`
        # a line under `Signature (签名):`, its characters measured as the pen's ink)
        right = (lab.x1, lab.top - 1.5 * h, limit - 0.2 * h, min(lab.bottom + 1.5 * h, below[3]))
        beside = sum(r.how in ("right", "inline", "underline", "leader") for r in others)
        under = sum(r.how == "below" for r in others)
        if beside > 2 * under:
            return self.result(lab, right, "right")
        if under > 2 * beside:
            return self.result(lab, below, "below")
        box = (below[0], right[1], below[2], max(below[3], right[3]))
        return self.result(lab, box, "right-below")

    def continued(self, lab: Label, first: Box, x0: float) -> tuple[Box, tuple[Box, ...]]:
        """`first` (a value's first line right of its label) grown down over the lines that
        continue it: just below, starting about where it starts, holding no label; and the
        label to mask. A word processor wraps a tabbed value (`Affiliation:<tab>Department
        of ..., University of` / `Melbourne`) to the margin, under its label: such a line is
        the value's too when the next row's label follows right under it; the box then runs
        from the margin, the label masked."""
        h = lab.height
        x1 = first[2]
        bottom = first[3]
        left = first[0]
        words = self.free(lab.page, first)
        last_bottom = max((w.bottom for w in words), default=lab.bottom)
        last_x1 = max((w.x1 for w in words), default=lab.x1)
        margin = self.text_margin(lab.page)
        for _ in range(MAX_LINES - 1):
            band = (min(x0, lab.x0) - 1.5 * h, last_bottom, x1, last_bottom + 1.6 * h)
            nxt = [w for w in self.free(lab.page, band)]
            if not nxt or self.labels_in(lab.page, (0.0, band[1], self.width, band[3]), lab):
                break
            line = lines_of(nxt)[0]
            if line[0].top - last_bottom > 1.0 * h:
                break
            if line[0].x0 < x0 - 1.5 * h:
                if abs(line[0].x0 - lab.x0) > 1.5 * h:
                    break
                # a line at the margin is the value's when the value above it ends open (a
                # comma: `..., Victoria 3010,` / `Australia`, the next row's label five blank
                # lines down) or the next row's label follows it
                if not ends_open(join_words(words)) and not self.label_next(lab, line):
                    break
                if last_x1 + 0.3 * h + (line[0].x1 - line[0].x0) < margin:
                    # its first word had room at the end of the line above: a word processor
                    # wraps only a word that does not fit, so this line is not the value's
                    # (a heading after the last row: `Students / employees ... for:`)
                    break
                left = min(left, lab.x0 - h)  # the margin: nothing of the value before it
            words = line
            last_bottom = max(w.bottom for w in line)
            last_x1 = max(w.x1 for w in line)
            bottom = last_bottom + 0.3 * h
        mask = (lab.box,) if left < first[0] else ()
        return (left, first[1], x1, bottom), mask

    def label_next(self, lab: Label, line: Sequence[Word]) -> bool:
        """The next line of print below `line` is a label's (the next row's), within
        `NEXT_LABEL` label heights: a line between rows, not a heading after the table.
        Rows may stand a blank line apart (`Address:` wrapped to the margin, then a blank
        line, then `Signature:`). Or a page break between them: the line is the last print
        of its page and the form's labels go on at the next (a text layer's: `Postal
        address: ... Northgate Science` / `Park, Cambridge ...` ends a page, `Signature:`
        opens the next; the address had been recorded without its second line)."""
        h = lab.height
        bottom = max(w.bottom for w in line)
        below = self.labels_in(lab.page, (0.0, bottom, self.width, bottom + NEXT_LABEL * h), lab)
        if not below:
            overleaf = self.overleaf or any(o.page == lab.page + 1 for o in self.labels)
            rest = self.free(lab.page, (0.0, bottom + 0.2 * h, self.width, float("inf")))
            return overleaf and not rest
        top = min(o.top for o in below)
        return not self.free(lab.page, (0.0, bottom + 0.2 * h, self.width, top - 0.2 * h))

    def on_lines(
        self, lab: Label, grid: Grid, x0: float, x1: float, limit: float
    ) -> tuple[Box, tuple[Box, ...]]:
        """The band above an underline, and above the rules right under it that continue it
        (a second line of the value with no label of its own), and the label to mask when
        the band reaches under it. A word processor's underlined text ends its rule where the
        text ends (and a second line starts at the margin, under the label): the band runs on
        past the rule's end, up to the next label of the row, and as far left as a continuing
        rule starts."""
        h = lab.height
        x0 = max(x0, lab.x1)
        line = grid.underline_after(lab.box, h)
        assert line is not None
        y = line.at(x0)
        top = min(lab.top - 0.6 * h, y - 2.4 * h)
        if lab.field != "signature":
            # room for tall letters above the rule, but not the row above: its label, or the
            # rule its value is written on (a pen's signature may reach up there; a typed
            # value does not)
            mid = (x0 + x1) / 2
            above = [
                o.bottom
                for o in self.labels
                if o is not lab and o.page == lab.page and top < o.bottom <= lab.top + 0.2 * h
            ] + [
                r.at(mid)
                for r in grid.horizontals
                if r is not line
                and r.x0 < x1 - h
                and r.x1 > x0 + h
                and top < r.at(mid) <= lab.top + 0.2 * h
            ]
            top = max([top, *(b + 0.1 * h for b in above)])
        bottom = y + 0.3 * h
        left, right = x0, x1
        for _ in range(MAX_LINES - 1):
            nxt = [
                r
                for r in grid.horizontals
                if r is not line
                and 0.9 * h < r.at(x0) - y < 3.2 * h
                and r.x0 < x1 - h
                and r.x1 > x0 + h
            ]
            if not nxt:
                break
            line = min(nxt, key=lambda r: r.at(x0))
            y2 = line.at(x0)
            if self.labels_in(lab.page, (0.0, y + 0.3 * h, line.x0 + 0.5 * h, y2), lab):
                break  # the next rule is another label's
            y, bottom = y2, y2 + 0.3 * h
            left, right = min(left, line.x0), max(right, line.x1)
        if lab.field != "signature":
            bottom, left = self.wrapped_lines(lab, bottom, left, limit)
        if lab.field == "signature":
            # ink on a signing line: the line is the cell (`signature.measure` finds its
            # bounds from the rules); the room around typed text is for letters
            return (x0 - 0.2 * h, top, x1, bottom), ()
        right = max(right, min(limit - 0.2 * h, right + UNDERLINE_RUN * h))
        # paper before the value's first letter: up to the label's end on the label's line, a
        # margin's width before a line that wraps to the margin under the label
        if left < lab.x1:
            left = max(0.0, left - UNDERLINE_RUN * h)
        else:
            left = min(left, max(lab.x1 + 0.1 * h, left - UNDERLINE_RUN * h))
        mask = (lab.box,) if left < lab.x1 else ()
        return (left, top, right, bottom), mask

    def wrapped_lines(
        self, lab: Label, bottom: float, left: float, limit: float
    ) -> tuple[float, float]:
        """Lines of words right under an underlined value that start at the margin under its
        label, with no label of their own and no rule the image showed: the value wrapped
        (a photo loses the second line's short underline). The band's new bottom and left."""
        h = lab.height
        for _ in range(MAX_LINES - 1):
            band = (lab.x0 - 1.0 * h, bottom, limit, bottom + 1.6 * h)
            ws = self.free(lab.page, band)
            if not ws or self.labels_in(lab.page, band, lab):
                break
            line = lines_of(ws)[0]
            if line[0].x0 > lab.x1 or min(w.top for w in line) - bottom > 1.0 * h:
                break  # not wrapped to the margin, or not the next line
            bottom = max(w.bottom for w in line) + 0.3 * h
            left = min(left, line[0].x0 - 0.3 * h)
        return bottom, left

    def below_box(self, lab: Label, grid: Grid | None, limit: float) -> Box:
        """Under the label, across its column, down to the next label or rule."""
        h = lab.height
        x0, x1 = lab.x0 - 1.0 * h, limit - 0.2 * h
        stops = [
            o.top
            for o in self.labels
            if o is not lab
            and o.page == lab.page
            and o.top > lab.bottom - 0.2 * h
            and o.x0 < x1
            and o.x1 > x0
        ]
        if grid is not None:
            mid = (lab.x0 + lab.x1) / 2
            stops += [
                r.at(mid)
                for r in grid.horizontals
                if r.x0 <= mid <= r.x1 and r.at(mid) > lab.bottom + 0.5 * h
            ]
        bottom = min([*stops, lab.bottom + (MAX_LINES + 1.5) * 1.4 * h, self.height])
        return (x0, lab.bottom + 0.1 * h, x1, bottom - 0.1 * h)

    def stacked(self, lab: Label, grid: Grid | None, limit: float) -> Box | None:
        """A value right under its label (labels above values), or None."""
        h = lab.height
        box = self.below_box(lab, grid, limit)
        ws = self.free(lab.page, box)
        if not ws:
            return None
        lines = lines_of(ws)
        first = lines[0]
        if min(w.top for w in first) - lab.bottom > 1.2 * median(w.height for w in first):
            return None
        if first[0].x0 > lab.x1:
            return None  # not under the label: something of the next column
        bottom = max(w.bottom for w in first)
        for line in lines[1:MAX_LINES]:
            if min(w.top for w in line) - bottom > 1.0 * h:
                break
            bottom = max(w.bottom for w in line)
        return (box[0], box[1], box[2], bottom + 0.3 * h)


def up_to_the_row_above(region: ValueRegion, labels: Mapping[str, Label]) -> ValueRegion:
    """A text layer's Signature region with no cell, grown up to the row above: a word
    processor lifts a pasted signature above the label's line (`Signature (签名):` with the
    picture floating over the gap after `Postal address`, two lines up: the form was called
    unsigned). Only ink that is no text counts there (the words are masked)."""
    if region.cell is not None:
        return region
    sig = labels.get("signature")
    if sig is None:
        return region
    above = [o.bottom for o in labels.values() if o.page == sig.page and o.bottom < sig.top]
    if not above:
        return region
    x0, top, x1, bottom = region.box
    return replace(region, box=(x0, min(top, max(above)), x1, bottom))
