"""Fixtures of the hospital tests: the real browser (tests.browser)."""

from tests.browser import browser  # noqa: F401 -- a fixture
