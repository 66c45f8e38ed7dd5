"""Master-data commands: register and change doctors, patients and medications.

Same contract as `prescriptions.commands`: keyword-only, one durable
transaction, every rule checked before writing, the event appended to the
outbox, the saved object returned with `event_position` set.
"""

import datetime as dt
from collections.abc import Sequence

from django.db import transaction

from hospital import events, rules
from hospital.errors import DomainError, ErrorCode, FieldError, NotFound
from hospital.models import Medicamento, Medico, Paciente


def _raise_if(errors: list[FieldError]) -> None:
    if errors:
        raise DomainError(errors)


def _locked(model, pk: int, field: str, code: ErrorCode, label: str):
    """Load and lock (FOR UPDATE) one row; caller must be inside a transaction."""
    obj = model.objects.select_for_update().filter(pk=pk).first()
    if obj is None:
        raise NotFound.single(field, code, f"{label} {pk} não existe.")
    return obj


def _check_crm_free(crm: str, medico_id: int | None = None) -> list[FieldError]:
    taken = Medico.objects.filter(crm__iexact=crm.strip()).exclude(pk=medico_id).exists()
    return (
        [FieldError("crm", ErrorCode.CRM_TAKEN, f"O CRM {crm} já está cadastrado para outro médico.")] if taken else []
    )


def check_doctor_data(*, nome: str, especialidade: str, crm: str, medico_id: int | None = None) -> None:
    """Raise `DomainError` listing every broken rule of a doctor's data."""
    _raise_if(
        [
            *rules.check_not_blank(nome, "nome", "o nome do médico"),
            *rules.check_specialty(especialidade),
            *rules.check_not_blank(crm, "crm", "o CRM"),
            *(_check_crm_free(crm, medico_id) if (crm or "").strip() else []),
        ]
    )


@transaction.atomic(durable=True)
def register_doctor(*, nome: str, especialidade: str, crm: str) -> Medico:
    check_doctor_data(nome=nome, especialidade=especialidade, crm=crm)
    medico = Medico.objects.create(nome=nome.strip(), especialidade=especialidade, crm=crm.strip())
    medico.event_position = events.medico_salvo(medico, created=True).position
    return medico


@transaction.atomic(durable=True)
def update_doctor(*, medico_id: int, nome: str, especialidade: str, crm: str, ativo: bool = True) -> Medico:
    """Change a doctor; the read models show the new data on every row of theirs."""
    medico = _locked(Medico, medico_id, "id_medico", ErrorCode.DOCTOR_NOT_FOUND, "Médico")
    check_doctor_data(nome=nome, especialidade=especialidade, crm=crm, medico_id=medico_id)
    medico.nome, medico.especialidade, medico.crm, medico.ativo = nome.strip(), especialidade, crm.strip(), ativo
    medico.save(update_fields=["nome", "especialidade", "crm", "ativo"])
    medico.event_position = events.medico_salvo(medico, created=False).position
    return medico


def check_patient_data(*, nome: str, data_nascimento: dt.date) -> None:
    _raise_if([*rules.check_not_blank(nome, "nome", "o nome do paciente"), *rules.check_birth_date(data_nascimento)])


@transaction.atomic(durable=True)
def register_patient(*, nome: str, data_nascimento: dt.date, endereco: str | None = None) -> Paciente:
    check_patient_data(nome=nome, data_nascimento=data_nascimento)
    paciente = Paciente.objects.create(
        nome=nome.strip(), data_nascimento=data_nascimento, endereco=(endereco or "").strip() or None
    )
    paciente.event_position = events.paciente_salvo(paciente, created=True).position
    return paciente


@transaction.atomic(durable=True)
def update_patient(
    *, paciente_id: int, nome: str, data_nascimento: dt.date, endereco: str | None = None, ativo: bool = True
) -> Paciente:
    paciente = _locked(Paciente, paciente_id, "id_paciente", ErrorCode.PATIENT_NOT_FOUND, "Paciente")
    check_patient_data(nome=nome, data_nascimento=data_nascimento)
    paciente.nome, paciente.data_nascimento = nome.strip(), data_nascimento
    paciente.endereco, paciente.ativo = (endereco or "").strip() or None, ativo
    paciente.save(update_fields=["nome", "data_nascimento", "endereco", "ativo"])
    paciente.event_position = events.paciente_salvo(paciente, created=False).position
    return paciente


def check_medication_data(*, nome: str, especialidades_permitidas: Sequence[str]) -> None:
    _raise_if(
        [
            *rules.check_not_blank(nome, "nome", "o nome do medicamento"),
            *rules.check_specialties(especialidades_permitidas),
        ]
    )


@transaction.atomic(durable=True)
def register_medication(
    *, nome: str, descricao: str | None = None, especialidades_permitidas: Sequence[str] = ()
) -> Medicamento:
    """Register a medication; an empty `especialidades_permitidas` opens it to every specialty."""
    check_medication_data(nome=nome, especialidades_permitidas=especialidades_permitidas)
    medicamento = Medicamento.objects.create(
        nome=nome.strip(),
        descricao=(descricao or "").strip() or None,
        especialidades_permitidas=sorted(set(especialidades_permitidas)),
    )
    medicamento.event_position = events.medicamento_salvo(medicamento, created=True).position
    return medicamento


@transaction.atomic(durable=True)
def update_medication(
    *,
    medicamento_id: int,
    nome: str,
    descricao: str | None = None,
    especialidades_permitidas: Sequence[str] = (),
    ativo: bool = True,
) -> Medicamento:
    """Change a medication; `ativo=False` stops new prescriptions of it (existing ones stay)."""
    medicamento = _locked(Medicamento, medicamento_id, "id_medicamento", ErrorCode.MEDICATION_NOT_FOUND, "Medicamento")
    check_medication_data(nome=nome, especialidades_permitidas=especialidades_permitidas)
    medicamento.nome, medicamento.descricao = nome.strip(), (descricao or "").strip() or None
    medicamento.especialidades_permitidas = sorted(set(especialidades_permitidas))
    medicamento.ativo = ativo
    medicamento.save(update_fields=["nome", "descricao", "especialidades_permitidas", "ativo"])
    medicamento.event_position = events.medicamento_salvo(medicamento, created=False).position
    return medicamento


@transaction.atomic(durable=True)
def deactivate_medication(*, medicamento_id: int) -> Medicamento:
    """Stop new prescriptions of a medication; prescriptions already made keep it."""
    medicamento = _locked(Medicamento, medicamento_id, "id_medicamento", ErrorCode.MEDICATION_NOT_FOUND, "Medicamento")
    medicamento.ativo = False
    medicamento.save(update_fields=["ativo"])
    medicamento.event_position = events.medicamento_salvo(medicamento, created=False).position
    return medicamento
