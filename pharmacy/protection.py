"""The explicit allowance to write the read tables.

Normally only the sync SQL functions write the read tables (they set
`pharmacy.sync_writer = on` for their own duration). This context manager
grants the same allowance to a block of Python code; it exists for tests that
inject drift and for emergencies, and its name says so.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, connections, transaction

ALLOWANCE_SETTING = "pharmacy.sync_writer"


@contextmanager
def unsafe_read_model_writes(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Let the enclosed code write the read tables directly (bypassing the sync).

    Runs the block in `atomic()`; the allowance is transaction-local, so it
    ends with the block (or its rollback) at the latest.
    """
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        cursor.execute("SELECT set_config(%s, 'on', true)", [ALLOWANCE_SETTING])
        yield
        cursor.execute("SELECT set_config(%s, 'off', true)", [ALLOWANCE_SETTING])
