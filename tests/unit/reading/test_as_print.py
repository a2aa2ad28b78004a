"""When a page's value cells count as a typed form's (the second engine and the third pass
read what is left unread): enough of them read as print by pass 1."""

from licensebot.reading.cell_ocr import as_print


def test_three_cells_read_as_print_make_a_typed_form() -> None:
    assert as_print(6, 3)
    assert not as_print(6, 2)


def test_the_rows_a_page_break_left_on_a_page_are_typed_when_all_but_one_read_as_print() -> None:
    # Email, Address and Date under the break: the address with `ß` and `ü` was left to the
    # Chinese model's and English's `Arcisstra8e ... Miinchen`, never to RapidOCR's
    assert as_print(3, 2)  # Email, Address, Date
    assert not as_print(3, 1)
    # a single row is never enough on its own
    assert not as_print(1, 1)
    assert not as_print(2, 1)
