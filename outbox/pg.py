"""psycopg connections of our own to Django's default database (LISTEN, VACUUM, a second session in tests)."""

from __future__ import annotations

import psycopg
from django.db import connection


def connection_params() -> dict:
    """The psycopg parameters Django uses (OPTIONS included: the embedded server's socket), minus Django's hooks."""
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    return params


def connect(**kwargs) -> psycopg.Connection:
    """A new psycopg connection to the same database as Django's, outside Django's transaction handling."""
    return psycopg.connect(**connection_params(), **kwargs)
