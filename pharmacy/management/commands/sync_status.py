"""manage.py sync_status: mode, backlog, oldest pending age, dead letters (as GET /api/pharmacy/status/)."""

import json

from django.core.management.base import BaseCommand

from hospital.replicas.health import replica_status
from outbox.sync_mode import mode_line, recorded_broker
from pharmacy.status import sync_status


class Command(BaseCommand):
    help = "Show the read-model sync status: mode, backlog, oldest pending event age, dead letters."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", dest="as_json", help="Print one JSON object.")

    def handle(self, *args, as_json: bool = False, **options):
        status = sync_status().as_dict()
        replicas = replica_status()["replicas"]
        if as_json:
            status["replicas"] = replicas
        status["broker"] = recorded_broker() or None
        if as_json:
            self.stdout.write(json.dumps(status, default=str, ensure_ascii=False))
            return
        age = status["oldest_pending_age_seconds"]
        lines = [
            mode_line(),
            f"backlog:            {status['backlog']} events not yet projected",
            f"oldest pending age: {'-' if age is None else f'{age:.1f}s'}",
            f"unpublished:        {status['unpublished']}",
            f"dead letters:       {status['dead_letters']}",
            f"last position:      {status['last_position'] or '-'}",
            f"projected up to:    {status['projection_position']}",
            f"read-model lag:     {status['lag_events']} events",
        ]
        lines += [
            f"replica {r['alias']}:  {r['status']}, lag {_lag(r)}" + (f" ({r['error']})" if r["error"] else "")
            for r in replicas
        ]
        self.stdout.write("\n".join(lines))


def _lag(replica: dict) -> str:
    if replica["lag_seconds"] is None:
        return "-"
    return f"{replica['lag_seconds']:.3f}s, {replica['lag_bytes']} bytes of WAL, replayed up to {replica['replay_lsn']}"
