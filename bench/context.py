"""State shared by the scenarios of one run, and the result recorder."""

from __future__ import annotations

import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from bench.config import Config
from bench.pool import Pool

PENDING = "pending"


@dataclass
class Context:
    cfg: Config
    url: str  # the bench database
    env: dict  # environment of every Django process of the run
    conn: psycopg.Connection  # autocommit admin connection to the bench database
    pool: Pool
    log_dir: Path
    features: dict = field(default_factory=dict)
    metrics: dict = field(default_factory=dict)  # "section.name" -> number | "pending" | None
    details: dict = field(default_factory=dict)  # section -> free-form measurements
    notes: list = field(default_factory=list)
    token: str = ""
    scale: dict = field(default_factory=dict)  # what jobs.Picker needs

    def put(self, key: str, value) -> None:
        if isinstance(value, float):
            value = round(value, 3 if abs(value) < 100 else 1)
        self.metrics[key] = value
        log(f"  {key} = {value}")

    def pending(self, keys: list[str], why: str) -> None:
        for key in keys:
            self.metrics.setdefault(key, PENDING)
        self.details.setdefault("pending", {})[",".join(keys)] = why
        log(f"  pending {', '.join(keys)}: {why}")

    def unmet(self, key: str, why: str) -> None:
        """The figure was measured but not under the target's conditions: its target is not met, whatever it says."""
        self.details.setdefault("unmet", {})[key] = why
        log(f"  {key}: not met ({why})")

    def detail(self, section: str, name: str, value) -> None:
        self.details.setdefault(section, {})[name] = value


_T0 = time.monotonic()


def log(message: str) -> None:
    print(f"[bench {time.monotonic() - _T0:7.1f}s] {message}", file=sys.stderr, flush=True)


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def merge_http(results: list[dict]) -> tuple[list[float], dict]:
    """The latencies and status counts of several HTTP clients' results, pooled."""
    latencies = [x for r in results for x in r["latencies"]]
    statuses: dict = {}
    for r in results:
        for code, count in r["statuses"].items():
            statuses[code] = statuses.get(code, 0) + count
    return latencies, statuses


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def ratio(a, b):
    if not isinstance(a, int | float) or not isinstance(b, int | float) or not b:
        return None
    return a / b
