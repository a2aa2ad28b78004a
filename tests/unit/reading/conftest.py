from pathlib import Path

import pytest

from licensebot.core.la import LaVersion
from licensebot.reading.la_versions import load_versions
from tests.forms.factory import older_version

CONFIG = Path(__file__).resolve().parents[3] / "config"


@pytest.fixture(scope="session")
def versions() -> list[LaVersion]:
    current = load_versions(CONFIG / "la")
    return [older_version(current[-1]), *current]


@pytest.fixture(scope="session")
def current(versions: list[LaVersion]) -> LaVersion:
    return versions[-1]
