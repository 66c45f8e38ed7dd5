"""Commands: the only write path of prescriptions.

Each command is a keyword-only function running in one durable transaction:
it loads and locks what it changes, checks every domain rule (reporting all
broken ones at once, writing nothing), applies the change, appends its domain
event to the outbox and returns the aggregate. The REST command endpoints and
the admin both call these functions. `event_position` is set on the returned
object: the outbox position of the command's event (how that event reaches
both read models in each sync mode: docs/architecture.md, "A command's path
to both read models"). A returned prescription also carries `saved_items`:
its items as the command left them, in the read models' order (time, then
id), so that an answer reads nothing after the commit.
"""

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from hospital.errors import Conflict, DomainError, ErrorCode, FieldError, NotFound
from hospital.models import Medicamento, Medico, Paciente
from prescriptions import events, rules
from prescriptions.models import Prescricao, PrescricaoMedicamento, StatusPrescricao
from prescriptions.rules import ItemInput

__all__ = [
    "ItemInput",
    "Revision",
    "add_item",
    "cancel_prescription",
    "change_prescription_date",
    "create_prescription",
    "remove_item",
    "revise_prescription",
]


def _medications_by_id(items: Sequence[ItemInput]) -> dict[int, Medicamento]:
    ids = {item.id_medicamento for item in items if isinstance(item.id_medicamento, int)}
    return Medicamento.objects.in_bulk(ids) if ids else {}


def _check_new_prescription(
    *,
    id_medico: int | None,
    id_paciente: int | None,
    medicamentos: Sequence[ItemInput],
    data_prescricao: dt.datetime | None = None,
) -> tuple[Medico | None, Paciente | None, dict[int, Medicamento]]:
    """Check every rule of a new prescription; raise `DomainError` listing all broken ones.

    Read-only; returns the loaded doctor, patient and medications so that
    `create_prescription` writes from what it checked.
    """
    medico = Medico.objects.filter(pk=id_medico).first() if id_medico is not None else None
    paciente = Paciente.objects.filter(pk=id_paciente).first() if id_paciente is not None else None
    by_id = _medications_by_id(medicamentos)
    medicamentos = list(medicamentos)
    errors: list[FieldError] = [*rules.check_doctor(medico), *rules.check_patient(paciente)]
    if data_prescricao is not None:
        errors += rules.check_prescription_date(data_prescricao)
    errors += rules.check_items_not_empty(medicamentos)
    for index, item in enumerate(medicamentos):
        errors += rules.check_item(item, by_id.get(item.id_medicamento), medico, f"medicamentos[{index}]")
    errors += rules.check_no_duplicates((f"medicamentos[{index}]", item) for index, item in enumerate(medicamentos))
    if errors:
        raise DomainError(errors)
    return medico, paciente, by_id


@transaction.atomic(durable=True)
def create_prescription(
    *,
    id_medico: int,
    id_paciente: int,
    medicamentos: Sequence[ItemInput],
    data_prescricao: dt.datetime | None = None,
    id_atendimento: str | None = None,
) -> Prescricao:
    """Create a prescription with its items, optionally in a visit (joins its record); emits `PrescricaoCriada`."""
    medico, paciente, by_id = _check_new_prescription(
        id_medico=id_medico, id_paciente=id_paciente, medicamentos=medicamentos, data_prescricao=data_prescricao
    )
    prescricao = Prescricao.objects.create(
        medico=medico,
        paciente=paciente,
        data_prescricao=data_prescricao or timezone.now(),
        id_atendimento=id_atendimento or None,
    )
    created = PrescricaoMedicamento.objects.bulk_create(
        PrescricaoMedicamento(
            prescricao=prescricao,
            medicamento=by_id[item.id_medicamento],
            horario=rules.parse_horario(item.horario),
            dosagem=item.dosagem.strip(),
        )
        for item in medicamentos
    )
    prescricao.event_position = events.prescricao_criada(prescricao, created).position
    prescricao.saved_items = _in_read_order(created)
    return prescricao


def _in_read_order(rows) -> list[PrescricaoMedicamento]:
    """Items in the order every read side lists them: by time, then by id."""
    return sorted(rows, key=lambda row: (row.horario, row.pk))


def _locked_prescription(id_prescricao: int) -> Prescricao:
    """Load and lock (FOR UPDATE) a prescription; caller must be inside a transaction."""
    prescricao = (
        Prescricao.objects.select_for_update(of=("self",))
        .select_related("medico", "paciente")
        .filter(pk=id_prescricao)
        .first()
    )
    if prescricao is None:
        raise NotFound.single(
            "id_prescricao", ErrorCode.PRESCRIPTION_NOT_FOUND, f"Prescrição {id_prescricao} não existe."
        )
    return prescricao


def _require_active(prescricao: Prescricao) -> None:
    if not prescricao.ativa:
        raise Conflict.single(
            "id_prescricao",
            ErrorCode.PRESCRIPTION_CANCELLED,
            f"A prescrição {prescricao.pk} está cancelada e não pode ser alterada.",
        )


@dataclass(frozen=True)
class Revision:
    """Changes to apply to one prescription at once (the admin's change form).

    `add` and `change` pair each item with the field prefix its errors carry
    (e.g. "medicamentos[2]"); `change` maps an existing item id to its new data.
    """

    data_prescricao: dt.datetime | None = None
    add: Sequence[tuple[str, ItemInput]] = ()
    change: Mapping[int, tuple[str, ItemInput]] = field(default_factory=dict)
    remove: Sequence[int] = ()


def _item_not_found(id_prescricao: int, id_item: int) -> NotFound:
    return NotFound.single(
        "item_id", ErrorCode.ITEM_NOT_FOUND, f"A prescrição {id_prescricao} não tem o item {id_item}."
    )


def _check_revision(
    prescricao: Prescricao, revision: Revision, current: dict[int, PrescricaoMedicamento]
) -> dict[int, Medicamento]:
    """Raise `DomainError` listing every rule the revised prescription would break.

    Returns the medications the revision names, loaded once.
    """
    for id_item in [*revision.remove, *revision.change]:
        if id_item not in current:
            raise _item_not_found(prescricao.pk, id_item)
    requested = [*revision.add, *revision.change.values()]
    by_id = _medications_by_id([item for _, item in requested])
    errors: list[FieldError] = []
    if revision.data_prescricao is not None:
        errors += rules.check_prescription_date(revision.data_prescricao)
    for prefix, item in requested:
        errors += rules.check_item(item, by_id.get(item.id_medicamento), prescricao.medico, prefix)
    kept = [
        (f"item {id_item}", ItemInput(row.medicamento_id, row.horario, row.dosagem))
        for id_item, row in current.items()
        if id_item not in revision.remove and id_item not in revision.change
    ]
    if not kept and not requested:
        errors.append(
            FieldError(
                "item_id",
                ErrorCode.LAST_ITEM,
                "A prescrição ficaria sem medicamentos; para retirar o último, cancele a prescrição.",
            )
        )
    errors += rules.check_no_duplicates([*kept, *requested])
    if errors:
        raise DomainError(errors)
    return by_id


def _apply_revision(prescricao: Prescricao, revision: Revision) -> list[PrescricaoMedicamento]:
    """Check and apply a revision; append one event per change. Precondition: `prescricao` is locked."""
    _require_active(prescricao)
    current = {item.pk: item for item in prescricao.itens.all()}
    by_id = _check_revision(prescricao, revision, current)
    for id_item in revision.remove:
        removed = current[id_item]
        removed.delete()
        removed.pk = id_item  # delete() clears it; the event names the removed row
        prescricao.event_position = events.medicamento_removido(removed).position
    for id_item, (_, item) in revision.change.items():
        row = current[id_item]
        row.medicamento = by_id[item.id_medicamento]
        row.horario, row.dosagem = rules.parse_horario(item.horario), item.dosagem.strip()
        row.save(update_fields=["medicamento", "horario", "dosagem"])
        prescricao.event_position = events.medicamento_alterado(row).position
    added = [
        PrescricaoMedicamento.objects.create(
            prescricao=prescricao,
            medicamento=by_id[item.id_medicamento],
            horario=rules.parse_horario(item.horario),
            dosagem=item.dosagem.strip(),
        )
        for _, item in revision.add
    ]
    for row in added:
        row.event_position = prescricao.event_position = events.medicamento_prescrito(row).position
    if revision.data_prescricao is not None and revision.data_prescricao != prescricao.data_prescricao:
        prescricao.data_prescricao = revision.data_prescricao
        prescricao.save(update_fields=["data_prescricao"])
        prescricao.event_position = events.data_prescricao_alterada(prescricao).position
    kept = [row for id_item, row in current.items() if id_item not in revision.remove]
    prescricao.saved_items = _in_read_order([*kept, *added])
    return added


@transaction.atomic(durable=True)
def revise_prescription(*, id_prescricao: int, revision: Revision) -> Prescricao:
    """Apply several changes to an active prescription in one transaction: all of them, or none."""
    prescricao = _locked_prescription(id_prescricao)
    prescricao.event_position = None
    _apply_revision(prescricao, revision)
    return prescricao


@transaction.atomic(durable=True)
def add_item(*, id_prescricao: int, item: ItemInput) -> PrescricaoMedicamento:
    """Add one medication to an active prescription; emits `MedicamentoPrescrito`."""
    prescricao = _locked_prescription(id_prescricao)
    (added,) = _apply_revision(prescricao, Revision(add=[("", item)]))
    return added


@transaction.atomic(durable=True)
def remove_item(*, id_prescricao: int, id_item: int) -> Prescricao:
    """Remove one item of an active prescription, never its last; emits `MedicamentoRemovido`."""
    prescricao = _locked_prescription(id_prescricao)
    _apply_revision(prescricao, Revision(remove=[id_item]))
    return prescricao


@transaction.atomic(durable=True)
def cancel_prescription(*, id_prescricao: int, motivo: str = "") -> Prescricao:
    """Cancel an active prescription: its items leave the pharmacy worklist; emits `PrescricaoCancelada`."""
    prescricao = _locked_prescription(id_prescricao)
    _require_active(prescricao)
    prescricao.status = StatusPrescricao.CANCELADA
    prescricao.cancelada_em = timezone.now()
    prescricao.motivo_cancelamento = (motivo or "").strip()[:500]
    prescricao.save(update_fields=["status", "cancelada_em", "motivo_cancelamento"])
    prescricao.event_position = events.prescricao_cancelada(prescricao).position
    prescricao.saved_items = _in_read_order(prescricao.itens.all())
    return prescricao


@transaction.atomic(durable=True)
def change_prescription_date(*, id_prescricao: int, data_prescricao: dt.datetime) -> Prescricao:
    """Correct the date of an active prescription; emits `DataPrescricaoAlterada`."""
    prescricao = _locked_prescription(id_prescricao)
    _apply_revision(prescricao, Revision(data_prescricao=data_prescricao))
    return prescricao
