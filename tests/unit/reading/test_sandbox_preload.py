"""The sandbox's fork server preloads what a main script imported, so that the script's re-run
in every child (CPython forkserver behaviour) costs nothing instead of re-importing the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = """\
import json
from licensebot.reading.la_versions import load_versions  # noqa: F401
from licensebot.reading.sandbox import main_script_modules
print(json.dumps(main_script_modules()))
"""


def test_a_main_scripts_imports_are_preloaded(tmp_path: Path) -> None:
    script = tmp_path / "console_script.py"
    script.write_text(SCRIPT, encoding="utf-8")
    out = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, check=True
    ).stdout
    names = set(json.loads(out))
    assert {"licensebot.reading.la_versions", "licensebot.reading.sandbox", "json"} <= names
    assert not any(n.startswith("_") or n == "__main__" for n in names)


def test_without_a_main_script_nothing_extra_is_preloaded() -> None:
    code = "from licensebot.reading.sandbox import main_script_modules as m; print(m())"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
