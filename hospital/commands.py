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
from hospital.identifiers import DEFAULT_UF, normalize_prontuario, split_crm
from hospital.models import Medicamento, Medico, Paciente


def _raise_if(errors: list[FieldError]) -> None:
    if errors:
        raise DomainError(errors)


def _announced(record, *, created: bool):
    """Append the record's saved event; return the record with `event_position` set."""
    record.event_position = events.master_data_saved(record, created=created).position
    return record


def _locked(model, pk: int, field: str, code: ErrorCode, label: str):
    """Load and lock (FOR UPDATE) one row; caller must be inside a transaction."""
    obj = model.objects.select_for_update().filter(pk=pk).first()
    if obj is None:
        raise NotFound.single(field, code, f"{label} {pk} não existe.")
    return obj


def _check_crm_free(crm: str, uf: str, id_medico: int | None = None) -> list[FieldError]:
    taken = Medico.objects.filter(crm=crm, crm_uf=uf).exclude(pk=id_medico).exists()
    return (
        [FieldError("crm", ErrorCode.CRM_TAKEN, f"O {crm}/{uf} já está cadastrado para outro médico.")] if taken else []
    )


def check_doctor_data(*, nome: str, especialidade: str, crm: str, crm_uf: str, id_medico: int | None = None) -> str:
    """Raise `DomainError` listing every broken rule of a doctor's data; return the normalized CRM."""
    crm_errors = rules.check_not_blank(crm, "crm", "o CRM") or rules.check_crm(crm, crm_uf)
    normalized, _ = split_crm(crm)
    _raise_if(
        [
            *rules.check_not_blank(nome, "nome", "o nome do médico"),
            *rules.check_specialty(especialidade),
            *crm_errors,
            *(_check_crm_free(normalized, crm_uf, id_medico) if not crm_errors else []),
        ]
    )
    return normalized


@transaction.atomic(durable=True)
def register_doctor(*, nome: str, especialidade: str, crm: str, crm_uf: str = DEFAULT_UF) -> Medico:
    """Register a doctor; the CRM is stored normalized ("crm 12.345" -> "CRM12345"), unique per state."""
    crm_uf = (crm_uf or "").strip().upper()
    normalized = check_doctor_data(nome=nome, especialidade=especialidade, crm=crm, crm_uf=crm_uf)
    medico = Medico.objects.create(nome=nome.strip(), especialidade=especialidade, crm=normalized, crm_uf=crm_uf)
    return _announced(medico, created=True)


@transaction.atomic(durable=True)
def update_doctor(
    *, id_medico: int, nome: str, especialidade: str, crm: str, crm_uf: str | None = None, ativo: bool = True
) -> Medico:
    """Change a doctor (`crm_uf` None: keep it); the read models show the new data on every row of theirs."""
    medico = _locked(Medico, id_medico, "id_medico", ErrorCode.DOCTOR_NOT_FOUND, "Médico")
    crm_uf = (crm_uf or medico.crm_uf).strip().upper()
    normalized = check_doctor_data(nome=nome, especialidade=especialidade, crm=crm, crm_uf=crm_uf, id_medico=id_medico)
    medico.nome, medico.especialidade, medico.crm, medico.crm_uf = nome.strip(), especialidade, normalized, crm_uf
    medico.ativo = ativo
    medico.save(update_fields=["nome", "especialidade", "crm", "crm_uf", "ativo"])
    return _announced(medico, created=False)


def _check_prontuario_free(prontuario: str, id_paciente: int | None) -> list[FieldError]:
    if not Paciente.objects.filter(prontuario=prontuario).exclude(pk=id_paciente).exists():
        return []
    return [
        FieldError("prontuario", ErrorCode.RECORD_NUMBER_TAKEN, f"O prontuário {prontuario} já é de outro paciente.")
    ]


def check_patient_data(
    *, nome: str, data_nascimento: dt.date, prontuario: str | None = None, id_paciente: int | None = None
) -> None:
    """Raise `DomainError` listing every broken rule of a patient's data (`prontuario` already normalized)."""
    record_errors = rules.check_prontuario(prontuario)
    _raise_if(
        [
            *rules.check_not_blank(nome, "nome", "o nome do paciente"),
            *rules.check_birth_date(data_nascimento),
            *record_errors,
            *(_check_prontuario_free(prontuario, id_paciente) if prontuario and not record_errors else []),
        ]
    )


@transaction.atomic(durable=True)
def register_patient(
    *, nome: str, data_nascimento: dt.date, endereco: str | None = None, prontuario: str | None = None
) -> Paciente:
    """Register a patient; `prontuario` (hospital record number) is optional, digits only, unique."""
    prontuario = normalize_prontuario(prontuario)
    check_patient_data(nome=nome, data_nascimento=data_nascimento, prontuario=prontuario)
    paciente = Paciente.objects.create(
        nome=nome.strip(),
        data_nascimento=data_nascimento,
        endereco=(endereco or "").strip() or None,
        prontuario=prontuario,
    )
    return _announced(paciente, created=True)


@transaction.atomic(durable=True)
def update_patient(
    *,
    id_paciente: int,
    nome: str,
    data_nascimento: dt.date,
    endereco: str | None = None,
    ativo: bool = True,
    prontuario: str | None = None,
) -> Paciente:
    """Change a patient (`prontuario` None: keep the record number)."""
    paciente = _locked(Paciente, id_paciente, "id_paciente", ErrorCode.PATIENT_NOT_FOUND, "Paciente")
    prontuario = normalize_prontuario(prontuario) or paciente.prontuario
    check_patient_data(nome=nome, data_nascimento=data_nascimento, prontuario=prontuario, id_paciente=id_paciente)
    paciente.nome, paciente.data_nascimento, paciente.prontuario = nome.strip(), data_nascimento, prontuario
    paciente.endereco, paciente.ativo = (endereco or "").strip() or None, ativo
    paciente.save(update_fields=["nome", "data_nascimento", "endereco", "ativo", "prontuario"])
    return _announced(paciente, created=False)


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
    return _announced(medicamento, created=True)


@transaction.atomic(durable=True)
def update_medication(
    *,
    id_medicamento: int,
    nome: str,
    descricao: str | None = None,
    especialidades_permitidas: Sequence[str] = (),
    ativo: bool = True,
) -> Medicamento:
    """Change a medication; `ativo=False` stops new prescriptions of it (existing ones stay)."""
    medicamento = _locked(Medicamento, id_medicamento, "id_medicamento", ErrorCode.MEDICATION_NOT_FOUND, "Medicamento")
    check_medication_data(nome=nome, especialidades_permitidas=especialidades_permitidas)
    medicamento.nome, medicamento.descricao = nome.strip(), (descricao or "").strip() or None
    medicamento.especialidades_permitidas = sorted(set(especialidades_permitidas))
    medicamento.ativo = ativo
    medicamento.save(update_fields=["nome", "descricao", "especialidades_permitidas", "ativo"])
    return _announced(medicamento, created=False)


@transaction.atomic(durable=True)
def deactivate_medication(*, id_medicamento: int) -> Medicamento:
    """Stop new prescriptions of a medication; prescriptions already made keep it."""
    medicamento = _locked(Medicamento, id_medicamento, "id_medicamento", ErrorCode.MEDICATION_NOT_FOUND, "Medicamento")
    medicamento.ativo = False
    medicamento.save(update_fields=["ativo"])
    return _announced(medicamento, created=False)
