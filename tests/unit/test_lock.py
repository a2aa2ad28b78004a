"""`make venv` installs from requirements.lock (every package pinned, with hashes): the lock
must hold every dependency pyproject.toml pins, at the same version, each with its hashes."""

from __future__ import annotations

import re
import tomllib

from tests.support import REPO


def _name(spec: str) -> str:
    return re.split(r"[=<>!~\[; ]", spec, maxsplit=1)[0].lower().replace("_", "-").replace(".", "-")


def test_the_lock_pins_what_pyproject_pins_with_hashes() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = {
        _name(spec): spec.split("==", 1)[1].split(";")[0].strip()
        for spec in [*project["dependencies"], *project["optional-dependencies"]["dev"]]
    }
    lock = (REPO / "requirements.lock").read_text(encoding="utf-8")
    entries = re.findall(
        r"^([A-Za-z0-9._\-\[\]]+)==([^ ;\\\n]+)[^\n]*((?:\n    --hash=\S+)*)", lock, re.M
    )
    locked = {_name(name): (version, hashes) for name, version, hashes in entries}
    for name, version in wanted.items():
        assert name in locked, f"{name} is not in requirements.lock: run `make lock`"
        assert locked[name][0] == version, f"{name}: {version} pinned, {locked[name][0]} locked"
    for name, (_, hashes) in locked.items():
        assert "--hash=sha256:" in hashes, f"{name} has no hash"
    assert "-e " not in lock and "file://" not in lock  # nothing of this machine's
