"""manage.py export_prontuarios: the patient records as JSON Lines (audit, billing, model training)."""

import datetime as dt
import json
import sys

from django.core.management.base import BaseCommand, CommandError

from prontuario.export import count_patients, patient_records


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"invalid date {value!r}: use YYYY-MM-DD") from exc


class Command(BaseCommand):
    help = (
        "Write one JSON line per patient ({paciente, atendimentos}: visits newest first) to stdout or --output, "
        "streaming in constant memory. --since/--until (YYYY-MM-DD, inclusive, local dates) keep the visits that "
        "began in that range. Progress goes to stderr when it is a terminal."
    )

    def add_arguments(self, parser):
        parser.add_argument("--since", type=_date, default=None, help="first date (YYYY-MM-DD) of the visits")
        parser.add_argument("--until", type=_date, default=None, help="last date (YYYY-MM-DD) of the visits")
        parser.add_argument("--output", "-o", default=None, help="file to write (default: stdout)")

    def handle(self, *args, since, until, output, **options):
        if since and until and since > until:
            raise CommandError("--since must not be after --until")
        show_progress = sys.stderr.isatty()
        total = count_patients(since, until) if show_progress else 0
        sink = open(output, "w", encoding="utf-8") if output else self.stdout  # noqa: SIM115 -- closed below
        written = 0
        try:
            for record in patient_records(since, until):
                sink.write(json.dumps(record, ensure_ascii=False) + "\n")
                written += 1
                if show_progress and (written % 100 == 0 or written == total):
                    sys.stderr.write(f"\r{written}/{total} patients exported")
                    sys.stderr.flush()
        finally:
            if output:
                sink.close()
        if show_progress:
            sys.stderr.write("\n")
