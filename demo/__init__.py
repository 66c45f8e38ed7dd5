"""Demo data: the `seed_demo` command that fills a fresh database for `make run` (depends on every domain app)."""
