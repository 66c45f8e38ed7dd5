"""CRM normalized with its state and unique per (number, state); prontuário validated and unique."""

import datetime as dt

import pytest

from hospital import commands
from hospital.errors import DomainError
from hospital.identifiers import split_crm

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("CRM12345", ("CRM12345", None)),
        ("crm 12345", ("CRM12345", None)),
        (" CRM-12.345 ", ("CRM12345", None)),
        ("CRM/SP 12345", ("CRM12345", "SP")),
        ("12345-RJ", ("CRM12345", "RJ")),
        ("12345", ("CRM12345", None)),
        ("CRM", (None, None)),
        ("CRM ABC", (None, None)),
    ],
)
def test_crm_as_typed_becomes_one_form(typed, expected):
    assert split_crm(typed) == expected


def _codes(error: DomainError) -> dict[str, list[str]]:
    return {field: [e.code.value for e in errors] for field, errors in error.by_field().items()}


def test_same_crm_in_another_spelling_is_refused_but_another_state_is_a_different_doctor():
    first = commands.register_doctor(nome="Dr. João Silva", especialidade="Cardiologia", crm="CRM12345")
    assert (first.crm, first.crm_uf) == ("CRM12345", "SP")
    with pytest.raises(DomainError) as refused:
        commands.register_doctor(nome="Outro", especialidade="Cardiologia", crm="crm 12.345")
    assert _codes(refused.value) == {"crm": ["crm_duplicado"]}
    assert refused.value.errors[0].message == "O CRM12345/SP já está cadastrado para outro médico."
    other_state = commands.register_doctor(
        nome="Dr. João Souza", especialidade="Pediatria", crm="crm 12345", crm_uf="rj"
    )
    assert (other_state.crm, other_state.crm_uf) == ("CRM12345", "RJ")


def test_invalid_crm_and_state_are_refused_with_how_to_fix():
    with pytest.raises(DomainError) as refused:
        commands.register_doctor(nome="Dr. X", especialidade="Cardiologia", crm="CRM ABC")
    assert refused.value.errors[0].message == "CRM inválido 'CRM ABC': use CRM e o número, ex.: CRM12345."
    with pytest.raises(DomainError) as refused:
        commands.register_doctor(nome="Dr. X", especialidade="Cardiologia", crm="CRM/RJ 1", crm_uf="SP")
    assert _codes(refused.value) == {"crm": ["uf_invalida"]}


def test_prontuario_is_digits_unique_and_optional():
    maria = commands.register_patient(
        nome="Maria Oliveira", data_nascimento=dt.date(1985, 7, 10), prontuario="10.203-0"
    )
    assert maria.prontuario == "102030"
    assert commands.register_patient(nome="Sem prontuário", data_nascimento=dt.date(1990, 1, 1)).prontuario is None
    with pytest.raises(DomainError) as refused:
        commands.register_patient(nome="Outra", data_nascimento=dt.date(1990, 1, 1), prontuario="102030")
    assert _codes(refused.value) == {"prontuario": ["prontuario_duplicado"]}
    with pytest.raises(DomainError) as refused:
        commands.register_patient(nome="Outra", data_nascimento=dt.date(1990, 1, 1), prontuario="12a")
    assert _codes(refused.value) == {"prontuario": ["prontuario_invalido"]}
