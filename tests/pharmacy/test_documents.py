"""Prescription documents: the list with filters, and the cancellation reason carried to the pharmacy."""

import pytest
from django.db import connection

from pharmacy.models import PrescricaoDocumento
from pharmacy.verify import find_drift
from prescriptions import commands

pytestmark = pytest.mark.django_db

DOCS = "/api/pharmacy/prescricoes/"


def _ids(response) -> list[int]:
    return [doc["id_prescricao"] for doc in response.json()["results"]]


def test_document_list_newest_first_with_filters(reader_client, article_prescription, second_prescription_like):
    article, second = article_prescription.pk, second_prescription_like.pk
    listing = reader_client.get(DOCS)
    assert listing.status_code == 200
    assert _ids(listing) == [second, article]
    assert listing.json()["results"][1] == reader_client.get(f"{DOCS}{article}/").json()
    assert _ids(reader_client.get(DOCS, {"id_paciente": article_prescription.paciente_id})) == [article]
    assert _ids(reader_client.get(DOCS, {"id_medico": second_prescription_like.medico_id})) == [second]
    assert _ids(reader_client.get(DOCS, {"data_prescricao__lte": "2023-12-31T00:00:00Z"})) == [article]
    commands.cancel_prescription(id_prescricao=second, motivo="Troca de esquema")
    assert _ids(reader_client.get(DOCS, {"status": "cancelada"})) == [second]
    assert _ids(reader_client.get(DOCS, {"status": "ativa"})) == [article]
    page = reader_client.get(DOCS, {"page_size": 1}).json()
    assert len(page["results"]) == 1 and page["next"].startswith("http://testserver/api/pharmacy/prescricoes/?cursor=")
    bad = reader_client.get(DOCS, {"status": "talvez"})
    assert bad.status_code == 400 and bad.json()["errors"]["status"][0]["code"] == "invalid_choice"


def test_cancelled_document_carries_the_reason(reader_client, article_prescription):
    commands.cancel_prescription(id_prescricao=article_prescription.pk, motivo="Paciente alérgica a AAS")
    document = reader_client.get(f"{DOCS}{article_prescription.pk}/").json()
    assert document["status"] == "cancelada"
    assert document["motivo_cancelamento"] == "Paciente alérgica a AAS"
    assert "motivo_cancelamento" not in reader_client.get(DOCS, {"status": "ativa"}).json()["results"]


def test_a_direct_sql_change_of_the_reason_reaches_the_document(article_prescription):
    commands.cancel_prescription(id_prescricao=article_prescription.pk, motivo="Primeiro motivo")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE prescricoes SET motivo_cancelamento = 'Corrigido' WHERE id = %s", [article_prescription.pk]
        )
    assert PrescricaoDocumento.objects.get(pk=article_prescription.pk).documento["motivo_cancelamento"] == "Corrigido"
    assert not find_drift()
