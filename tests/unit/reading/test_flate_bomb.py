"""A Flate bomb (1.5 MB of PDF holding a 1.5 GB content stream) is `too_large`, found before
pdfium, which would abort the reader (reported `crashed` before), and the next read works."""

from __future__ import annotations

import io
import time
import zlib

from licensebot.core.la import LaVersion
from licensebot.reading.inflate import flate_bomb
from licensebot.reading.pdf import ReadLimits, read_pdf
from licensebot.reading.sandbox import read_pdf_sandboxed
from tests.forms.factory import make_spec, render


def _pdf(objects: list[bytes]) -> bytes:
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(f"{i} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    out.write(b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets))
    out.write(
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return out.getvalue()


def content_bomb(megabytes: int = 1500) -> bytes:
    squeeze = zlib.compressobj(9)
    chunk = b" " * (1 << 20)
    data = b"".join(squeeze.compress(chunk) for _ in range(megabytes)) + squeeze.flush()
    stream = (
        b"<< /Filter /FlateDecode /Length " + str(len(data)).encode() + b" >>\nstream\n"
        + data + b"\nendstream"
    )  # fmt: skip
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
            stream,
        ]
    )


def test_a_flate_bomb_is_too_large_not_a_crash(versions: list[LaVersion]) -> None:
    bomb = content_bomb()
    assert len(bomb) < 2_000_000
    start = time.perf_counter()
    form = read_pdf_sandboxed(bomb, versions=versions)
    assert form.error == "too_large", (form.error, form.error_detail)
    assert "inflates to more than" in (form.error_detail or "")
    assert time.perf_counter() - start < 30
    assert read_pdf(bomb, versions=versions).error == "too_large"


def test_real_forms_are_no_bombs(current: LaVersion) -> None:
    cap = ReadLimits().memory_bytes // 2
    for medium in ("digital", "scan"):
        pdf = render(make_spec(23, current, medium=medium, layout="compact", hand="typed"))
        assert flate_bomb(pdf, cap=cap) is None, medium
