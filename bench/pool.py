"""A small pool of Django worker processes (spawned, so each has its own connections).

The orchestrator never loads Django; it sends jobs (names of functions in
`bench.jobs`) to chosen workers. Concurrent jobs start together at a common
`start_at` (time.monotonic() is system-wide on Linux). Workers may stream
(tag, value, t) tuples back through `stream` while a job runs.
"""

from __future__ import annotations

import itertools
import multiprocessing as mp
import os
import queue
import traceback


def _worker(env: dict, index: int, jobs, results, stream) -> None:
    os.environ.update(env)
    import django

    django.setup()
    from bench import jobs as job_functions

    job_functions.STREAM = stream
    results.put(("ready", index, None))
    while True:
        item = jobs.get()
        if item is None:
            return
        job_id, name, kwargs = item
        try:
            outcome = ("ok", getattr(job_functions, name)(worker=index, **kwargs))
        except BaseException:  # report everything; the orchestrator decides
            outcome = ("error", traceback.format_exc())
        finally:
            from django.db import connections

            if name == "migrate":
                connections.close_all()
        results.put((job_id, index, outcome))


class JobError(RuntimeError):
    pass


class Pool:
    def __init__(self, size: int, env: dict):
        ctx = mp.get_context("spawn")
        self.results = ctx.Queue()
        self.stream = ctx.Queue()
        self.queues = [ctx.Queue() for _ in range(size)]
        self.procs = [
            ctx.Process(target=_worker, args=(env, i, q, self.results, self.stream), daemon=True)
            for i, q in enumerate(self.queues)
        ]
        self._ids = itertools.count(1)
        for proc in self.procs:
            proc.start()
        ready = 0
        while ready < size:
            tag, _, _ = self.results.get(timeout=180)
            ready += tag == "ready"

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.procs]

    def run(self, name: str, workers: int = 1, timeout: float = 3600, per_worker=None, **kwargs) -> list:
        """Run job `name` on workers 0..workers-1; return their results in worker order."""
        ids = {}
        for i in range(workers):
            job_id = next(self._ids)
            extra = per_worker(i) if per_worker else {}
            self.queues[i].put((job_id, name, {**kwargs, **extra}))
            ids[job_id] = i
        out: dict[int, object] = {}
        errors = []
        while len(out) + len(errors) < workers:
            try:
                job_id, index, (status, value) = self.results.get(timeout=timeout)
            except queue.Empty:
                raise JobError(f"job {name} timed out after {timeout}s") from None
            if job_id not in ids:
                continue
            if status == "ok":
                out[index] = value
            else:
                errors.append(value)
        if errors:
            raise JobError(f"job {name} failed:\n{errors[0]}")
        return [out[i] for i in range(workers)]

    def close(self) -> None:
        for q in self.queues:
            q.put(None)
        for proc in self.procs:
            proc.join(timeout=10)
            if proc.is_alive():
                proc.terminate()


def run_traceback() -> str:
    return traceback.format_exc()
