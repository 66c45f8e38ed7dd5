"""The receita handed to the patient: the prescription document as a printable prescription, in pt-BR.

Built from the read model only (`vw_prescricoes_documentos`), never from the
write tables: what the patient takes home is what the pharmacy sees.
`pharmacy.receita_render` turns a `Receita` into HTML or PDF.
"""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS
from django.utils import timezone

from hospital.errors import ErrorCode, NotFound
from pharmacy import selectors


@dataclass(frozen=True)
class Medicamento:
    """One medication of the receita, with its dosage and every time of day it is taken at that dosage."""

    nome: str
    descricao: str | None
    dosagem: str
    horarios: tuple[str, ...]


@dataclass(frozen=True)
class Receita:
    numero: int
    hospital: str
    emitida_em: str  # "20/05/2023 às 14:30", America/Sao_Paulo
    cancelada: bool
    situacao: str  # "Ativa" / "Cancelada"
    paciente: str
    nascimento: str  # "10/07/1985"
    endereco: str | None
    medico: str
    crm: str
    especialidade: str
    medicamentos: tuple[Medicamento, ...]


def _local(iso_utc: str) -> str:
    when = timezone.localtime(dt.datetime.fromisoformat(iso_utc.replace("Z", "+00:00")))
    return f"{when:%d/%m/%Y} às {when:%H:%M}"


def _medications(items: list[dict]) -> tuple[Medicamento, ...]:
    """Items grouped by medication and dosage, in the document's order (by time of day)."""
    grouped: dict[tuple, list[str]] = {}
    details: dict[tuple, dict] = {}
    for item in items:
        key = (item["id_medicamento"], item["dosagem"])
        grouped.setdefault(key, []).append(item["horario"])
        details.setdefault(key, item)
    return tuple(
        Medicamento(details[key]["nome"], details[key].get("descricao"), key[1], tuple(times))
        for key, times in grouped.items()
    )


def from_document(documento: dict) -> Receita:
    medico, paciente = documento["medico"], documento["paciente"]
    cancelada = documento["status"] == "cancelada"
    return Receita(
        numero=documento["id_prescricao"],
        hospital=settings.HOSPITAL_NOME,
        emitida_em=_local(documento["data_prescricao"]),
        cancelada=cancelada,
        situacao="Cancelada" if cancelada else "Ativa",
        paciente=paciente["nome"],
        nascimento=dt.date.fromisoformat(paciente["data_nascimento"]).strftime("%d/%m/%Y"),
        endereco=paciente.get("endereco"),
        medico=medico["nome"],
        crm=medico["crm"],
        especialidade=medico["especialidade"],
        medicamentos=_medications(documento["medicamentos"]),
    )


def receita(prescricao_id: int, *, using: str = DEFAULT_DB_ALIAS) -> Receita:
    """The receita of this prescription, from its document (database `using`); `NotFound` when there is none."""
    documento = (
        selectors.document_list(using=using).filter(pk=prescricao_id).values_list("documento", flat=True).first()
    )
    if documento is None:
        raise NotFound.single(
            "prescricao_id",
            ErrorCode.PRESCRIPTION_NOT_FOUND,
            f"A prescrição {prescricao_id} não existe (ou não tem itens).",
        )
    return from_document(documento)
