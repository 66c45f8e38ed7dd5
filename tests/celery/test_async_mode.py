"""Asynchronous mode end to end with a real Redis and real relay/worker processes.

Marked `celery`: the group runs in about two minutes.
"""

import contextlib
import datetime as dt
import random
import threading
import time

import pytest
from django.db import IntegrityError, connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hospital import commands as master
from hospital.errors import DomainError
from hospital.specialties import Especialidade
from outbox.models import OutboxEvent
from pharmacy.models import ItemDetalhado, PrescricaoDocumento
from pharmacy.status import sync_status
from prescriptions import commands
from prescriptions.models import PrescricaoMedicamento
from prescriptions.rules import ItemInput
from tests.celery.conftest import converged, verify_exit_code, wait_until
from tests.pharmacy.test_property import _apply, operations

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]


def _world():
    medicos = [
        master.register_doctor(nome="Dr. João Silva", especialidade=Especialidade.CARDIOLOGIA, crm="CRM12345"),
        master.register_doctor(nome="Dra. Ana Souza", especialidade=Especialidade.ONCOLOGIA, crm="CRM54321"),
    ]
    pacientes = [
        master.register_patient(nome="Maria Oliveira", data_nascimento=dt.date(1985, 7, 10), endereco="Rua A"),
        master.register_patient(nome="Pedro", data_nascimento=dt.date(2000, 1, 1)),
    ]
    medicamentos = [master.register_medication(nome=f"Remédio {n}") for n in range(12)]
    return medicos, pacientes, medicamentos


def _prescribe(medico, paciente, medicamento, hour: int = 8) -> int:
    return commands.create_prescription(
        id_medico=medico.pk, id_paciente=paciente.pk, medicamentos=[ItemInput(medicamento.pk, f"{hour:02d}:00", "1mg")]
    ).pk


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(operations, min_size=1, max_size=10))
def test_converges_after_any_sequence_of_writes(stack, steps):
    """The trigger-mode property's sequences (commands, update(), bulk_create, raw SQL), applied by the workers."""
    if not OutboxEvent.objects.exists():
        medicos, pacientes, medicamentos = _world()
        _prescribe(medicos[0], pacientes[0], medicamentos[0])
        stack.worker("w1")
        stack.relay("r1")
    for op in steps:
        with contextlib.suppress(DomainError, IntegrityError):
            _apply(op)
    wait_until(converged, 30, "the read models to converge", stack)
    assert verify_exit_code() == 0


def test_broker_down_during_writes_loses_nothing(stack, private_redis):
    stack.env["REDIS_URL"] = private_redis.url
    medicos, pacientes, medicamentos = _world()
    stack.worker("w1")
    stack.relay("r1")
    _prescribe(medicos[0], pacientes[0], medicamentos[0])
    wait_until(converged, 30, "the first write to arrive", stack)

    private_redis.stop()
    written = [_prescribe(medicos[0], pacientes[1], medicamentos[n % 12], hour=n % 24) for n in range(20)]
    master.update_doctor(id_medico=medicos[0].pk, nome="Dr. J. Silva", especialidade=Especialidade.CARDIOLOGIA,
                         crm="CRM12345")  # fmt: skip
    time.sleep(3)  # the relay keeps trying meanwhile
    status = sync_status()
    assert status.backlog >= 21 and status.dead_letters == 0
    assert not PrescricaoDocumento.objects.filter(pk__in=written).exists()

    private_redis.start()
    wait_until(converged, 60, "delivery after the broker came back", stack)
    assert PrescricaoDocumento.objects.filter(pk__in=written).count() == 20
    assert set(ItemDetalhado.objects.filter(id_medico=medicos[0].pk).values_list("nome_medico", flat=True)) == {
        "Dr. J. Silva"
    }
    assert sync_status().dead_letters == 0


def test_two_relays_two_workers_concurrent_writers_keep_per_prescription_order(stack):
    """Each writer appends items to its prescriptions; a reader never sees a prescription go back in time."""
    medicos, pacientes, medicamentos = _world()
    prescriptions = [_prescribe(medicos[0], pacientes[n % 2], medicamentos[0], hour=0) for n in range(8)]
    for name in ("r1", "r2"):
        stack.relay(name)
    for name in ("w1", "w2"):
        stack.worker(name)
    wait_until(converged, 30, "the initial prescriptions", stack)

    seen: dict[int, list[int]] = {pk: [] for pk in prescriptions}
    done = threading.Event()
    errors: list[BaseException] = []

    def writer(mine: list[int]) -> None:
        try:
            rng = random.Random(mine[0])
            for hour in range(1, 11):
                for pk in mine:
                    commands.add_item(
                        id_prescricao=pk, item=ItemInput(medicamentos[hour].pk, f"{hour:02d}:00", f"{hour}mg")
                    )
                    time.sleep(rng.random() / 100)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    def reader() -> None:
        try:
            while not done.is_set():
                docs = PrescricaoDocumento.objects.filter(pk__in=prescriptions).values_list("pk", "documento")
                for pk, doc in docs:
                    seen[pk].append(len(doc["medicamentos"]))
                time.sleep(0.005)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(prescriptions[i::4],)) for i in range(4)]
    observer = threading.Thread(target=reader)
    observer.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wait_until(converged, 60, "convergence after concurrent writers", stack)
    done.set()
    observer.join()
    assert not errors, errors

    for pk, counts in seen.items():
        assert counts == sorted(counts), f"prescription {pk} went back in time: {counts}"
        assert PrescricaoMedicamento.objects.filter(prescricao_id=pk).count() == 11
    assert all(len(PrescricaoDocumento.objects.get(pk=pk).documento["medicamentos"]) == 11 for pk in prescriptions)
    assert verify_exit_code() == 0
