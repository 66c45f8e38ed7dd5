"""Session fixtures of the replica tests: one cluster, one trigger-mode site, one celery-mode site."""

from __future__ import annotations

import contextlib

import pytest

from tests.hospital.replicas.cluster import Cluster, Site, wait_until


@pytest.fixture(scope="session")
def cluster():
    cluster = Cluster()
    try:
        # One Django process for both (each start-up costs seconds on a loaded 2-core machine).
        cluster.manage("hospital", "shell", "-c", "from django.core.management import call_command as c; "
                       "c('migrate', verbosity=0); c('seed_demo', verbosity=0)")  # fmt: skip
        cluster.clone("hospital", "hospital_celery")  # while nothing is connected to the template
        with cluster.primary("hospital_celery") as conn:
            # What `switch_sync_mode celery` does to a database with no write in flight (and in a fraction
            # of its time): from now on events are born unprojected and the pharmacy triggers stand down.
            conn.execute(
                "INSERT INTO outbox_sync_state (id, mode, changed_at) VALUES (1, 'celery', now()) "
                "ON CONFLICT (id) DO UPDATE SET mode = excluded.mode, changed_at = excluded.changed_at"
            )
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def trigger_site(cluster) -> Site:
    site = cluster.start_site("hospital")
    yield site
    site.stop()


@pytest.fixture(scope="session")
def celery_site(cluster) -> Site:
    site = cluster.start_site("hospital_celery", celery=True)
    yield site
    site.stop()


@pytest.fixture
def replay_paused(cluster):
    """`replay_paused("replica_1")` pauses WAL replay there until the test ends."""
    paused = []

    def pause(alias: str) -> None:
        with cluster.replica(alias) as conn:
            conn.execute("SELECT pg_wal_replay_pause()")
            paused.append(alias)
            wait_until(
                lambda: conn.execute("SELECT pg_get_wal_replay_pause_state()").fetchone()[0] == "paused",
                10,
                f"{alias} to pause",
            )

    yield pause
    for alias in paused:
        with contextlib.suppress(Exception), cluster.replica(alias) as conn:
            conn.execute("SELECT pg_wal_replay_resume()")
