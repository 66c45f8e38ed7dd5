"""Operators' view of the running system: Prometheus metrics, liveness and readiness."""
