"""The suite's Hypothesis profiles, in one place; `HYPOTHESIS_PROFILE` picks one (default `ci`).

- `ci` (`make test`): pinned derandomized examples, so every run of the suite checks the same cases and fits
  its time budget; at least 200 examples per property.
- `soak` (`make soak`): 2,000 random examples per property and longer state-machine runs, for hunting.

Tests take their example counts from the profile; a test that needs fewer or more scales it with
`examples(factor)` rather than pinning a number of its own.
"""

import os

from hypothesis import HealthCheck, settings

_COMMON = dict(
    deadline=None,  # real PostgreSQL on a shared machine: example times vary
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)

settings.register_profile("ci", max_examples=200, stateful_step_count=6, derandomize=True, database=None, **_COMMON)
settings.register_profile("soak", max_examples=2_000, stateful_step_count=20, **_COMMON)


def load() -> str:
    name = os.environ.get("HYPOTHESIS_PROFILE", "ci")
    settings.load_profile(name)
    return name


def examples(factor: float) -> int:
    """This profile's example count scaled by `factor` (at least 1)."""
    return max(1, int(settings.default.max_examples * factor))
