"""Every write path the README names, on every write table it applies to, in both sync modes.

Paths: ORM `update()`, `bulk_create`, `bulk_update`, `INSERT ... ON CONFLICT`,
`COPY`, raw SQL and `TRUNCATE`; tables: medicos, pacientes, medicamentos,
prescricoes, prescricao_medicamentos. After each write (committed) the read
models converge -- at once in trigger mode, after the projector applies the
pending events in celery mode -- and equal the source join column by column
(`find_drift`). Where the write changes what the pharmacy sees, the read
models must also have changed (so an equality that held only because nothing
was written cannot pass).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.db import connection

from hospital import commands as master
from hospital.models import Medicamento, Medico, Paciente
from hospital.specialties import Especialidade
from outbox.sync_mode import set_mode
from pharmacy import projector
from pharmacy.verify import find_drift
from prescriptions import commands
from prescriptions.models import Prescricao, PrescricaoMedicamento
from prescriptions.rules import ItemInput

TABLES = ("medicos", "pacientes", "medicamentos", "prescricoes", "prescricao_medicamentos")
MODELS = {
    "medicos": Medico,
    "pacientes": Paciente,
    "medicamentos": Medicamento,
    "prescricoes": Prescricao,
    "prescricao_medicamentos": PrescricaoMedicamento,
}


@dataclass
class World:
    medicos: list[int]
    pacientes: list[int]
    medicamentos: list[int]
    prescricoes: list[int]
    itens: list[int]


def _world() -> World:
    """Two of each master record and two prescriptions with items, projected (built in trigger mode)."""
    medicos = [
        master.register_doctor(nome="Dr. João Silva", especialidade=Especialidade.CARDIOLOGIA, crm="CRM12345").pk,
        master.register_doctor(nome="Dra. Ana Souza", especialidade=Especialidade.ONCOLOGIA, crm="CRM54321").pk,
    ]
    pacientes = [
        master.register_patient(nome="Maria Oliveira", data_nascimento=dt.date(1985, 7, 10), endereco="Rua A").pk,
        master.register_patient(nome="Pedro", data_nascimento=dt.date(2000, 1, 1)).pk,
    ]
    medicamentos = [master.register_medication(nome=n, descricao="d").pk for n in ("Aspirina", "Paracetamol")]
    prescricoes = [
        commands.create_prescription(
            id_medico=medicos[n],
            id_paciente=pacientes[n],
            medicamentos=[
                ItemInput(medicamentos[0], "08:00", "100mg"),
                ItemInput(medicamentos[1], f"2{n}:00", "500mg"),
            ],
        ).pk
        for n in (0, 1)
    ]
    itens = list(PrescricaoMedicamento.objects.order_by("pk").values_list("pk", flat=True))
    return World(medicos, pacientes, medicamentos, prescricoes, itens)


def _sql(statement: str, params: list | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params or [])


# --- the write paths: each takes the world and the table, and says whether the pharmacy must see a change ----------

# A shown column per table, and a new value for it (SQL expression over the row).
_SHOWN = {
    "medicos": ("nome", "nome || ' (alterado)'"),
    "pacientes": ("endereco", "'Rua Nova, 1'"),
    "medicamentos": ("descricao", "'nova descrição'"),
    "prescricoes": ("data_prescricao", "data_prescricao + interval '1 day'"),
    "prescricao_medicamentos": ("dosagem", "dosagem || ' (alterada)'"),
}


def _orm_update(w: World, table: str) -> bool:
    column, _ = _SHOWN[table]
    model = MODELS[table]
    values = {
        "nome": "Renomeado por update()",
        "endereco": "Rua do update()",
        "descricao": "descrição do update()",
        "data_prescricao": dt.datetime(2024, 3, 1, 10, 0, tzinfo=dt.UTC),
        "dosagem": "dose do update()",
    }
    model.objects.filter(pk__in=_ids(w, table)).update(**{_field(model, column): values[column]})
    return True


def _bulk_update(w: World, table: str) -> bool:
    column, _ = _SHOWN[table]
    model = MODELS[table]
    field = _field(model, column)
    rows = list(model.objects.filter(pk__in=_ids(w, table)))
    for n, row in enumerate(rows):
        old = getattr(row, field)
        new = old + dt.timedelta(days=n + 1) if isinstance(old, dt.datetime) else f"{old or ''} bulk {n}"
        setattr(row, field, new)
    model.objects.bulk_update(rows, [field])
    return True


def _bulk_create(w: World, table: str) -> bool:
    rows = {
        "medicos": lambda: [Medico(nome="Dr. Novo", especialidade=Especialidade.PEDIATRIA, crm="CRM-BULK")],
        "pacientes": lambda: [Paciente(nome="Novo", data_nascimento=dt.date(1990, 1, 1))],
        "medicamentos": lambda: [Medicamento(nome="Dipirona")],
        "prescricoes": lambda: [Prescricao(medico_id=w.medicos[0], paciente_id=w.pacientes[1])],
        "prescricao_medicamentos": lambda: [
            PrescricaoMedicamento(
                prescricao_id=w.prescricoes[n % 2],
                medicamento_id=w.medicamentos[1],
                horario=dt.time(12 + n),
                dosagem="bulk",
            )
            for n in range(3)
        ],
    }[table]()
    MODELS[table].objects.bulk_create(rows)
    return table == "prescricao_medicamentos"  # a master record or an empty prescription shows nowhere yet


def _insert_on_conflict(w: World, table: str) -> bool:
    column, expression = _SHOWN[table]
    _sql(
        f"INSERT INTO {table} SELECT * FROM {table} WHERE id = ANY(%s) "
        f"ON CONFLICT (id) DO UPDATE SET {column} = (SELECT {expression} FROM {table} WHERE id = EXCLUDED.id)",
        [_ids(w, table)],
    )
    return True


def _copy(w: World, table: str) -> bool:
    columns, rows = {
        "medicos": ("nome, especialidade, crm, ativo", [("Dr. Copiado", "Pediatria", "CRM-COPY", True)]),
        "pacientes": ("nome, data_nascimento, endereco, ativo", [("Copiado", "1970-02-03", None, True)]),
        "medicamentos": ("nome, descricao, especialidades_permitidas, ativo", [("Copiado", None, "{}", True)]),
        "prescricoes": (
            "id_medico, id_paciente, data_prescricao, status, motivo_cancelamento",
            [(w.medicos[1], w.pacientes[0], "2024-01-01T00:00:00Z", "ativa", "")],
        ),
        "prescricao_medicamentos": (
            "id_prescricao, id_medicamento, horario, dosagem",
            [
                (w.prescricoes[0], w.medicamentos[1], "13:00", "copiada"),
                (w.prescricoes[1], w.medicamentos[0], "14:00", "c"),
            ],
        ),
    }[table]
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    return table == "prescricao_medicamentos"


def _raw_sql(w: World, table: str) -> bool:
    statement, params = {
        "medicos": ("UPDATE medicos SET especialidade = 'Pediatria', crm = crm || '-X' WHERE id = %s", [w.medicos[0]]),
        "pacientes": ("UPDATE pacientes SET data_nascimento = '1950-05-05' WHERE id = %s", [w.pacientes[1]]),
        "medicamentos": ("UPDATE medicamentos SET nome = 'AAS' WHERE id = %s", [w.medicamentos[0]]),
        "prescricoes": ("UPDATE prescricoes SET id_medico = %s, status = 'cancelada', cancelada_em = now(), "
                        "motivo_cancelamento = 'SQL' WHERE id = %s",
                        [w.medicos[1], w.prescricoes[0]]),
        "prescricao_medicamentos": ("DELETE FROM prescricao_medicamentos WHERE id = %s", [w.itens[0]]),
    }[table]  # fmt: skip
    _sql(statement, params)
    return True


def _truncate(w: World, table: str) -> bool:
    _sql(f"TRUNCATE {table} CASCADE")
    return True


def _ids(w: World, table: str) -> list[int]:
    return {
        "medicos": w.medicos,
        "pacientes": w.pacientes,
        "medicamentos": w.medicamentos,
        "prescricoes": w.prescricoes,
        "prescricao_medicamentos": w.itens,
    }[table]


def _field(model, column: str) -> str:
    return next(f.name for f in model._meta.concrete_fields if f.column == column)


PATHS: dict[str, Callable[[World, str], bool]] = {
    "update()": _orm_update,
    "bulk_create": _bulk_create,
    "bulk_update": _bulk_update,
    "insert_on_conflict": _insert_on_conflict,
    "copy": _copy,
    "raw_sql": _raw_sql,
    "truncate": _truncate,
}


def _read_side() -> list:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 'row', to_jsonb(r) FROM vw_prescricoes_medicamentos_detalhadas r "
            "UNION ALL SELECT 'doc', to_jsonb(d) FROM vw_prescricoes_documentos d ORDER BY 1, 2"
        )
        return cursor.fetchall()


@pytest.mark.parametrize("mode", ["trigger", "celery"])
@pytest.mark.parametrize("table", TABLES)
@pytest.mark.parametrize("path", PATHS)
def test_a_write_path_leaves_the_read_models_equal_to_the_source_join(committed_db, path, table, mode):
    world = _world()
    before = _read_side()
    set_mode(mode)
    try:
        visible = PATHS[path](world, table)
        if mode == "celery":
            projector.catch_up()
        drift = find_drift()
        assert not drift, drift.summary()
        after = _read_side()
        if visible:
            assert after != before, "the write changed what the pharmacy sees, so the read models must change"
        if path == "truncate":
            assert after == []
    finally:
        set_mode("trigger")  # committed_db empties the database afterwards
