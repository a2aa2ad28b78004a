"""deploy/: the systemd unit, the container entrypoint and the compose file, checked offline.

The slow half (building the image's venv) is deploy/check.sh; these are the parts that take
seconds: systemd-analyze verify in a scratch root, the entrypoint against a stub `licensebot`,
and the secret wiring of all three deployment paths.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.slow

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
UNIT = DEPLOY / "systemd" / "licensebot.service"
ENTRYPOINT = DEPLOY / "docker" / "entrypoint.sh"
LICENSEBOTCTL = DEPLOY / "systemd" / "licensebotctl"
COMPOSE = DEPLOY / "docker" / "compose.yaml"

# The secrets the bot reads (as NAME or NAME_FILE), per the settings contract.
SECRETS = {
    "LICENSEBOT_IMAP_PASSWORD_SIRUI",
    "LICENSEBOT_IMAP_PASSWORD_IAMTHY",
    "LICENSEBOT_SMTP_PASSWORD",
    "LICENSEBOT_ACCESS_CODE",
}

# Records its arguments, pid, umask and environment, one JSON-ish line per call; fails on the
# subcommand named in $STUB_FAIL.
STUB = """#!/bin/sh
{
  printf 'argv=%s\\n' "$*"
  printf 'pid=%s\\n' "$$"
  printf 'umask=%s\\n' "$(umask)"
  env | grep -E '^(PGPASSFILE|LICENSEBOT_|OMP_)' | sed 's/^/env:/'
  printf -- '--\\n'
} >>"$STUB_LOG"
if [ -n "${STUB_FAIL:-}" ] && [ "$*" = "$STUB_FAIL" ]; then exit 3; fi
exit 0
"""


def _unit_lines(key: str) -> list[str]:
    return [
        line.split("=", 1)[1]
        for line in UNIT.read_text().splitlines()
        if line.startswith(f"{key}=")
    ]


@pytest.fixture
def stub(tmp_path: Path) -> Path:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    exe = bindir / "licensebot"
    exe.write_text(STUB)
    exe.chmod(0o755)
    return bindir


def _calls(log: Path) -> list[dict[str, object]]:
    calls: list[dict[str, object]] = []
    if not log.exists():
        return calls
    for block in log.read_text().split("--\n"):
        if not block.strip():
            continue
        call: dict[str, object] = {"env": {}}
        for line in block.splitlines():
            if line.startswith("env:"):
                k, _, v = line[4:].partition("=")
                call["env"][k] = v  # type: ignore[index]
            else:
                k, _, v = line.partition("=")
                call[k] = v
        calls.append(call)
    return calls


def _entrypoint(
    stub: Path, *args: str, env: dict[str, str] | None = None
) -> tuple[subprocess.CompletedProcess[str], list[dict[str, object]], int]:
    log = stub.parent / "calls.log"
    log.unlink(missing_ok=True)
    full_env = {
        "PATH": f"{stub}:/usr/bin:/bin",
        "STUB_LOG": str(log),
        "TMPDIR": str(stub.parent),
        **(env or {}),
    }
    proc = subprocess.Popen(
        [str(ENTRYPOINT), *args],
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    out, err = proc.communicate(timeout=10)
    done = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
    return done, _calls(log), proc.pid


# --- the container entrypoint ---------------------------------------------------------------


def test_default_command_migrates_then_becomes_the_worker(stub: Path) -> None:
    done, calls, pid = _entrypoint(stub)
    assert done.returncode == 0, done.stderr
    assert [c["argv"] for c in calls] == ["db upgrade", "run"]
    # exec'd: the worker has the entrypoint's pid, so docker's SIGTERM reaches it directly.
    assert calls[1]["pid"] == str(pid)
    assert calls[0]["pid"] != str(pid)
    assert calls[1]["umask"] == "0077"


def test_run_passes_its_arguments_to_the_worker(stub: Path) -> None:
    _, calls, _ = _entrypoint(stub, "run", "--verbose")
    assert [c["argv"] for c in calls] == ["db upgrade", "run --verbose"]


def test_failed_migration_stops_before_the_worker_starts(stub: Path) -> None:
    done, calls, _ = _entrypoint(stub, env={"STUB_FAIL": "db upgrade"})
    assert done.returncode != 0
    assert [c["argv"] for c in calls] == ["db upgrade"]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["migrate"], "db upgrade"),
        (["poll"], "poll --once"),
        (["poll", "--once", "--mailbox", "sirui"], "poll --once --mailbox sirui"),
        (["check"], "config check"),
        (["version"], "version"),
        (["db", "current"], "db current"),
    ],
)
def test_one_shot_commands_run_alone(stub: Path, args: list[str], expected: str) -> None:
    done, calls, pid = _entrypoint(stub, *args)
    assert done.returncode == 0, done.stderr
    assert [c["argv"] for c in calls] == [expected]
    assert calls[0]["pid"] == str(pid)


def test_database_password_secret_becomes_a_private_pgpass_file(stub: Path) -> None:
    secret = stub.parent / "db_password"
    secret.write_text("pa:ss\\word\n")
    _, calls, _ = _entrypoint(
        stub, "migrate", env={"LICENSEBOT_DATABASE_PASSWORD_FILE": str(secret)}
    )
    env = calls[0]["env"]
    assert isinstance(env, dict)
    assert "LICENSEBOT_DATABASE_PASSWORD_FILE" not in env
    pgpass = Path(env["PGPASSFILE"])
    assert pgpass.read_text() == "*:*:*:*:pa\\:ss\\\\word\n"
    # libpq ignores a password file that group or others can read.
    assert stat.S_IMODE(pgpass.stat().st_mode) == 0o600


def test_unreadable_database_password_is_a_clear_error(stub: Path) -> None:
    done, calls, _ = _entrypoint(
        stub, env={"LICENSEBOT_DATABASE_PASSWORD_FILE": str(stub.parent / "nope")}
    )
    assert done.returncode != 0
    assert calls == []
    assert "LICENSEBOT_DATABASE_PASSWORD_FILE" in done.stderr


# --- systemd --------------------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
def test_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    stock = next(
        (p for p in (Path("/usr/lib/systemd/system"), Path("/lib/systemd/system")) if p.is_dir()),
        None,
    )
    if stock is None:
        pytest.skip("no stock systemd units to verify against")
    root = tmp_path / "root"
    shutil.copytree(stock, root / "usr/lib/systemd/system", symlinks=True)
    (root / "etc/systemd/system").mkdir(parents=True)
    shutil.copy(UNIT, root / "etc/systemd/system")
    exe = root / "opt/licensebot/bin/licensebot"
    exe.parent.mkdir(parents=True)
    exe.write_text("#!/bin/sh\nexit 0\n")
    exe.chmod(0o755)
    done = subprocess.run(
        ["systemd-analyze", "verify", f"--root={root}", "licensebot.service"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    # Unknown keys and bad syscall groups are warnings with exit status 0: no output at all.
    assert done.returncode == 0
    assert done.stdout + done.stderr == ""


def _seccomp_available() -> bool:
    probe = "import seccomp"
    return (
        shutil.which("systemd-analyze") is not None
        and Path("/usr/bin/python3").exists()
        and subprocess.run(["/usr/bin/python3", "-c", probe], capture_output=True).returncode == 0
    )


@pytest.mark.skipif(not _seccomp_available(), reason="needs systemd-analyze and python3-seccomp")
def test_pdf_sandbox_survives_the_units_syscall_filter() -> None:
    # fork, setrlimit, pdftoppm and tesseract under SystemCallFilter= + MemoryDenyWriteExecute=
    done = subprocess.run(
        ["/usr/bin/python3", str(DEPLOY / "syscall_probe.py"), str(UNIT), "--selftest"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    if done.returncode == 77:
        pytest.skip(done.stderr.strip())
    assert done.returncode == 0, done.stdout + done.stderr
    assert "tesseract eng+chi_sim: ok" in done.stdout


def test_unit_hands_every_secret_to_the_bot_as_a_credential_file() -> None:
    creds = {c.split(":", 1)[0]: c.split(":", 1)[1] for c in _unit_lines("LoadCredential")}
    env = dict(e.split("=", 1) for line in _unit_lines("Environment") for e in line.split())
    files = {k.removesuffix("_FILE"): v for k, v in env.items() if k.endswith("_FILE")}
    assert set(files) == SECRETS
    for name, path in files.items():
        cred = path.removeprefix("%d/")
        assert path == f"%d/{cred}", name
        assert creds[cred] == f"/etc/licensebot/credentials/{cred}"
    assert env["OMP_THREAD_LIMIT"] == "1"


def test_unit_migrates_before_the_worker_and_restarts_only_on_failure() -> None:
    assert _unit_lines("ExecStartPre") == ["/opt/licensebot/bin/licensebot db upgrade"]
    assert _unit_lines("ExecStart") == ["/opt/licensebot/bin/licensebot run"]
    assert _unit_lines("Restart") == ["on-failure"]
    # The PDF sandbox calls setrlimit: @resources must stay allowed.
    assert not any("@resources" in f for f in _unit_lines("SystemCallFilter"))


def test_unit_is_notify_with_a_watchdog_and_the_health_port_on_loopback() -> None:
    assert _unit_lines("Type") == ["notify"]
    assert _unit_lines("NotifyAccess") == ["main"]
    assert _unit_lines("WatchdogSec") == ["2min"]
    env = dict(e.split("=", 1) for line in _unit_lines("Environment") for e in line.split())
    assert env["LICENSEBOT_HEALTH_PORT"] == "9464"


def test_image_and_compose_probe_healthz_with_licensebot_health() -> None:
    dockerfile = (DEPLOY / "docker" / "Dockerfile").read_text()
    assert re.search(r'^HEALTHCHECK .*\\\n\s+CMD \["licensebot", "health"\]', dockerfile, re.M)
    assert re.search(r"^ENV LICENSEBOT_HEALTH_PORT=\d+$", dockerfile, re.M)
    bot = yaml.safe_load(COMPOSE.read_text())["services"]["licensebot"]
    assert bot["healthcheck"]["test"] == ["CMD", "licensebot", "health"]
    assert bot["environment"]["LICENSEBOT_HEALTH_PORT"]


def test_licensebotctl_gives_manual_runs_the_units_environment(stub: Path) -> None:
    log = stub.parent / "calls.log"
    etc = stub.parent / "etc"
    etc.mkdir()
    (etc / "env").write_text("LICENSEBOT_DATABASE_URL=sqlite:////srv/x.sqlite3\n")
    done = subprocess.run(
        [str(LICENSEBOTCTL), "poll", "--once"],
        env={
            "PATH": "/usr/bin:/bin",
            "STUB_LOG": str(log),
            "LICENSEBOT_PREFIX": str(stub.parent),
            "LICENSEBOT_ETC": str(etc),
            "LICENSEBOT_USER": subprocess.run(
                ["id", "-un"], capture_output=True, text=True, check=True
            ).stdout.strip(),
        },
        capture_output=True,
        text=True,
        timeout=10,
    )
    assert done.returncode == 0, done.stderr
    [call] = _calls(log)
    assert call["argv"] == "poll --once"
    assert call["umask"] == "0077"
    env = call["env"]
    assert isinstance(env, dict)
    assert env["LICENSEBOT_DATABASE_URL"] == "sqlite:////srv/x.sqlite3"
    assert env["OMP_THREAD_LIMIT"] == "1"
    creds = {c.split(":", 1)[0] for c in _unit_lines("LoadCredential")}
    for name in SECRETS:
        path = Path(env[f"{name}_FILE"])
        assert path.parent == etc / "credentials"
        assert path.name in creds


# --- docker compose -------------------------------------------------------------------------


def test_compose_starts_the_bot_after_a_healthy_postgres_with_file_secrets() -> None:
    spec = yaml.safe_load(COMPOSE.read_text())
    db, bot = spec["services"]["db"], spec["services"]["licensebot"]
    assert db["image"].startswith("postgres:15")
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert "ports" not in db
    assert bot["depends_on"]["db"]["condition"] == "service_healthy"

    env = bot["environment"]
    assert env["LICENSEBOT_DATABASE_URL"].startswith("postgresql+psycopg://licensebot@db")
    assert env["OMP_THREAD_LIMIT"] == "1"
    declared = spec["secrets"]
    for name in [*SECRETS, "LICENSEBOT_DATABASE_PASSWORD"]:
        path = env[f"{name}_FILE"]
        secret = re.fullmatch(r"/run/secrets/(\w+)", path)
        assert secret, path
        assert secret.group(1) in bot["secrets"]
        assert declared[secret.group(1)]["file"].startswith("./secrets/")
    assert not any(k in env for k in SECRETS), "secrets go through files, not values"

    assert "data:/var/lib/licensebot" in bot["volumes"]
    [config] = [v for v in bot["volumes"] if ":/etc/licensebot" in v]
    assert config.endswith(":/etc/licensebot:ro")
    assert bot["read_only"] is True


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="no docker-compose client")
def test_compose_file_passes_docker_compose_config() -> None:
    done = subprocess.run(
        ["docker-compose", "-f", str(COMPOSE), "config", "-q"],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "COMPOSE_PROJECT_NAME": "licensebot-test"},
    )
    assert done.returncode == 0, done.stderr
