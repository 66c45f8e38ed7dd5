"""The one error hierarchy of the domain, with stable codes.

Commands raise these; `hospital.api.exceptions.exception_handler` turns them into HTTP
responses (400 with field errors, 404, 409) and the admin shows their
messages on the form. Codes are part of the API contract: never rename one.
"""

from dataclasses import dataclass
from enum import StrEnum


class ErrorCode(StrEnum):
    REQUIRED = "obrigatorio"
    DOCTOR_NOT_FOUND = "medico_inexistente"
    DOCTOR_INACTIVE = "medico_inativo"
    PATIENT_NOT_FOUND = "paciente_inexistente"
    PATIENT_INACTIVE = "paciente_inativo"
    MEDICATION_NOT_FOUND = "medicamento_inexistente"
    MEDICATION_INACTIVE = "medicamento_inativo"
    SPECIALTY_NOT_ALLOWED = "especialidade_nao_autorizada"
    NO_ITEMS = "prescricao_sem_itens"
    INVALID_TIME = "horario_invalido"
    EMPTY_DOSAGE = "dosagem_vazia"
    DUPLICATE_ITEM = "item_duplicado"
    DATE_IN_FUTURE = "data_no_futuro"
    DATE_TOO_OLD = "data_implausivel"
    CRM_TAKEN = "crm_duplicado"
    INVALID_SPECIALTY = "especialidade_invalida"
    EMPTY_VALUE = "valor_vazio"
    PRESCRIPTION_NOT_FOUND = "prescricao_inexistente"
    ITEM_NOT_FOUND = "item_inexistente"
    PRESCRIPTION_CANCELLED = "prescricao_cancelada"
    LAST_ITEM = "ultimo_item"
    INVALID_CRM = "crm_invalido"
    INVALID_UF = "uf_invalida"
    INVALID_RECORD_NUMBER = "prontuario_invalido"
    RECORD_NUMBER_TAKEN = "prontuario_duplicado"


@dataclass(frozen=True)
class FieldError:
    """One broken rule: the input field it concerns, a stable code, and a message saying how to fix it."""

    field: str
    code: ErrorCode
    message: str


class DomainError(Exception):
    """A command refused its input; nothing was written."""

    status_code = 400
    default_code = "regra_de_dominio_violada"
    default_message = "A operação viola regras do domínio; nada foi gravado."

    def __init__(self, errors: list[FieldError]):
        if not errors:
            raise ValueError("a DomainError needs at least one FieldError")
        self.errors = list(errors)
        super().__init__("; ".join(f"{error.field}: {error.message}" for error in self.errors))

    @classmethod
    def single(cls, field: str, code: ErrorCode, message: str) -> "DomainError":
        return cls([FieldError(field, code, message)])

    def by_field(self) -> dict[str, list[FieldError]]:
        grouped: dict[str, list[FieldError]] = {}
        for error in self.errors:
            grouped.setdefault(error.field, []).append(error)
        return grouped


class NotFound(DomainError):
    """The aggregate named in the request does not exist."""

    status_code = 404
    default_code = "nao_encontrado"
    default_message = "Recurso não encontrado."


class Conflict(DomainError):
    """The aggregate exists but its state forbids the operation (e.g. it is cancelled)."""

    status_code = 409
    default_code = "conflito_de_estado"
    default_message = "O estado atual do recurso não permite a operação; nada foi gravado."
