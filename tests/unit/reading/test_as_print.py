"""When a page's value cells count as a typed form's (the second engine and the third pass
read what is left unread): enough of them read as print by pass 1."""

from licensebot.reading.cell_ocr import as_print
from licensebot.reading.cells import Cell


def _cells(*keys: str) -> list[Cell]:
    return [Cell(k, (0.0, 0.0, 10.0, 10.0)) for k in keys]


def test_three_cells_read_as_print_make_a_typed_form() -> None:
    six = _cells("signer_name", "signer_title", "affiliation", "work_email", "address", "date")
    assert as_print(six, 3)
    assert not as_print(six, 2)


def test_the_rows_a_page_break_left_on_a_page_are_typed_when_all_but_one_read_as_print() -> None:
    # Email, Address and Date under the break: the address with `ß` and `ü` was left to the
    # Chinese model's and English's `Arcisstra8e ... Miinchen`, never to RapidOCR's
    under_the_break = _cells("work_email", "address", "date")
    assert as_print(under_the_break, 2)
    assert not as_print(under_the_break, 1)
    # a single row is never enough on its own
    assert not as_print(_cells("date"), 1)
    assert not as_print(_cells("work_email", "date"), 1)
