"""`seed_demo`: the source article's example exactly, varied data, demo logins, idempotent."""

import datetime as dt
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.core.management import call_command
from rest_framework.authtoken.models import Token

from hospital.models import Medicamento, Medico, Paciente
from hospital.specialties import Especialidade
from outbox.models import OutboxEvent
from prescriptions.models import Prescricao, StatusPrescricao

pytestmark = pytest.mark.django_db


def _seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def _row_counts() -> dict[str, int]:
    """Rows of every model of the project's apps and of auth (users, groups, tokens)."""
    labels = {"hospital", "prescriptions", "pharmacy", "outbox", "auth", "authtoken"}
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if model._meta.app_label in labels and not model._meta.proxy and model._meta.managed
    }


def test_second_run_adds_no_rows_and_no_events():
    _seed()
    counts, last_event = _row_counts(), OutboxEvent.objects.order_by("-pk").values_list("pk", flat=True).first()

    output = _seed()

    assert _row_counts() == counts
    assert OutboxEvent.objects.order_by("-pk").values_list("pk", flat=True).first() == last_event
    assert "  prescriptions: 21 (1 cancelled); created now: 0, already there: 21" in output
    assert "created now: 1" not in output


def test_the_articles_prescription_exists_with_its_exact_data():
    _seed()

    medico = Medico.objects.get(crm="CRM12345")
    assert (medico.nome, medico.especialidade) == ("Dr. João Silva", "Cardiologia")
    paciente = Paciente.objects.get(nome="Maria Oliveira")
    assert (paciente.data_nascimento, paciente.endereco) == (dt.date(1985, 7, 10), "Rua das Flores, 123")
    assert Medicamento.objects.get(nome="Aspirina").descricao == "Analgésico e anti-inflamatório"
    assert Medicamento.objects.get(nome="Paracetamol").descricao == "Analgésico"

    when = dt.datetime(2023, 5, 20, 14, 30, tzinfo=ZoneInfo("America/Sao_Paulo"))
    prescricao = Prescricao.objects.get(medico=medico, paciente=paciente, data_prescricao=when)
    assert prescricao.status == StatusPrescricao.ATIVA
    itens = [(i.medicamento.nome, i.horario, i.dosagem) for i in prescricao.itens.order_by("horario")]
    assert itens == [("Aspirina", dt.time(8, 0), "100mg"), ("Paracetamol", dt.time(20, 0), "500mg")]


def test_varied_data_for_the_pharmacy_screens():
    _seed()

    assert Medico.objects.values("especialidade").distinct().count() >= 4
    assert Medico.objects.count() >= 6
    assert Paciente.objects.count() >= 10
    assert Medicamento.objects.count() >= 10
    assert Medicamento.objects.filter(especialidades_permitidas=[Especialidade.ONCOLOGIA]).exists()
    assert Medicamento.objects.filter(especialidades_permitidas=[Especialidade.PSIQUIATRIA]).exists()
    assert Prescricao.objects.count() >= 20
    assert Prescricao.objects.filter(status=StatusPrescricao.CANCELADA).count() == 1


def test_every_domain_change_went_through_the_commands():
    """Each created aggregate has its event in the outbox (the commands write it; the ORM would not)."""
    _seed()

    assert OutboxEvent.objects.count() >= Medico.objects.count() + Paciente.objects.count() + Prescricao.objects.count()


def test_demo_logins_with_roles_and_tokens():
    _seed()

    admin = User.objects.get(username="admin")
    assert admin.is_staff and admin.is_superuser and admin.check_password("hospital-admin")
    farmacia = User.objects.get(username="farmacia")
    assert list(farmacia.groups.values_list("name", flat=True)) == ["farmacia"]
    assert not farmacia.is_staff
    prescritor = User.objects.get(username="prescritor")
    assert list(prescritor.groups.values_list("name", flat=True)) == ["prescritor"]
    assert Token.objects.filter(user__in=[admin, farmacia, prescritor]).count() == 3
    clinico = User.objects.get(username="clinico")
    assert list(clinico.groups.values_list("name", flat=True)) == ["clinico"]
    integrations = User.objects.filter(groups__name="integracao").select_related("fonte_integracao", "auth_token")
    sources = {user.username: user.fonte_integracao.fonte for user in integrations if user.auth_token.key}
    assert sources == {"triagem": "triagem", "laboratorio": "laboratorio", "imagem": "imagem"}
