"""Operator commands: rebuild_read_model, verify_read_model (--repair), sync_status; and the admin."""

import json

import pytest
from django.core.management import call_command
from django.db import connection

from pharmacy.models import ItemDetalhado, PrescricaoDocumento
from pharmacy.protection import unsafe_read_model_writes
from pharmacy.verify import find_drift
from tests.pharmacy.helpers import assert_read_models_match_source

pytestmark = pytest.mark.django_db


def _run(name: str, *args) -> tuple[int, str]:
    from io import StringIO

    out = StringIO()
    try:
        call_command(name, *args, stdout=out, stderr=out)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue()
    return 0, out.getvalue()


def test_rebuild_from_empty_equals_the_join(article_prescription, second_prescription_like):
    with unsafe_read_model_writes(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM vw_prescricoes_medicamentos_detalhadas; DELETE FROM vw_prescricoes_documentos")
    assert find_drift().counts()["rows"]["missing"] == 4
    code, out = _run("rebuild_read_model", "--in-place", "--batch-size", "1")
    assert code == 0 and "batch 1/" in out and "100%" in out
    assert_read_models_match_source()
    assert ItemDetalhado.objects.count() == 4 and PrescricaoDocumento.objects.count() == 2
    code, _ = _run("rebuild_read_model", "--in-place", "--from-empty")  # rerun: same result
    assert code == 0
    assert_read_models_match_source()


def _inject_drift(article_prescription):
    items = list(article_prescription.itens.order_by("pk").values_list("pk", flat=True))
    with unsafe_read_model_writes():
        ItemDetalhado.objects.filter(pk=items[0]).delete()  # missing
        ItemDetalhado.objects.filter(pk=items[1]).update(nome_medico="Dr. Errado")  # different
        row = ItemDetalhado.objects.get(pk=items[1])
        row.pk, row.id_prescricao = 999_999, 424_242
        row.save(force_insert=True)  # extra (of an unknown prescription)
        PrescricaoDocumento.objects.filter(pk=article_prescription.pk).update(documento={"x": 1})  # different
        doc = PrescricaoDocumento.objects.get(pk=article_prescription.pk)
        doc.pk = 424_242
        doc.save(force_insert=True)  # extra


def test_verify_detects_each_kind_of_drift_and_repair_removes_it(article_prescription, second_prescription_like):
    code, out = _run("verify_read_model")
    assert code == 0 and "OK" in out
    untouched = list(ItemDetalhado.objects.exclude(id_prescricao=article_prescription.pk).values())
    _inject_drift(article_prescription)
    code, out = _run("verify_read_model")
    assert code == 1
    for expected in ("worklist rows missing: 1", "worklist rows extra: 1", "worklist rows different: 1",
                     "documents extra: 1", "documents different: 1"):  # fmt: skip
        assert expected in out
    code, out = _run("verify_read_model", "--repair")
    assert code == 0 and "REPAIRED" in out
    assert_read_models_match_source()
    assert list(ItemDetalhado.objects.exclude(id_prescricao=article_prescription.pk).values()) == untouched
    assert _run("verify_read_model")[0] == 0


def test_verify_detects_a_missing_document(article_prescription):
    with unsafe_read_model_writes():
        PrescricaoDocumento.objects.all().delete()
    code, out = _run("verify_read_model")
    assert code == 1 and "documents missing: 1" in out


def test_sync_status_command(article_prescription):
    code, out = _run("sync_status")
    assert code == 0 and "mode:" in out and "dead letters:" in out
    code, out = _run("sync_status", "--json")
    assert json.loads(out)["mode"] == "trigger"


def test_admin_shows_read_models_read_only_and_filterable(client, admin_user_, article_prescription, paciente):
    client.force_login(admin_user_)
    listing = client.get("/admin/pharmacy/itemdetalhado/", {"id_paciente": paciente.pk})
    assert listing.status_code == 200
    assert "Aspirina" in listing.content.decode()
    for query in ({"id_medico": "1"}, {"id_medicamento": "1"}, {"data_prescricao__year": "2023"}):
        assert client.get("/admin/pharmacy/itemdetalhado/", query).status_code == 200
    assert client.get("/admin/pharmacy/prescricaodocumento/").status_code == 200
    assert client.get("/admin/pharmacy/itemdetalhado/add/").status_code == 403
    item = ItemDetalhado.objects.first()
    page = client.get(f"/admin/pharmacy/itemdetalhado/{item.pk}/change/")
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()


@pytest.mark.django_db(transaction=True)
def test_rebuild_in_its_own_short_transactions(article_prescription, second_prescription_like):
    """Outside any transaction each batch commits on its own (REPEATABLE READ, retried on conflicts)."""
    code, out = _run("rebuild_read_model", "--in-place", "--from-empty", "--batch-size", "1")
    assert code == 0 and "Rebuilt in" in out
    assert_read_models_match_source()


def test_openapi_schema_validates_without_warnings(tmp_path):
    schema = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(schema))
    text = schema.read_text()
    for path in ("/api/pharmacy/itens/", "/api/pharmacy/prescricoes/{prescricao_id}/", "/api/pharmacy/status/"):
        assert path in text
