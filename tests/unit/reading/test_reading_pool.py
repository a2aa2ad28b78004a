"""The batch reader pool (`licensebot check`): long-lived sandboxed readers that read one PDF
after another, with every limit still holding per PDF and a failing PDF costing only itself."""

import os
import signal
from concurrent.futures import ThreadPoolExecutor

import pytest

from licensebot.core.la import LaVersion
from licensebot.reading.pdf import ReadLimits, read_pdf
from licensebot.reading.sandbox import ReaderPool
from tests.forms.factory import make_spec, render


@pytest.fixture(scope="module")
def forms(current: LaVersion) -> list[bytes]:
    return [
        render(make_spec(31, current, medium="digital", layout="compact", hand="typed")),
        render(make_spec(32, current, medium="digital", layout="word", hand="typed")),
        render(make_spec(33, current, medium="digital", layout="retyped", fillable=True)),
    ]


@pytest.fixture(scope="module")
def scanned(current: LaVersion) -> bytes:
    return render(make_spec(34, current, medium="scan", layout="compact", hand="typed"))


def _same(a: object, b: object) -> bool:
    from dataclasses import replace

    return replace(a, timings={}) == replace(b, timings={})  # type: ignore[type-var]


def test_one_reader_reads_many_pdfs_as_the_reader_in_process_does(
    versions: list[LaVersion], forms: list[bytes]
) -> None:
    with ReaderPool(versions, size=1) as pool:
        for data in forms * 2:
            assert _same(pool.read(data), read_pdf(data, versions=versions))


def test_threads_share_the_readers_and_each_gets_its_own_reading(
    versions: list[LaVersion], forms: list[bytes]
) -> None:
    with ReaderPool(versions, size=2) as pool, ThreadPoolExecutor(4) as threads:
        got = list(threads.map(pool.read, forms * 3))
    names = [f.value("signer_name") for f in got]
    assert names == [read_pdf(d, versions=versions).value("signer_name") for d in forms] * 3
    assert all(f.error is None for f in got)


def test_not_a_pdf_or_too_big_never_reaches_a_reader(
    versions: list[LaVersion], forms: list[bytes]
) -> None:
    with ReaderPool(versions, ReadLimits(max_bytes=1000)) as pool:
        assert pool.read(b"PK\x03\x04 a zip named form.pdf").error == "not_pdf"
        assert pool.read(forms[0]).error == "too_large"


def test_a_pdf_over_time_is_killed_and_the_batch_carries_on(
    versions: list[LaVersion], forms: list[bytes], scanned: bytes
) -> None:
    # OCR of a scan takes seconds; a typed form's text layer a small fraction of one
    with ReaderPool(versions, ReadLimits(time_limit=1.0), size=1) as pool:
        assert pool.read(scanned).error == "timeout"
        after = pool.read(forms[0])
    assert after.error is None and _same(after, read_pdf(forms[0], versions=versions))


def test_threads_waiting_for_a_reader_that_timed_out_get_a_fresh_one(
    versions: list[LaVersion], forms: list[bytes], scanned: bytes
) -> None:
    with (
        ReaderPool(versions, ReadLimits(time_limit=1.0), size=1) as pool,
        ThreadPoolExecutor(3) as threads,
    ):
        slow = threads.submit(pool.read, scanned)
        while not pool._started:  # the scan has the only reader
            pass
        rest = [threads.submit(pool.read, data) for data in forms[:2]]
        assert slow.result(timeout=60).error == "timeout"
        assert [f.result(timeout=60).error for f in rest] == [None, None]


def test_the_cpu_cap_is_per_pdf_not_per_reader(
    versions: list[LaVersion], forms: list[bytes]
) -> None:
    # one second of CPU each: a reader that kept its first cap would be killed long before
    with ReaderPool(versions, ReadLimits(cpu_limit=1), size=1, max_reads=1000) as pool:
        results = [pool.read(forms[i % 3]) for i in range(90)]
    assert [f.error for f in results] == [None] * 90


def test_a_reader_that_dies_is_replaced(versions: list[LaVersion], forms: list[bytes]) -> None:
    with ReaderPool(versions, size=1) as pool:
        assert pool.read(forms[0]).error is None
        reader = pool._idle.get_nowait()
        pool._idle.put(reader)
        assert reader.proc.pid is not None
        os.kill(reader.proc.pid, signal.SIGKILL)
        reader.proc.join(5)
        # the idle reader was dead before it got the PDF: a fresh one reads it
        assert _same(pool.read(forms[1]), read_pdf(forms[1], versions=versions))


def test_a_reader_over_its_memory_gives_an_error_result_every_time(
    versions: list[LaVersion], forms: list[bytes], scanned: bytes
) -> None:
    # the cap is what a reader may add to what it was forked with: 1 MB cannot hold a scan's
    # page image, and the reader that ran out leaves; the next one is refused the same way
    with ReaderPool(versions, ReadLimits(memory_bytes=1_000_000), size=1) as pool:
        assert pool.read(scanned).error in ("too_large", "crashed")
        assert pool.read(scanned).error in ("too_large", "crashed")
