"""The `make run` supervisor (`hospital.devserver.supervisor`): a child that dies is restarted with backoff
while the others keep running."""

import io
import os
import signal
import time

from hospital.devserver.supervisor import Child, Supervisor


def two_children() -> list[Child]:
    """Stand-in children: a "worker" whose process group holds a second process, and a "web"."""
    return [
        Child("web", ["sleep", "600"]),
        Child("worker", ["sh", "-c", "sleep 600 & wait"]),  # like Celery's main process and its pool child
    ]


def _supervise_until(stack: Supervisor, predicate, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, stack.out.getvalue()
        stack.supervise()
        time.sleep(0.05)


def _group_members(pgid: int) -> list[int]:
    members = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid and fields[0] != "Z":
                members.append(int(entry))
    return members


def test_a_killed_child_is_restarted_with_backoff_and_the_others_keep_running():
    stack = Supervisor(out=io.StringIO())
    stack.start(two_children(), dict(os.environ))
    web, worker = stack.children
    try:
        web_pid, first_pid = web.process.pid, worker.process.pid
        _supervise_until(stack, lambda: len(_group_members(first_pid)) == 2)
        os.kill(first_pid, signal.SIGKILL)  # the main process only, as `kill -9 <pid>` would
        _supervise_until(stack, lambda: worker.restarts == 1)
        second_pid = worker.process.pid
        assert second_pid != first_pid and worker.process.poll() is None
        assert _group_members(first_pid) == []  # its orphaned "pool child" was killed with it
        assert web.process.pid == web_pid and web.process.poll() is None

        crashed_at = time.monotonic()
        os.kill(second_pid, signal.SIGKILL)  # crashing again soon after: the delay doubles
        _supervise_until(stack, lambda: worker.restarts == 2)
        assert time.monotonic() - crashed_at >= 2
        log = stack.out.getvalue()
        assert f"worker (pid {first_pid}) exited with signal 9; restarting it in 1s" in log
        assert f"worker (pid {second_pid}) exited with signal 9; restarting it in 2s" in log
        assert "restarted worker (restart #2" in log
        assert web.process.pid == web_pid and web.process.poll() is None and web.restarts == 0
    finally:
        stack.stop()
    assert all(child.process.poll() is not None for child in stack.children)
