"""The blank form as a person prints it: the members heading stays with its table, every page
is numbered, and the LA's text has no paragraph broken in the middle of a sentence."""

from __future__ import annotations

import io
import itertools
import re
from pathlib import Path

import pypdf

from licensebot.core.la import current_version
from licensebot.reading.blank_form import (
    MEMBERS_CAPTION,
    MEMBERS_HEADER,
    render_blank_form,
    split_form_table,
)
from licensebot.reading.la_versions import load_versions
from tests.support import CONFIG_DIR


def test_the_members_heading_is_on_the_page_of_its_table_and_pages_are_numbered() -> None:
    version = current_version(load_versions(CONFIG_DIR / "la"))
    pages = [
        p.extract_text() for p in pypdf.PdfReader(io.BytesIO(render_blank_form(version))).pages
    ]
    flat = [" ".join(t.split()) for t in pages]
    with_caption = [i for i, t in enumerate(flat) if MEMBERS_CAPTION in t]
    assert len(with_caption) == 1
    assert MEMBERS_HEADER[1] in flat[with_caption[0]]  # was: the heading alone at a page's foot
    for i, text in enumerate(flat, start=1):
        assert f"Page {i} of {len(pages)}" in text


def test_no_paragraph_of_a_registered_la_breaks_mid_sentence() -> None:
    for text_file in sorted((CONFIG_DIR / "la").glob("*.md")):
        body = split_form_table(text_file.read_text(encoding="utf-8"))
        paragraphs = [p.strip() for p in re.split(r"\n\s*\n", body) if p.strip()]
        for before, after in itertools.pairwise(paragraphs):
            if before.startswith(("#", "- ")) or "@" in after:
                continue
            ends = before.rstrip("*").rstrip()[-1]
            broken = ends not in ".:;!?)。：；" and after[0].islower()
            assert not broken, f"{Path(text_file).name}: {before[-40:]!r} / {after[:40]!r}"
