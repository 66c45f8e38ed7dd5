"""The admin path: staff create and change prescriptions through the same commands."""

import datetime as dt

import pytest
from django.contrib.admin.models import LogEntry

from outbox.models import OutboxEvent
from prescriptions.models import Prescricao, StatusPrescricao

pytestmark = pytest.mark.django_db

ADD_URL = "/admin/prescriptions/prescricao/add/"


def inline(rows: list[dict], initial: int = 0) -> dict:
    data = {
        "itens-TOTAL_FORMS": str(len(rows)),
        "itens-INITIAL_FORMS": str(initial),
        "itens-MIN_NUM_FORMS": "0",
        "itens-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        data.update({f"itens-{index}-{key}": value for key, value in row.items()})
    return data


def add_form(medico, paciente, rows) -> dict:
    return {
        "medico": medico.pk,
        "paciente": paciente.pk,
        "data_prescricao_0": "20/05/2023",
        "data_prescricao_1": "14:30:00",
        **inline(rows),
    }


@pytest.fixture
def staff_client(client, admin_user_):
    client.force_login(admin_user_)
    return client


def test_admin_creates_prescription_through_the_command(staff_client, cardiologista, paciente, aspirina, paracetamol):
    response = staff_client.post(
        ADD_URL,
        add_form(
            cardiologista,
            paciente,
            [
                {"medicamento": aspirina.pk, "horario": "08:00", "dosagem": "100mg"},
                {"medicamento": paracetamol.pk, "horario": "20:00", "dosagem": "500mg"},
                {"medicamento": "", "horario": "", "dosagem": ""},
            ],
        ),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    prescricao = Prescricao.objects.get()
    assert prescricao.itens.count() == 2
    assert OutboxEvent.objects.filter(event_type="PrescricaoCriada", aggregate_id=prescricao.pk).exists()


def test_admin_shows_the_commands_message_and_saves_nothing(staff_client, cardiologista, paciente, quimio):
    response = staff_client.post(
        ADD_URL, add_form(cardiologista, paciente, [{"medicamento": quimio.pk, "horario": "08:00", "dosagem": "1"}])
    )
    assert response.status_code == 200
    page = response.content.decode()
    row_error = (
        '<ul class="errorlist" id="id_itens-0-medicamento_error">'
        "<li>Ciclofosfamida só pode ser prescrito por: Oncologia; a especialidade do médico é Cardiologia.</li></ul>"
    )
    assert row_error in page  # in the item's row, above its medication select
    assert "Linha 1 (medicamento)" not in page  # on its row, not repeated at the top
    assert "Nada foi gravado" in page
    assert not Prescricao.objects.exists()


def test_admin_refuses_a_prescription_without_items(staff_client, cardiologista, paciente):
    response = staff_client.post(ADD_URL, add_form(cardiologista, paciente, []))
    assert response.status_code == 200
    assert "Uma prescrição precisa de ao menos um medicamento." in response.content.decode()
    assert not Prescricao.objects.exists()


def test_admin_change_adds_and_removes_items_atomically(staff_client, article_prescription, aspirina, quimio):
    first, second = article_prescription.itens.order_by("horario")
    url = f"/admin/prescriptions/prescricao/{article_prescription.pk}/change/"
    existing = [
        {
            "id": first.pk,
            "prescricao": article_prescription.pk,
            "medicamento": first.medicamento_id,
            "horario": "08:00",
            "dosagem": "100mg",
            "DELETE": "on",
        },
        {
            "id": second.pk,
            "prescricao": article_prescription.pk,
            "medicamento": second.medicamento_id,
            "horario": "20:00",
            "dosagem": "500mg",
        },
    ]
    form = {"data_prescricao_0": "20/05/2023", "data_prescricao_1": "14:30:00"}
    refused = staff_client.post(
        url, {**form, **inline([*existing, {"medicamento": quimio.pk, "horario": "10:00", "dosagem": "1"}], initial=2)}
    )
    assert refused.status_code == 200
    # The doctor is fixed on a saved prescription: a medication of another specialty is not even offered.
    assert "Faça uma escolha válida" in refused.content.decode()
    assert article_prescription.itens.count() == 2  # the deletion was not applied either

    accepted = staff_client.post(
        url,
        {**form, **inline([*existing, {"medicamento": aspirina.pk, "horario": "12:00", "dosagem": "50mg"}], initial=2)},
    )
    assert accepted.status_code == 302
    items = sorted(article_prescription.itens.values_list("horario", "dosagem"))
    assert items == [(dt.time(12), "50mg"), (dt.time(20), "500mg")]


def test_admin_cancel_asks_for_a_reason_then_cancels_and_logs_it(staff_client, article_prescription):
    url = f"/admin/prescriptions/prescricao/{article_prescription.pk}/cancelar/"
    assert "Motivo do cancelamento" in staff_client.get(url).content.decode()
    refused = staff_client.post(url, {"motivo": "  "})
    assert refused.status_code == 200 and "Este campo é obrigatório." in refused.content.decode()
    article_prescription.refresh_from_db()
    assert article_prescription.status == StatusPrescricao.ATIVA
    done = staff_client.post(url, {"motivo": "Paciente alérgica a AAS"})
    assert done.status_code == 302
    article_prescription.refresh_from_db()
    assert (article_prescription.status, article_prescription.motivo_cancelamento) == (
        "cancelada",
        "Paciente alérgica a AAS",
    )
    event = OutboxEvent.objects.get(event_type="PrescricaoCancelada", aggregate_id=article_prescription.pk)
    entry = LogEntry.objects.get(object_id=str(article_prescription.pk))
    assert entry.get_change_message() == f"Cancelada. Motivo: Paciente alérgica a AAS (evento do outbox nº {event.pk})."


def test_admin_registers_a_doctor_and_reports_a_taken_crm(staff_client, cardiologista):
    ok = staff_client.post(
        "/admin/hospital/medico/add/",
        {"nome": "Dra. Lia", "especialidade": "Pediatria", "crm": "crm 777", "crm_uf": "SP"},
    )
    assert ok.status_code == 302
    assert OutboxEvent.objects.filter(event_type="MedicoCadastrado", payload__crm="CRM777").exists()
    taken = staff_client.post(
        "/admin/hospital/medico/add/",
        {"nome": "Dr. Outro", "especialidade": "Pediatria", "crm": "CRM-12.345", "crm_uf": "SP"},
    )
    assert taken.status_code == 200
    assert "O CRM12345/SP já está cadastrado para outro médico." in taken.content.decode()


def test_non_staff_cannot_use_the_admin(client, prescritor):
    client.force_login(prescritor)
    assert client.get(ADD_URL).status_code == 302  # redirected to the admin login
