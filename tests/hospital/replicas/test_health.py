"""Replica health against real streaming replicas: stopped or lagging replicas are skipped, lag is reported."""

from __future__ import annotations

from hospital.devserver import replicas as embedded_replicas
from tests.hospital.replicas.cluster import REPLICAS, wait_until


def test_reads_keep_working_with_replicas_stopped_and_use_them_again_once_back(cluster, trigger_site):
    site = trigger_site
    existing = site.create(horario="05:00").body["id_prescricao"]
    cluster.wait_replayed()
    try:
        for stopped in REPLICAS:  # first one replica down, then both
            embedded_replicas.stop_replica(cluster.data_dir, stopped)
            served = site.status()["reads_served"]
            for n in range(6):
                assert site.document(existing).status == 200
                created = site.create(horario=f"05:{n + 1:02d}")
                fresh = site.document(created.body["id_prescricao"], created.headers["x-read-token"])
                assert fresh.status == 200 and fresh.body["medicamentos"][0]["horario"] == f"05:{n + 1:02d}"
            status = site.status()
            assert site.replica(stopped)["status"] == "down" and site.replica(stopped)["error"]
            assert status["reads_served"][stopped] == served[stopped]
    finally:
        for alias in REPLICAS:
            embedded_replicas.start_replica(cluster.data_dir, alias)
    # Retried after REPLICA_RETRY_INTERVAL (5 s): back in service without a restart of the web process.
    wait_until(lambda: all(site.replica(a)["status"] == "ok" for a in REPLICAS), 30, "both replicas ok", interval=0.5)
    served = site.status()["reads_served"]
    for _ in range(4):
        assert site.document(existing).status == 200
    assert sum(site.status()["reads_served"][a] - served[a] for a in REPLICAS) == 4


def test_a_replica_further_behind_than_the_max_lag_is_skipped_and_its_lag_shown(cluster, trigger_site, replay_paused):
    site = trigger_site
    cluster.wait_replayed()
    replay_paused("replica_1")
    created = site.create(horario="04:00")
    behind = wait_until(lambda: (r := site.replica("replica_1"))["lag_bytes"] > 0 and r, 10, "replica_1 behind")
    assert behind["status"] == "ok" and behind["replay_lsn"]  # within REPLICA_MAX_LAG (5 s) so far

    def lagging():
        site.create(horario="04:01")  # keep the primary moving while replica_1 stays put
        replica = site.replica("replica_1")
        return replica["status"] == "lagging" and replica

    replica = wait_until(lagging, 30, "replica_1 to count as lagging", interval=0.5)
    assert replica["lag_seconds"] > 5 and replica["lag_bytes"] > 0
    assert site.replica("replica_2")["status"] == "ok"
    served = site.status()["reads_served"]
    for _ in range(6):  # replica_1 would answer 404: it has not replayed this prescription
        assert site.document(created.body["id_prescricao"]).status == 200
    assert site.status()["reads_served"]["replica_1"] == served["replica_1"]


def test_a_read_on_a_replica_that_fails_under_it_is_served_by_the_primary(cluster, trigger_site):
    """Between two checks a replica may die: the read that finds out is answered from the primary all the same.

    A second web process whose checks never come round again (REPLICA_CHECK_INTERVAL: an hour) keeps
    believing in replica_2, so its reads go there until one fails.
    """
    existing = trigger_site.create(horario="05:30")
    cluster.wait_replayed()
    site = cluster.start_site("hospital", REPLICA_CHECK_INTERVAL="3600")
    try:
        assert [r["status"] for r in site.status()["replicas"]] == ["ok", "ok"]
        embedded_replicas.stop_replica(cluster.data_dir, "replica_2")
        for _ in range(4):  # taken in turn: replica_2 is tried at least once
            document = site.document(existing.body["id_prescricao"])
            assert document.status == 200 and document.body["medicamentos"][0]["horario"] == "05:30"
        down = site.replica("replica_2")
        assert down["status"] == "down" and down["error"]
        assert site.status()["reads_served"] == {"default": 1, "replica_1": 3, "replica_2": 0}
    finally:
        site.stop()
        embedded_replicas.start_replica(cluster.data_dir, "replica_2")
