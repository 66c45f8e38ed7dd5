"""Token authentication without a query per request: a short-lived, in-process cache of token -> user.

DRF's `TokenAuthentication` (here `hospital.api.authentication`'s) reads the token and its user on every request,
and the permission check then reads the user's groups: two queries before
the view's own one. `CachedTokenAuthentication` keeps, per process, what
those two queries returned (the user, with its group names attached, see
`hospital.api.permissions.group_names`) for `AUTH_CACHE_SECONDS`.

Staleness bound: in the process where a change is made (a token deleted, a
user saved or deactivated, group memberships changed, a group deleted) the
cache is cleared at once by signals. Other processes (each gunicorn worker)
may honour the old token, active flag or groups for at most
`AUTH_CACHE_SECONDS` (default 5 s) after the change; `0` turns the cache off.
A revoked token therefore stops working everywhere within that many seconds.
"""

from __future__ import annotations

import threading
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models.signals import m2m_changed, post_delete, post_save
from rest_framework.authtoken.models import Token

from hospital.api.authentication import TokenAuthentication

_MAX_ENTRIES = 10_000  # a flood of distinct bad tokens is never cached; this bounds the good ones


class TokenCache:
    """token key -> (expiry, (user, token)); `clock` is `time.monotonic`, replaceable where a test sets the time."""

    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self._entries: dict[str, tuple[float, object]] = {}
        self._lock = threading.Lock()

    def get(self, key: str):
        entry = self._entries.get(key)
        if entry is None or entry[0] <= self.clock():
            return None
        return entry[1]

    def put(self, key: str, value, seconds: float) -> None:
        with self._lock:
            if len(self._entries) >= _MAX_ENTRIES:
                self._entries.clear()
            self._entries[key] = (self.clock() + seconds, value)

    def clear(self, **_signal_kwargs) -> None:
        with self._lock:
            self._entries.clear()


cache = TokenCache()


class CachedTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <key>`, answered from `cache` while fresh (see the module doc for the bound)."""

    def authenticate_credentials(self, key: str):
        seconds = settings.AUTH_CACHE_SECONDS
        found = cache.get(key) if seconds > 0 else None
        if found is None:
            found = super().authenticate_credentials(key)  # refuses unknown tokens and inactive users
            if seconds > 0:
                user = found[0]
                user.cached_group_names = frozenset(user.groups.values_list("name", flat=True))
                cache.put(key, found, seconds)
        return found


def _connect_invalidation() -> None:
    User = get_user_model()
    for sender in (Token, User, Group):
        post_save.connect(cache.clear, sender=sender, dispatch_uid=f"token_cache.save.{sender.__name__}")
        post_delete.connect(cache.clear, sender=sender, dispatch_uid=f"token_cache.delete.{sender.__name__}")
    m2m_changed.connect(cache.clear, sender=User.groups.through, dispatch_uid="token_cache.groups")


_connect_invalidation()
