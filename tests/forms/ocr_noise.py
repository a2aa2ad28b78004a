"""What OCR and page layout do to a text, for the version recogniser's unit tests: markup lost,
lines broken (with hyphenated words), `l`/`1`, `O`/`0`, `rn`/`m` confusions, punctuation
dropped, a few words garbled, paragraphs read in another order (columns), a line lost."""

from __future__ import annotations

import random
import re
import textwrap

_SWAPS = (("l", "1"), ("O", "0"), ("o", "0"), ("m", "rn"), ("rn", "m"), ("e", "c"), ("i", "l"))


def _garble(word: str, rng: random.Random) -> str:
    chars = list(word)
    i = rng.randrange(len(chars))
    chars[i] = rng.choice("abcdefghijklmnopqrstuvwxyz;'~")
    return "".join(chars)


def _confuse(word: str, rng: random.Random) -> str:
    a, b = rng.choice(_SWAPS)
    return word.replace(a, b, 1) if a in word else word


def ocr_noise(
    text: str,
    seed: int,
    *,
    rate: float = 0.03,
    garble: float = 0.01,
    reorder: bool = True,
    lose_line: bool = False,
    width: int = 80,
) -> str:
    rng = random.Random(seed)
    text = re.sub(r"[*#`]|\\(?=_)", "", text)
    blocks = [b for b in re.split(r"\n\s*\n", text) if b.strip()]
    if reorder and len(blocks) > 6:
        # a two-column page read across: a few neighbouring blocks come out swapped
        for _ in range(3):
            i = rng.randrange(len(blocks) - 1)
            blocks[i], blocks[i + 1] = blocks[i + 1], blocks[i]
    lines: list[str] = []
    for block in blocks:
        for line in textwrap.wrap(" ".join(block.split()), width):
            lines.append(line)
    if lose_line:
        del lines[rng.randrange(len(lines))]
    out: list[str] = []
    for n, line in enumerate(lines):
        words = line.split()
        noisy = []
        for w in words:
            r = rng.random()
            if r < rate:
                w = _confuse(w, rng)
            elif r < rate + garble and len(w) > 3:
                w = _garble(w, rng)
            if rng.random() < 0.3:
                w = w.strip(".,;:()'\"")
            noisy.append(w)
        if noisy and n + 1 < len(lines) and len(noisy[-1]) > 7 and rng.random() < 0.3:
            last = noisy[-1]
            cut = len(last) // 2
            noisy[-1] = last[:cut] + "-"
            lines[n + 1] = last[cut:] + " " + lines[n + 1]
        out.append(" ".join(noisy))
    return "\n".join(out)
