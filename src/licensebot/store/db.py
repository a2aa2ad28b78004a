"""Engines and migrations: SQLite (WAL, one writer at a time, `BEGIN IMMEDIATE`) by default,
any SQLAlchemy URL (PostgreSQL) by setting. Nothing connects at import time."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"


def make_engine(url: str, *, data_dir: Path | None = None) -> Engine:
    """An engine for `url`; for SQLite, the file is created readable by the bot's user only."""
    u = make_url(url)
    if u.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    if u.database and u.database != ":memory:":
        db = Path(u.database)
        secure_dir(db.parent)
        if not db.exists():
            db.touch(mode=0o600)
        os.chmod(db, 0o600)
    elif data_dir:
        secure_dir(data_dir)
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when a transaction begins (see below).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin_immediate(conn: Any) -> None:
        # A deferred transaction that reads and then writes gets SQLITE_BUSY at once, whatever
        # busy_timeout says; taking the write lock up front makes it wait instead.
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def secure_dir(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path, 0o700)


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply migrations up to `revision` on `engine`'s database."""
    from alembic import command

    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        row = conn.exec_driver_sql("SELECT version_num FROM alembic_version").first()
        return str(row[0]) if row else None


def head_revisions() -> set[str]:
    """The revisions `licensebot db upgrade` brings a database to."""
    from alembic.script import ScriptDirectory

    return set(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())


def migration_problem(url: str) -> str | None:
    """Why the database at `url` cannot be used as it is (missing, or not at the newest
    revision), as a sentence that says what to do; None when it is ready. Creates nothing: a
    SQLite file that is not there is reported, not made (`make_engine` would make it)."""
    from sqlalchemy.exc import SQLAlchemyError

    u = make_url(url)
    shown = u.render_as_string(hide_password=True)
    if u.get_backend_name() == "sqlite" and u.database and u.database != ":memory:":
        if not Path(u.database).is_file():
            return f"database {u.database} does not exist: run `licensebot db upgrade` first"
        # read-only: checking must not take the write lock nor change the journal mode
        url = f"sqlite:///file:{u.database}?mode=ro&uri=true"
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            row = None
            if inspect(conn).has_table("alembic_version"):
                row = conn.exec_driver_sql("SELECT version_num FROM alembic_version").first()
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        return f"database {shown} cannot be opened ({reason}): check storage.database_url"
    finally:
        engine.dispose()
    current = str(row[0]) if row else None
    if current is None:
        return f"database {shown} has no tables yet: run `licensebot db upgrade` first"
    if current not in head_revisions():
        return (
            f"database {shown} is at revision {current}, this licensebot needs "
            f"{', '.join(sorted(head_revisions()))}: run `licensebot db upgrade`"
        )
    return None
