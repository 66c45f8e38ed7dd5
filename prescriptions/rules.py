"""Domain rules of prescriptions: small pure functions returning broken rules.

Each `check_*` looks only at the values it is given and returns a list of
`FieldError` (empty when the rule holds), so a command can report every broken
rule of a request at once. Field names are the API's input field paths.
"""

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils import timezone

from hospital.errors import ErrorCode, FieldError
from hospital.models import Medicamento, Medico, Paciente

HORARIO_PATTERN = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
# A prescription may be dated slightly ahead of the server clock (clock skew between systems).
FUTURE_TOLERANCE = dt.timedelta(minutes=5)
OLDEST_PRESCRIPTION = dt.datetime(1990, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class ItemInput:
    """One medication requested in a prescription, as received (not yet validated)."""

    id_medicamento: int | None
    horario: str | dt.time | None
    dosagem: str | None


def _path(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def parse_horario(value: str | dt.time | None) -> dt.time | None:
    """`HH:MM` (00:00 to 23:59) or a `time` on the minute, else None."""
    if isinstance(value, dt.time):
        return value if (value.second, value.microsecond) == (0, 0) else None
    if isinstance(value, str):
        match = HORARIO_PATTERN.match(value.strip())
        if match:
            return dt.time(int(match[1]), int(match[2]))
    return None


@dataclass(frozen=True)
class _RegisteredRecord:
    """The rule on a doctor or patient the request names by id: registered, and active."""

    not_found: ErrorCode
    not_found_message: str
    inactive: ErrorCode
    inactive_message: str  # `{nome}`: the record's name

    def check(self, record: Medico | Paciente | None, field: str) -> list[FieldError]:
        if record is None:
            return [FieldError(field, self.not_found, self.not_found_message)]
        if not record.ativo:
            return [FieldError(field, self.inactive, self.inactive_message.format(nome=record.nome))]
        return []


_DOCTOR = _RegisteredRecord(
    ErrorCode.DOCTOR_NOT_FOUND,
    "Médico não encontrado: informe o id de um médico cadastrado.",
    ErrorCode.DOCTOR_INACTIVE,
    "O médico {nome} está inativo e não pode prescrever.",
)
_PATIENT = _RegisteredRecord(
    ErrorCode.PATIENT_NOT_FOUND,
    "Paciente não encontrado: informe o id de um paciente cadastrado.",
    ErrorCode.PATIENT_INACTIVE,
    "O paciente {nome} está inativo.",
)


def check_doctor(medico: Medico | None, field: str = "id_medico") -> list[FieldError]:
    return _DOCTOR.check(medico, field)


def check_patient(paciente: Paciente | None, field: str = "id_paciente") -> list[FieldError]:
    return _PATIENT.check(paciente, field)


def check_prescription_date(data_prescricao: dt.datetime, field: str = "data_prescricao") -> list[FieldError]:
    if timezone.is_naive(data_prescricao):
        data_prescricao = timezone.make_aware(data_prescricao)
    if data_prescricao > timezone.now() + FUTURE_TOLERANCE:
        return [FieldError(field, ErrorCode.DATE_IN_FUTURE, "A data da prescrição não pode estar no futuro.")]
    if data_prescricao < OLDEST_PRESCRIPTION:
        return [FieldError(field, ErrorCode.DATE_TOO_OLD, "A data da prescrição é anterior a 1990; confira o ano.")]
    return []


def check_item(item: ItemInput, medicamento: Medicamento | None, medico: Medico | None, field: str) -> list[FieldError]:
    """One item on its own: medication exists, is active and allowed to the doctor; valid time and dosage."""
    errors: list[FieldError] = []
    if item.id_medicamento is None:
        errors.append(FieldError(_path(field, "id_medicamento"), ErrorCode.REQUIRED, "Informe o medicamento."))
    elif medicamento is None:
        errors.append(
            FieldError(
                _path(field, "id_medicamento"),
                ErrorCode.MEDICATION_NOT_FOUND,
                f"Medicamento {item.id_medicamento} não encontrado: informe o id de um medicamento cadastrado.",
            )
        )
    elif not medicamento.ativo:
        errors.append(
            FieldError(
                _path(field, "id_medicamento"),
                ErrorCode.MEDICATION_INACTIVE,
                f"O medicamento {medicamento.nome} está inativo e não pode ser prescrito.",
            )
        )
    elif medico is not None and not medicamento.permite(medico.especialidade):
        permitidas = ", ".join(medicamento.especialidades_permitidas)
        errors.append(
            FieldError(
                _path(field, "id_medicamento"),
                ErrorCode.SPECIALTY_NOT_ALLOWED,
                f"{medicamento.nome} só pode ser prescrito por: {permitidas}; "
                f"a especialidade do médico é {medico.especialidade}.",
            )
        )
    if parse_horario(item.horario) is None:
        errors.append(
            FieldError(
                _path(field, "horario"), ErrorCode.INVALID_TIME, "Horário inválido: use HH:MM, de 00:00 a 23:59."
            )
        )
    if not (item.dosagem or "").strip():
        errors.append(FieldError(_path(field, "dosagem"), ErrorCode.EMPTY_DOSAGE, "Informe a dosagem (ex.: 100mg)."))
    return errors


def check_items_not_empty(items: Iterable[ItemInput], field: str = "medicamentos") -> list[FieldError]:
    if not list(items):
        return [FieldError(field, ErrorCode.NO_ITEMS, "Uma prescrição precisa de ao menos um medicamento.")]
    return []


def duplicate_item_error(prefix: str, id_medicamento: int, horario: dt.time) -> FieldError:
    return FieldError(
        _path(prefix, "horario"),
        ErrorCode.DUPLICATE_ITEM,
        f"O medicamento {id_medicamento} já está prescrito às {horario:%H:%M} nesta prescrição; "
        "mude o horário ou retire a repetição.",
    )


def check_no_duplicates(items: Iterable[tuple[str, ItemInput]]) -> list[FieldError]:
    """The same medication at the same time appears at most once in a prescription.

    `items` pairs each item with the field prefix its error carries; the first
    occurrence is kept, every repetition is reported.
    """
    seen: set[tuple[int, dt.time]] = set()
    errors = []
    for prefix, item in items:
        key = (item.id_medicamento, parse_horario(item.horario))
        if key[0] is None or key[1] is None:
            continue
        if key in seen:
            errors.append(duplicate_item_error(prefix, *key))
        seen.add(key)
    return errors
