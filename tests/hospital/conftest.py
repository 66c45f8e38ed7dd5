"""Fixtures of the hospital app's tests."""

import pytest


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Users of these tests are made in every test: hash their passwords cheaply (PBKDF2 costs ~0.5 s of CPU each)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
