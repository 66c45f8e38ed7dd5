"""`manage.py runstack` (what `make run` calls): migrate, seed, serve with the mode's workers until Ctrl-C."""

import os

from django.core.management.base import BaseCommand

from hospital.devserver import launcher


class Command(BaseCommand):
    help = (
        "Apply migrations, load the demo data, then run gunicorn on http://$HOST:$PORT "
        "(and, in celery mode, the outbox relay and a Celery worker) until Ctrl-C. A development server: "
        "deployments run the Procfile. READ_MODEL_SYNC, when set, switches the database to that mode first."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--no-seed", action="store_true", help="skip seed_demo")

    def handle(self, *args, host: str, port: int, no_seed: bool, **options) -> None:
        status = launcher.run(host=host, port=port, seed=not no_seed, out=self.stdout)
        if status:
            raise SystemExit(status)
