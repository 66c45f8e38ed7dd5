"""Scale and duration knobs of a bench run (CLI flags, with BENCH_* environment defaults)."""

from __future__ import annotations

import argparse
import os
from dataclasses import asdict, dataclass, fields


@dataclass
class Config:
    items: int = 1_000_000  # prescription items (flat read rows) generated in SQL
    items_per_prescription: int = 3
    medicos: int = 2_000
    pacientes: int = 100_000
    medicamentos: int = 1_000
    fanout_big: int = 50_000  # rows shown by the doctor renamed in the big fan-out case
    fanout_small: int = 1_000
    seconds: float = 2.0  # length of one timed write round
    rounds: int = 7  # rounds per write configuration (alternated; medians of per-round ratios are reported)
    clients: int = 4  # concurrent clients of the "concurrent" measurements
    read_lookups: int = 2_000  # SQL lookups per read round
    http_requests: int = 800  # requests per HTTP round (bounded), spread over `clients`
    web_workers: int = 2  # gunicorn workers
    http_p99_ms: float = 100.0  # the HTTP scenario's latency bound: capacity = highest rate with p99 under it
    http_seconds: float = 3.0  # length of one open-loop step of the HTTP scenario
    http_max_rate: float = 6400.0  # the HTTP scenario's rate search stops here
    http_min_samples: int = 300  # requests per step at least (low rates run longer), so p99 means something
    backlog: int = 200_000  # outbox events drained by the relay
    lag_rate: float = 200.0  # commands/s of the async lag run
    lag_seconds: float = 30.0
    celery_concurrency: int = 2
    converge_timeout: float = 120.0  # give up waiting for the async path after this long
    synchronous_commit: str = "off"  # of the bench database: "off" compares CPU work, not the disk's fsync
    profile: bool = False  # cProfile the relay drain (top functions go to latest.json details)
    quick: bool = False
    keep_db: bool = False
    out_dir: str = ""
    only: str = ""  # comma-separated scenario names; empty: all

    @classmethod
    def quick_preset(cls) -> dict:
        return dict(
            items=30_000,
            medicos=200,
            pacientes=3_000,
            medicamentos=200,
            fanout_big=3_000,
            fanout_small=300,
            seconds=0.6,
            rounds=1,
            read_lookups=200,
            http_requests=40,
            http_seconds=0.2,
            http_max_rate=50.0,  # one step per endpoint: the smoke run checks the harness, not capacity
            http_min_samples=10,
            backlog=2_000,
            lag_rate=40.0,
            lag_seconds=3.0,
            converge_timeout=20.0,
            quick=True,
        )

    @property
    def prescriptions(self) -> int:
        return -(-self.items // self.items_per_prescription)


def parse_args(argv: list[str] | None = None) -> Config:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmark the sync modes against same-run baselines; writes bench/results/latest.{json,md}.",
    )
    parser.add_argument("--quick", action="store_true", help="tiny smoke run (well under a minute)")
    defaults = Config()
    for f in fields(Config):
        if f.name == "quick":
            continue
        flag = "--" + f.name.replace("_", "-")
        env = os.environ.get("BENCH_" + f.name.upper())
        default = getattr(defaults, f.name)
        if isinstance(default, bool):
            parser.add_argument(flag, action="store_true", default=env not in (None, "", "0"))
        else:
            parser.add_argument(flag, type=type(default), default=None if env is None else type(default)(env))
    args = parser.parse_args(argv)
    values = asdict(defaults)
    if args.quick or os.environ.get("BENCH_QUICK") not in (None, "", "0"):
        values.update(Config.quick_preset())
    for name, value in vars(args).items():
        if name != "quick" and value is not None and not (isinstance(value, bool) and not value):
            values[name] = value
    return Config(**values)
