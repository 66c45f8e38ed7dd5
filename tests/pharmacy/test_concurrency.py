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

import psycopg
import pytest
from django.db import connection

from tests.pharmacy.helpers import assert_read_models_match_source

pytestmark = pytest.mark.django_db(transaction=True)


def _connect() -> psycopg.Connection:
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    return psycopg.connect(**params)


def _write_prescription(conn: psycopg.Connection, medico_id: int, paciente_id: int, medicamento_id: int) -> int:
    prescricao_id = conn.execute(
        "INSERT INTO prescricoes (id_medico, id_paciente, data_prescricao, status, motivo_cancelamento) "
        "VALUES (%s, %s, now(), 'ativa', '') RETURNING id",
        [medico_id, paciente_id],
    ).fetchone()[0]
    conn.execute(
        "INSERT INTO prescricao_medicamentos (id_prescricao, id_medicamento, horario, dosagem) "
        "VALUES (%s, %s, '08:00', '100mg')",
        [prescricao_id, medicamento_id],
    )
    return prescricao_id


def _rename_in_thread(medico_id: int, nome: str) -> tuple[threading.Thread, threading.Event]:
    """Rename in another connection; `done` is set once the rename has committed."""
    done = threading.Event()

    def rename():
        with _connect() as conn:
            conn.execute("UPDATE medicos SET nome = %s WHERE id = %s", [nome, medico_id])
            conn.commit()
        done.set()

    thread = threading.Thread(target=rename, daemon=True)
    thread.start()
    return thread, done


def _names_shown(prescricao_id: int) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nome_medico FROM vw_prescricoes_medicamentos_detalhadas WHERE id_prescricao = %s "
            "UNION SELECT documento->'medico'->>'nome' FROM vw_prescricoes_documentos WHERE id_prescricao = %s",
            [prescricao_id, prescricao_id],
        )
        return {row[0] for row in cursor.fetchall()}


def test_rename_during_an_uncommitted_prescription_waits_and_then_covers_it(cardiologista, paciente, aspirina):
    writer = _connect()
    try:
        prescricao_id = _write_prescription(writer, cardiologista.pk, paciente.pk, aspirina.pk)  # not committed yet
        thread, renamed = _rename_in_thread(cardiologista.pk, "Dr. João Renomeado")
        assert not renamed.wait(0.5), "the rename must wait for the prescription's transaction"
        writer.commit()
        thread.join(10)
        assert renamed.is_set()
    finally:
        writer.close()
    assert _names_shown(prescricao_id) == {"Dr. João Renomeado"}
    assert_read_models_match_source()


def test_prescription_during_an_uncommitted_rename_waits_and_then_shows_the_new_name(cardiologista, paciente, aspirina):
    renamer = _connect()
    try:
        renamer.execute("UPDATE medicos SET nome = 'Dr. João Renomeado' WHERE id = %s", [cardiologista.pk])
        result: dict = {}

        def write():
            with _connect() as conn:
                result["id"] = _write_prescription(conn, cardiologista.pk, paciente.pk, aspirina.pk)
                conn.commit()

        thread = threading.Thread(target=write, daemon=True)
        thread.start()
        thread.join(0.5)
        assert thread.is_alive(), "the prescription's refresh must wait for the rename's transaction"
        renamer.commit()
        thread.join(10)
        assert not thread.is_alive()
    finally:
        renamer.close()
    assert _names_shown(result["id"]) == {"Dr. João Renomeado"}
    assert_read_models_match_source()


def test_items_written_concurrently_to_one_prescription_all_reach_its_document(cardiologista, paciente, aspirina):
    """Two transactions add items to the same prescription by raw SQL (no command, so no FOR UPDATE on it).

    Each refresh reads the items committed so far; without serialization the later
    document upsert, computed before the other transaction committed, drops its item.
    The prescription starts without items (written by SQL), so no existing read row
    is there for the two upserts to queue on by accident.
    """
    with _connect() as setup:
        prescricao_id = setup.execute(
            "INSERT INTO prescricoes (id_medico, id_paciente, data_prescricao, status, motivo_cancelamento) "
            "VALUES (%s, %s, now(), 'ativa', '') RETURNING id",
            [cardiologista.pk, paciente.pk],
        ).fetchone()[0]
        setup.commit()
    first = _connect()
    try:
        first.execute(
            "INSERT INTO prescricao_medicamentos (id_prescricao, id_medicamento, horario, dosagem) "
            "VALUES (%s, %s, '12:00', '50mg')",
            [prescricao_id, aspirina.pk],
        )
        done = threading.Event()

        def second():
            with _connect() as conn:
                conn.execute(
                    "INSERT INTO prescricao_medicamentos (id_prescricao, id_medicamento, horario, dosagem) "
                    "VALUES (%s, %s, '20:00', '25mg')",
                    [prescricao_id, aspirina.pk],
                )
                conn.commit()
            done.set()

        thread = threading.Thread(target=second, daemon=True)
        thread.start()
        assert not done.wait(0.5), "the second refresh of the prescription must wait for the first transaction"
        first.commit()
        thread.join(10)
        assert done.is_set()
    finally:
        first.close()
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
    """More than 64 prescriptions in one statement: one coarse lock instead of one per prescription."""
    with _connect() as setup:
        ids = [_write_prescription(setup, cardiologista.pk, paciente.pk, aspirina.pk) for _ in range(80)]
        setup.commit()
    small = _connect()
    try:
        small.execute(
            "INSERT INTO prescricao_medicamentos (id_prescricao, id_medicamento, horario, dosagem) "
            "VALUES (%s, %s, '12:00', '50mg')",
            [ids[0], aspirina.pk],
        )
        done = threading.Event()

        def bulk():
            with _connect() as conn:
                conn.execute("UPDATE prescricao_medicamentos SET dosagem = '75mg' WHERE id_prescricao = ANY(%s)", [ids])
                conn.commit()
            done.set()

        thread = threading.Thread(target=bulk, daemon=True)
        thread.start()
        assert not done.wait(0.5), "the bulk refresh must wait for the uncommitted refresh of one of its prescriptions"
        small.commit()
        thread.join(10)
        assert done.is_set()
    finally:
        small.close()
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
