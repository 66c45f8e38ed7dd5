"""Hospital prescriptions: the Django project package and the master-data app."""

from .celery import app as celery_app

__all__ = ["celery_app"]
