"""Fresh, isolated schemas on the local PostgreSQL (127.0.0.1:5432, trust auth, database `test`).

    with postgres_schema() as url:    # postgresql+psycopg://...?options=-csearch_path%3D<schema>
        engine = sqlalchemy.create_engine(url)

Plain Python (no pytest): `PostgresUnavailable` is raised when the server cannot be reached;
the pytest fixture turns that into a skip (or a failure with LICENSEBOT_REQUIRE_POSTGRES=1).
"""

from __future__ import annotations

import getpass
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import sql

HOST = os.environ.get("LICENSEBOT_PG_HOST", "127.0.0.1")
PORT = int(os.environ.get("LICENSEBOT_PG_PORT", "5432"))
DATABASE = os.environ.get("LICENSEBOT_PG_DATABASE", "test")


class PostgresUnavailable(RuntimeError):
    pass


def _candidate_users() -> list[str]:
    users = ["postgres"]
    try:
        me = getpass.getuser()
    except (KeyError, OSError):
        me = ""
    if me and me not in users:
        users.append(me)
    return users


def connect_admin() -> tuple[psycopg.Connection[tuple[object, ...]], str]:
    """An autocommit connection to the test database and the user name that worked."""
    errors: list[str] = []
    for user in _candidate_users():
        try:
            conn = psycopg.connect(
                host=HOST, port=PORT, dbname=DATABASE, user=user, connect_timeout=3,
                autocommit=True,
            )  # fmt: skip
        except psycopg.OperationalError as error:
            errors.append(f"{user}: {str(error).strip()}")
            continue
        return conn, user
    raise PostgresUnavailable(
        f"PostgreSQL at {HOST}:{PORT} database {DATABASE!r} not usable: " + "; ".join(errors)
    )


@contextmanager
def postgres_schema(prefix: str = "lb_test") -> Iterator[str]:
    """Creates a uniquely named schema, yields a SQLAlchemy URL whose connections use it as
    search_path, and drops it (CASCADE) afterwards."""
    conn, user = connect_admin()
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    try:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        yield (
            f"postgresql+psycopg://{user}@{HOST}:{PORT}/{DATABASE}?options=-csearch_path%3D{schema}"
        )
    finally:
        try:
            # Do not hang for ever if a test leaked a connection holding locks in the schema.
            conn.execute("SET lock_timeout = '10s'")
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
        finally:
            conn.close()
