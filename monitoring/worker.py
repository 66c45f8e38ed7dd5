"""The Celery worker's metrics port (`WORKER_METRICS_PORT`, off when 0).

Celery's prefork pool runs tasks in child processes, so their counters would
stay in the children. When the port is set, the worker's main process turns
on prometheus-client's multiprocess mode before the pool forks
(`celeryd_init`): each child writes its counts to a file of its own in
`PROMETHEUS_MULTIPROC_DIR` (a fresh temporary folder unless the variable is
set), and the main process serves their sum once the worker is ready. A
child that dies keeps its file, so no count is lost when the pool recycles
processes; the folder is removed when the worker shuts down if it made it.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from pathlib import Path

from celery import signals
from django.conf import settings

logger = logging.getLogger(__name__)

_made_dir: Path | None = None


def _enable_multiprocess() -> None:
    global _made_dir
    from prometheus_client import values

    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        for stale in Path(folder).glob("*.db"):  # a previous run's counts: the folder is this worker's
            stale.unlink(missing_ok=True)
    else:
        _made_dir = Path(tempfile.mkdtemp(prefix="celery-metrics-"))
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(_made_dir)
    values.ValueClass = values.MultiProcessValue()  # metric children created from now on share the files


@signals.celeryd_init.connect
def _before_pool(**kwargs) -> None:
    if settings.WORKER_METRICS_PORT:
        _enable_multiprocess()


@signals.worker_ready.connect
def _serve(**kwargs) -> None:
    if settings.WORKER_METRICS_PORT:
        from monitoring.exposition import serve_in_background

        serve_in_background(settings.WORKER_METRICS_PORT, "worker")
        logger.info("worker metrics on http://%s:%s/metrics", settings.METRICS_BIND, settings.WORKER_METRICS_PORT)


@signals.worker_shutdown.connect
def _cleanup(**kwargs) -> None:
    if _made_dir is not None:
        shutil.rmtree(_made_dir, ignore_errors=True)
