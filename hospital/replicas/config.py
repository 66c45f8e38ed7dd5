"""`DATABASE_REPLICA_URLS` (comma-separated URLs) as Django database aliases `replica_1`, `replica_2`, ...

Imported by `hospital.settings`, so it must not touch Django's settings itself.
"""

from __future__ import annotations

import dj_database_url

REPLICA_PREFIX = "replica_"
#: A replica that does not answer the connect within this many seconds counts as down (overridable per URL
#: with `?connect_timeout=`): a dead host must cost a read at most this, then the replica is skipped.
CONNECT_TIMEOUT = 3


def replica_aliases(databases: dict) -> list[str]:
    """The replica aliases among `databases`, in order."""
    return sorted((alias for alias in databases if alias.startswith(REPLICA_PREFIX)), key=lambda a: int(a[8:]))


def replica_databases(urls: str, *, conn_max_age: int) -> dict[str, dict]:
    """Database settings for each URL of the comma-separated `urls` (empty: none)."""
    databases = {}
    for index, url in enumerate((u.strip() for u in urls.split(",") if u.strip()), start=1):
        database = dj_database_url.parse(url, conn_max_age=conn_max_age)
        database["ENGINE"] = "hospital.db"  # the primary's backend (hospital.db: its health check)
        database.setdefault("OPTIONS", {}).setdefault("connect_timeout", CONNECT_TIMEOUT)
        # A kept connection to a replica that restarted since is replaced at the request's first query
        # instead of failing it (which would bench a healthy replica for REPLICA_RETRY_INTERVAL).
        database["CONN_HEALTH_CHECKS"] = True
        # Tests of a configuration with replicas read the test database itself through these aliases.
        database["TEST"] = {"MIRROR": "default"}
        databases[f"{REPLICA_PREFIX}{index}"] = database
    return databases
