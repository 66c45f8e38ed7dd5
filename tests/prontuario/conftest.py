"""Fixtures of the patient-record tests: integration users per source, a clinician, event builders.

The property tests run under the suite's Hypothesis profile (`tests/hypothesis_profiles.py`).
"""

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from prontuario.models import FonteIntegracao
from tests.celery.conftest import stack  # noqa: F401 -- real relay/worker processes for celery mode
from tests.conftest import _client as client_for
from tests.conftest import _user


def integration_user(fonte: str, username: str | None = None) -> User:
    user = _user(username or f"sistema-{fonte}", group="integracao")
    FonteIntegracao.objects.create(usuario=user, fonte=fonte)
    return user


@pytest.fixture
def source_clients(db) -> dict[str, APIClient]:
    """An API client per source system (triagem, laboratorio, imagem)."""
    return {fonte: client_for(integration_user(fonte)) for fonte in ("triagem", "laboratorio", "imagem")}


@pytest.fixture
def clinico_client(db) -> APIClient:
    return client_for(_user("clinico1", group="clinico"))


def event(tipo: str, id_evento: str, *, paciente: int, atendimento: str = "ATD-1", versao: int = 1, **dados) -> dict:
    """One event as a source system posts it (`dados` as given)."""
    return {
        "id_evento": id_evento,
        "tipo": tipo,
        "id_paciente": paciente,
        "id_atendimento": atendimento,
        "versao": versao,
        "ocorrido_em": "2024-03-10T14:00:00Z",
        "dados": dados,
    }


def triage(id_evento: str, *, paciente: int, atendimento: str = "ATD-1", versao: int = 1, queixa="Dor no peito"):
    return event(
        "TriagemRegistrada", id_evento, paciente=paciente, atendimento=atendimento, versao=versao,
        chegada_em="2024-03-10T13:55:00Z", queixa=queixa, classificacao_risco="laranja",
        sinais_vitais={"pressao_sistolica": 150, "frequencia_cardiaca": 102, "temperatura": 36.8},
    )  # fmt: skip


def lab_result(id_evento: str, *, paciente: int, atendimento: str = "ATD-1", versao: int = 2, valor="0.02", **extra):
    tipo = "ResultadoLaboratorialRetificado" if "motivo" in extra else "ResultadoLaboratorialLiberado"
    return event(
        tipo, id_evento, paciente=paciente, atendimento=atendimento, versao=versao, id_exame="LAB-77",
        liberado_em="2024-03-10T15:00:00Z",
        resultados=[{"analito": "Troponina I", "valor": valor, "unidade": "ng/mL"}], **extra,
    )  # fmt: skip


def lab_order(id_evento: str, *, paciente: int, atendimento: str = "ATD-1", versao: int = 1):
    return event(
        "ExameLaboratorialSolicitado", id_evento, paciente=paciente, atendimento=atendimento, versao=versao,
        id_exame="LAB-77", nome="Troponina I", solicitado_em="2024-03-10T14:10:00Z",
    )  # fmt: skip


def visit_opened(id_evento: str, *, paciente: int, atendimento: str = "ATD-1", aberto_em="2024-03-10T13:58:00Z"):
    return event("AtendimentoAberto", id_evento, paciente=paciente, atendimento=atendimento, aberto_em=aberto_em)
