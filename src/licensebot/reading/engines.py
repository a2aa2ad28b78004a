"""OCR engines that read one located cell: a common face for Tesseract and RapidOCR.

A cell reader gets the crop of one value's cell (table rules already erased by the caller)
and gives back its lines of text, top to bottom, each a `Reading` with the weakest part's
confidence and the engine's model name. A cell may hold two lines (an address); `joined`
makes the cell's one reading of them, the form the vote in `reading.pdf` takes.

Engines differ in what they get wrong (Tesseract's `eng` reads `q` as `g`, RapidOCR drops
the accents it has no letter for), which is why a second one is worth asking at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from PIL import Image

from licensebot.core.form import Reading
from licensebot.reading.layout import Word, close_hyphens, join_words, lines_of
from licensebot.reading.ocr import tesseract_words
from licensebot.reading.regions import MAX_LINES

#: `lang_hint` values: print in Latin script, or what may be Chinese characters.
LATIN = "latin"
CHINESE = "chinese"


class CellReader(Protocol):
    """An OCR engine that reads the lines of one cell's crop."""

    @property
    def name(self) -> str: ...

    def read_cell(self, crop: Image.Image, *, lang_hint: str = LATIN) -> list[Reading]: ...


def joined(lines: Sequence[Reading]) -> Reading | None:
    """The cell's lines as one reading (the first `MAX_LINES`, as the reader takes a value: an
    address runs to four lines in a narrow column): joined by a space, as sure as the least
    sure line, cut at an edge if any line is."""
    lines = [r for r in lines[:MAX_LINES] if r.text.strip()]
    if not lines:
        return None
    return Reading(
        close_hyphens(" ".join(r.text.strip() for r in lines)),
        min(r.confidence for r in lines),
        any(r.edged for r in lines),
        lines[0].model,
    )


def edged_box(x0: float, x1: float, height: float, width: float) -> bool:
    """Text from `x0` to `x1` of a line `height` tall reaches (within 0.4 of its height) the
    left or right edge of a crop `width` wide: it may go on beyond the crop."""
    return x0 < 0.4 * height or width - x1 < 0.4 * height


# ---- Tesseract ------------------------------------------------------------------------------

#: Latin model and page segmentation per hint (6: a block of lines; 8: one word, which is how
#: Tesseract 5.5 reads a short line of Chinese print at all).
_TESSERACT_PSM = {LATIN: 6, CHINESE: 8}


@dataclass(frozen=True, slots=True)
class TesseractCellReader:
    """One Tesseract model over the cell (`ocr.tesseract_words`, in process, one thread).

    `model`: `Latin` (the best model, accents included), `eng` (fast) or `chi_sim` (Chinese
    alone). With the Chinese hint the Chinese model reads the crop scaled by `cjk_scale`
    (it reads print best at about half a 300 dpi height) as one word, as `pdf.py` does."""

    model: str = "Latin"
    timeout: float = 30.0
    cjk_scale: float = 0.5

    @property
    def name(self) -> str:
        return self.model

    def read_cell(self, crop: Image.Image, *, lang_hint: str = LATIN) -> list[Reading]:
        img = crop.convert("L")
        scale = 1.0
        if lang_hint == CHINESE and self.model.startswith("chi_sim") and self.cjk_scale != 1.0:
            k = self.cjk_scale
            img = img.resize(
                (max(1, round(img.width * k)), max(1, round(img.height * k))),
                Image.Resampling.LANCZOS,
            )
            scale = 1.0 / k
        psm = _TESSERACT_PSM.get(lang_hint, 6) if self.model.startswith("chi_sim") else 6
        words = tesseract_words(img, lang=self.model, psm=psm, timeout=self.timeout, scale=scale)
        words = [w for w in words if w.text.strip("|_—-.,:;'\"，。")]
        return [self._line(line, crop.width) for line in lines_of(words) if line]

    def _line(self, line: Sequence[Word], width: int) -> Reading:
        h = max(1.0, sorted(w.height for w in line)[len(line) // 2])
        edged = edged_box(min(w.x0 for w in line), max(w.x1 for w in line), h, width)
        return Reading(join_words(line), min(w.conf for w in line), edged, self.model)
