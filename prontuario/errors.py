"""Errors of the record's integration endpoint, in the project's one error hierarchy."""

from enum import StrEnum

from hospital.errors import DomainError


class IntegrationErrorCode(StrEnum):
    SOURCE_NOT_ALLOWED = "fonte_nao_autorizada"
    TYPE_OF_OTHER_SOURCE = "tipo_de_outra_fonte"


class SourceNotAllowed(DomainError):
    """The token's source system may not deliver this (another source's batch or event type); nothing stored."""

    status_code = 403
    default_code = "fonte_nao_autorizada"
    default_message = "Este token só entrega eventos do seu próprio sistema de origem; nada foi gravado."
