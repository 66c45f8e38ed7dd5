"""Trigger mode under concurrency: a doctor renamed while a prescription of theirs is being written, and
two writers adding items to one prescription.

Each transaction's trigger only sees what is committed (READ COMMITTED), so
without serialization a rename committed meanwhile would miss the new rows,
or the new rows would carry the old name. The refresh takes FOR SHARE locks
on the doctor, patient and medications it shows; the rename's UPDATE needs a
lock that conflicts with them, so one of the two waits for the other and
then sees its rows. Either order must leave no drift.
"""

import threading
import time
from collections.abc import Callable

import psycopg
import pytest
from django.db import connection

from outbox import pg
from pharmacy import projector
from tests.pharmacy.helpers import assert_read_models_match_source

pytestmark = pytest.mark.django_db(transaction=True)


def _add_item(conn: psycopg.Connection, prescricao_id: int, medicamento_id: int, horario: str, dosagem: str) -> None:
    conn.execute(
        "INSERT INTO prescricao_medicamentos (id_prescricao, id_medicamento, horario, dosagem) VALUES (%s, %s, %s, %s)",
        [prescricao_id, medicamento_id, horario, dosagem],
    )


def _new_prescription(conn: psycopg.Connection, medico_id: int, paciente_id: int) -> int:
    return conn.execute(
        "INSERT INTO prescricoes (id_medico, id_paciente, data_prescricao, status, motivo_cancelamento) "
        "VALUES (%s, %s, now(), 'ativa', '') RETURNING id",
        [medico_id, paciente_id],
    ).fetchone()[0]


def _write_prescription(conn: psycopg.Connection, medico_id: int, paciente_id: int, medicamento_id: int) -> int:
    prescricao_id = _new_prescription(conn, medico_id, paciente_id)
    _add_item(conn, prescricao_id, medicamento_id, "08:00", "100mg")
    return prescricao_id


def _second_waits_for_first(first: Callable, second: Callable, why: str) -> tuple:
    """`first(conn)` in a transaction left open; `second(conn)` in another thread and connection, then committed.

    The second must still be running half a second later, and finish once the
    first commits. Returns both results.
    """
    holder = pg.connect()
    try:
        first_result = first(holder)
        out: dict = {}
        done = threading.Event()

        def run():
            with pg.connect() as conn:
                out["result"] = second(conn)
                conn.commit()
            done.set()

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        assert not done.wait(0.5), why
        holder.commit()
        thread.join(10)
        assert done.is_set()
    finally:
        holder.close()
    return first_result, out["result"]


def _names_shown(prescricao_id: int) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nome_medico FROM vw_prescricoes_medicamentos_detalhadas WHERE id_prescricao = %s "
            "UNION SELECT documento->'medico'->>'nome' FROM vw_prescricoes_documentos WHERE id_prescricao = %s",
            [prescricao_id, prescricao_id],
        )
        return {row[0] for row in cursor.fetchall()}


def _rename(medico_id: int) -> Callable:
    return lambda conn: conn.execute("UPDATE medicos SET nome = 'Dr. João Renomeado' WHERE id = %s", [medico_id])


def test_rename_during_an_uncommitted_prescription_waits_and_then_covers_it(cardiologista, paciente, aspirina):
    prescricao_id, _ = _second_waits_for_first(
        lambda conn: _write_prescription(conn, cardiologista.pk, paciente.pk, aspirina.pk),
        _rename(cardiologista.pk),
        "the rename must wait for the prescription's transaction",
    )
    assert _names_shown(prescricao_id) == {"Dr. João Renomeado"}
    assert_read_models_match_source()


def test_prescription_during_an_uncommitted_rename_waits_and_then_shows_the_new_name(cardiologista, paciente, aspirina):
    _, prescricao_id = _second_waits_for_first(
        _rename(cardiologista.pk),
        lambda conn: _write_prescription(conn, cardiologista.pk, paciente.pk, aspirina.pk),
        "the prescription's refresh must wait for the rename's transaction",
    )
    assert _names_shown(prescricao_id) == {"Dr. João Renomeado"}
    assert_read_models_match_source()


def test_items_written_concurrently_to_one_prescription_all_reach_its_document(cardiologista, paciente, aspirina):
    """Two transactions add items to the same prescription by raw SQL (no command, so no FOR UPDATE on it).

    Each refresh reads the items committed so far; without serialization the later
    document upsert, computed before the other transaction committed, drops its item.
    The prescription starts without items (written by SQL), so no existing read row
    is there for the two upserts to queue on by accident.
    """
    with pg.connect() as setup:
        prescricao_id = _new_prescription(setup, cardiologista.pk, paciente.pk)
        setup.commit()
    _second_waits_for_first(
        lambda conn: _add_item(conn, prescricao_id, aspirina.pk, "12:00", "50mg"),
        lambda conn: _add_item(conn, prescricao_id, aspirina.pk, "20:00", "25mg"),
        "the second refresh of the prescription must wait for the first transaction",
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT jsonb_array_length(documento->'medicamentos') FROM vw_prescricoes_documentos "
            "WHERE id_prescricao = %s",
            [prescricao_id],
        )
        assert cursor.fetchone()[0] == 2
    assert_read_models_match_source()


def test_a_bulk_statement_over_many_prescriptions_waits_for_a_smaller_refresh_and_leaves_no_drift(
    cardiologista, paciente, aspirina
):
    """More than 64 prescriptions in one statement (the coarse-lock path) still serialize with a concurrent writer.

    Here the two would also meet on the prescription's existing read rows; the next test pins the lock itself.
    """
    with pg.connect() as setup:
        ids = [_write_prescription(setup, cardiologista.pk, paciente.pk, aspirina.pk) for _ in range(80)]
        setup.commit()
    _second_waits_for_first(
        lambda conn: _add_item(conn, ids[0], aspirina.pk, "12:00", "50mg"),
        lambda conn: conn.execute(
            "UPDATE prescricao_medicamentos SET dosagem = '75mg' WHERE id_prescricao = ANY(%s)", [ids]
        ),
        "the bulk refresh must wait for the uncommitted refresh of one of its prescriptions",
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FILTER (WHERE dosagem = '75mg'), count(*) FROM vw_prescricoes_medicamentos_detalhadas "
            "WHERE id_prescricao = ANY(%s)",
            [ids],
        )
        # 81 rows, the other transaction's item included (committed while the bulk refresh waited); the UPDATE
        # itself changed the 80 rows its snapshot saw, as SQL says.
        assert cursor.fetchone() == (80, 81)
    assert_read_models_match_source()


def test_a_bulk_refresh_holds_one_coarse_lock_not_one_per_prescription(cardiologista, paciente, aspirina):
    """Advisory locks live in the server's shared lock table; 80 prescriptions must not take 80 of them."""
    with pg.connect() as setup:
        ids = [_write_prescription(setup, cardiologista.pk, paciente.pk, aspirina.pk) for _ in range(80)]
        few = _write_prescription(setup, cardiologista.pk, paciente.pk, aspirina.pk)
        setup.commit()

    def advisory_locks(conn: psycopg.Connection) -> list[tuple[int, str]]:
        return conn.execute(
            "SELECT objid::int, mode FROM pg_locks WHERE locktype = 'advisory' AND classid = pharmacy_lock_namespace() "
            "AND pid = pg_backend_pid() ORDER BY objid, mode"
        ).fetchall()

    with pg.connect() as conn:
        conn.execute("UPDATE prescricao_medicamentos SET dosagem = '75mg' WHERE id_prescricao = ANY(%s)", [ids])
        assert advisory_locks(conn) == [(0, "ExclusiveLock")]
        conn.rollback()
        conn.execute("UPDATE prescricao_medicamentos SET dosagem = '75mg' WHERE id_prescricao = %s", [few])
        assert advisory_locks(conn) == [(0, "ShareLock"), (few % 2147483647, "ExclusiveLock")]
        conn.rollback()


def _waits_on_an_advisory_lock(pid: int) -> bool:
    with pg.connect() as conn:
        return conn.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE pid = %s AND locktype = 'advisory' AND NOT granted)", [pid]
        ).fetchone()[0]


def test_a_projector_chunk_over_64_and_a_trigger_mode_writer_never_deadlock(cardiologista, paciente, aspirina):
    """The mode switch's catch-up (or a repair) projects 70 prescriptions while a trigger-mode writer is open.

    The writer holds its refresh's locks on one prescription and then writes one of the projector's 70. Both
    must take the locks in one order (coarse first); the projector once took the 70 per-prescription locks
    first and the coarse one after, and the writer's second statement died with DeadlockDetected.
    """
    with pg.connect() as setup:
        ids = [_write_prescription(setup, cardiologista.pk, paciente.pk, aspirina.pk) for _ in range(70)]
        outside = _write_prescription(setup, cardiologista.pk, paciente.pk, aspirina.pk)
        setup.commit()
    outcome: dict = {}

    def project():
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                outcome["pid"] = cursor.fetchone()[0]
            projector.apply_events([projector.Event(-n, "Prescricao", pid) for n, pid in enumerate(ids, 1)])
        except Exception as exc:
            outcome["projector"] = exc
        finally:
            connection.close()

    writer = pg.connect()
    try:
        _add_item(writer, outside, aspirina.pk, "12:00", "50mg")  # the writer's refresh holds its locks
        thread = threading.Thread(target=project, daemon=True)
        thread.start()
        deadline = time.monotonic() + 30
        while not ("pid" in outcome and _waits_on_an_advisory_lock(outcome["pid"])):
            assert thread.is_alive() and time.monotonic() < deadline, f"the projector must wait: {outcome}"
            time.sleep(0.02)
        try:
            _add_item(writer, ids[0], aspirina.pk, "13:00", "25mg")
            writer.commit()
        except psycopg.errors.DeadlockDetected as exc:
            outcome["writer"] = exc
        thread.join(30)
    finally:
        writer.close()
    assert not thread.is_alive()
    assert {k: v for k, v in outcome.items() if k != "pid"} == {}
    assert_read_models_match_source()
