"""Domain rules of master data: small pure functions returning broken rules."""

import datetime as dt
from collections.abc import Iterable

from django.utils import timezone

from hospital.errors import ErrorCode, FieldError
from hospital.identifiers import PRONTUARIO_DIGITS, UFS, split_crm
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


def check_crm(value: str, uf: str, field: str = "crm") -> list[FieldError]:
    """A CRM with a number (up to 7 digits) and a state; a state written in the CRM must be `uf`."""
    number, written_uf = split_crm(value)
    if number is None:
        return [FieldError(field, ErrorCode.INVALID_CRM, f"CRM inválido {value!r}: use CRM e o número, ex.: CRM12345.")]
    if uf not in UFS:
        return [FieldError("crm_uf", ErrorCode.INVALID_UF, f"UF inválida {uf!r}: use a sigla do estado, ex.: SP.")]
    if written_uf and written_uf != uf:
        return [FieldError(field, ErrorCode.INVALID_UF, f"O CRM diz {written_uf}, mas a UF informada é {uf}.")]
    return []


def check_prontuario(value: str | None, field: str = "prontuario") -> list[FieldError]:
    """Optional; when given, 4 to 12 digits (dots, hyphens and spaces are ignored)."""
    if value is None or PRONTUARIO_DIGITS.match(value):
        return []
    return [
        FieldError(
            field,
            ErrorCode.INVALID_RECORD_NUMBER,
            f"Prontuário inválido {value!r}: use de 4 a 12 dígitos, ex.: 102030.",
        )
    ]
