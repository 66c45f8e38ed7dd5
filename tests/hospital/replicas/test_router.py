"""The router and the replica settings (no server needed: routing decisions only)."""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS

from hospital.replicas.config import replica_aliases, replica_databases
from hospital.replicas.router import PrimaryRouter
from pharmacy.models import ItemDetalhado
from prescriptions.models import Prescricao


def test_replica_urls_become_numbered_aliases_that_tests_mirror_to_the_primary():
    databases = replica_databases(
        " postgres://u@r1:5432/h , postgresql://u@/h?host=/run/r2&connect_timeout=9,", conn_max_age=60
    )
    assert list(databases) == ["replica_1", "replica_2"]
    assert databases["replica_1"]["HOST"] == "r1" and databases["replica_1"]["OPTIONS"] == {"connect_timeout": 3}
    assert databases["replica_2"]["OPTIONS"]["connect_timeout"] == 9
    assert all(d["TEST"] == {"MIRROR": "default"} and d["CONN_MAX_AGE"] == 60 for d in databases.values())
    assert replica_databases("", conn_max_age=60) == {}
    assert replica_aliases({"default": {}, "replica_10": {}, "replica_2": {}}) == ["replica_2", "replica_10"]


def test_writes_migrations_and_unnamed_reads_stay_on_the_primary():
    router = PrimaryRouter()
    from_replica = ItemDetalhado(id=1)
    from_replica._state.db = "replica_1"  # an object a replica read returned
    assert router.db_for_write(ItemDetalhado, instance=from_replica) == DEFAULT_DB_ALIAS
    assert router.db_for_read(Prescricao) == DEFAULT_DB_ALIAS
    assert router.db_for_read(ItemDetalhado, instance=from_replica) == DEFAULT_DB_ALIAS
    assert router.allow_migrate("replica_1", "pharmacy") is False
    assert router.allow_migrate(DEFAULT_DB_ALIAS, "pharmacy") is True
