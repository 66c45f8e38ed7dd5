"""The inbox command: once per (source, id_evento), all or nothing, pending until the patient exists."""

import datetime as dt
import threading

import pytest
from django.db import connection

from hospital import commands as master
from prontuario import ingestion
from prontuario.errors import SourceNotAllowed
from prontuario.models import DocumentoAtendimento, EventoRecebido
from prontuario.serializers import EventoEntrada
from tests.prontuario.conftest import lab_order, lab_result, triage, visit_opened


def incoming(raw: dict) -> ingestion.IncomingEvent:
    serializer = EventoEntrada(data=raw)
    serializer.is_valid(raise_exception=True)
    return ingestion.IncomingEvent(**serializer.validated_data)


def receive(fonte: str, *raws: dict) -> ingestion.Receipt:
    return ingestion.receive_events(fonte=fonte, eventos=[incoming(raw) for raw in raws])


def document(paciente_id: int, atendimento: str = "ATD-1") -> dict:
    return DocumentoAtendimento.objects.get(id_paciente=paciente_id, id_atendimento=atendimento).documento


@pytest.mark.django_db
def test_a_redelivered_batch_is_acknowledged_and_applied_once(paciente):
    first = receive("laboratorio", lab_order("o1", paciente=paciente.pk), lab_result("r1", paciente=paciente.pk))
    before = document(paciente.pk)
    again = receive("laboratorio", lab_order("o1", paciente=paciente.pk), lab_result("r1", paciente=paciente.pk))
    assert first.situacoes == {"o1": "aplicado", "r1": "aplicado"}
    assert again.situacoes == {"o1": "duplicado", "r1": "duplicado"}
    assert EventoRecebido.objects.count() == 2
    assert document(paciente.pk) == before


@pytest.mark.django_db
def test_an_amendment_supersedes_by_version_not_by_arrival(paciente):
    amended = lab_result("r2", paciente=paciente.pk, versao=5, valor="0.03", motivo="Erro de digitação")
    receive("laboratorio", amended)
    receive("laboratorio", lab_result("r1", paciente=paciente.pk, versao=2, valor="0.02"))  # arrives late
    (exam,) = document(paciente.pk)["exames_laboratoriais"]
    assert exam["situacao"] == "retificado"
    assert exam["resultado"]["resultados"][0]["valor"] == "0.03"
    assert [old["id_evento"] for old in exam["substituidos"]] == ["r1"]
    assert exam["solicitacao"] is None  # the order has not arrived yet


@pytest.mark.django_db
def test_an_ordered_exam_is_pending_until_released(paciente):
    receive("laboratorio", lab_order("o1", paciente=paciente.pk))
    doc = document(paciente.pk)
    assert doc["pendencias"] == [
        {"tipo": "exame_laboratorial", "id_exame": "LAB-77", "descricao": "Troponina I",
         "solicitado_em": "2024-03-10T14:10:00Z"}
    ]  # fmt: skip
    receive("laboratorio", lab_result("r1", paciente=paciente.pk))
    assert document(paciente.pk)["pendencias"] == []


@pytest.mark.django_db
def test_another_sources_event_type_is_refused_and_nothing_is_stored(paciente):
    with pytest.raises(SourceNotAllowed) as refused:
        receive("laboratorio", lab_order("o1", paciente=paciente.pk), triage("t1", paciente=paciente.pk))
    assert [(e.field, e.code) for e in refused.value.errors] == [("eventos[1].tipo", "tipo_de_outra_fonte")]
    assert not EventoRecebido.objects.exists()


@pytest.mark.django_db
def test_events_of_an_unknown_patient_wait_and_are_applied_when_it_is_registered():
    with connection.cursor() as cursor:
        # The id the next registration gets (peek at the sequence without consuming it).
        cursor.execute("SELECT setval(pg_get_serial_sequence('pacientes', 'id'), nextval(pg_get_serial_sequence("
                       "'pacientes', 'id')), false)")  # fmt: skip
        future_id = cursor.fetchone()[0]
    receipt = receive("triagem", triage("t1", paciente=future_id), visit_opened("v1", paciente=future_id))
    assert receipt.situacoes == {"t1": "pendente", "v1": "pendente"}
    assert not DocumentoAtendimento.objects.exists()
    assert EventoRecebido.objects.filter(aplicado_em__isnull=True).count() == 2

    paciente = master.register_patient(nome="Ana Lima", data_nascimento=dt.date(1970, 1, 1))

    assert paciente.pk == future_id
    doc = document(future_id)
    assert doc["triagem"]["queixa"] == "Dor no peito"
    assert doc["atendimento"]["situacao"] == "aberto"
    assert not EventoRecebido.objects.filter(aplicado_em__isnull=True).exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_redelivery_of_one_batch_stores_and_applies_it_once(paciente):
    """Two connections post the same batch at once: one applies it, the other waits and sees duplicates."""
    batch = [lab_order("o1", paciente=paciente.pk), lab_result("r1", paciente=paciente.pk)]
    barrier = threading.Barrier(2)
    receipts, errors = [], []

    def deliver():
        try:
            barrier.wait(10)
            receipts.append(receive("laboratorio", *batch))
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert sorted(sorted(r.situacoes.values()) for r in receipts) == [
        ["aplicado", "aplicado"],
        ["duplicado", "duplicado"],
    ]
    assert EventoRecebido.objects.count() == 2
    assert document(paciente.pk)["exames_laboratoriais"][0]["situacao"] == "liberado"
