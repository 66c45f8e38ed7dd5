"""Metrics of real processes: gunicorn's workers summed, and the relay's and worker's own ports."""

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import pytest

from hospital import commands as master
from hospital.specialties import Especialidade
from prescriptions import commands
from prescriptions.rules import ItemInput
from tests.celery.conftest import _database_url, _free_port
from tests.monitoring.processes import Gunicorn, get, poll, sample


def test_gunicorn_metrics_count_the_requests_of_every_worker(db, tmp_path):
    """In multiprocess mode (what `make run` sets up) /metrics sums the workers, whichever one answers."""
    folder = tmp_path / "metrics"
    folder.mkdir()
    env = {"DATABASE_URL": _database_url(), "PROMETHEUS_MULTIPROC_DIR": str(folder)}
    web = Gunicorn(_free_port(), env, tmp_path / "web.log", workers=2)
    try:
        poll(f"{web.url}/readyz", lambda status, body: status == 200, 30, "gunicorn to be ready")
        with ThreadPoolExecutor(4) as pool:  # concurrent, so both workers take some
            statuses = list(pool.map(lambda _: get(f"{web.url}/readyz")[0], range(40)))
        assert statuses == [200] * 40
        pids = {path.stem.rsplit("_", 1)[1] for path in folder.glob("counter_*.db")}
        assert len(pids) == 2, f"both gunicorn workers should have answered: {sorted(pids)}"
        status, page = get(f"{web.url}/metrics")
        assert status == 200
        assert sample(page, "http_requests_total", method="GET", route="readyz", status="200") == 41
        assert sample(page, "sync_status_up") == 1
    finally:
        web.stop()


@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_relay_and_worker_serve_their_counters_and_the_sync_gauges(stack):
    worker_port, relay_port = _free_port(), _free_port()
    stack.worker("w1", WORKER_METRICS_PORT=str(worker_port))
    stack.relay("r1", RELAY_METRICS_PORT=str(relay_port))
    medico = master.register_doctor(nome="Dr. João Silva", especialidade=Especialidade.CARDIOLOGIA, crm="CRM12345")
    paciente = master.register_patient(nome="Maria Oliveira", data_nascimento=dt.date(1985, 7, 10))
    aspirina = master.register_medication(nome="Aspirina")
    for hour in (8, 12, 20):
        commands.create_prescription(
            id_medico=medico.pk,
            id_paciente=paciente.pk,
            medicamentos=[ItemInput(aspirina.pk, f"{hour:02d}:00", "100mg")],
        )

    def applied_all(status, page):  # 6 events: 3 master-data registrations, 3 prescriptions
        return status == 200 and (sample(page, "sync_projector_events_total", outcome="applied") or 0) >= 6

    _, worker_page = poll(f"http://127.0.0.1:{worker_port}/metrics", applied_all, 60, "the worker's count")
    assert sample(worker_page, "sync_projector_messages_total", result="ok") >= 1
    assert sample(worker_page, "db_queries_total", alias="default") >= 1  # counted in the pool's children
    _, relay_page = poll(
        f"http://127.0.0.1:{relay_port}/metrics",
        lambda status, page: (sample(page, "outbox_relay_events_total", outcome="published") or 0) >= 6,
        30,
        "the relay's count",
    )
    assert sample(relay_page, "outbox_relay_passes_total", claimed="yes") >= 1
    for page in (worker_page, relay_page):
        assert sample(page, "sync_status_up") == 1
        assert sample(page, "sync_mode_info", configured="celery", database="celery") == 1
    _, settled = poll(
        f"http://127.0.0.1:{relay_port}/metrics",
        lambda status, page: sample(page, "sync_backlog_events") == 0,
        30,
        "the backlog gauge to reach 0",
    )
    assert sample(settled, "sync_projection_position") == sample(settled, "sync_last_position")
