"""Run child processes, restart those that exit on their own, stop them all on request (`make run`'s processes).

Each child runs in its own session, so that the terminal's Ctrl-C reaches
only the supervisor, which then stops them in order (SIGTERM, then SIGKILL
after `GRACE_SECONDS`).

A child that exits on its own (crash, OOM kill, `kill -9`) is restarted while
the others keep running: what is left of its process group (a killed Celery
worker's pool children) is killed first, then it starts again after a backoff
of 1 s doubling up to `RESTART_BACKOFF_MAX` (back to 1 s once it has stayed up
`STABLE_SECONDS`), each step logged.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

GRACE_SECONDS = 10
RESTART_BACKOFF_MAX = 30.0
STABLE_SECONDS = 60.0
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Linux: deliver SIGTERM to the child if the supervisor dies (even by SIGKILL)."""
    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass
class Child:
    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)  # on top of the supervisor's environment
    process: subprocess.Popen | None = field(default=None, repr=False)
    started_at: float = 0.0
    restarts: int = 0
    backoff: float = 0.0  # the next restart's delay; 0 until the first crash
    restart_at: float | None = None  # when a crashed child is due to start again


def _schedule_restart(child: Child, code: int, now: float) -> str:
    """Kill what is left of an exited child's process group and set when it starts again; the log line."""
    # Its process group may outlive it (a SIGKILLed Celery worker leaves its pool children behind).
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(child.process.pid, signal.SIGKILL)
    stable = now - child.started_at >= STABLE_SECONDS
    child.backoff = 1.0 if stable or not child.backoff else min(RESTART_BACKOFF_MAX, child.backoff * 2)
    child.restart_at = now + child.backoff
    how = f"signal {-code}" if code < 0 else f"status {code}"
    return f"{child.name} (pid {child.process.pid}) exited with {how}; restarting it in {child.backoff:g}s"


def _terminate(children: list[Child], say) -> None:
    """SIGTERM every live child's group (last started first), SIGKILL what outlives the grace period."""
    alive = [c for c in children if c.process.poll() is None]
    for child in reversed(alive):  # workers before the relay, web last
        say(f"stopping {child.name}")
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.process.pid, signal.SIGTERM)
    deadline = time.monotonic() + GRACE_SECONDS
    for child in alive:
        try:
            child.process.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            say(f"{child.name} did not stop in {GRACE_SECONDS}s; killing it")
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.process.pid, signal.SIGKILL)
            child.process.wait()
        # Its own children (gunicorn workers, celery pool) share its process group.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.process.pid, signal.SIGKILL)


@dataclass
class Supervisor:
    out: TextIO = sys.stdout
    cwd: Path | None = None
    children: list[Child] = field(default_factory=list)
    stopping: bool = False  # set by a signal handler: `wait` returns
    env: dict[str, str] = field(default_factory=dict, repr=False)

    def start(self, children: list[Child], env: dict[str, str]) -> None:
        self.env = env
        for child in children:
            self.say(f"starting {child.name}: {' '.join(child.argv[1:])}")
            self.spawn(child)
            self.children.append(child)

    def spawn(self, child: Child) -> None:
        child.process = subprocess.Popen(
            child.argv,
            env={**self.env, **child.env},
            cwd=self.cwd,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )
        child.started_at = time.monotonic()
        child.restart_at = None

    def wait(self) -> int:
        """Supervise (restart what crashes) until a signal asks to stop; exit status 0."""
        while not self.stopping:
            self.supervise()
            time.sleep(0.2)
        return 0

    def supervise(self) -> None:
        """One round: schedule the restart of each child that exited, start those whose backoff has passed."""
        now = time.monotonic()
        for child in self.children:
            if child.restart_at is not None:
                if now >= child.restart_at and not self.stopping:
                    child.restarts += 1
                    self.spawn(child)
                    self.say(f"restarted {child.name} (restart #{child.restarts}, pid {child.process.pid})")
                continue
            code = child.process.poll()
            if code is not None:
                self.say(_schedule_restart(child, code, now))

    def stop(self) -> None:
        _terminate(self.children, self.say)

    def say(self, message: str) -> None:
        self.out.write(f"[runstack] {message}\n")
        self.out.flush()
