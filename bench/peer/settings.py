"""The project's settings plus the peer app and the URLs that serve it beside the project's."""

from hospital.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "bench.peer"]  # noqa: F405
ROOT_URLCONF = "bench.peer.urls"
