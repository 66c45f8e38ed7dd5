"""Jobs run inside the Django worker processes of `bench.pool` (Django is set up).

Each job takes `worker` (its worker index) and keyword arguments, and returns
plain data. Timed loops start at `start_at` (time.monotonic()) so concurrent
clients begin together, and stop after `seconds`.
"""

from __future__ import annotations

import http.client
import io
import json
import random
import time

from bench.search_jobs import search_latency  # noqa: F401  (a job, looked up by name)
from outbox import queries

STREAM = None  # set by bench.pool: a queue for values streamed while a job runs
HORARIOS = ["08:00", "14:00", "20:00", "02:00", "11:00", "17:00", "23:00", "05:00"]


def _wait(start_at: float | None) -> None:
    if start_at is not None:
        delay = start_at - time.monotonic()
        if delay > 0:
            time.sleep(delay)


class Picker:
    """Random valid inputs for a 3-item prescription (doctors >= 3: fan-out rows stay exact)."""

    def __init__(self, seed: int, medicos: int, pacientes: int, medicamentos: int, items: int = 3):
        self.rng = random.Random(seed)
        self.medicos, self.pacientes, self.medicamentos, self.items = medicos, pacientes, medicamentos, items

    def pick(self) -> tuple[int, int, list[tuple[int, str, str]]]:
        rng = self.rng
        meds = rng.sample(range(1, self.medicamentos + 1), self.items)
        return (
            rng.randint(3, max(self.medicos, 3)),
            rng.randint(1, self.pacientes),
            [(m, HORARIOS[k % len(HORARIOS)], f"{rng.choice((50, 100, 200, 500))}mg") for k, m in enumerate(meds)],
        )


def migrate(worker: int) -> str:
    from django.core.management import call_command

    out = io.StringIO()
    call_command("migrate", interactive=False, verbosity=1, stdout=out)
    return out.getvalue()[-2000:]


def commands_available(worker: int) -> list[str]:
    from django.core.management import get_commands

    return sorted(get_commands())


def setup_user(worker: int) -> str:
    """A prescriber (who may also read) with an API token; returns the token."""
    from django.contrib.auth.models import Group, User
    from rest_framework.authtoken.models import Token

    user, _ = User.objects.get_or_create(username="bench_prescritor", defaults={"is_staff": False})
    for name in ("prescritor", "farmacia"):
        group = Group.objects.filter(name=name).first()
        if group:
            user.groups.add(group)
    return Token.objects.get_or_create(user=user)[0].key


def _loop(seconds: float, start_at: float | None, step) -> dict:
    _wait(start_at)
    latencies = []
    started = time.perf_counter()
    deadline = started + seconds
    now = started
    while now < deadline:
        step()
        end = time.perf_counter()
        latencies.append(end - now)
        now = end
    return {"count": len(latencies), "seconds": now - started, "latencies": latencies}


def _fresh_connection() -> None:
    """A new database session for this measurement, opened before the clock starts, as `write_raw` has.

    The worker's session has served every earlier scenario of the run; what its server process
    accumulated there is no part of what a write costs.
    """
    from django.db import connection, connections

    connections.close_all()
    connection.ensure_connection()


def write_command(worker: int, seconds: float, start_at: float | None, seed: int, scale: dict) -> dict:
    """create_prescription through the command function, as fast as one client can."""
    from prescriptions.commands import ItemInput, create_prescription

    picker = Picker(seed, **scale)
    _fresh_connection()

    def step():
        medico, paciente, itens = picker.pick()
        create_prescription(id_medico=medico, id_paciente=paciente, medicamentos=[ItemInput(*item) for item in itens])

    return _loop(seconds, start_at, step)


def write_http_inproc(worker: int, seconds: float, start_at: float | None, seed: int, scale: dict, token: str) -> dict:
    """POST /api/commands/prescricoes/ through Django's test client (full stack but the socket)."""
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    picker = Picker(seed, **scale)
    _fresh_connection()

    def step():
        medico, paciente, itens = picker.pick()
        body = {
            "id_medico": medico,
            "id_paciente": paciente,
            "medicamentos": [{"id_medicamento": m, "horario": h, "dosagem": d} for m, h, d in itens],
        }
        response = client.post("/api/commands/prescricoes/", body, format="json")
        if response.status_code != 201:
            raise RuntimeError(f"HTTP {response.status_code}: {response.content[:300]!r}")

    return _loop(seconds, start_at, step)


RAW_PRESCRICAO = (
    "INSERT INTO prescricoes (id_medico, id_paciente, data_prescricao, status, cancelada_em, motivo_cancelamento) "
    "VALUES (%s, %s, now(), 'ativa', NULL, '') RETURNING id, data_prescricao"
)
RAW_ITENS = (
    "INSERT INTO prescricao_medicamentos (id_prescricao, id_medicamento, horario, dosagem) "
    "VALUES (%s, %s, %s, %s), (%s, %s, %s, %s), (%s, %s, %s, %s) RETURNING id"
)
RAW_OUTBOX = (
    f"INSERT INTO {queries.TABLE} "
    "(event_type, aggregate_type, aggregate_id, payload, occurred_at, attempts, last_error) "
    "VALUES ('PrescricaoCriada', 'Prescricao', %s, %s, now(), 0, '') RETURNING id"
)


def write_raw(
    worker: int, seconds: float, start_at: float | None, seed: int, scale: dict, url: str, durable: bool = False
) -> dict:
    """The physical limit: the same transaction in plain SQL through psycopg 3 (prepared statements).

    `durable`: wait for the WAL flush at each commit (synchronous_commit=on) whatever the database says.
    """
    import psycopg
    from psycopg.types.json import Jsonb

    picker = Picker(seed, **scale)
    conn = psycopg.connect(url, prepare_threshold=0, autocommit=True)
    if durable:
        conn.execute("SET synchronous_commit = on")
    conn.autocommit = False

    def step():
        medico, paciente, itens = picker.pick()
        with conn.transaction():
            pid, data = conn.execute(RAW_PRESCRICAO, [medico, paciente]).fetchone()
            params = [v for m, h, d in itens for v in (pid, m, h, d)]
            ids = [row[0] for row in conn.execute(RAW_ITENS, params).fetchall()]
            payload = {
                "id_prescricao": pid,
                "data_prescricao": data.isoformat(),
                "medico": {"id_medico": medico},
                "paciente": {"id_paciente": paciente},
                "medicamentos": [
                    {"id": i, "id_medicamento": m, "horario": h, "dosagem": d}
                    for i, (m, h, d) in zip(ids, itens, strict=True)
                ],
            }
            conn.execute(RAW_OUTBOX, [pid, Jsonb(payload)])

    try:
        return _loop(seconds, start_at, step)
    finally:
        conn.close()


def _http(host: str, port: int, method: str, path: str, token: str, body: dict | None = None) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(host, port, timeout=30)
    headers = {"Authorization": f"Token {token}", "Accept": "application/json"}
    payload = None
    if body is not None:
        payload = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    try:
        conn.request(method, path, body=payload, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def write_http(
    worker: int, requests: int, start_at: float | None, seed: int, scale: dict, token: str, port: int
) -> dict:
    """POST prescriptions to a real gunicorn on loopback: a bounded number of requests."""
    picker = Picker(seed, **scale)
    _wait(start_at)
    latencies = []
    started = time.perf_counter()
    for _ in range(requests):
        medico, paciente, itens = picker.pick()
        body = {
            "id_medico": medico,
            "id_paciente": paciente,
            "medicamentos": [{"id_medicamento": m, "horario": h, "dosagem": d} for m, h, d in itens],
        }
        t0 = time.perf_counter()
        status, content = _http("127.0.0.1", port, "POST", "/api/commands/prescricoes/", token, body)
        latencies.append(time.perf_counter() - t0)
        if status != 201:
            raise RuntimeError(f"HTTP {status}: {content[:300]!r}")
    return {"count": len(latencies), "seconds": time.perf_counter() - started, "latencies": latencies}


def read_http(worker: int, paths: list[str], start_at: float | None, token: str, port: int) -> dict:
    """GET each path once from a real gunicorn on loopback; latencies and status codes."""
    _wait(start_at)
    latencies, statuses = [], {}
    started = time.perf_counter()
    for path in paths:
        t0 = time.perf_counter()
        status, _ = _http("127.0.0.1", port, "GET", path, token)
        latencies.append(time.perf_counter() - t0)
        statuses[status] = statuses.get(status, 0) + 1
    return {
        "count": len(latencies),
        "seconds": time.perf_counter() - started,
        "latencies": latencies,
        "statuses": statuses,
    }


def http_probe(worker: int, path: str, token: str, port: int) -> int:
    return _http("127.0.0.1", port, "GET", path, token)[0]


def rebuild(worker: int, args: list[str]) -> dict:
    """`manage.py rebuild_read_model` in-process (Django already loaded: no start-up cost timed)."""
    from django.core.management import call_command

    out = io.StringIO()
    t0 = time.perf_counter()
    call_command("rebuild_read_model", *args, stdout=out, stderr=out)
    return {"seconds": time.perf_counter() - t0, "output": out.getvalue()[-1500:]}


def rebuild_serial(worker: int) -> dict:
    """The same online rebuild with the two tables built one after the other (`parallel=False`)."""
    from pharmacy.swap_rebuild import rebuild_swap

    t0 = time.perf_counter()
    rebuild_swap(parallel=False)
    return {"seconds": time.perf_counter() - t0}


def paced_commands(worker: int, rate: float, seconds: float, start_at: float, seed: int, scale: dict) -> dict:
    """Commands at a steady `rate`/s (open loop); streams (id_prescricao, commit time) as they commit."""
    from prescriptions.commands import ItemInput, create_prescription

    picker = Picker(seed, **scale)
    _wait(start_at)
    t0 = time.monotonic()
    total = int(rate * seconds)
    late = 0.0
    for k in range(total):
        due = t0 + k / rate
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        else:
            late = max(late, -delay)
        medico, paciente, itens = picker.pick()
        prescricao = create_prescription(
            id_medico=medico, id_paciente=paciente, medicamentos=[ItemInput(*item) for item in itens]
        )
        STREAM.put(("commit", prescricao.pk, time.monotonic()))
    return {"count": total, "seconds": time.monotonic() - t0, "max_late_s": late}


def relay_drain(worker: int, profile: bool = False) -> dict:
    """`outbox.relay.run(once=True)` in-process: drains the outbox into the broker (no start-up timed).

    `profile`: run under cProfile and return the top functions by cumulative time.
    """
    import cProfile
    import pstats

    from outbox import relay

    profiler = cProfile.Profile() if profile else None
    t0 = time.perf_counter()
    if profiler:
        profiler.enable()
    stats = relay.run(once=True, log=lambda message: None)
    seconds = time.perf_counter() - t0
    result = {"seconds": seconds, "published": stats.published, "errors": stats.errors[-3:]}
    if profiler:
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(30)
        result["profile"] = out.getvalue()[-6000:]
    return result


def open_loop(worker: int, **kwargs) -> dict:
    """`bench.loadgen.run` in this worker process (see `bench.scenarios.http`)."""
    from bench import loadgen

    return loadgen.run(**kwargs)


def http_get(worker: int, path: str, token: str, port: int) -> tuple[int, str]:
    status, body = _http("127.0.0.1", port, "GET", path, token)
    return status, body.decode()
