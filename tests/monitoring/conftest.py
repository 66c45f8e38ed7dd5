"""The real relay/worker launcher of the Celery tests, for the processes that serve metrics."""

from tests.celery.conftest import stack  # noqa: F401 -- re-exported fixture
