"""One module per measured path; each takes the run's `Context` and records metrics."""
