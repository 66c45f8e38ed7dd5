"""Helpers for the monitoring tests that run real gunicorn, relay and worker processes."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def sample(text: str, name: str, **labels: str) -> float | None:
    """The value of one sample of a Prometheus text page (None when absent)."""
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    pattern = "^" + re.escape(name) + (r"\{" + re.escape(wanted) + r"\}" if labels else "") + r" (\S+)$"
    found = re.search(pattern, text, re.MULTILINE)
    return float(found.group(1)) if found else None


def get(url: str, timeout: float = 5) -> tuple[int, str]:
    """GET over real HTTP: (status, body), error statuses included."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def poll(url: str, until, timeout: float, what: str) -> tuple[int, str]:
    """GET `url` until `until(status, body)` holds; fail with the last answer after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        try:
            last = get(url)
            if until(*last):
                return last
        except (OSError, urllib.error.URLError) as exc:  # not listening yet
            last = exc
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} at {url}; last answer: {last!r}")


class Gunicorn:
    """`gunicorn hospital.wsgi` as the Procfile runs it, on a free port, with the given environment."""

    def __init__(self, port: int, env: dict[str, str], log: Path, workers: int = 2):
        self.url = f"http://127.0.0.1:{port}"
        self._log = open(log, "ab")  # noqa: SIM115 -- closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "hospital.wsgi:application", "--bind", f"127.0.0.1:{port}",
             "--workers", str(workers), "--threads", "4", "--no-control-socket"],
            cwd=ROOT, env={**os.environ, **env, "DJANGO_SETTINGS_MODULE": "hospital.settings"},
            stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self._log.close()
