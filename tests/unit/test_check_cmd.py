"""`licensebot check` over several files: one line per file, in the files' order, whether the
messages are judged one at a time or several at once (`--jobs`)."""

import json
import random
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from licensebot.cli.app import app
from tests.corpus import SCENARIOS, Case, Draft, build, write_cases, write_config
from tests.mailgen import CLIENTS


@pytest.fixture(scope="module")
def mail(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Case], list[Path]]:
    root = tmp_path_factory.mktemp("check")
    config = write_config(root / "config")
    scenarios = ["digital", "free", "no_attachment", "student", "not_signed", "bad_filename"]
    cases = []
    for i, scenario in enumerate(scenarios):
        draft = SCENARIOS[scenario][0](
            Draft(seed=900 + i, client=CLIENTS[i % len(CLIENTS)]), random.Random(900 + i)
        )
        cases.append(build(draft, f"{i:02d}_{scenario}", scenario))
    return config, cases, write_cases(cases, root / "mail")


def _check(config: Path, paths: list[Path], jobs: int) -> tuple[int, list[dict]]:
    args = ["check", *map(str, paths), "--json", "--config", str(config), "--jobs", str(jobs)]
    result = CliRunner().invoke(app, args)
    lines = [json.loads(x) for x in result.stdout.splitlines() if x.strip()]
    # stdout is the JSON lines alone; the summary goes to stderr: counts by decision, time
    counts = Counter(x.get("decision", "unreadable") for x in lines)
    summary = ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
    assert f"checked: {len(lines)} in " in result.stderr and f" s ({summary})" in result.stderr
    return result.exit_code, lines


def test_several_at_once_decide_as_one_at_a_time_in_the_files_order(
    mail: tuple[Path, list[Case], list[Path]],
) -> None:
    config, cases, paths = mail
    code1, one = _check(config, paths, 1)
    code2, two = _check(config, paths, 2)
    assert code1 == code2 == 0
    assert one == two
    assert [Path(x["file"]).stem for x in two] == [c.name for c in cases]
    assert [(x["decision"], tuple(x["reasons"])) for x in two] == [
        (c.decision, c.reasons) for c in cases
    ]


def test_a_missing_file_is_a_line_in_its_place_and_the_rest_are_judged(
    mail: tuple[Path, list[Case], list[Path]], tmp_path: Path
) -> None:
    config, cases, paths = mail
    missing = tmp_path / "gone.eml"
    code, lines = _check(config, [paths[0], missing, paths[1]], 2)
    assert code == 1
    assert lines[1] == {"file": str(missing), "error": "No such file or directory"}
    assert [lines[0]["decision"], lines[2]["decision"]] == [cases[0].decision, cases[1].decision]
