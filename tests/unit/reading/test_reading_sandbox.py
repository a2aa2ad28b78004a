"""Untrusted input: every bad PDF becomes an error result, and the next read still works."""

import io
import signal
import threading
import time
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter

from licensebot.core.la import LaVersion
from licensebot.reading.pdf import ReadLimits, read_pdf
from licensebot.reading.sandbox import read_pdf_sandboxed
from tests.forms.factory import make_spec, render


@pytest.fixture(scope="module")
def good_pdf(current: LaVersion) -> bytes:
    return render(make_spec(21, current, medium="digital", layout="compact", hand="typed"))


def _bomb_pdf() -> bytes:
    """A one-page PDF whose image claims 200,000 x 200,000 pixels."""
    stream = zlib.compress(b"\x00" * 1000)
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /XObject << /Im0 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /XObject /Subtype /Image /Width 200000 /Height 200000 /ColorSpace "
        b"/DeviceGray /BitsPerComponent 8 /Filter /FlateDecode /Length "
        + str(len(stream)).encode()
        + b" >>\nstream\n"
        + stream
        + b"\nendstream",
        b"<< /Length 35 >>\nstream\nq 595 0 0 842 0 0 cm /Im0 Do Q\nendstream",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n")
    offsets = []
    for i, body in enumerate(objs, 1):
        offsets.append(out.tell())
        out.write(f"{i} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode())
    for off in offsets:
        out.write(f"{off:010d} 00000 n \n".encode())
    trailer = f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    out.write(trailer.encode())
    return out.getvalue()


def test_the_type_is_decided_by_the_bytes(versions: list[LaVersion], good_pdf: bytes) -> None:
    assert read_pdf(b"PK\x03\x04 a zip named form.pdf", versions=versions).error == "not_pdf"
    assert read_pdf(b"\r\n\r\n" + good_pdf, versions=versions).error is None


def test_a_truncated_or_broken_pdf_is_an_error_result(
    versions: list[LaVersion], good_pdf: bytes
) -> None:
    assert read_pdf(b"%PDF-1.7\n1 0 obj << /Type /Catalog", versions=versions).error == "broken"
    truncated = read_pdf(good_pdf[: len(good_pdf) // 3], versions=versions)
    assert truncated.error is not None or not truncated.is_la


def test_a_password_protected_pdf_is_an_error_result(
    versions: list[LaVersion], good_pdf: bytes
) -> None:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(good_pdf)))
    writer.encrypt(user_password="secret", owner_password="owner")
    buf = io.BytesIO()
    writer.write(buf)
    assert read_pdf(buf.getvalue(), versions=versions).error == "encrypted"


def test_caps_on_pages_bytes_and_pixels(versions: list[LaVersion], good_pdf: bytes) -> None:
    writer = PdfWriter()
    for _ in range(30):
        writer.add_blank_page(595, 842)
    buf = io.BytesIO()
    writer.write(buf)
    assert read_pdf(buf.getvalue(), versions=versions).error == "too_many_pages"
    tiny = ReadLimits(max_bytes=1000)
    assert read_pdf(good_pdf, versions=versions, limits=tiny).error == "too_large"
    assert read_pdf(_bomb_pdf(), versions=versions).error == "too_large"


def test_the_sandbox_returns_the_same_reading(versions: list[LaVersion], good_pdf: bytes) -> None:
    inside = read_pdf(good_pdf, versions=versions)
    outside = read_pdf_sandboxed(good_pdf, versions=versions)
    assert outside.error is None
    assert outside.fields == inside.fields and outside.signed == inside.signed


def test_a_reading_over_time_is_killed_and_the_next_one_works(
    versions: list[LaVersion], good_pdf: bytes
) -> None:
    slow = read_pdf_sandboxed(good_pdf, versions=versions, limits=ReadLimits(time_limit=0.001))
    assert slow.error == "timeout"
    assert read_pdf_sandboxed(good_pdf, versions=versions).error is None


@pytest.fixture(scope="module")
def scanned_pdf(current: LaVersion) -> bytes:
    return render(make_spec(22, current, medium="scan", layout="compact", hand="typed"))


def test_a_reading_over_its_memory_is_an_error_result(
    versions: list[LaVersion], good_pdf: bytes, scanned_pdf: bytes
) -> None:
    # The cap is what the reader may add to what it was forked with: a scan needs tens of MB
    # for its page image alone, and 1 MB more refuses it.
    starved = read_pdf_sandboxed(
        scanned_pdf, versions=versions, limits=ReadLimits(memory_bytes=1_000_000)
    )
    assert starved.error in ("too_large", "crashed")
    assert read_pdf_sandboxed(good_pdf, versions=versions).error is None


def test_the_sandbox_serves_many_worker_threads(versions: list[LaVersion], good_pdf: bytes) -> None:
    names = set()
    lock = threading.Lock()

    def read(_: int) -> None:
        form = read_pdf_sandboxed(good_pdf, versions=versions)
        with lock:
            names.add(form.value("signer_name"))

    with ThreadPoolExecutor(3) as pool:
        list(pool.map(read, range(6)))
    assert len(names) == 1 and None not in names


def test_an_error_result_says_so_in_json(versions: list[LaVersion]) -> None:
    from licensebot.core.form import form_to_json

    out = form_to_json(read_pdf(b"not a pdf at all", versions=versions))
    assert out["error"] == "not_pdf"
    assert all(v is None for k, v in out["fields"].items() if k not in ("members", "signed"))


def test_children_forked_ahead_are_single_use_confined_and_replaced() -> None:
    """The worker's readers: each input in a child of its own, forked before it was needed
    (and confined while it waits); a spare that died while waiting costs nothing but a fork."""
    import os as _os

    from licensebot.reading import sandbox

    call = {"time_limit": 30.0, "cpu_limit": 30, "memory_bytes": 256 << 20}
    sandbox.start_readers(spares=True)
    try:
        first = sandbox.call_confined(_os.getpid, **call)
        deadline = time.monotonic() + 30
        while "call" not in sandbox._spares:
            assert time.monotonic() < deadline, "no spare was forked"
            time.sleep(0.05)
        [spare] = sandbox._spares["call"]
        waiting = spare.proc.pid
        assert waiting not in (first, _os.getpid())

        def address_space_capped() -> bool:
            limits = Path(f"/proc/{waiting}/limits").read_text().splitlines()
            return "unlimited" not in next(x for x in limits if x.startswith("Max address space"))

        while not address_space_capped():  # confined once warm, before it waits for input
            assert time.monotonic() < deadline, "the spare waits unconfined"
            time.sleep(0.05)
        second = sandbox.call_confined(_os.getpid, **call)
        assert second == waiting  # the spare took it, and only it
        while sandbox._spares.get("call") in (None, [spare]):
            assert time.monotonic() < deadline, "the spare was not replaced"
            time.sleep(0.05)
        [victim] = sandbox._spares["call"]
        dead = victim.proc.pid
        _os.kill(dead, signal.SIGKILL)
        victim.proc.join(5)
        third = sandbox.call_confined(_os.getpid, **call)
        assert third not in (first, second, dead)
    finally:
        sandbox.stop_spares()
    assert sandbox._spares == {}


def test_a_backlog_has_its_next_child_forked_at_once_an_idle_worker_after_a_quiet_moment() -> None:
    """In a backlog the fork of the next child leaves the message's path; between messages it
    waits until the message's own reading is done."""
    import os as _os

    from licensebot.reading import sandbox

    call = {"time_limit": 30.0, "cpu_limit": 30, "memory_bytes": 256 << 20}

    def next_spare(other_than: object = None) -> sandbox._Spare:
        deadline = time.monotonic() + 30
        while sandbox._spares.get("call") in (None, [other_than]):
            assert time.monotonic() < deadline, "no spare was forked"
            time.sleep(0.01)
        [spare] = sandbox._spares["call"]
        return spare

    sandbox.start_readers(spares=True)
    try:
        asked = time.monotonic()
        sandbox.call_confined(_os.getpid, **call)  # none was waiting: a backlog
        spare = next_spare()
        assert spare.born - asked < sandbox.QUIET_SECONDS  # forked beside this call
        time.sleep(sandbox.IDLE_SECONDS + 0.2)  # the spare waits: the backlog is over
        asked = time.monotonic()
        pid = spare.proc.pid  # the spare's process object is closed once it has served
        assert sandbox.call_confined(_os.getpid, **call) == pid
        later = next_spare(other_than=spare)
        assert later.born - asked >= sandbox.QUIET_SECONDS  # after a quiet moment
    finally:
        sandbox.stop_spares()
    assert sandbox._spares == {} and sandbox._backlog == set()


def test_two_refills_at_once_both_wait_for_the_next_two_reads() -> None:
    """Two reads at once in a backlog start two refills: both spares wait (each of the next
    two reads finds its child forked ahead), none is forked only to be replaced and closed."""
    import os as _os

    from licensebot.reading import sandbox

    memory, cpu = 256 << 20, 30
    call = {"time_limit": 30.0, "cpu_limit": cpu, "memory_bytes": memory}
    sandbox.start_readers(spares=True)
    try:
        for _ in range(2):  # what two reads at once leave behind them
            with sandbox._spares_cond:
                sandbox._wanted["call"] = (
                    (memory, cpu, None),
                    sandbox._call_once,
                    (memory, cpu, None),
                )
                sandbox._backlog.add("call")
            sandbox._refill("call")
        waiting = list(sandbox._spares["call"])
        assert len(waiting) == sandbox.SPARES_PER_SLOT == 2
        assert all(s.proc.is_alive() for s in waiting)
        pids = [s.proc.pid for s in waiting]
        assert [sandbox.call_confined(_os.getpid, **call) for _ in pids] == pids
    finally:
        sandbox.stop_spares()
    assert sandbox._spares == {}


def test_a_spare_forked_across_a_stop_is_not_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    """The worker stops (and a test or a restart starts again) while a refill forks: the
    spare forked for the old run leaves instead of waiting as the new run's spare, where it
    would push out, and close, the spare the new run forked for itself."""
    import os as _os

    from licensebot.reading import sandbox

    call = {"time_limit": 30.0, "cpu_limit": 30, "memory_bytes": 256 << 20}
    made: list[sandbox._Spare] = []
    real = sandbox._Spare

    class Restarted(real):  # type: ignore[misc,valid-type]
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)
            if kwargs.get("warm") is not None and not made:  # the refill's fork
                made.append(self)
                sandbox.stop_spares()  # the stop lands while the refill forks
                sandbox.start_readers(spares=True)

    monkeypatch.setattr(sandbox, "_Spare", Restarted)
    sandbox.start_readers(spares=True)
    try:
        sandbox.call_confined(_os.getpid, **call)  # none waiting: the refill forks at once
        deadline = time.monotonic() + 30
        while not made:
            assert time.monotonic() < deadline, "no refill forked"
            time.sleep(0.01)
        deadline = time.monotonic() + 10
        while not made[0].proc._closed:  # type: ignore[attr-defined]
            assert time.monotonic() < deadline, "the old run's spare was kept"
            time.sleep(0.01)
        assert made[0] not in sandbox._spares.get("call", [])
    finally:
        sandbox.stop_spares()
    assert sandbox._spares == {}
