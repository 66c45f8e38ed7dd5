"""The query side on PostgreSQL streaming replicas, with exact read-your-writes.

- `config`: `DATABASE_REPLICA_URLS` becomes the database aliases `replica_1`, `replica_2`, ...
- `router`: every write, every migration and every read that names no database go to the primary.
- `health`: per process, which replicas are up and how far behind they are.
- `routing`: the one place a read chooses its database (`using=`), honouring the read token.
- `views`: the DRF and admin mixins the pharmacy's read pages use.
- `token`: the read token commands answer with (outbox position and the primary's WAL position).

Importing this package loads nothing else: `hospital.settings` imports `config`.
"""
