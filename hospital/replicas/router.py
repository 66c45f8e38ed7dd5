"""The database router: the primary for everything unless a read names a replica itself.

Reads go to a replica only where a view asks for one through
`pharmacy.replica_routing` (`.using(alias)`); every other read, so every
command's validation, the outbox, the relay and the projector, and every write
(even of an object loaded from a replica) go to the primary. Replicas are
never migrated (they replay the primary's migrations).
"""

from django.db import DEFAULT_DB_ALIAS


class PrimaryRouter:
    def db_for_read(self, model, **hints) -> str:
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        return True  # one database, seen from several servers

    def allow_migrate(self, db: str, app_label: str, **hints) -> bool:
        return db == DEFAULT_DB_ALIAS
