"""The local-server supervisor, for development and tests only; no production module imports it.

- `embedded`: this checkout's PostgreSQL and Redis under the data folder (started by `manage.py`, `make run` and
  `make test`'s wrapper when DATABASE_URL / REDIS_URL are unset; the settings only compute their URLs, with
  `hospital.local_servers`).
- `replicas`: embedded streaming replicas of that PostgreSQL (`make run REPLICAS=n`, the replica tests).
- `launcher` (`manage.py runstack`, `make run`): migrate, seed, then run and supervise the processes
  (`supervisor`).
"""
