"""The lean read path answers exactly what the serializers, the FilterSets and DRF's JSON renderer would.

The reference views below are the read endpoints as plain DRF generic views: model instances, the
FilterSet, the serializer per row, `JSONRenderer`. Every answer of the real endpoints must be the
same bytes, links and cursors included.
"""

import datetime as dt

import pytest
from rest_framework import generics
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIRequestFactory, force_authenticate

from hospital import commands as master
from pharmacy import selectors, views
from pharmacy.filters import DocumentFilter, ItemFilter, plain_ids
from pharmacy.models import PrescricaoDocumento
from prescriptions import commands
from prescriptions.rules import ItemInput

pytestmark = pytest.mark.django_db

ITEMS = "/api/pharmacy/itens/"
DOCUMENTS = "/api/pharmacy/prescricoes/"


class SerializerItems(views.ItemListApi):
    renderer_classes = [JSONRenderer]

    def list(self, request, *args, **kwargs):
        return generics.ListAPIView.list(self, request, *args, **kwargs)


class SerializerDocuments(views.DocumentListApi):
    renderer_classes = [JSONRenderer]

    def list(self, request, *args, **kwargs):
        return generics.ListAPIView.list(self, request, *args, **kwargs)


class SerializerDocument(views.DocumentDetailApi):
    renderer_classes = [JSONRenderer]

    def retrieve(self, request, *args, **kwargs):
        return generics.RetrieveAPIView.retrieve(self, request, *args, **kwargs)


def _reference(view, url: str, user, **kwargs) -> tuple[int, bytes]:
    request = APIRequestFactory().get(url, HTTP_ACCEPT="application/json")
    force_authenticate(request, user)
    response = view.as_view()(request, **kwargs)
    response.render()
    return response.status_code, response.content


@pytest.fixture
def varied(article_prescription, paciente, oncologista, quimio, aspirina):
    """Formats that differ when mishandled: microseconds, a null address, accents, U+2028, many pages."""
    sem_endereco = master.register_patient(nome="Zoë d'Ávila 💊", data_nascimento=dt.date(1901, 1, 1))
    for paciente_id, when in (
        (paciente.pk, dt.datetime(2024, 2, 29, 23, 59, 58, 123456, tzinfo=dt.UTC)),
        (sem_endereco.pk, dt.datetime(2024, 3, 1, 0, 0, 0, 5, tzinfo=dt.UTC)),
        (sem_endereco.pk, dt.datetime(2024, 3, 1, 0, 0, 0, 5, tzinfo=dt.UTC)),  # same instant: the cursor's offset
    ):
        commands.create_prescription(
            id_medico=oncologista.pk,
            id_paciente=paciente_id,
            data_prescricao=when,
            medicamentos=[
                ItemInput(quimio.pk, "23:59", "1 ampola — diluída\u2028lenta"),
                ItemInput(aspirina.pk, "00:00", "1"),
            ],
        )
    return {"article": article_prescription, "paciente": paciente, "sem_endereco": sem_endereco}


def _walk(client, reference, url: str, user) -> int:
    """Follow `next` from `url` to the end and back by `previous`, comparing each answer with the reference's."""
    pages = 0
    for direction in ("next", "previous"):
        while url:
            response = client.get(url, HTTP_ACCEPT="application/json")
            assert (response.status_code, response.content) == _reference(reference, url, user), url
            pages += 1
            if response.status_code != 200:  # an error is compared like a page, and ends the walk
                return pages
            following = response.json()[direction]
            if following is None and direction == "next":
                break
            url = following
    return pages


def test_worklist_pages_equal_the_serializers(reader_client, farmaceutico, varied, aspirina):
    queries = [
        "",
        f"id_paciente={varied['sem_endereco'].pk}",
        f"id_paciente={varied['paciente'].pk}&id_medicamento={aspirina.pk}",
        f"id_prescricao={varied['article'].pk}",
        f"id_paciente=0{varied['paciente'].pk}&id_paciente={varied['sem_endereco'].pk}",  # the last one counts
        "id_medico=999999999999999999",
        "id_medico=%201",  # not plain digits: the FilterSet's
        "data_prescricao__gte=2024-01-01T00:00:00Z",
        "format=json",
    ]
    for query in queries:
        for size in ("", "page_size=1&", "page_size=500&"):
            url = f"{ITEMS}?{size}{query}".rstrip("?&")
            assert _walk(reader_client, SerializerItems, url, farmaceutico) >= 1


def test_worklist_errors_equal_the_filtersets(reader_client, farmaceutico, varied):
    for query in ("id_paciente=1.0", "id_paciente=-", "id_medico=%2B1", "data_prescricao__gte=ontem", "cursor=abc"):
        url = f"{ITEMS}?{query}"
        response = reader_client.get(url, HTTP_ACCEPT="application/json")
        assert response.status_code == 400, query
        assert (400, response.content) == _reference(SerializerItems, url, farmaceutico), query


def test_document_pages_and_document_equal_the_serializers(reader_client, farmaceutico, varied):
    for query in ("", "page_size=1", f"id_paciente={varied['sem_endereco'].pk}", "status=ativa", "id_medico=x"):
        url = f"{DOCUMENTS}?{query}".rstrip("?")
        assert _walk(reader_client, SerializerDocuments, url, farmaceutico) >= 1
    for prescricao_id in [*PrescricaoDocumento.objects.values_list("id_prescricao", flat=True), 999999, 2**63 - 1]:
        url = f"{DOCUMENTS}{prescricao_id}/"
        response = reader_client.get(url, HTTP_ACCEPT="application/json")
        expected = _reference(SerializerDocument, url, farmaceutico, prescricao_id=prescricao_id)
        assert (response.status_code, response.content) == expected


def test_precompiled_worklist_returns_the_orms_rows(varied, aspirina, quimio):
    cases = [
        {},
        {"id_paciente": varied["sem_endereco"].pk},
        {"id_paciente": varied["paciente"].pk, "id_medicamento": aspirina.pk},
        {"id_medicamento": quimio.pk, "id_paciente": varied["paciente"].pk},  # another order of the same shape
        {"id_prescricao": varied["article"].pk},
        {"id_medico": 123456789},
    ]
    for ids in cases:
        orm = selectors.worklist_rows(selectors.item_list().filter(**ids))
        for rows in (slice(0, 1), slice(0, 3), slice(1, 4), slice(0, 100)):
            assert selectors.worklist(ids, from_start=True).order_by(*selectors.ITEM_ORDERING)[rows] == list(orm[rows])


def test_precompiled_document_is_the_orms(varied):
    for documento in PrescricaoDocumento.objects.all():
        assert selectors.document(documento.id_prescricao) == documento.documento
    assert selectors.document(987654321) is None


def test_plain_ids_only_for_plain_digits(rf):
    def parse(query: str, filterset=ItemFilter, ids=("id_paciente", "id_prescricao")):
        return plain_ids(rf.get(f"/?{query}").GET, filterset, ids)

    assert parse("") == {}
    assert parse("id_paciente=007&cursor=x&page_size=2") == {"id_paciente": 7}
    assert parse("id_paciente=1&id_paciente=2") == {"id_paciente": 2}
    for query in ("id_paciente=-1", "id_paciente=1.0", "id_paciente=%201", "id_paciente=1e3", "id_paciente=١",
                  f"id_paciente={10**18}", "id_medico=1", "data_prescricao__gte=2024-01-01"):  # fmt: skip
        assert parse(query) is None, query
    assert parse("status=ativa", DocumentFilter, ("id_paciente",)) is None


def test_the_browsable_api_shows_the_same_answers_indented(reader_client, varied):
    for url in (f"{ITEMS}?page_size=2", f"{DOCUMENTS}?page_size=2", f"{DOCUMENTS}{varied['article'].pk}/"):
        response = reader_client.get(url, HTTP_ACCEPT="text/html")
        assert response.status_code == 200, url
        assert response["Content-Type"].startswith("text/html")
        assert "&quot;id_prescricao&quot;: " in response.content.decode()  # DRF's indented JSON, escaped in the page
