"""Assertions over the read models, via SQL (fast enough to run after every step)."""

from pharmacy.verify import find_drift


def assert_read_models_match_source() -> None:
    drift = find_drift()
    assert not drift, drift.summary()
