"""The query side on PostgreSQL streaming replicas, with exact read-your-writes.

- `config`: `DATABASE_REPLICA_URLS` becomes the database aliases `replica_1`, `replica_2`, ...
- `router`: every write, every migration and every read that names no database go to the primary.
- `health`: per process, which replicas are up and how far behind they are.
- `token`: the read token commands answer with (outbox position and the primary's WAL position).

Choosing a replica for a read and waiting for the read token are the pharmacy's (`pharmacy.replica_routing`,
`pharmacy.replica_views`, `pharmacy.read_after`): its read pages are the only reads that use replicas.

Importing this package loads nothing else: `hospital.settings` imports `config`.
"""
