"""Other read models that `verify_read_model` checks beside the pharmacy's own.

A read model built elsewhere (the patient record) registers its check from
its app's `ready()`, so the pharmacy never imports the apps built on top of
it. `find_drift()` returns a drift that is falsy when the read model is
right and has `summary(sample)`; `repair(drift)` fixes exactly that drift.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Verifier:
    name: str  # what the operator reads: "the patient records"
    source: str  # what it must equal: "the fold of inbox and write model"
    find_drift: Callable[[], Any]
    repair: Callable[[Any], None]


_registered: dict[str, Verifier] = {}


def register(verifier: Verifier) -> None:
    """Check `verifier` in every `verify_read_model` run (idempotent by name)."""
    _registered[verifier.name] = verifier


def registered() -> list[Verifier]:
    return list(_registered.values())
