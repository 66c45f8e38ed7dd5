"""The bench's WSGI entry: `/bare/` goes to the bare handler, everything else to the project's Django app."""

import os

os.environ["DJANGO_SETTINGS_MODULE"] = "bench.peer.settings"

from bench.peer import bare
from hospital.wsgi import application as django_application  # the project's, under the settings above


def application(environ, start_response):
    if environ["PATH_INFO"].startswith("/bare/"):
        return bare.application(environ, start_response)
    return django_application(environ, start_response)
