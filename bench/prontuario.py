"""`python -m bench.prontuario`: ingestion of other systems' events into the patient record.

Measures, on its own database `bench_pront_<pid>` (dropped at the end):

- `consolidation_events_per_s`: `receive_events` in-process (inbox insert,
  per-patient locks, fold, document upsert), batches of 500 of one source;
- `raw_insert_events_per_s`: the baseline, the same events inserted in the
  same batches into a bare table with the inbox's unique key (no fold), so
  `consolidation_vs_raw` is the cost of keeping the record;
- `http_events_per_s`: the same work through `POST /api/integracoes/eventos/`
  on gunicorn (2 workers), one client per source system posting concurrently;
- `visible_p50_ms` / `visible_p99_ms`: one event per request, time from
  sending the POST to a GET of the visit showing it (the record is updated in
  the accepting transaction, so this is one POST plus one GET).

Unlike `python -m bench`, this process loads Django itself (pointed at the
bench database) to seed users and call the ingestion command directly.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from bench import db
from bench.context import log, pct
from bench.threads import run_in_threads

ROOT = Path(__file__).resolve().parent.parent
BATCH = 500
SOURCES = ("triagem", "laboratorio", "imagem")


def _events(patients: list[int], tag: str) -> dict[str, list[dict]]:
    """About 10 events per visit, two visits per patient, split by source; ids unique per `tag`."""
    by_source: dict[str, list[dict]] = {s: [] for s in SOURCES}
    for p in patients:
        for v in range(2):
            visit = {"id_paciente": p, "id_atendimento": f"{tag}-{p}-{v}", "ocorrido_em": "2024-03-10T14:00:00Z"}
            key = f"{tag}-{p}-{v}"
            by_source["triagem"] += [
                {**visit, "id_evento": f"{key}-ab", "tipo": "AtendimentoAberto", "versao": 1,
                 "dados": {"aberto_em": f"2024-0{v + 1}-10T13:58:00Z"}},
                {**visit, "id_evento": f"{key}-tr", "tipo": "TriagemRegistrada", "versao": 1,
                 "dados": {"chegada_em": "2024-03-10T13:55:00Z", "queixa": "Dor torácica", "classificacao_risco":
                           "laranja", "sinais_vitais": {"pressao_sistolica": 150, "frequencia_cardiaca": 100}}},
                {**visit, "id_evento": f"{key}-fe", "tipo": "AtendimentoFechado", "versao": 1,
                 "dados": {"fechado_em": "2024-03-10T20:00:00Z", "desfecho": "alta"}},
            ]  # fmt: skip
            for exam in range(2):
                lab = {"id_exame": f"L{exam}"}
                by_source["laboratorio"] += [
                    {**visit, "id_evento": f"{key}-lo{exam}", "tipo": "ExameLaboratorialSolicitado", "versao": 1,
                     "dados": {**lab, "nome": "Hemograma", "solicitado_em": "2024-03-10T14:10:00Z"}},
                    {**visit, "id_evento": f"{key}-lr{exam}", "tipo": "ResultadoLaboratorialLiberado", "versao": 2,
                     "dados": {**lab, "liberado_em": "2024-03-10T15:00:00Z",
                               "resultados": [{"analito": "Hb", "valor": "13.2", "unidade": "g/dL"}]}},
                ]  # fmt: skip
            by_source["imagem"] += [
                {**visit, "id_evento": f"{key}-io", "tipo": "ExameImagemSolicitado", "versao": 1,
                 "dados": {"id_exame": "I1", "modalidade": "RX", "descricao": "Tórax PA",
                           "solicitado_em": "2024-03-10T14:12:00Z"}},
                {**visit, "id_evento": f"{key}-il", "tipo": "LaudoImagemLiberado", "versao": 1,
                 "dados": {"id_exame": "I1", "liberado_em": "2024-03-10T15:30:00Z", "laudo": "Sem alterações."}},
            ]  # fmt: skip
    return by_source


def _batches(by_source: dict[str, list[dict]]):
    for fonte, events in by_source.items():
        for start in range(0, len(events), BATCH):
            yield fonte, events[start : start + BATCH]


def _validated(by_source):
    from prontuario.ingestion import IncomingEvent
    from prontuario.serializers import EventoEntrada

    out = {}
    for fonte, events in by_source.items():
        serializer = EventoEntrada(data=events, many=True)
        serializer.is_valid(raise_exception=True)
        out[fonte] = [IncomingEvent(**item) for item in serializer.validated_data]
    return out


def _consolidation(by_source) -> float:
    from prontuario.ingestion import receive_events

    events = _validated(by_source)
    total = sum(len(v) for v in events.values())
    t0 = time.perf_counter()
    for fonte, batch in _batches(events):
        receive_events(fonte=fonte, eventos=batch)
    return total / (time.perf_counter() - t0)


def _raw_insert(by_source) -> float:
    from django.db import connection, transaction

    from prontuario.ingestion import _insert_new

    events = _validated(by_source)
    total = sum(len(v) for v in events.values())
    with connection.cursor() as cursor:  # the inbox's shape and unique key, without the fold
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_inbox_raw (LIKE prontuario_inbox INCLUDING ALL)")
        cursor.execute("ALTER TABLE prontuario_inbox RENAME TO bench_inbox_real")
        cursor.execute("ALTER TABLE bench_inbox_raw RENAME TO prontuario_inbox")
    try:
        t0 = time.perf_counter()
        for fonte, batch in _batches(events):
            with transaction.atomic():
                _insert_new(fonte, batch)
        return total / (time.perf_counter() - t0)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE prontuario_inbox")
            cursor.execute("ALTER TABLE bench_inbox_real RENAME TO prontuario_inbox")


def _post(port: int, token: str, body: dict, method: str = "POST", path: str = "/api/integracoes/eventos/"):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", data=data, method=method,
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def _http(port: int, tokens: dict[str, str], by_source) -> float:
    total = sum(len(v) for v in by_source.values())

    def client(fonte: str) -> None:
        for start in range(0, len(by_source[fonte]), BATCH):
            _post(port, tokens[fonte], {"eventos": by_source[fonte][start : start + BATCH]})

    t0 = time.perf_counter()
    run_in_threads(client, [(fonte,) for fonte in SOURCES])
    return total / (time.perf_counter() - t0)


def _visibility(port: int, tokens: dict[str, str], paciente: int, n: int) -> list[float]:
    """One triage update per request; ms from sending it to a GET of the visit showing its version."""
    latencies = []
    for versao in range(1, n + 1):
        event = {"id_paciente": paciente, "id_atendimento": "LAT-1", "id_evento": f"lat-{versao}",
                 "tipo": "TriagemRegistrada", "versao": versao, "ocorrido_em": "2024-03-10T14:00:00Z",
                 "dados": {"chegada_em": "2024-03-10T13:55:00Z", "queixa": f"v{versao}",
                           "classificacao_risco": "verde", "sinais_vitais": {}}}  # fmt: skip
        t0 = time.perf_counter()
        _post(port, tokens["triagem"], {"eventos": [event]})
        while True:
            doc = _post(port, tokens["clinico"], None, "GET", f"/api/prontuarios/{paciente}/atendimentos/LAT-1/")
            if doc["triagem"]["origem"]["versao"] == versao:
                break
        latencies.append((time.perf_counter() - t0) * 1000)
    return latencies


def _seed(patients: int) -> tuple[list[int], dict[str, str]]:
    from django.contrib.auth.models import Group, User
    from django.db import connection
    from rest_framework.authtoken.models import Token

    from prontuario.models import FonteIntegracao

    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO pacientes (nome, data_nascimento, ativo) SELECT 'Paciente ' || g, DATE '1980-01-01', true "
            "FROM generate_series(1, %s) g RETURNING id",
            [patients],
        )
        ids = [row[0] for row in cursor.fetchall()]
    tokens = {}
    for name in (*SOURCES, "clinico"):
        user = User.objects.create_user(f"bench-{name}", password="x")
        user.groups.add(Group.objects.get(name="clinico" if name == "clinico" else "integracao"))
        if name != "clinico":
            FonteIntegracao.objects.create(usuario=user, fonte=name)
        tokens[name] = Token.objects.create(user=user).key
    return ids, tokens


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _gunicorn(url: str, port: int) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": url, "DEBUG": "0", "LOG_LEVEL": "WARNING", "CONN_MAX_AGE": "600"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "hospital.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2",
         "--no-control-socket"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return proc
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError("gunicorn did not start")


def main() -> int:
    patients = int(os.environ.get("BENCH_PRONTUARIO_PATIENTS", "1000"))
    server = db.server_url()
    name = f"bench_pront_{os.getpid()}"
    url = db.create_database(server, name, synchronous_commit="off")
    os.environ.update(DATABASE_URL=url, READ_MODEL_SYNC="trigger", DEBUG="0", LOG_LEVEL="WARNING",
                      DJANGO_SETTINGS_MODULE="hospital.settings")  # fmt: skip
    web = None
    try:
        import django
        from django.core.management import call_command
        from django.db import connection

        django.setup()
        call_command("migrate", verbosity=0)
        ids, tokens = _seed(patients)
        results: dict = {"patients": patients}
        raw = _raw_insert(_events(ids, "raw"))
        consolidated = _consolidation(_events(ids, "c"))
        results["events"] = sum(len(v) for v in _events(ids, "x").values())
        results["raw_insert_events_per_s"] = round(raw)
        results["consolidation_events_per_s"] = round(consolidated)
        results["consolidation_vs_raw"] = round(consolidated / raw, 3)
        log(f"consolidation {consolidated:.0f} events/s; raw insert {raw:.0f} events/s")
        connection.close()
        port = _free_port()
        web = _gunicorn(url, port)
        http = _http(port, tokens, _events(ids, "h"))
        results["http_events_per_s"] = round(http)
        log(f"http {http:.0f} events/s")
        latencies = _visibility(port, tokens, ids[0], 300)
        results["visible_p50_ms"] = round(pct(latencies, 50), 1)
        results["visible_p99_ms"] = round(pct(latencies, 99), 1)
        log(f"visible p50 {results['visible_p50_ms']} ms, p99 {results['visible_p99_ms']} ms")
        results["target_events_per_s"] = 2000
        out = ROOT / "bench" / "results" / "prontuario.json"
        out.write_text(json.dumps(results, indent=2) + "\n")
        print(json.dumps(results, indent=2))
        return 0
    finally:
        if web is not None:
            web.terminate()
            web.wait(10)
        from django.db import connections

        connections.close_all()
        db.drop_database(server, name)


if __name__ == "__main__":
    raise SystemExit(main())
