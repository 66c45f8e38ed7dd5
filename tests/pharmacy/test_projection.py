"""The projection contract and the triggers: every write path keeps the read models equal to the source join."""

import datetime as dt

import pytest
from django.db import connection, transaction

from hospital import commands as master
from hospital.errors import DomainError
from pharmacy import projection, projector
from pharmacy.models import ItemDetalhado, PrescricaoDocumento
from pharmacy.protection import unsafe_read_model_writes
from prescriptions import commands
from prescriptions.models import Prescricao, PrescricaoMedicamento
from prescriptions.rules import ItemInput
from tests.pharmacy.helpers import assert_read_models_match_source

pytestmark = pytest.mark.django_db(transaction=True)

ARTICLE_DOCUMENT = {
    "data_prescricao": "2023-05-20T14:30:00Z",
    "status": "ativa",
    "medico": {"nome": "Dr. João Silva", "especialidade": "Cardiologia", "crm": "CRM12345"},
    "paciente": {"nome": "Maria Oliveira", "data_nascimento": "1985-07-10", "endereco": "Rua das Flores, 123"},
}


def test_article_example_yields_the_articles_rows_and_document(article_prescription, cardiologista, paciente):
    rows = list(
        ItemDetalhado.objects.order_by("horario").values(
            "id_prescricao", "data_prescricao", "nome_medico", "especialidade_medico", "crm_medico",
            "nome_paciente", "data_nascimento_paciente", "endereco_paciente", "nome_medicamento", "horario", "dosagem",
        )
    )  # fmt: skip
    common = {
        "id_prescricao": article_prescription.pk,
        "data_prescricao": dt.datetime(2023, 5, 20, 14, 30, tzinfo=dt.UTC),
        "nome_medico": "Dr. João Silva",
        "especialidade_medico": "Cardiologia",
        "crm_medico": "CRM12345",
        "nome_paciente": "Maria Oliveira",
        "data_nascimento_paciente": dt.date(1985, 7, 10),
        "endereco_paciente": "Rua das Flores, 123",
    }
    assert rows == [
        {**common, "nome_medicamento": "Aspirina", "horario": dt.time(8, 0), "dosagem": "100mg"},
        {**common, "nome_medicamento": "Paracetamol", "horario": dt.time(20, 0), "dosagem": "500mg"},
    ]
    assert set(ItemDetalhado.objects.values_list("id", flat=True)) == set(
        article_prescription.itens.values_list("id", flat=True)
    )
    doc = PrescricaoDocumento.objects.get(pk=article_prescription.pk).documento
    aspirina, paracetamol = (item["id_medicamento"] for item in doc["medicamentos"])
    assert doc == {
        **ARTICLE_DOCUMENT,
        "id_prescricao": article_prescription.pk,
        "medico": {**ARTICLE_DOCUMENT["medico"], "id_medico": cardiologista.pk},
        "paciente": {**ARTICLE_DOCUMENT["paciente"], "id_paciente": paciente.pk},
        "medicamentos": [
            {
                "id_medicamento": aspirina,
                "nome": "Aspirina",
                "descricao": "Analgésico e anti-inflamatório",
                "horario": "08:00",
                "dosagem": "100mg",
            },
            {
                "id_medicamento": paracetamol,
                "nome": "Paracetamol",
                "descricao": "Analgésico",
                "horario": "20:00",
                "dosagem": "500mg",
            },
        ],
    }
    assert_read_models_match_source()


def test_cancel_removes_rows_and_keeps_a_cancelled_document(article_prescription):
    commands.cancel_prescription(id_prescricao=article_prescription.pk, motivo="erro")
    assert not ItemDetalhado.objects.exists()
    assert PrescricaoDocumento.objects.get(pk=article_prescription.pk).documento["status"] == "cancelada"
    assert_read_models_match_source()


def test_sql_rename_of_a_doctor_reaches_every_row_and_document(article_prescription, cardiologista):
    with connection.cursor() as cursor:
        cursor.execute("UPDATE medicos SET nome = 'Dr. João S. Silva' WHERE id = %s", [cardiologista.pk])
    assert set(ItemDetalhado.objects.values_list("nome_medico", flat=True)) == {"Dr. João S. Silva"}
    doc = PrescricaoDocumento.objects.get(pk=article_prescription.pk).documento
    assert doc["medico"]["nome"] == "Dr. João S. Silva"
    assert_read_models_match_source()


def test_queryset_update_bulk_create_and_delete_paths(article_prescription, aspirina, paciente):
    PrescricaoMedicamento.objects.filter(prescricao=article_prescription).update(dosagem="1g")
    assert set(ItemDetalhado.objects.values_list("dosagem", flat=True)) == {"1g"}
    Prescricao.objects.filter(pk=article_prescription.pk).update(data_prescricao=dt.datetime(2024, 1, 1, tzinfo=dt.UTC))
    assert_read_models_match_source()
    PrescricaoMedicamento.objects.bulk_create(
        [PrescricaoMedicamento(prescricao=article_prescription, medicamento=aspirina, horario=dt.time(h), dosagem="5mg")
         for h in (1, 2, 3)]
    )  # fmt: skip
    assert ItemDetalhado.objects.count() == 5
    PrescricaoMedicamento.objects.filter(horario__lt=dt.time(4)).delete()
    assert ItemDetalhado.objects.count() == 2
    master.update_patient(id_paciente=paciente.pk, nome="Maria O.", data_nascimento=dt.date(1985, 7, 10))
    assert_read_models_match_source()
    article_prescription.delete()
    assert not ItemDetalhado.objects.exists() and not PrescricaoDocumento.objects.exists()


def test_failing_command_leaves_read_models_untouched(article_prescription, quimio):
    before_rows = list(ItemDetalhado.objects.order_by("id").values())
    before_docs = list(PrescricaoDocumento.objects.values())
    with pytest.raises(DomainError):  # a cardiologist may not prescribe an oncology-only drug
        commands.add_item(id_prescricao=article_prescription.pk, item=ItemInput(quimio.pk, "09:00", "1mg"))
    with pytest.raises(DomainError):
        commands.remove_item(id_prescricao=article_prescription.pk, id_item=10**9)
    assert list(ItemDetalhado.objects.order_by("id").values()) == before_rows
    assert list(PrescricaoDocumento.objects.values()) == before_docs


def test_rolled_back_write_leaves_no_trace(article_prescription, cardiologista):
    with pytest.raises(RuntimeError), transaction.atomic():
        master.Medico.objects.filter(pk=cardiologista.pk).update(nome="Outro")
        assert ItemDetalhado.objects.filter(nome_medico="Outro").count() == 2
        raise RuntimeError
    assert set(ItemDetalhado.objects.values_list("nome_medico", flat=True)) == {"Dr. João Silva"}


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE vw_prescricoes_medicamentos_detalhadas SET dosagem = 'x'",
        "DELETE FROM vw_prescricoes_documentos",
        "INSERT INTO vw_prescricoes_documentos SELECT 0, 0, 0, 'ativa', now(), '{}'",
    ],
)
def test_direct_writes_to_read_models_are_refused(article_prescription, statement):
    with pytest.raises(Exception, match="is a read model"), connection.cursor() as cursor:
        cursor.execute(statement)
    assert_read_models_match_source()


def test_orm_writes_to_read_models_are_refused(article_prescription):
    with pytest.raises(Exception, match="is a read model"):
        ItemDetalhado.objects.update(dosagem="x")


def test_refresh_prescriptions_repairs_and_is_idempotent(article_prescription):
    with unsafe_read_model_writes():
        ItemDetalhado.objects.update(nome_medico="errado")
        PrescricaoDocumento.objects.all().delete()
    projection.refresh_prescriptions([article_prescription.pk, 999_999])
    projection.refresh_prescriptions([article_prescription.pk])
    assert_read_models_match_source()


# The refresh each aggregate's trigger runs (`pharmacy/sql/refresh.sql`), called as the triggers call it.
_REFRESH = {
    "Medico": "pharmacy_refresh_medicos",
    "Paciente": "pharmacy_refresh_pacientes",
    "Medicamento": "pharmacy_refresh_medicamentos",
    "Prescricao": "pharmacy_refresh_prescricoes",
}


@pytest.mark.parametrize("aggregate", ["Medico", "Paciente", "Medicamento", "Prescricao"])
def test_refresh_for_each_aggregate_type(article_prescription, cardiologista, paciente, aspirina, aggregate):
    ids = {
        "Medico": cardiologista.pk,
        "Paciente": paciente.pk,
        "Medicamento": aspirina.pk,
        "Prescricao": article_prescription.pk,
    }
    with unsafe_read_model_writes():
        ItemDetalhado.objects.update(nome_medico="x", nome_paciente="x", nome_medicamento="x", dosagem="x")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {_REFRESH[aggregate]}(%s::bigint[])", [[ids[aggregate]]])
    column = {"Medico": "nome_medico", "Paciente": "nome_paciente", "Medicamento": "nome_medicamento"}.get(aggregate)
    if column:
        assert ItemDetalhado.objects.exclude(**{column: "x"}).exists()
    else:
        assert_read_models_match_source()
    # An aggregate type the outbox does not declare is refused by the projector, not silently skipped.
    result = projector.apply_events([projector.Event(10**12, "Outro", 1)])
    assert result.failed == {10**12: "unknown aggregate type: 'Outro'"} and result.projected == []
