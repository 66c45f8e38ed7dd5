"""Model-based test of the read-model sync, in both modes: any interleaving of writes and projections converges.

A Hypothesis `RuleBasedStateMachine` drives commands, direct ORM and SQL edits
(each its own committed transaction), steps where two writers run at once on
two connections, and -- in celery mode -- projections of the pending events
with the real projector code (in-process), sometimes while a writer runs. The
invariant (`find_drift`: both read models equal the source join, every column)
is checked after every step in trigger mode, after every projection in celery
mode, and at the end of every example in both. The database is emptied before
each example. Example counts come from the Hypothesis profile (`ci` in
`make test`, `soak` in `make soak`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from collections.abc import Callable

import psycopg
import pytest
from django.db import IntegrityError, connection
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from hospital import commands as master
from hospital.errors import DomainError
from hospital.models import Medicamento, Medico, Paciente
from outbox import pg
from outbox.sync_mode import set_mode
from pharmacy import projector
from pharmacy.verify import find_drift
from prescriptions import commands
from prescriptions.models import Prescricao, PrescricaoMedicamento
from prescriptions.rules import ItemInput
from tests.pharmacy.helpers import reset_write_model

pick = st.integers(min_value=0, max_value=20)
hour = st.integers(min_value=0, max_value=23)
name = st.sampled_from(["Ana", "Bruno", "Célia", "Dário", "Élida"])
refused = (DomainError, IntegrityError, psycopg.errors.IntegrityError)


def _ids(model) -> list[int]:
    return list(model.objects.order_by("pk").values_list("pk", flat=True))


def _nth(model, i: int) -> int | None:
    ids = _ids(model)
    return ids[i % len(ids)] if ids else None


SEED_SQL = """
WITH m AS (
    INSERT INTO medicos (nome, especialidade, crm, ativo)
    VALUES ('Dr. 0', 'Cardiologia', 'CRM00000', true), ('Dra. 1', 'Oncologia', 'CRM00001', true) RETURNING id
), pa AS (
    INSERT INTO pacientes (nome, data_nascimento, endereco, ativo)
    VALUES ('Paciente 0', '1980-01-01', 'Rua 0', true), ('Paciente 1', '1981-01-01', NULL, true) RETURNING id
), md AS (
    INSERT INTO medicamentos (nome, descricao, especialidades_permitidas, ativo)
    SELECT 'Remédio ' || n, 'd', '{}', true FROM generate_series(0, 2) n RETURNING id
), p AS (
    INSERT INTO prescricoes (id_medico, id_paciente, data_prescricao, status, motivo_cancelamento)
    SELECT m.id, pa.id, '2024-01-01T08:00:00Z', 'ativa', ''
    FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM m) m
    JOIN (SELECT id, row_number() OVER (ORDER BY id) AS n FROM pa) pa USING (n) RETURNING id
)
INSERT INTO prescricao_medicamentos (id_prescricao, id_medicamento, horario, dosagem)
SELECT p.id, md.id, make_time(8 + (md.id %% 12)::int, 0, 0), '1 comp' FROM p CROSS JOIN md
"""


def _seed() -> None:
    """Two doctors, two patients, three medications and two prescriptions of three items, in one statement.

    Written in trigger mode: the example starts projected, with something to change.
    """
    with connection.cursor() as cursor:
        cursor.execute(SEED_SQL, [])


# Writes on a connection of their own (psycopg, outside Django), for the concurrent steps.
def _sql_add_item(prescricao: int, medicamento: int, h: int) -> Callable[[psycopg.Connection], None]:
    return lambda conn: conn.execute(
        "INSERT INTO prescricao_medicamentos (id_prescricao, id_medicamento, horario, dosagem) "
        "VALUES (%s, %s, %s, 'concorrente')",
        [prescricao, medicamento, dt.time(h, 45)],
    )


def _sql_rename_doctor(medico: int, nome: str) -> Callable[[psycopg.Connection], None]:
    return lambda conn: conn.execute("UPDATE medicos SET nome = %s WHERE id = %s", [nome, medico])


def _sql_redose(prescricao: int, dosagem: str) -> Callable[[psycopg.Connection], None]:
    return lambda conn: conn.execute(
        "UPDATE prescricao_medicamentos SET dosagem = %s WHERE id_prescricao = %s", [dosagem, prescricao]
    )


def _run_together(*writes: Callable[[psycopg.Connection], None]) -> None:
    """Each write in its own thread and connection, started together, each committed (or refused and rolled back)."""
    barrier = threading.Barrier(len(writes))

    def run(write):
        with pg.connect() as conn:
            barrier.wait(10)
            try:
                write(conn)
                conn.commit()
            except (psycopg.errors.IntegrityError, psycopg.errors.DeadlockDetected):
                conn.rollback()  # refused or chosen as the deadlock victim: nothing of it stays

    threads = [threading.Thread(target=run, args=(write,), daemon=True) for write in writes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
        assert not thread.is_alive(), "a concurrent writer hung"


class SyncMachine(RuleBasedStateMachine):
    mode = "trigger"

    def __init__(self):
        super().__init__()
        reset_write_model()  # leaves the database in trigger mode
        _seed()
        if self.mode != "trigger":
            set_mode(self.mode)

    def teardown(self):
        try:
            self._converge_and_check()
        finally:
            if self.mode != "trigger":
                set_mode("trigger")

    def _converge_and_check(self) -> None:
        if self.mode == "celery":
            projector.catch_up()
        drift = find_drift()
        assert not drift, drift.summary()

    @invariant()
    def trigger_mode_is_always_in_sync(self):
        if self.mode == "trigger":
            drift = find_drift()
            assert not drift, drift.summary()

    # --- commands --------------------------------------------------------------------------------------------
    @rule(medico=pick, paciente=pick, items=st.lists(st.tuples(pick, hour), min_size=1, max_size=3))
    def create(self, medico, paciente, items):
        with contextlib.suppress(*refused):
            commands.create_prescription(
                id_medico=_nth(Medico, medico), id_paciente=_nth(Paciente, paciente),
                medicamentos=[ItemInput(_nth(Medicamento, m), f"{h:02d}:00", "10mg") for m, h in items],
            )  # fmt: skip

    @rule(p=pick, m=pick, h=hour)
    def add_item(self, p, m, h):
        if (pk := _nth(Prescricao, p)) is not None:
            with contextlib.suppress(*refused):
                commands.add_item(id_prescricao=pk, item=ItemInput(_nth(Medicamento, m), f"{h:02d}:30", "5 ml"))

    @rule(i=pick)
    def remove_item(self, i):
        if (item := _nth(PrescricaoMedicamento, i)) is not None:
            prescricao = PrescricaoMedicamento.objects.get(pk=item).prescricao_id
            with contextlib.suppress(*refused):
                commands.remove_item(id_prescricao=prescricao, id_item=item)

    @rule(p=pick)
    def cancel(self, p):
        if (pk := _nth(Prescricao, p)) is not None:
            with contextlib.suppress(*refused):
                commands.cancel_prescription(id_prescricao=pk, motivo="teste")

    @rule(m=pick, nome=name)
    def rename_medication_command(self, m, nome):
        med = Medicamento.objects.get(pk=_nth(Medicamento, m))
        with contextlib.suppress(*refused):
            master.update_medication(
                id_medicamento=med.pk, nome=f"{nome} {med.pk}", descricao=f"desc {nome}",
                especialidades_permitidas=med.especialidades_permitidas,
            )  # fmt: skip

    # --- direct ORM and SQL edits (no command) ----------------------------------------------------------------
    @rule(d=pick, nome=name)
    def rename_doctor_orm_update(self, d, nome):
        with contextlib.suppress(*refused):  # refused: nothing written
            Medico.objects.filter(pk=_nth(Medico, d)).update(nome=nome)

    @rule(pa=pick, nome=name, clear_address=st.booleans())
    def rename_patient_sql(self, pa, nome, clear_address):
        with contextlib.suppress(*refused), connection.cursor() as cursor:  # refused: nothing written
            cursor.execute(
                "UPDATE pacientes SET nome = %s, endereco = CASE WHEN %s THEN NULL ELSE 'Rua ' || %s END WHERE id = %s",
                [nome, clear_address, nome, _nth(Paciente, pa)],
            )

    @rule(p=pick, items=st.lists(st.tuples(pick, hour), min_size=1, max_size=3))
    def bulk_create_items(self, p, items):
        with contextlib.suppress(*refused):  # refused: nothing written
            if (pk := _nth(Prescricao, p)) is not None:
                PrescricaoMedicamento.objects.bulk_create(
                    [
                        PrescricaoMedicamento(
                            prescricao_id=pk,
                            medicamento_id=_nth(Medicamento, m),
                            horario=dt.time(h, 15),
                            dosagem="bulk",
                        )
                        for m, h in items
                    ]
                )

    @rule(p=pick, dosagem=name)
    def update_dosages_orm(self, p, dosagem):
        with contextlib.suppress(*refused):  # refused: nothing written
            PrescricaoMedicamento.objects.filter(prescricao_id=_nth(Prescricao, p)).update(dosagem=dosagem)

    @rule(i=pick, p=pick)
    def move_item_sql(self, i, p):
        with contextlib.suppress(*refused), connection.cursor() as cursor:  # refused: nothing written
            cursor.execute(
                "UPDATE prescricao_medicamentos SET id_prescricao = %s WHERE id = %s",
                [_nth(Prescricao, p), _nth(PrescricaoMedicamento, i)],
            )

    @rule(i=pick)
    def delete_item_sql(self, i):
        with contextlib.suppress(*refused), connection.cursor() as cursor:  # refused: nothing written
            cursor.execute("DELETE FROM prescricao_medicamentos WHERE id = %s", [_nth(PrescricaoMedicamento, i)])

    @rule(p=pick, d=pick)
    def switch_doctor_and_reactivate_sql(self, p, d):
        with contextlib.suppress(*refused), connection.cursor() as cursor:  # refused: nothing written
            cursor.execute(
                "UPDATE prescricoes SET id_medico = %s, status = 'ativa', cancelada_em = NULL, "
                "motivo_cancelamento = '' WHERE id = %s",
                [_nth(Medico, d), _nth(Prescricao, p)],
            )

    @rule(p=pick)
    def delete_prescription_orm(self, p):
        with contextlib.suppress(*refused):  # refused: nothing written
            Prescricao.objects.filter(pk=_nth(Prescricao, p)).delete()

    # --- two writers at once ----------------------------------------------------------------------------------
    @precondition(lambda self: Prescricao.objects.exists())
    @rule(p=pick, q=pick, m=pick, h=hour, nome=name)
    def two_writers_on_two_connections(self, p, q, m, h, nome):
        """An item added to one prescription while another writer renames its doctor or re-doses another one."""
        first, second = _nth(Prescricao, p), _nth(Prescricao, q)
        medico = Prescricao.objects.get(pk=first).medico_id
        other = _sql_rename_doctor(medico, nome) if h % 2 else _sql_redose(second, nome)
        _run_together(_sql_add_item(first, _nth(Medicamento, m), h), other)

    # --- projection (celery mode) -----------------------------------------------------------------------------
    @precondition(lambda self: self.mode == "celery")
    @rule()
    def project(self):
        self._converge_and_check()

    @precondition(lambda self: self.mode == "celery" and Prescricao.objects.exists())
    @rule(p=pick, m=pick, h=hour)
    def project_while_a_writer_writes(self, p, m, h):
        """The projector (its own connection) applies pending events while an item is being added; then converge."""
        outcome: dict = {}

        def project():
            try:
                projector.catch_up()
            except Exception as exc:  # surfaced below
                outcome["error"] = exc
            finally:
                connection.close()

        thread = threading.Thread(target=project, daemon=True)
        thread.start()
        _run_together(_sql_add_item(_nth(Prescricao, p), _nth(Medicamento, m), h))
        thread.join(60)
        assert not thread.is_alive() and "error" not in outcome, outcome
        self._converge_and_check()


class CeleryModeMachine(SyncMachine):
    mode = "celery"


@pytest.mark.slow
@pytest.mark.parametrize("machine", [SyncMachine, CeleryModeMachine], ids=["trigger", "celery"])
def test_read_models_converge_to_the_source_join_under_any_interleaving(committed_db, machine):
    run_state_machine_as_test(machine)
