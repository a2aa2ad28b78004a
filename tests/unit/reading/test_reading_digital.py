"""Digital forms (text layer and fillable fields): every field exact, no OCR needed."""

import io
import itertools

import pypdfium2 as pdfium
import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from licensebot.core.form import TEXT_FIELDS, form_to_json
from licensebot.core.la import LaVersion
from licensebot.reading.blank_form import render_blank_form
from licensebot.reading.document import page_words
from licensebot.reading.layout import join_words
from licensebot.reading.pdf import read_pdf
from tests.forms.factory import make_spec, not_la_pdf, render

CASES = [
    dict(layout=layout, fillable=fillable, name_style=names, signature=sig)
    for layout, names, sig in [
        ("word", "western", "ink"),
        ("compact", "accented", "none"),
        ("retyped", "chinese", "printed"),
        ("word", "chinese", "ink"),
        ("retyped", "western", "ink"),
        ("compact", "chinese", "ink"),
    ]
    for fillable in (False, True)
]


@pytest.mark.parametrize("choices", CASES, ids=lambda c: "-".join(str(v) for v in c.values()))
def test_typed_and_fillable_digital_forms_are_read_exactly(
    choices: dict[str, object], current: LaVersion, versions: list[LaVersion]
) -> None:
    spec = make_spec(11 + CASES.index(choices), current, medium="digital", hand="typed", **choices)
    form = read_pdf(render(spec), versions=versions)
    assert form.error is None
    assert {k: form.value(k) for k in TEXT_FIELDS} == {k: spec.truth[k] for k in TEXT_FIELDS}
    assert form.signed is spec.signed
    assert [(m.name, m.registered_id) for m in form.members] == list(spec.members)
    assert form.scanned is False
    assert form.form_version == current.id
    assert all(form.fields[k].confidence == 1.0 for k in TEXT_FIELDS)


def test_fillable_values_come_from_the_form_fields(
    current: LaVersion, versions: list[LaVersion]
) -> None:
    spec = make_spec(3, current, medium="digital", fillable=True, layout="word")
    form = read_pdf(render(spec), versions=versions)
    assert form.fields["signer_name"].source == "form"
    assert form.value("signer_name") == spec.truth["signer_name"]


def test_the_blank_form_reads_as_an_la_with_every_field_blank(
    current: LaVersion, versions: list[LaVersion]
) -> None:
    form = read_pdf(render_blank_form(current, fillable=True), versions=versions)
    assert form.form_version == current.id
    assert all(form.fields[k].blank and form.value(k) is None for k in TEXT_FIELDS)
    assert form.signed is False and form.members == ()


def test_a_missing_field_is_blank_not_unreadable(
    current: LaVersion, versions: list[LaVersion]
) -> None:
    spec = make_spec(5, current, medium="digital", layout="word", hand="typed")
    written = dict(spec.written, affiliation="")
    spec = type(spec)(**{**spec.__dict__, "written": written})
    form = read_pdf(render(spec), versions=versions)
    assert form.fields["affiliation"].blank
    assert form.value("signer_name") == spec.truth["signer_name"]


def test_handwriting_in_a_digital_form_is_never_read_wrong(
    current: LaVersion, versions: list[LaVersion]
) -> None:
    spec = make_spec(7, current, medium="digital", hand="handwritten", layout="word")
    form = read_pdf(render(spec), versions=versions)
    for key in TEXT_FIELDS:
        assert form.value(key) in (None, spec.truth[key])
        if form.value(key) is None:
            assert form.fields[key].unreadable


def test_an_older_la_and_a_document_that_is_no_la_are_told_apart(
    current: LaVersion, versions: list[LaVersion]
) -> None:
    older = versions[0]
    old = read_pdf(render(make_spec(9, older, medium="digital", hand="typed")), versions=versions)
    assert old.form_version == older.id and old.is_la
    other = read_pdf(not_la_pdf(1), versions=versions)
    assert other.form_version is None and not other.is_la


def test_json_view_has_exactly_the_contract_fields(
    current: LaVersion, versions: list[LaVersion]
) -> None:
    spec = make_spec(2, current, medium="digital", layout="word", hand="typed")
    out = form_to_json(read_pdf(render(spec), versions=versions))
    assert list(out["fields"]) == [*TEXT_FIELDS, "signed", "members"]
    assert out["scanned"] is False and out["form_version"] == current.id
    assert set(out["confidence"]) >= set(TEXT_FIELDS)


def test_a_tabs_dot_leader_parts_the_label_from_its_value_and_a_values_own_dots_stay() -> None:
    from licensebot.reading.document import leader_breaks

    def words(text: str) -> list[str]:
        cuts = sorted({0, len(text), *leader_breaks(text)})
        return [w for a, b in itertools.pairwise(cuts) for w in text[a:b].split()]

    assert words("Name:.........Samuel Reed") == ["Name:", ".........", "Samuel", "Reed"]
    assert words("(邮箱):……t.dvorak@unimelb.edu.au") == ["(邮箱):", "……", "t.dvorak@unimelb.edu.au"]
    # a value's own periods, an email's dots, an abbreviation: no leader
    assert leader_breaks("Dept. of C.S., s.reed@upm.es, Co., Ltd.") == set()


def test_a_hyphen_that_ends_a_line_of_the_text_layer_is_a_hyphen() -> None:
    # pdfium gives it as U+FFFE; the affiliation `... Human-` / `Centred AI` must read as
    # `Human-Centred`, not `Human\ufffe Centred`
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    c.setFont("Helvetica", 11)
    c.drawString(100, 700, "Research and Human-")
    c.drawString(100, 686, "Centred AI")
    c.save()
    doc = pdfium.PdfDocument(buf.getvalue())
    try:
        words = page_words(doc[0].get_textpage(), 0, float(A4[1]))
    finally:
        doc.close()
    assert join_words(words) == "Research and Human-Centred AI"


def test_a_row_a_page_break_cut_after_its_labels_has_its_values_overleaf() -> None:
    """`The Signer's Name | TITLE` at a page's foot, `Jörg Schäfer | Research Group Leader`
    at the next one's head, above its `Affiliation` label: the values are there, not left
    blank (the form was rejected for a name left blank). Nothing there: blank it stays."""
    from licensebot.core.form import FieldValue
    from licensebot.reading.layout import Label, Word
    from licensebot.reading.page_breaks import carried_overleaf
    from licensebot.reading.regions import ValueRegion

    def w(text: str, x0: float, top: float, page: int) -> Word:
        return Word(text, x0, top, x0 + 6 * len(text), top + 8, page=page)

    name = Label("signer_name", [w("Name", 57, 769, 0)], 1.0)
    title = Label("signer_title", [w("TITLE", 298, 769, 0)], 1.0)
    affiliation = Label("affiliation", [w("Affiliation", 57, 70, 1)], 1.0)
    labels = {"signer_name": name, "signer_title": title, "affiliation": affiliation}
    regions = {
        "signer_name": ValueRegion("signer_name", 0, (90, 768, 298, 777), "cell-same", None),
        "signer_title": ValueRegion("signer_title", 0, (330, 768, 534, 777), "cell-same", None),
    }
    blank = FieldValue(None, 1.0, blank=True)
    fields = {"signer_name": blank, "signer_title": blank}
    words = [w("Jörg", 57, 56, 1), w("Schäfer", 90, 56, 1), w("Research", 298, 56, 1)]
    words += [w("Group", 350, 56, 1), w("Leader", 386, 56, 1), *affiliation.words]
    got = carried_overleaf(fields, labels, regions, words)
    assert got["signer_name"].value == "Jörg Schäfer"
    assert got["signer_title"].value == "Research Group Leader"
    assert carried_overleaf(fields, labels, regions, list(affiliation.words)) == {}


def test_a_label_a_page_break_cut_in_two_is_one_label_and_its_value_goes_on_overleaf() -> None:
    """`Detail Address` (`of your` after it) ends a page with `3388 Keyuan South Road,`; the
    next opens with `affiliation | Nanshan District, ...`: the word is the rest of the
    address's label, no Affiliation label, and the address goes on there. Two whole labels
    either side of a break stay two."""
    from licensebot.core.form import FieldValue
    from licensebot.reading.layout import Label, Word
    from licensebot.reading.page_breaks import carried_overleaf, continued_label, label_rests
    from licensebot.reading.regions import ValueRegion

    def w(text: str, x0: float, top: float, page: int) -> Word:
        return Word(text, x0, top, x0 + 6 * len(text), top + 8, page=page)

    email = Label("work_email", [w("Work", 57, 740, 0), w("email", 90, 740, 0)], 1.0)
    head = Label(
        "address",
        [w("Detail", 57, 769, 0), w("Address", 100, 769, 0)],
        1.0,
        inline=[w("of", 150, 769, 0), w("your", 166, 769, 0)],
    )
    rest = Label("affiliation", [w("affiliation", 57, 56, 1)], 1.0)
    signature = Label("signature", [w("Signature", 57, 70, 1)], 1.0)
    assert continued_label([email, head], [rest, signature]) == (head, rest)
    assert label_rests([email, head, rest, signature]) == [rest]
    whole = Label("address", [w("Address", 57, 769, 0)], 1.0)
    affiliation = Label("affiliation", [w("Affiliation", 57, 56, 1)], 1.0)
    assert continued_label([email, whole], [affiliation, signature]) is None
    address = Label("address", [w("Address", 57, 56, 1)], 1.0)
    assert continued_label([email], [address, signature]) is None

    labels = {"work_email": email, "address": head, "signature": signature}
    regions = {"address": ValueRegion("address", 0, (200, 768, 534, 777), "cell-same", None)}
    first = "3388 Keyuan South Road,"
    fields = {"address": FieldValue("3388 Keyuan South Road", 1.0, raw=first)}
    words = [*rest.words, w("Nanshan", 200, 56, 1), w("District,", 250, 56, 1)]
    words += [w("China", 310, 56, 1), *signature.words]
    got = carried_overleaf(fields, labels, regions, words)
    assert got["address"].value == "3388 Keyuan South Road, Nanshan District, China"
    complete = FieldValue("3388 Keyuan South Road", 1.0, raw="3388 Keyuan South Road")
    assert carried_overleaf({"address": complete}, labels, regions, words) == {}
