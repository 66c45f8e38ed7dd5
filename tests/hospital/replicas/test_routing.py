"""Where reads go, and read-your-writes across replicas, against real streaming replicas (see cluster.py)."""

from __future__ import annotations

import os
import re
import signal
from collections import Counter

from tests.hospital.replicas.cluster import REPLICAS, Site

TOKEN = re.compile(r"(\d+)@[0-9A-F]+/[0-9A-F]+")


def _counters(site: Site) -> tuple[Counter, Counter]:
    status = site.status()
    return Counter(status["reads_served"]), Counter(status["token_reads"])


def _item_ids(site: Site, prescription_id: int, token: str) -> list[int]:
    response = site.request(
        "GET", f"/api/pharmacy/itens/?id_prescricao={prescription_id}", user="farmacia", headers={"X-Read-After": token}
    )
    assert response.status == 200, response
    return [row["id"] for row in response.body["results"]]


def test_plain_reads_go_to_a_replica_and_the_token_read_sees_the_write(cluster, trigger_site, replay_paused):
    site = trigger_site
    cluster.wait_replayed()
    served, token_reads = _counters(site)
    for alias in REPLICAS:
        replay_paused(alias)

    created = site.create(horario="06:15")
    prescription_id = created.body["id_prescricao"]
    token = created.headers["x-read-token"]
    assert TOKEN.fullmatch(token) and token.split("@")[0] == created.headers["x-event-position"]

    plain = site.document(prescription_id)
    # A replica answered: it has not replayed the prescription yet (the primary would have it).
    assert plain.status == 404 and plain.body["detail"]
    fresh = site.document(prescription_id, token)
    assert fresh.status == 200
    assert fresh.body["id_prescricao"] == prescription_id
    assert [(m["horario"], m["dosagem"]) for m in fresh.body["medicamentos"]] == [("06:15", "1 comprimido")]

    served_after, token_reads_after = _counters(site)
    assert sum(served_after[a] - served[a] for a in REPLICAS) == 1  # the plain read
    assert served_after["default"] - served["default"] == 1  # no replica had the write: the primary
    assert token_reads_after - token_reads == Counter({"default": 1})


def test_every_token_read_sees_its_write_while_one_replica_is_stuck(cluster, trigger_site, replay_paused):
    """Each replica is checked for itself: replica_2 catching up never sends a read to the paused replica_1."""
    site = trigger_site
    cluster.wait_replayed()
    replay_paused("replica_1")
    _, token_reads = _counters(site)
    stale = []
    pairs = 40
    for n in range(pairs):
        horario = f"{n // 60:02d}:{n % 60:02d}"
        created = site.create(horario=horario)
        prescription_id, token = created.body["id_prescricao"], created.headers["x-read-token"]
        document = site.document(prescription_id, token)
        item_id = created.body["medicamentos"][0]["id"]
        if document.status != 200 or _item_ids(site, prescription_id, token) != [item_id]:
            stale.append((prescription_id, document.status))
    assert stale == []
    delta = _counters(site)[1] - token_reads
    assert delta["replica_1"] == 0
    assert delta["replica_2"] > pairs  # most of the 2 reads per pair: the live replica, not the primary
    assert delta["replica_2"] + delta["default"] == 2 * pairs


def test_in_celery_mode_the_token_also_waits_for_the_projection(cluster, celery_site):
    """On a replica the token demands the projection too: replayed WAL alone would show a missing document."""
    site = celery_site
    for n in range(8):
        created = site.create(horario=f"07:{n:02d}")
        document = site.document(created.body["id_prescricao"], created.headers["x-read-token"])
        assert document.status == 200, document
        assert document.body["medicamentos"][0]["horario"] == f"07:{n:02d}"

    relay = site.processes[1]
    os.killpg(relay.pid, signal.SIGKILL)  # nothing is projected from now on
    relay.wait(10)
    created = site.create(horario="07:59")
    cluster.wait_replayed("hospital_celery")  # the replicas have the prescription's WAL, not its projection
    document = site.document(created.body["id_prescricao"], created.headers["x-read-token"])
    assert document.status == 503, document
    assert document.body["code"] == "projecao_atrasada"
    assert int(document.headers["retry-after"]) >= 1


def test_the_lsn_covers_an_event_that_commits_after_a_later_one(cluster, trigger_site, replay_paused):
    """Outbox positions are taken before commit: a replica may show position N+1 and not yet N.

    Transaction X writes event N and changes a dosage, command B commits
    event N+1, the replicas replay B and stop, then X commits. "Every event up
    to N is projected" holds on the replicas (N is invisible there, N+1 is
    projected), yet they show the old dosage: only the token's LSN tells.
    """
    site = trigger_site
    created = site.create(horario="02:00")
    prescription_id, item_id = created.body["id_prescricao"], created.body["medicamentos"][0]["id"]
    with cluster.primary() as x:
        x.autocommit = False
        position = x.execute(
            "SELECT outbox_append('ItemAlterado', 'prescricao', %s, '{}')",
            [prescription_id],
        ).fetchone()[0]
        x.execute("UPDATE prescricao_medicamentos SET dosagem = '2 comprimidos' WHERE id = %s", [item_id])
        later = site.create(horario="02:01")
        assert int(later.headers["x-event-position"]) > position
        cluster.wait_replayed()
        for alias in REPLICAS:
            replay_paused(alias)
        x.commit()
        lsn = x.execute("SELECT pg_current_wal_insert_lsn()::text").fetchone()[0]

    document = site.document(prescription_id, f"{position}@{lsn}")
    assert document.status == 200
    assert document.body["medicamentos"][0]["dosagem"] == "2 comprimidos"


def test_search_and_receita_read_a_replica_and_honour_the_token(cluster, trigger_site, replay_paused):
    """The search and the receita are query-side reads too: a replica serves them, the token sees the write."""
    site = trigger_site
    cluster.wait_replayed()
    search = "/api/pharmacy/busca/?q=comprimido&id_paciente=1&page_size=100"
    before = site.request("GET", search, user="farmacia")
    assert before.status == 200, before
    for alias in REPLICAS:
        replay_paused(alias)
    served, _ = _counters(site)

    created = site.create(horario="06:45")
    prescription_id, token = created.body["id_prescricao"], created.headers["x-read-token"]
    receita = f"/api/pharmacy/prescricoes/{prescription_id}/receita/"

    plain_search = site.request("GET", search, user="farmacia")
    assert plain_search.body["count"] == before.body["count"]  # a replica answered, without the write
    assert site.request("GET", receita, user="farmacia").status == 404
    served_after, _ = _counters(site)
    assert sum(served_after[a] - served[a] for a in REPLICAS) == 2

    fresh_search = site.request("GET", search, user="farmacia", headers={"X-Read-After": token})
    assert fresh_search.body["count"] == before.body["count"] + 1
    assert prescription_id in [hit["id_prescricao"] for hit in fresh_search.body["results"]]
    fresh_receita = site.request("GET", receita, user="farmacia", headers={"X-Read-After": token})
    assert fresh_receita.status == 200 and fresh_receita.headers["content-type"].startswith("text/html")
