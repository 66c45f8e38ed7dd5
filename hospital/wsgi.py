"""WSGI entry point (gunicorn hospital.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hospital.settings")
application = get_wsgi_application()
