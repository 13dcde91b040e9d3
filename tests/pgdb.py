"""Print the URL of a fresh PostgreSQL test database on 127.0.0.1:5432, or nothing.

``python -m tests.pgdb NAME`` drops and recreates database NAME when a local server answers
(trust authentication as the current user or ``postgres``), so each run starts clean.
"""

from __future__ import annotations

import getpass
import sys

import psycopg
from psycopg import sql

HOST, PORT = "127.0.0.1", 5432


def fresh_database(name: str) -> str:
    for user in dict.fromkeys((getpass.getuser(), "postgres")):
        try:
            with psycopg.connect(
                host=HOST,
                port=PORT,
                user=user,
                dbname="postgres",
                autocommit=True,
                connect_timeout=3,
            ) as connection:
                connection.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )
                connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                return f"postgresql://{user}@{HOST}:{PORT}/{name}"
        except psycopg.OperationalError:
            continue
    return ""


if __name__ == "__main__":
    print(fresh_database(sys.argv[1] if len(sys.argv) > 1 else "siyu_test"))
