"""Run a command under licensebot.service's system-call filter, without systemd.

deploy/check.sh uses it to find out whether the bot, its PDF sandbox (fork, setrlimit) and
the OCR tools (pdftoppm, tesseract) survive the unit's hardening, on a machine where the unit
itself cannot run. It reads from the unit file:
  SystemCallFilter=       allow list, then ~removals (groups expanded by systemd-analyze)
  SystemCallErrorNumber=  the errno a refused call gets
  MemoryDenyWriteExecute= applied with prctl(PR_SET_MDWE) (Linux >= 6.3)
and, like NoNewPrivileges=yes, sets no_new_privs. Needs python3-seccomp (Debian's python3).

  syscall_probe.py UNIT --selftest      the PDF sandbox's system calls, with controls
  syscall_probe.py UNIT -- CMD [ARG]... exec CMD under the filter
Exit status 77: the restrictions cannot be applied on this machine.
"""

from __future__ import annotations

import ctypes
import errno
import mmap
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

import seccomp  # type: ignore[import-not-found]

PR_SET_MDWE = 65
PR_MDWE_REFUSE_EXEC_GAIN = 1
UNSUPPORTED = 77  # this machine cannot apply the restrictions: a skip, not a failure


def _expand(item: str) -> set[str]:
    if not item.startswith("@"):
        return {item}
    out = subprocess.run(
        ["systemd-analyze", "syscall-filter", item], capture_output=True, text=True, check=True
    ).stdout
    names: set[str] = set()
    for line in out.splitlines()[1:]:
        word = line.strip()
        if word and not word.startswith("#"):
            names |= _expand(word)
    return names


def _unit_values(unit: Path, key: str) -> list[str]:
    return [
        line.split("=", 1)[1].strip()
        for line in unit.read_text(encoding="utf-8").splitlines()
        if line.startswith(f"{key}=")
    ]


def apply(unit: Path) -> str:
    allowed: set[str] = set()
    for value in _unit_values(unit, "SystemCallFilter"):
        deny = value.startswith("~")
        items = set().union(*(_expand(w) for w in value.lstrip("~").split()))
        allowed = allowed - items if deny else allowed | items
    if not allowed:
        raise SystemExit(f"{unit}: no SystemCallFilter= allow list")
    errname = (_unit_values(unit, "SystemCallErrorNumber") or ["EPERM"])[-1]
    filt = seccomp.SyscallFilter(defaction=seccomp.ERRNO(getattr(errno, errname)))
    n = 0
    for name in sorted(allowed):
        try:
            filt.add_rule(seccomp.ALLOW, name)
            n += 1
        except (RuntimeError, ValueError, OSError):
            pass  # not a system call on this architecture
    mdwe = _unit_values(unit, "MemoryDenyWriteExecute") == ["yes"]
    if mdwe:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0, 0, 0) != 0:
            print(f"prctl(PR_SET_MDWE): errno {ctypes.get_errno()} (Linux < 6.3?)", file=sys.stderr)
            raise SystemExit(UNSUPPORTED)
    filt.load()  # sets no_new_privs first, as NoNewPrivileges=yes does
    return f"{n} system calls allowed, others {errname}" + (", MDWE on" if mdwe else "")


def selftest() -> int:
    """What the PDF sandbox does, plus two controls showing the restrictions are in force."""
    try:
        os.chroot("/")  # in @privileged
        print("control failed: chroot was allowed, the filter is not active")
        return 1
    except PermissionError:
        pass
    try:
        mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
        print("control failed: a writable+executable mapping was allowed")
        return 1
    except OSError:
        pass
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "page.pgm"
        page.write_bytes(b"P5 400 100 255\n" + b"\xff" * 40000)
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                for limit, value in (
                    (resource.RLIMIT_AS, 1 << 30),
                    (resource.RLIMIT_CPU, 60),
                    (resource.RLIMIT_FSIZE, 64 << 20),
                    (resource.RLIMIT_NOFILE, 64),
                ):
                    resource.setrlimit(limit, (value, value))
                subprocess.run(["pdftoppm", "-v"], capture_output=True, check=True)
                ocr = subprocess.run(
                    ["tesseract", str(page), "-", "-l", "eng+chi_sim"],
                    capture_output=True,
                    text=True,
                    env={**os.environ, "OMP_THREAD_LIMIT": "1"},
                )
                code = ocr.returncode
                if code:
                    print(ocr.stderr.strip())
            except Exception as exc:
                print(f"sandbox child: {exc!r}")
            os._exit(code)
        _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if code == 0:
        print("fork, setrlimit (AS, CPU, FSIZE, NOFILE), pdftoppm, tesseract eng+chi_sim: ok")
    return code


def main(argv: list[str]) -> int:
    if len(argv) >= 2 and argv[1] == "--selftest":
        print(apply(Path(argv[0])), file=sys.stderr)
        return selftest()
    if len(argv) >= 3 and argv[1] == "--":
        print(apply(Path(argv[0])), file=sys.stderr)
        os.execvp(argv[2], argv[2:])  # noqa: S606 (exec is the point)
    print(__doc__, file=sys.stderr)
    return 64


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
