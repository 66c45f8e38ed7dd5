"""Fixtures for the outbox tests: a recording publisher (celery mode and master data: `tests/conftest.py`)."""

import pytest


class RecordingPublisher:
    """Stands in for the broker in relay unit tests: records each message, can fail on demand."""

    def __init__(self):
        self.messages: list[list[int]] = []
        self.fail_with: Exception | None = None
        self.poison: set[int] = set()

    def __call__(self, events):
        if self.fail_with is not None:
            raise self.fail_with
        bad = [e.id for e in events if e.id in self.poison]
        if bad:
            raise ValueError(f"cannot serialize event {bad[0]}")
        self.messages.append([e.id for e in events])

    @property
    def published(self) -> list[int]:
        return [i for message in self.messages for i in message]


@pytest.fixture
def publisher():
    return RecordingPublisher()
