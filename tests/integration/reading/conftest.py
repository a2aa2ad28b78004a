from pathlib import Path

import pytest

from licensebot.core.form import ReadForm
from licensebot.core.la import LaVersion
from licensebot.reading.la_versions import load_versions
from licensebot.reading.pdf import read_pdf
from tests.forms.factory import FormSpec, make_spec, not_la_pdf, older_version, render
from tests.forms.independent import IndependentSpec, make_each

CONFIG = Path(__file__).resolve().parents[3] / "config"

#: One form per category worth reading with OCR; each is generated and read once per session.
CASES = {
    "scan_typed": dict(
        medium="scan", layout="word", name_style="western", dpi=200, angle=1.2, signature="ink"
    ),
    "scan_ocr_chinese": dict(
        medium="scan_ocr",
        layout="compact",
        name_style="chinese",
        dpi=200,
        angle=-0.8,
        signature="none",
    ),
    "scan_upside_down": dict(
        medium="scan",
        layout="retyped",
        name_style="accented",
        dpi=300,
        angle=0.6,
        turn=180,
        signature="printed",
    ),
    "scan_sideways": dict(
        medium="scan",
        layout="word",
        name_style="accented",
        dpi=150,
        angle=-1.5,
        turn=90,
        signature="ink",
    ),
    "photo": dict(medium="photo", layout="word", name_style="western", angle=3.5, signature="ink"),
    "scan_handwritten": dict(
        medium="scan",
        layout="word",
        name_style="western",
        dpi=200,
        angle=0.9,
        hand="handwritten",
        signature="ink",
    ),
    "photo_handwritten": dict(
        medium="photo",
        layout="retyped",
        name_style="chinese",
        angle=-4.0,
        hand="handwritten",
        signature="ink",
    ),
    "scan_older": dict(medium="scan", layout="word", name_style="western", dpi=200, angle=0.5),
}


@pytest.fixture(scope="session")
def la_versions() -> list[LaVersion]:
    current = load_versions(CONFIG / "la")
    return [older_version(current[-1]), *current]


@pytest.fixture(scope="session")
def read_cases(la_versions: list[LaVersion]) -> dict[str, tuple[FormSpec, ReadForm]]:
    older, current = la_versions[0], la_versions[-1]
    out: dict[str, tuple[FormSpec, ReadForm]] = {}
    for i, (name, choices) in enumerate(CASES.items()):
        choices = {"hand": "typed", **choices}
        version = older if name == "scan_older" else current
        spec = make_spec(500 + i, version, **choices)
        out[name] = (spec, read_pdf(render(spec), versions=la_versions))
    return out


@pytest.fixture(scope="session")
def scanned_not_la(la_versions: list[LaVersion]) -> ReadForm:
    from tests.forms.factory import _images_pdf, _raster, _scan_page

    spec = make_spec(900, la_versions[-1], medium="scan", angle=1.0, turn=0)
    pages = [
        _scan_page(p, spec, __import__("random").Random(1)) for p in _raster(not_la_pdf(3), 200)
    ]
    return read_pdf(_images_pdf(pages, 200, 75), versions=la_versions)


def read_independent(
    choices: dict[int, dict[str, str]],
) -> dict[int, tuple[IndependentSpec, ReadForm]]:
    """Seed -> (spec, what the reader read) for independent forms of those seeds and choices
    (one LibreOffice batch), read with the deployment's LA versions."""
    versions = load_versions(CONFIG / "la")
    return {
        seed: (spec, read_pdf(pdf, versions=versions))
        for seed, (pdf, spec) in make_each(choices).items()
    }
