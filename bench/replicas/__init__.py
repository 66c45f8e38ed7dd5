"""`python -m bench.replicas`: the query side on streaming replicas (see bench/README.md, "Read replicas").

- `load`: a small keep-alive HTTP client and the load loops (processes).
- `probe`: the read-your-writes check timed inside a Django process.
- `run`: the whole run (embedded primary + 2 replicas in a temp folder) and
  `check`, the 1,000 create-then-read pairs against a running `make run`.
"""
