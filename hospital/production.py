"""Production settings: what the Procfile runs. DEBUG off whatever the environment says; SECRET_KEY required.

`make run` and the tests use `hospital.settings` (a development server with a
development key); every deployed process (web, worker, relay) loads this
module instead, so a missing SECRET_KEY stops it at start rather than signing
sessions with a key published in the repository.
"""

import os

from django.core.exceptions import ImproperlyConfigured

from hospital.settings import *  # noqa: F403

if not os.environ.get("SECRET_KEY", "").strip():
    raise ImproperlyConfigured(
        "SECRET_KEY is required in production (hospital.production): set it to a long random value, e.g. "
        "python -c 'import secrets; print(secrets.token_urlsafe(50))'."
    )
SECRET_KEY = os.environ["SECRET_KEY"]
DEBUG = False
