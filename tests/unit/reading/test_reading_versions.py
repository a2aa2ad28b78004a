from datetime import date
from pathlib import Path

import pytest

from licensebot.core.la import LaVersion, current_version
from licensebot.reading.la_versions import LaConfigError, load_versions
from licensebot.reading.version import match_version
from tests.forms.factory import older_version

CONFIG = Path(__file__).resolve().parents[3] / "config" / "la"


def test_the_registered_versions_load_and_the_current_one_is_the_shared_la() -> None:
    versions = load_versions(CONFIG)
    current = current_version(versions)
    assert current.id == "2023"
    assert "License Agreement" in current.text and "The Signer's Name" in current.text


def test_a_broken_registry_says_what_to_fix(tmp_path: Path) -> None:
    with pytest.raises(LaConfigError, match=r"versions\.toml"):
        load_versions(tmp_path)
    (tmp_path / "versions.toml").write_text('[[version]]\nid = "x"\neffective = 2024-01-01\n')
    with pytest.raises(LaConfigError, match="file"):
        load_versions(tmp_path)


def test_current_version_is_the_latest_in_force() -> None:
    a = LaVersion("a", date(2020, 1, 1), "a")
    b = LaVersion("b", date(2030, 1, 1), "b")
    assert current_version([a, b]).id == "b"
    assert current_version([a, b], today=date(2025, 1, 1)).id == "a"


def test_text_similarity_tells_versions_apart_and_a_non_la_from_both() -> None:
    current = current_version(load_versions(CONFIG))
    older = older_version(current)
    versions = [older, current]
    assert match_version(current.text + " San Zhang Professor", versions).version == current.id
    assert match_version(older.text, versions).version == older.id
    other = match_version("Conference registration form. Name. Email. Fees. " * 20, versions)
    assert other.version is None and not other.is_la
