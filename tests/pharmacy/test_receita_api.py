"""`GET /api/pharmacy/prescricoes/{id}/receita/`: what the patient takes home, as HTML and as PDF."""

import io
import re

import pytest
from django.db import connection
from django.utils.html import strip_tags
from pypdf import PdfReader

from prescriptions import commands
from tests.pharmacy.helpers import field_error_body

ARTICLE_PDF_LINES = [
    "Hospital Central",
    "Receita médica nº {id} - emitida em 20/05/2023 às 11:30",
    "PACIENTE",
    "Maria Oliveira",
    "Data de nascimento: 10/07/1985",
    "Endereço: Rua das Flores, 123",
    "MÉDICO(A)",
    "Dr. João Silva",
    "CRM12345 - Cardiologia",
    "MEDICAMENTOS",
    "1. Aspirina - 100mg",
    "Horários: 08:00",
    "Analgésico e anti-inflamatório",
    "2. Paracetamol - 500mg",
    "Horários: 20:00",
    "Analgésico",
    "SITUAÇÃO",
    "Ativa",
    "_______________________________________",
    "Dr. João Silva - CRM12345",
]


def _url(pk: int) -> str:
    return f"/api/pharmacy/prescricoes/{pk}/receita/"


def _pdf_lines(content: bytes) -> list[str]:
    reader = PdfReader(io.BytesIO(content))
    return [line.strip() for page in reader.pages for line in page.extract_text().splitlines() if line.strip()]


def _html_text(content: bytes) -> str:
    """The page's text as a reader sees it (a line break separates words)."""
    return re.sub(r"\s+", " ", strip_tags(re.sub(r"<br\s*/?>", "\n", content.decode()))).strip()


def test_html_receita_of_the_article_prescription(reader_client, article_prescription):
    response = reader_client.get(_url(article_prescription.pk))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    html = response.content.decode()
    assert '<html lang="pt-BR">' in html and "@media print" in html
    text = _html_text(response.content)
    body = text[text.index("Hospital Central") :]
    assert body == (
        f"Hospital Central Receita médica nº {article_prescription.pk} — emitida em 20/05/2023 às 11:30 "
        "Imprimir Baixar PDF "
        "Paciente Maria Oliveira Data de nascimento: 10/07/1985 Endereço: Rua das Flores, 123 "
        "Médico(a) Dr. João Silva CRM12345 — Cardiologia "
        "Medicamentos Aspirina — 100mg Horários: 08:00 Analgésico e anti-inflamatório "
        "Paracetamol — 500mg Horários: 20:00 Analgésico "
        "Situação Ativa Dr. João Silva — CRM12345"
    )


@pytest.mark.parametrize("how", [{"params": {"formato": "pdf"}}, {"headers": {"Accept": "application/pdf"}}])
def test_pdf_receita_reads_right(reader_client, article_prescription, how):
    response = reader_client.get(_url(article_prescription.pk), how.get("params"), headers=how.get("headers"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'inline; filename="receita-{article_prescription.pk}.pdf"'
    expected = [line.format(id=article_prescription.pk) for line in ARTICLE_PDF_LINES]
    assert _pdf_lines(response.content) == expected


def test_a_cancelled_receita_is_marked_so(reader_client, article_prescription):
    commands.cancel_prescription(id_prescricao=article_prescription.pk, motivo="Troca")
    html = _html_text(reader_client.get(_url(article_prescription.pk)).content)
    assert "RECEITA CANCELADA — NÃO DISPENSAR" in html and html.endswith("Situação Cancelada Dr. João Silva — CRM12345")
    lines = _pdf_lines(reader_client.get(_url(article_prescription.pk), {"formato": "pdf"}).content)
    assert lines[2] == "RECEITA CANCELADA - NÃO DISPENSAR"
    assert lines[lines.index("SITUAÇÃO") + 1] == "Cancelada"


def test_the_receita_is_made_from_the_read_model_only(reader_client, article_prescription):
    """With the write tables renamed away (rolled back with the test), both formats still render."""
    with connection.cursor() as cursor:
        for table in ("medicos", "pacientes", "medicamentos", "prescricoes", "prescricao_medicamentos"):
            cursor.execute(f"ALTER TABLE {table} RENAME TO {table}_unreachable")
    assert "Maria Oliveira" in _html_text(reader_client.get(_url(article_prescription.pk)).content)
    pdf = reader_client.get(_url(article_prescription.pk), {"formato": "pdf"}).content
    assert "Maria Oliveira" in _pdf_lines(pdf)


def test_errors_keep_the_json_error_shape_whatever_format_was_asked(reader_client, anon_client, article_prescription):
    missing = reader_client.get(_url(999_999), headers={"Accept": "application/pdf"})
    assert missing.status_code == 404
    not_found = "A prescrição 999999 não existe (ou não tem itens)."
    assert missing.json() == field_error_body(
        not_found, "nao_encontrado", "prescricao_id", "prescricao_inexistente", not_found
    )
    bad = reader_client.get(_url(article_prescription.pk), {"formato": "docx"})
    assert bad.status_code == 400
    assert bad.json()["errors"] == {
        "formato": [{"code": "invalid_choice", "message": '"docx" não é uma escolha válida.'}]
    }
    anonymous = anon_client.get(_url(article_prescription.pk), headers={"Accept": "text/html"})
    assert anonymous.status_code == 401 and anonymous.json()["code"] == "not_authenticated"


def test_staff_reach_the_receita_from_the_prescriptions_admin_page(client, staff_user, article_prescription):
    staff_user.is_superuser = True
    staff_user.save()
    client.force_login(staff_user)
    page = client.get(f"/admin/prescriptions/prescricao/{article_prescription.pk}/change/").content.decode()
    url = _url(article_prescription.pk)
    assert f'<a href="{url}" target="_blank">Abrir para imprimir</a>' in page
    assert f'<a href="{url}?formato=pdf">Baixar PDF</a>' in page
    assert "Maria Oliveira" in _html_text(client.get(url).content)  # the admin's session is enough


def test_the_documents_admin_searches_with_the_pharmacys_search(
    client, staff_user, article_prescription, second_prescription_like
):
    staff_user.is_superuser = True
    staff_user.save()
    client.force_login(staff_user)
    page = client.get("/admin/pharmacy/prescricaodocumento/", {"q": "joao slva paracetmol"}).content.decode()
    shown = re.findall(r"/admin/pharmacy/prescricaodocumento/(\d+)/change/", page)
    assert shown == [str(article_prescription.pk)]
    page = client.get("/admin/pharmacy/prescricaodocumento/", {"q": "aspirna"}).content.decode()
    shown = re.findall(r"/admin/pharmacy/prescricaodocumento/(\d+)/change/", page)
    assert sorted(map(int, shown)) == sorted([article_prescription.pk, second_prescription_like.pk])
