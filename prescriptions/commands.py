"""Commands: the only write path of prescriptions.

Each command is a keyword-only function running in one durable transaction:
it loads and locks what it changes, checks every domain rule (reporting all
broken ones at once, writing nothing), applies the change, appends its domain
event to the outbox and returns the aggregate. The REST command endpoints and
the admin both call these functions. `event_position` is set on the returned
object: the outbox position of the command's event.
"""

import datetime as dt
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from hospital.errors import Conflict, DomainError, ErrorCode, FieldError, NotFound
from hospital.models import Medicamento, Medico, Paciente
from prescriptions import events, rules
from prescriptions.models import Prescricao, PrescricaoMedicamento, StatusPrescricao
from prescriptions.rules import ItemInput

__all__ = [
    "ItemInput",
    "add_item",
    "cancel_prescription",
    "change_prescription_date",
    "check_prescription",
    "create_prescription",
    "remove_item",
]


def _medications_by_id(items: Sequence[ItemInput]) -> dict[int, Medicamento]:
    ids = {item.medicamento_id for item in items if isinstance(item.medicamento_id, int)}
    return Medicamento.objects.in_bulk(ids) if ids else {}


def check_prescription(
    *,
    medico_id: int | None,
    paciente_id: int | None,
    itens: Sequence[ItemInput],
    data_prescricao: dt.datetime | None = None,
) -> tuple[Medico | None, Paciente | None, dict[int, Medicamento]]:
    """Check every rule of a new prescription; raise `DomainError` listing all broken ones.

    Read-only: the admin calls it to validate its form, `create_prescription`
    calls it before writing. Returns the loaded doctor, patient and medications.
    """
    medico = Medico.objects.filter(pk=medico_id).first() if medico_id is not None else None
    paciente = Paciente.objects.filter(pk=paciente_id).first() if paciente_id is not None else None
    medicamentos = _medications_by_id(itens)
    itens = list(itens)
    errors: list[FieldError] = [*rules.check_doctor(medico), *rules.check_patient(paciente)]
    if data_prescricao is not None:
        errors += rules.check_prescription_date(data_prescricao)
    errors += rules.check_items_not_empty(itens)
    for index, item in enumerate(itens):
        errors += rules.check_item(item, medicamentos.get(item.medicamento_id), medico, f"medicamentos[{index}]")
    errors += rules.check_no_duplicates(itens)
    if errors:
        raise DomainError(errors)
    return medico, paciente, medicamentos


@transaction.atomic(durable=True)
def create_prescription(
    *,
    medico_id: int,
    paciente_id: int,
    itens: Sequence[ItemInput],
    data_prescricao: dt.datetime | None = None,
) -> Prescricao:
    """Create a prescription with its items; emits `PrescricaoCriada`."""
    medico, paciente, medicamentos = check_prescription(
        medico_id=medico_id, paciente_id=paciente_id, itens=itens, data_prescricao=data_prescricao
    )
    prescricao = Prescricao.objects.create(
        medico=medico, paciente=paciente, data_prescricao=data_prescricao or timezone.now()
    )
    created = PrescricaoMedicamento.objects.bulk_create(
        PrescricaoMedicamento(
            prescricao=prescricao,
            medicamento=medicamentos[item.medicamento_id],
            horario=rules.parse_horario(item.horario),
            dosagem=item.dosagem.strip(),
        )
        for item in itens
    )
    prescricao.event_position = events.prescricao_criada(prescricao, created).position
    return prescricao


def _locked_prescription(prescricao_id: int) -> Prescricao:
    """Load and lock (FOR UPDATE) a prescription; caller must be inside a transaction."""
    prescricao = (
        Prescricao.objects.select_for_update(of=("self",))
        .select_related("medico", "paciente")
        .filter(pk=prescricao_id)
        .first()
    )
    if prescricao is None:
        raise NotFound.single(
            "id_prescricao", ErrorCode.PRESCRIPTION_NOT_FOUND, f"Prescrição {prescricao_id} não existe."
        )
    return prescricao


def _require_active(prescricao: Prescricao) -> None:
    if not prescricao.ativa:
        raise Conflict.single(
            "id_prescricao",
            ErrorCode.PRESCRIPTION_CANCELLED,
            f"A prescrição {prescricao.pk} está cancelada e não pode ser alterada.",
        )


@transaction.atomic(durable=True)
def add_item(*, prescricao_id: int, item: ItemInput) -> PrescricaoMedicamento:
    """Add one medication to an active prescription; emits `MedicamentoPrescrito`."""
    prescricao = _locked_prescription(prescricao_id)
    _require_active(prescricao)
    medicamento = _medications_by_id([item]).get(item.medicamento_id)
    existing = prescricao.itens.values_list("medicamento_id", "horario")
    errors = rules.check_item(item, medicamento, prescricao.medico, field="")
    errors += rules.check_no_duplicates([item], existing=existing, field="")
    if errors:
        raise DomainError([FieldError(e.field.removeprefix("[0]."), e.code, e.message) for e in errors])
    created = PrescricaoMedicamento.objects.create(
        prescricao=prescricao,
        medicamento=medicamento,
        horario=rules.parse_horario(item.horario),
        dosagem=item.dosagem.strip(),
    )
    created.event_position = events.medicamento_prescrito(created).position
    return created


@transaction.atomic(durable=True)
def remove_item(*, prescricao_id: int, item_id: int) -> Prescricao:
    """Remove one item of an active prescription, never its last; emits `MedicamentoRemovido`."""
    prescricao = _locked_prescription(prescricao_id)
    _require_active(prescricao)
    item = prescricao.itens.filter(pk=item_id).first()
    if item is None:
        raise NotFound.single(
            "item_id", ErrorCode.ITEM_NOT_FOUND, f"A prescrição {prescricao_id} não tem o item {item_id}."
        )
    if prescricao.itens.count() == 1:
        raise Conflict.single(
            "item_id",
            ErrorCode.LAST_ITEM,
            "Este é o último medicamento da prescrição; para retirá-lo, cancele a prescrição.",
        )
    item.delete()
    item.pk = item_id  # delete() clears it; the event names the removed row
    prescricao.event_position = events.medicamento_removido(item).position
    return prescricao


@transaction.atomic(durable=True)
def cancel_prescription(*, prescricao_id: int, motivo: str = "") -> Prescricao:
    """Cancel an active prescription: its items leave the pharmacy worklist; emits `PrescricaoCancelada`."""
    prescricao = _locked_prescription(prescricao_id)
    _require_active(prescricao)
    prescricao.status = StatusPrescricao.CANCELADA
    prescricao.cancelada_em = timezone.now()
    prescricao.motivo_cancelamento = (motivo or "").strip()[:500]
    prescricao.save(update_fields=["status", "cancelada_em", "motivo_cancelamento"])
    prescricao.event_position = events.prescricao_cancelada(prescricao).position
    return prescricao


@transaction.atomic(durable=True)
def change_prescription_date(*, prescricao_id: int, data_prescricao: dt.datetime) -> Prescricao:
    """Correct the date of an active prescription; emits `DataPrescricaoAlterada`."""
    prescricao = _locked_prescription(prescricao_id)
    _require_active(prescricao)
    errors = rules.check_prescription_date(data_prescricao)
    if errors:
        raise DomainError(errors)
    prescricao.data_prescricao = data_prescricao
    prescricao.save(update_fields=["data_prescricao"])
    prescricao.event_position = events.data_prescricao_alterada(prescricao).position
    return prescricao
