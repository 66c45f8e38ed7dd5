"""Calling the WSGI application in-process from a test, as Django's test client does."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.signals import request_finished, request_started
from django.db import close_old_connections


@contextmanager
def requests_keep_the_connection() -> Iterator[None]:
    """Unplug `close_old_connections` from the request signals meanwhile.

    A WSGI request closes obsolete connections when it starts and ends; inside
    a test that would end the test's transaction (or, without database access,
    fail the test for touching it). Django's test client unplugs it the same way.
    """
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    try:
        yield
    finally:
        for signal in (request_started, request_finished):
            signal.connect(close_old_connections)
