"""Readable admin history of prescriptions: what a command changed, in the staff's words.

Django's own change message reads the form and the inline formsets; the
commands save instead (so it said "Nenhum campo modificado." after a dosage
change) and a cancellation left no entry. Here the prescription is
snapshotted before and after the command, and the difference, with the
outbox position of the command's last event, becomes the history entry.
"""

from dataclasses import dataclass

from django.utils.formats import date_format
from django.utils.timezone import localtime

from prescriptions.models import Prescricao


@dataclass(frozen=True)
class Snapshot:
    data_prescricao: object
    itens: dict[int, tuple[str, str, str]]  # item id -> (medication, HH:MM, dosage)


def snapshot(id_prescricao: int | None) -> Snapshot | None:
    prescricao = Prescricao.objects.filter(pk=id_prescricao).first() if id_prescricao else None
    if prescricao is None:
        return None
    itens = {
        item.pk: (item.medicamento.nome, f"{item.horario:%H:%M}", item.dosagem)
        for item in prescricao.itens.select_related("medicamento")
    }
    return Snapshot(prescricao.data_prescricao, itens)


def _item(values: tuple[str, str, str]) -> str:
    return " ".join(values)


def _local(when) -> str:
    return date_format(localtime(when), "d/m/Y H:i")


def _event(position: int | None) -> str:
    return f" (evento do outbox nº {position})" if position else ""


def describe_creation(after: Snapshot, position: int | None) -> str:
    itens = "; ".join(_item(values) for values in after.itens.values())
    return (
        f"Criada para {_local(after.data_prescricao)} com {len(after.itens)} medicamento(s): {itens}{_event(position)}."
    )


def describe_revision(before: Snapshot, after: Snapshot, position: int | None) -> str:
    changes = []
    if before.data_prescricao != after.data_prescricao:
        changes.append(f"data {_local(before.data_prescricao)} → {_local(after.data_prescricao)}")
    for item_id, old in before.itens.items():
        new = after.itens.get(item_id)
        if new is None:
            changes.append(f"retirado {_item(old)}")
        elif new != old:
            labels = ("medicamento", "horário", "dosagem")
            diffs = [f"{label} {a} → {b}" for label, a, b in zip(labels, old, new, strict=True) if a != b]
            changes.append(f"{old[0]} {old[1]}: {', '.join(diffs)}")
    changes += [f"adicionado {_item(new)}" for item_id, new in after.itens.items() if item_id not in before.itens]
    if not changes:
        return "Salva sem alterações."
    return "Alterada: " + "; ".join(changes) + _event(position) + "."


def describe_cancellation(motivo: str, position: int | None) -> str:
    return f"Cancelada. Motivo: {motivo}{_event(position)}."
