"""The relay's vacuumer: it vacuums the outbox exactly when the server's autovacuum will not."""

import time

import pytest
from django.db import connection
from django.db.models.functions import Now

from outbox import pg
from outbox.maintenance import Vacuumer, analyze_if_stale, vacuum_if_needed
from outbox.models import OutboxEvent

TABLE = OutboxEvent._meta.db_table

pytestmark = pytest.mark.django_db(transaction=True)


def _dead_rows(count: int) -> None:
    """`count` outbox events updated once: `count` dead row versions."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT outbox_append('Teste', 'Prescricao', g, '{}') FROM generate_series(1, %s) g", [count])
    OutboxEvent.objects.update(published_at=Now(), projected_at=Now())
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")  # else a busy backend reports them ~10 s later
        cursor.execute("SELECT 1")


def _stats(conn) -> tuple[int, object]:
    conn.execute("SELECT pg_stat_clear_snapshot()")
    return conn.execute(
        "SELECT n_dead_tup, last_vacuum FROM pg_stat_user_tables WHERE relname = %s", [TABLE]
    ).fetchone()


def _wait_for_dead_rows(conn, at_least: int) -> None:
    deadline = time.monotonic() + 10
    while _stats(conn)[0] < at_least:  # statistics arrive asynchronously (at most ~1 s late)
        assert time.monotonic() < deadline, "the statistics never reported the dead rows"
        time.sleep(0.2)


@pytest.fixture
def own_connection():
    conn = pg.connect(autocommit=True)
    yield conn
    conn.close()


def test_vacuums_only_past_the_threshold_and_only_when_autovacuum_is_off(own_connection):
    conn = own_connection
    autovacuum_on = conn.execute("SELECT current_setting('autovacuum')::boolean").fetchone()[0]
    _dead_rows(500)
    _wait_for_dead_rows(conn, 500)
    assert vacuum_if_needed(conn, dead_rows=100_000) is False  # below the threshold: nothing
    assert _stats(conn)[1] is None
    did = vacuum_if_needed(conn, dead_rows=500)
    if autovacuum_on:  # the server cleans up by itself (outbox/sql/queue.sql tunes when)
        assert did is False and _stats(conn)[1] is None
    else:
        assert did is True
        dead, last_vacuum = _stats(conn)
        assert last_vacuum is not None and dead == 0


def test_the_relay_thread_checks_periodically_and_stops_promptly(own_connection):
    autovacuum_on = own_connection.execute("SELECT current_setting('autovacuum')::boolean").fetchone()[0]
    _dead_rows(300)
    _wait_for_dead_rows(own_connection, 300)
    vacuumer = Vacuumer(interval=0.1, dead_rows=300)
    vacuumer.start()
    deadline = time.monotonic() + 10
    while not autovacuum_on and vacuumer.vacuums == 0 and time.monotonic() < deadline:
        time.sleep(0.1)
    t0 = time.monotonic()
    vacuumer.stop()
    assert not vacuumer.is_alive() and time.monotonic() - t0 < 2
    assert vacuumer.vacuums == (0 if autovacuum_on else 1)


def test_statistics_are_refreshed_only_when_autovacuum_is_off_and_enough_rows_changed(own_connection):
    conn = own_connection
    autovacuum_on = conn.execute("SELECT current_setting('autovacuum')::boolean").fetchone()[0]
    conn.execute(f"ANALYZE {TABLE}")
    analyze_if_stale(conn)  # whatever else the migrations left stale
    assert f"public.{TABLE}" not in analyze_if_stale(conn)  # nothing changed since
    _dead_rows(300)  # 300 inserts and 300 updates: past 50 + 10% of the rows
    deadline = time.monotonic() + 10
    while True:
        conn.execute("SELECT pg_stat_clear_snapshot()")
        changed = conn.execute(
            "SELECT n_mod_since_analyze FROM pg_stat_user_tables WHERE relname = %s", [TABLE]
        ).fetchone()[0]
        if changed >= 600 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    done = analyze_if_stale(conn)
    if autovacuum_on:  # autovacuum's own analyze covers it
        assert done == []
    else:
        assert f"public.{TABLE}" in done
        conn.execute("SELECT pg_stat_clear_snapshot()")
        assert (
            conn.execute("SELECT n_mod_since_analyze FROM pg_stat_user_tables WHERE relname = %s", [TABLE]).fetchone()[
                0
            ]
            < 600
        )
