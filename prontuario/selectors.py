"""Reads the consolidation needs (inbox events and prescriptions of given visits) and the record's reads."""

import json
from collections import defaultdict
from collections.abc import Collection

from django.db import connection
from django.db.models import Prefetch, QuerySet

from hospital.api.fields import iso_utc
from prescriptions.models import Prescricao, PrescricaoMedicamento
from prontuario.models import DocumentoAtendimento

Visit = tuple[int, str]  # (id_paciente, id_atendimento)


def _visit_arrays(visits: Collection[Visit]) -> list[list]:
    ordered = sorted(visits)
    return [[p for p, _ in ordered], [a for _, a in ordered]]


def visit_events(visits: Collection[Visit]) -> dict[Visit, list[dict]]:
    """Every inbox event of these visits, as the fold takes them (Django's psycopg loads jsonb as text)."""
    found: dict[Visit, list[dict]] = defaultdict(list)
    if not visits:
        return found
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.id_paciente, i.id_atendimento, i.fonte, i.id_evento, i.tipo, i.versao, i.ocorrido_em, i.dados "
            "FROM prontuario_inbox i JOIN unnest(%s::bigint[], %s::text[]) AS v(p, a) "
            "ON i.id_paciente = v.p AND i.id_atendimento = v.a",
            _visit_arrays(visits),
        )
        for p, a, fonte, id_evento, tipo, versao, ocorrido_em, dados in cursor.fetchall():
            found[(p, a)].append(
                {"fonte": fonte, "id_evento": id_evento, "tipo": tipo, "versao": versao,
                 "ocorrido_em": iso_utc(ocorrido_em), "dados": json.loads(dados)}
            )  # fmt: skip
    return found


def _prescription_document(prescricao: Prescricao) -> dict:
    medico = prescricao.medico
    return {
        "id_prescricao": prescricao.pk,
        "data_prescricao": iso_utc(prescricao.data_prescricao),
        "situacao": prescricao.status,
        "cancelada_em": iso_utc(prescricao.cancelada_em) if prescricao.cancelada_em else None,
        "medico": {"id_medico": medico.pk, "nome": medico.nome, "especialidade": medico.especialidade,
                   "crm": medico.crm},
        "medicamentos": [
            {"id": item.pk, "id_medicamento": item.medicamento_id, "nome": item.medicamento.nome,
             "horario": item.horario.strftime("%H:%M"), "dosagem": item.dosagem}
            for item in prescricao.itens.all()
        ],
        "origem": {"fonte": "prescricoes", "ocorrido_em": iso_utc(prescricao.data_prescricao)},
    }  # fmt: skip


def prescriptions_of_visits(visits: Collection[Visit]) -> dict[Visit, list[dict]]:
    """The prescriptions written in these visits (any status), in their document shape."""
    found: dict[Visit, list[dict]] = defaultdict(list)
    if not visits:
        return found
    wanted = set(visits)
    rows = (
        Prescricao.objects.filter(paciente_id__in={p for p, _ in wanted}, id_atendimento__in={a for _, a in wanted})
        .select_related("medico")
        .prefetch_related(
            Prefetch("itens", queryset=PrescricaoMedicamento.objects.select_related("medicamento").order_by("id"))
        )
    )
    for prescricao in rows:
        key = (prescricao.paciente_id, prescricao.id_atendimento)
        if key in wanted:
            found[key].append(_prescription_document(prescricao))
    return found


def visit_documents(id_paciente: int) -> QuerySet[DocumentoAtendimento]:
    """One patient's visit documents, newest first."""
    return DocumentoAtendimento.objects.filter(id_paciente=id_paciente).order_by("-inicio", "-id_atendimento")


def visit_document(id_paciente: int, id_atendimento: str) -> DocumentoAtendimento | None:
    return DocumentoAtendimento.objects.filter(id_paciente=id_paciente, id_atendimento=id_atendimento).first()
