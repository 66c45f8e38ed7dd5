"""Smoke run of the benchmark harness: `python -m bench --quick` finishes and reports every key.

The figures of a quick run mean nothing (tiny data, sub-second rounds); this
only guards the harness against rot. It creates and drops its own `bench_<pid>`
database on the same server as the suite.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
KEYS = [
    "write.trigger_vs_nosync",
    "write.django_vs_raw",
    "read.flat_vs_join_speedup",
    "rebuild.vs_refresh_mv",
    "fanout.trigger_50k_ms",
    "relay.events_per_s",
    "lag.p50_ms",
    "lag.p99_ms",
    "http.worklist_vs_peer",
    "http.prescription_vs_bare",
    "http.create_vs_peer",
]


@pytest.mark.slow
def test_quick_bench_reports_every_key(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--out-dir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads((tmp_path / "latest.json").read_text())
    for key in KEYS:
        assert key in results, key
        value = results[key]
        assert value == "pending" or isinstance(value, int | float), (key, value)
    assert not results["details"].get("errors"), results["details"]["errors"]
    table = (tmp_path / "latest.md").read_text()
    assert "| figure | measured | target | status |" in table
    assert "write.trigger_vs_nosync" in table
    assert "| endpoint | project | p99 | plain DRF | p99 | bare handler | p99 | ÷ plain DRF | ÷ bare |" in table
