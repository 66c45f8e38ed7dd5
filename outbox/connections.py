"""psycopg connections of the outbox's own to Django's default database (the relay's LISTEN, the vacuumer)."""

from django.db import connection


def connection_params() -> dict:
    """The psycopg parameters Django uses (OPTIONS included), minus Django's cursor factory and adapters context."""
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    return params
