"""Print one Dockerfile build stage as a shell script that runs on this machine.

deploy/check.sh uses it to build the image's venv the way the Dockerfile's `builder` stage
does, with no docker engine: absolute paths move under $ROOT, COPY reads from $REPO.
Only the instructions that stage uses are supported; anything else is an error, so the check
cannot silently drift from the Dockerfile.
Usage: python3 deploy/dockerfile_stage.py deploy/docker/Dockerfile builder
"""

from __future__ import annotations

import re
import shlex
import sys
from pathlib import Path


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    out: list[tuple[str, str]] = []
    buf = ""
    for line in text.splitlines():
        if line.lstrip().startswith("#"):
            continue
        if line.rstrip().endswith("\\"):
            buf += line.rstrip()[:-1] + " "
            continue
        buf += line
        if buf.strip():
            word, _, rest = buf.strip().partition(" ")
            out.append((word.upper(), rest.strip()))
        buf = ""
    return out


def _path(p: str) -> str:
    """A path inside the image, moved under $ROOT; relative paths stay relative to WORKDIR."""
    return f'"$ROOT{p}"' if p.startswith("/") else shlex.quote(p)


def stage_script(text: str, stage: str) -> str:
    lines = ["set -euo pipefail", 'cd "$ROOT"']
    current = None
    found = False
    for word, args in instructions(text):
        if word == "FROM":
            m = re.search(r"\s+AS\s+(\S+)\s*$", args, re.IGNORECASE)
            current = m.group(1) if m else None
            found = found or current == stage
            continue
        if current != stage:
            continue
        if word == "ENV":
            lines.append(f"export {args}")
        elif word == "WORKDIR":
            lines.append(f"mkdir -p {_path(args)} && cd {_path(args)}")
        elif word == "COPY":
            *sources, dest = shlex.split(args)
            if any(s.startswith("--") for s in sources):
                raise SystemExit(f"unsupported COPY flags in stage {stage}: {args}")
            for src in sources:
                s = f'"$REPO"/{shlex.quote(src)}'
                lines.append(
                    f"if [ -d {s} ]; then mkdir -p {_path(dest)} && cp -a {s}/. {_path(dest)}/; "
                    f"elif [ -e {s} ]; then "
                    + (f"mkdir -p {_path(dest)} && " if dest.endswith("/") else "")
                    + f"cp -a {s} {_path(dest)}; "
                    f"else echo 'COPY source {src} does not exist' >&2; exit 1; fi"
                )
            # What .dockerignore keeps out of the build context.
            lines.append(
                r"find . \( -name __pycache__ -o -name '*.egg-info' \) -prune -exec rm -rf {} +"
            )
        elif word == "RUN":
            lines.append(re.sub(r"(?<![\w$])/opt/", '"$ROOT"/opt/', args))
        else:
            raise SystemExit(f"dockerfile_stage.py does not support {word} (stage {stage})")
    if not found:
        raise SystemExit(f"no stage named {stage}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    dockerfile, stage = sys.argv[1], sys.argv[2]
    sys.stdout.write(stage_script(Path(dockerfile).read_text(encoding="utf-8"), stage))
