#!/usr/bin/env bash
# deploy/check.sh: exercise deploy/ as far as a machine without a docker engine or a running
# systemd allows. Each step prints ok / FAIL / skip; the exit status is the number of failures.
#   (a) systemd: `systemd-analyze verify` in a temporary root (stock units + a stub
#       /opt/licensebot/bin/licensebot), with a negative control proving it can fail; the
#       offline security score; sysusers.d and tmpfiles.d applied to that root.
#   (b) the image's venv, built by running the Dockerfile's builder stage here
#       (deploy/dockerfile_stage.py), then `licensebot --help` (and `db upgrade` on SQLite
#       when the command exists); SKIP_VENV=1 skips this slow step.
#   (c) the unit's SystemCallFilter= and MemoryDenyWriteExecute= applied with seccomp and
#       prctl (deploy/syscall_probe.py) to what the PDF sandbox does (fork, setrlimit,
#       pdftoppm, tesseract) and to `licensebot demo` from that venv, with negative controls.
#   (d) compose.yaml: `docker compose config` / `docker-compose config`, else YAML parsing.
#   (e) shellcheck and sh -n / bash -n on the shell scripts; the Dockerfile's COPY sources
#       exist and survive .dockerignore, and no secret can enter the build context.
#   (f) tests/integration/test_deploy.py (entrypoint arguments, compose structure).
# `make deploy-check` installs the optional tools (systemd, shellcheck, docker-compose,
# python3-seccomp) first; without them the steps that need them are skipped.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
work=$(mktemp -d "${TMPDIR:-/tmp}/licensebot-deploy-check.XXXXXX")
trap 'rm -rf "$work"' EXIT
failures=0

step() { printf '\n== %s\n' "$*"; }
ok() { printf 'ok   %s\n' "$*"; }
fail() {
    printf 'FAIL %s\n' "$*"
    failures=$((failures + 1))
}
skip() { printf 'skip %s\n' "$*"; }
indent() { sed 's/^/     /'; }

python=$(command -v python3.11 || command -v python3)
unit=$here/systemd/licensebot.service
venv=
probe_rc=

# --- (a) systemd -------------------------------------------------------------------------
step "(a) systemd units"
if ! command -v systemd-analyze >/dev/null; then
    skip "systemd-analyze not installed (apt-get install systemd)"
else
    root=$work/root
    stock=/usr/lib/systemd/system
    [ -d "$stock" ] || stock=/lib/systemd/system
    mkdir -p "$root/etc/systemd/system" "$root/opt/licensebot/bin" "$root/usr/lib/systemd"
    cp -a "$stock" "$root/usr/lib/systemd/system"
    printf '#!/bin/sh\nexit 0\n' >"$root/opt/licensebot/bin/licensebot"
    chmod 755 "$root/opt/licensebot/bin/licensebot"
    cp "$here/systemd/licensebot.service" "$root/etc/systemd/system/"

    # Warnings (unknown keys, bad syscall groups) exit 0: any output counts as a failure.
    out=$(systemd-analyze verify --root="$root" licensebot.service 2>&1)
    rc=$?
    if [ "$rc" -eq 0 ] && [ -z "$out" ]; then
        ok "systemd-analyze verify licensebot.service: no errors, no warnings"
    else
        fail "systemd-analyze verify licensebot.service (rc=$rc)"
        printf '%s\n' "$out" | indent
    fi

    # Negative control: the same check must notice a misspelt key.
    sed 's/^ProtectSystem=/ProtectSytem=/' "$here/systemd/licensebot.service" \
        >"$root/etc/systemd/system/licensebot.service"
    out=$(systemd-analyze verify --root="$root" licensebot.service 2>&1)
    if printf '%s' "$out" | grep -q "Unknown key"; then
        ok "negative control: a misspelt key is reported"
    else
        fail "negative control: systemd-analyze verify missed a misspelt key"
    fi
    cp "$here/systemd/licensebot.service" "$root/etc/systemd/system/"

    if out=$(systemd-analyze security --offline=yes --root="$root" --threshold=25 \
        licensebot.service 2>&1); then
        ok "$(printf '%s\n' "$out" | grep 'Overall exposure' | sed 's/^→ //')"
    elif printf '%s' "$out" | grep -q 'Overall exposure'; then
        fail "$(printf '%s\n' "$out" | grep 'Overall exposure') (threshold 2.5)"
    else
        skip "systemd-analyze security --offline not supported here"
    fi

    if out=$(systemd-sysusers --root="$root" "$here/systemd/licensebot.sysusers.conf" 2>&1) &&
        grep -q '^licensebot:x:[0-9]*:[0-9]*:.*:/var/lib/licensebot:/usr/sbin/nologin$' \
            "$root/etc/passwd"; then
        ok "sysusers.d creates the licensebot system user: $(grep '^licensebot:' "$root/etc/passwd")"
    else
        fail "systemd-sysusers licensebot.sysusers.conf"
        printf '%s\n' "$out" | indent
    fi

    if out=$(systemd-tmpfiles --root="$root" --create "$here/systemd/licensebot.tmpfiles.conf" 2>&1); then
        uid=$(awk -F: '$1 == "licensebot" {print $3}' "$root/etc/passwd")
        modes=$(stat -c '%a %u %n' "$root/var/lib/licensebot" "$root/etc/licensebot/credentials" |
            sed "s|$root||")
        if [ "$modes" = "700 $uid /var/lib/licensebot
750 0 /etc/licensebot/credentials" ]; then
            ok "tmpfiles.d: /var/lib/licensebot 0700 licensebot, /etc/licensebot/credentials 0750 root"
        else
            fail "tmpfiles.d modes/owners:"
            printf '%s\n' "$modes" | indent
        fi
    else
        fail "systemd-tmpfiles licensebot.tmpfiles.conf"
        printf '%s\n' "$out" | indent
    fi
fi

# --- (b) the image's venv ----------------------------------------------------------------
step "(b) the image's Python environment (Dockerfile stage 'builder', run here)"
if [ "${SKIP_VENV:-0}" = 1 ]; then
    skip "SKIP_VENV=1"
elif ! "$python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
    skip "no Python 3.11 here (the image's python:3.11); found $("$python" --version)"
else
    mkdir -p "$work/image" "$work/shim"
    ln -s "$python" "$work/shim/python"
    if ! "$python" "$here/dockerfile_stage.py" "$here/docker/Dockerfile" builder >"$work/builder.sh"; then
        fail "cannot translate the builder stage"
    else
        start=$(date +%s)
        if ROOT=$work/image REPO=$repo PATH=$work/shim:$PATH bash "$work/builder.sh" \
            >"$work/builder.log" 2>&1; then
            ok "builder stage: venv with \`pip install .\` in $(($(date +%s) - start)) s"
            venv=$work/image/opt/licensebot
            ok "installed: $("$venv/bin/pip" list --format=freeze 2>/dev/null | wc -l) packages, $(du -sh "$venv" | cut -f1)"
            if "$venv/bin/licensebot" --help >/dev/null 2>&1; then
                ok "licensebot --help runs from the built venv"
            else
                fail "licensebot --help from the built venv"
            fi
            if "$venv/bin/licensebot" db --help >/dev/null 2>&1; then
                mkdir -p "$work/data"
                if [ -f "$repo/config/licensebot.toml" ] &&
                    (cd "$work" && env -u LICENSEBOT_DATABASE_URL \
                        LICENSEBOT_CONFIG="$repo/config/licensebot.toml" \
                        LICENSEBOT_DATA_DIR="$work/data" \
                        "$venv/bin/licensebot" db upgrade) >"$work/upgrade.log" 2>&1; then
                    ok "licensebot db upgrade on a fresh SQLite (migrations are packaged)"
                else
                    fail "licensebot db upgrade on a fresh SQLite"
                    tail -n 20 "$work/upgrade.log" | indent
                fi
            else
                skip "licensebot db upgrade: no \`db\` command in this tree yet"
            fi
        else
            fail "builder stage (log tail below)"
            tail -n 30 "$work/builder.log" | indent
        fi
    fi
fi

# --- (c) the hardening, applied ----------------------------------------------------------
step "(c) the unit's system-call filter and MDWE, applied without systemd"
# Debian's python3, where python3-seccomp lives (not the venv's).
sys_python=/usr/bin/python3
if ! command -v systemd-analyze >/dev/null; then
    skip "systemd-analyze not installed (it expands the syscall groups)"
elif ! "$sys_python" -c 'import seccomp' 2>/dev/null; then
    skip "python3-seccomp not installed (apt-get install python3-seccomp)"
else
    out=$("$sys_python" "$here/syscall_probe.py" "$unit" --selftest 2>&1)
    probe_rc=$?
fi
if [ "$probe_rc" = 77 ]; then
    skip "cannot apply the unit's restrictions here: $out"
elif [ -n "$probe_rc" ]; then
    if [ "$probe_rc" -eq 0 ]; then
        ok "PDF sandbox under the filter: $(printf '%s\n' "$out" | grep -v 'system calls allowed')"
        ok "($(printf '%s\n' "$out" | grep 'system calls allowed'); chroot and W+X mmap refused)"
    else
        fail "PDF sandbox under the unit's filter"
        printf '%s\n' "$out" | indent
    fi
    sed 's/^SystemCallFilter=~@privileged/SystemCallFilter=~@privileged prlimit64 setrlimit/' \
        "$unit" >"$work/no-setrlimit.service"
    if "$sys_python" "$here/syscall_probe.py" "$work/no-setrlimit.service" --selftest >/dev/null 2>&1; then
        fail "negative control: the sandbox still ran with setrlimit forbidden"
    else
        ok "negative control: forbidding setrlimit breaks the sandbox, and the probe says so"
    fi
    if [ -n "$venv" ] && "$venv/bin/licensebot" demo --help >/dev/null 2>&1; then
        if out=$(cd "$repo" && OMP_THREAD_LIMIT=1 "$sys_python" "$here/syscall_probe.py" "$unit" \
            -- "$venv/bin/licensebot" demo --dir "$work/demo" 2>&1); then
            ok "licensebot demo under the filter: $(printf '%s\n' "$out" | grep -m 1 '^replies' || echo 'ran')"
        else
            fail "licensebot demo under the unit's filter"
            printf '%s\n' "$out" | tail -n 20 | indent
        fi
    else
        skip "licensebot demo under the filter: no venv from (b) or no \`demo\` command"
    fi
fi

# --- (d) compose -------------------------------------------------------------------------
step "(d) deploy/docker/compose.yaml"
compose=$here/docker/compose.yaml
if docker compose version >/dev/null 2>&1; then
    if out=$(docker compose -f "$compose" config -q 2>&1); then
        ok "docker compose config: valid"
    else
        fail "docker compose config"
        printf '%s\n' "$out" | indent
    fi
elif command -v docker-compose >/dev/null; then
    if out=$(docker-compose -f "$compose" config -q 2>&1); then
        ok "docker-compose config ($(docker-compose version --short)): valid against its schema"
    else
        fail "docker-compose config"
        printf '%s\n' "$out" | indent
    fi
elif "$python" -c 'import yaml' 2>/dev/null; then
    if "$python" -c 'import sys, yaml; d = yaml.safe_load(open(sys.argv[1])); assert {"db", "licensebot"} <= set(d["services"])' "$compose"; then
        ok "compose.yaml parses; services db and licensebot (no compose client for a schema check)"
    else
        fail "compose.yaml does not parse"
    fi
else
    skip "no docker compose, docker-compose or PyYAML"
fi

# --- (e) shell scripts and the Dockerfile's inputs ---------------------------------------
step "(e) shell scripts, Dockerfile inputs"
scripts=("$here/docker/entrypoint.sh" "$here/systemd/licensebotctl" "$here/check.sh")
for s in "${scripts[@]}"; do
    shell=$(head -n 1 "$s" | grep -q bash && echo bash || echo sh)
    if "$shell" -n "$s"; then ok "$shell -n ${s#"$repo"/}"; else fail "$shell -n ${s#"$repo"/}"; fi
done
if command -v shellcheck >/dev/null; then
    if out=$(shellcheck "${scripts[@]}" 2>&1); then
        ok "shellcheck: ${#scripts[@]} scripts clean"
    else
        fail "shellcheck"
        printf '%s\n' "$out" | indent
    fi
else
    skip "shellcheck not installed (apt-get install shellcheck)"
fi
missing=$(awk 'toupper($1) == "COPY" && $2 !~ /^--/ { for (i = 2; i < NF; i++) print $i }' \
    "$here/docker/Dockerfile" | while read -r src; do [ -e "$repo/$src" ] || echo "$src"; done)
if [ -z "$missing" ]; then
    ok "every Dockerfile COPY source exists in the repository"
else
    fail "Dockerfile COPY sources missing from the repository: $(echo "$missing" | tr '\n' ' ')"
fi

# What `docker build` would send: docker-py's .dockerignore matcher (python3-docker, which
# docker-compose v1 builds with). A secret in the build context would end up in a layer.
if "$sys_python" -c 'import docker.utils.build' 2>/dev/null; then
    if out=$(cd "$repo" && "$sys_python" - "$here/docker/Dockerfile" "$here" <<'PY' 2>&1
import shlex, sys
from pathlib import Path
from docker.utils.build import exclude_paths
sys.path.insert(0, sys.argv[2])
from dockerfile_stage import instructions
patterns = [line.strip() for line in Path(".dockerignore").read_text().splitlines()
            if line.strip() and not line.startswith("#")]
context = exclude_paths(".", patterns)
needed = set()
for word, args in instructions(Path(sys.argv[1]).read_text()):
    if word == "COPY" and not args.startswith("--"):
        needed.update(w.rstrip("/") for w in shlex.split(args)[:-1])
missing = sorted(n for n in needed if n not in context)
leaked = sorted(p for p in context
                if "secrets" in Path(p).parts or p.split("/")[0] in {".git", ".venv", "tests", "var"}
                or "__pycache__" in p or p.endswith((".env", ".pem", ".key")))
if missing or leaked:
    sys.exit(f"excluded but needed: {missing}; in the context but must not be: {leaked}")
print(f"{len(context)} paths; every COPY source in, no secrets/.git/.venv/tests")
PY
    ); then
        ok ".dockerignore: build context has $out"
    else
        fail ".dockerignore"
        printf '%s\n' "$out" | indent
    fi
else
    skip ".dockerignore check: python3-docker not installed (comes with docker-compose)"
fi

# --- (f) pytest --------------------------------------------------------------------------
step "(f) tests/integration/test_deploy.py"
if [ -x "$repo/.venv/bin/pytest" ]; then
    if out=$(cd "$repo" && .venv/bin/pytest -q -p no:cacheprovider tests/integration/test_deploy.py 2>&1); then
        ok "$(printf '%s\n' "$out" | tail -n 1)"
    else
        fail "pytest tests/integration/test_deploy.py"
        printf '%s\n' "$out" | tail -n 30 | indent
    fi
else
    skip "no .venv (make venv)"
fi

printf '\n%s\n' "$([ "$failures" -eq 0 ] && echo "deploy check: all passed" || echo "deploy check: $failures failed")"
exit "$failures"
