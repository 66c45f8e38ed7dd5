"""Admin: the record is read-only; a prescription written in the admin with a visit joins that visit's record."""

import pytest

from prescriptions.models import Prescricao
from prontuario.models import DocumentoAtendimento
from tests.prescriptions.test_admin import ADD_URL, add_form
from tests.prontuario.conftest import visit_opened
from tests.prontuario.test_ingestion import receive

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, admin_user_):
    client.force_login(admin_user_)
    return client


def test_the_record_is_read_only_in_the_admin(staff_client, paciente):
    receive("triagem", visit_opened("v1", paciente=paciente.pk))
    document = DocumentoAtendimento.objects.get()
    assert staff_client.get("/admin/prontuario/documentoatendimento/").status_code == 200
    page = staff_client.get(f"/admin/prontuario/documentoatendimento/{document.pk}/change/")
    assert page.status_code == 200 and b'name="_save"' not in page.content
    assert staff_client.get("/admin/prontuario/documentoatendimento/add/").status_code == 403
    assert staff_client.get("/admin/prontuario/eventorecebido/").status_code == 200
    assert staff_client.get("/admin/prontuario/eventorecebido/add/").status_code == 403


def test_a_prescription_added_in_the_admin_with_a_visit_joins_its_record(
    staff_client, cardiologista, paciente, aspirina
):
    form = {**add_form(cardiologista, paciente, [{"medicamento": aspirina.pk, "horario": "08:00", "dosagem": "1g"}]),
            "id_atendimento": "ATD-9"}  # fmt: skip
    assert staff_client.post(ADD_URL, form).status_code == 302
    prescricao = Prescricao.objects.get()
    assert prescricao.id_atendimento == "ATD-9"
    document = DocumentoAtendimento.objects.get(id_paciente=paciente.pk, id_atendimento="ATD-9").documento
    assert [rx["id_prescricao"] for rx in document["prescricoes"]] == [prescricao.pk]
