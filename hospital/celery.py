"""The Celery application; workers apply outbox events to the read models."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hospital.settings")

app = Celery("hospital")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

import monitoring.worker  # noqa: E402,F401 -- connects the worker's metrics signals (WORKER_METRICS_PORT)
