"""Domain rules of master data: small pure functions returning broken rules."""

import datetime as dt
from collections.abc import Iterable

from django.utils import timezone

from hospital.errors import ErrorCode, FieldError
from hospital.specialties import Especialidade

OLDEST_BIRTH_DATE = dt.date(1890, 1, 1)


def check_not_blank(value: str | None, field: str, label: str) -> list[FieldError]:
    if not (value or "").strip():
        return [FieldError(field, ErrorCode.EMPTY_VALUE, f"Informe {label}.")]
    return []


def check_specialty(value: str, field: str = "especialidade") -> list[FieldError]:
    if value not in Especialidade.values:
        opcoes = ", ".join(Especialidade.values)
        return [
            FieldError(
                field, ErrorCode.INVALID_SPECIALTY, f"Especialidade desconhecida {value!r}; use uma de: {opcoes}."
            )
        ]
    return []


def check_specialties(values: Iterable[str], field: str = "especialidades_permitidas") -> list[FieldError]:
    return [error for value in values for error in check_specialty(value, field)]


def check_birth_date(value: dt.date, field: str = "data_nascimento") -> list[FieldError]:
    if value > timezone.localdate():
        return [FieldError(field, ErrorCode.DATE_IN_FUTURE, "A data de nascimento não pode estar no futuro.")]
    if value < OLDEST_BIRTH_DATE:
        return [FieldError(field, ErrorCode.DATE_TOO_OLD, "Data de nascimento anterior a 1890; confira o ano.")]
    return []
