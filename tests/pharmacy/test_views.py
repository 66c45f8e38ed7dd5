"""The lean read path writes exactly what the serializers and DRF's JSON renderer would."""

import datetime as dt

import pytest
from rest_framework.renderers import JSONRenderer

from pharmacy.models import ItemDetalhado, PrescricaoDocumento
from pharmacy.serializers import WorklistItemSerializer
from prescriptions import commands
from prescriptions.rules import ItemInput

pytestmark = pytest.mark.django_db


def _drf_bytes(data) -> bytes:
    return JSONRenderer().render(data)


def test_worklist_bytes_equal_the_serializers(reader_client, article_prescription, paciente, oncologista, quimio):
    commands.create_prescription(  # microseconds and a null address's neighbour: formats that differ if mishandled
        medico_id=oncologista.pk,
        paciente_id=paciente.pk,
        data_prescricao=dt.datetime(2024, 2, 29, 23, 59, 58, 123456, tzinfo=dt.UTC),
        itens=[ItemInput(quimio.pk, "23:59", "1 ampola — diluída")],
    )
    for query in ("", f"?id_paciente={paciente.pk}", f"?id_prescricao={article_prescription.pk}", "?id_medico=999"):
        rows = ItemDetalhado.objects.order_by("-data_prescricao", "-id")
        if query:
            name, value = query[1:].split("=")
            rows = rows.filter(**{name: int(value)})
        expected = {"next": None, "previous": None, "results": WorklistItemSerializer(rows, many=True).data}
        response = reader_client.get(f"/api/pharmacy/itens/{query}")
        assert response.status_code == 200
        assert response.content == _drf_bytes(expected), query


def test_document_bytes_equal_the_stored_document(reader_client, article_prescription):
    stored = PrescricaoDocumento.objects.get(id_prescricao=article_prescription.pk).documento
    response = reader_client.get(f"/api/pharmacy/prescricoes/{article_prescription.pk}/")
    assert response.content == _drf_bytes(stored)
    missing = reader_client.get("/api/pharmacy/prescricoes/999999/")
    assert missing.status_code == 404
    assert missing.json() == {
        "detail": "Prescrição inexistente (ou sem itens).",
        "code": "prescricao_inexistente",
        "errors": {},
    }
