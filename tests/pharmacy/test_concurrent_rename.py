"""Trigger mode under concurrency: a doctor renamed while a prescription of theirs is being written.

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
