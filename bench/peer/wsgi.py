"""The bench's WSGI entry: `/bare/` goes to the bare handler, everything else to the project's Django app."""

import os

os.environ["DJANGO_SETTINGS_MODULE"] = "bench.peer.settings"

from django.core.wsgi import get_wsgi_application

from bench.peer import bare

django_application = get_wsgi_application()


def application(environ, start_response):
    if environ["PATH_INFO"].startswith("/bare/"):
        return bare.application(environ, start_response)
    return django_application(environ, start_response)
