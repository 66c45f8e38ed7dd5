"""rebuild_read_model's default mode: online build-and-swap (pharmacy.swap_rebuild)."""

import datetime as dt
import threading
import time
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, connections

from hospital import commands as master
from outbox import pg
from outbox.sync_mode import set_mode
from pharmacy import projector, rebuild_snapshot, shadow_tables, swap_rebuild
from pharmacy.models import ItemDetalhado, PrescricaoDocumento
from pharmacy.protection import unsafe_read_model_writes
from pharmacy.verify import find_drift
from prescriptions import commands
from prescriptions.rules import ItemInput
from tests.pharmacy.helpers import assert_read_models_match_source

pytestmark = pytest.mark.django_db(transaction=True)

TABLES = (ItemDetalhado._meta.db_table, PrescricaoDocumento._meta.db_table)


def _run(*args) -> str:
    out = StringIO()
    call_command("rebuild_read_model", *args, stdout=out, stderr=out)
    return out.getvalue()


def _verify_exit_code() -> int:
    try:
        call_command("verify_read_model", stdout=StringIO(), stderr=StringIO())
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def _catalog() -> dict:
    """What Django, the protection and the planner rely on: index and constraint definitions, triggers, options."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT c.relname, c.reloptions,
                      ARRAY(SELECT indexname || ': ' || indexdef FROM pg_indexes
                            WHERE tablename = c.relname ORDER BY indexname),
                      ARRAY(SELECT conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint
                            WHERE conrelid = c.oid ORDER BY 1),
                      ARRAY(SELECT tgname || ' ' || coalesce(obj_description(t.oid, 'pg_trigger'), '')
                            FROM pg_trigger t WHERE tgrelid = c.oid AND NOT tgisinternal ORDER BY 1),
                      ARRAY(SELECT attname || ' statistics ' || attstattarget FROM pg_attribute
                            WHERE attrelid = c.oid AND attnum > 0 AND attstattarget >= 0 ORDER BY attnum)
               FROM pg_class c WHERE c.relname = ANY(%s) ORDER BY c.relname""",
            [list(TABLES)],
        )
        return {row[0]: row[1:] for row in cursor.fetchall()}


def _leftovers() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT relname FROM pg_class WHERE relname LIKE %s", ["%" + shadow_tables.SHADOW_SUFFIX + "%"])
        return [row[0] for row in cursor.fetchall()]


def test_swap_rebuild_from_empty_equals_the_join(article_prescription, second_prescription_like):
    with unsafe_read_model_writes(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM vw_prescricoes_medicamentos_detalhadas; DELETE FROM vw_prescricoes_documentos")
    assert _verify_exit_code() == 1
    out = _run()
    assert "build:" in out and "catch-up 1" in out and "swap:" in out and "Rebuilt by swap" in out
    assert _verify_exit_code() == 0
    assert ItemDetalhado.objects.count() == 4 and PrescricaoDocumento.objects.count() == 2
    assert not _leftovers()


def test_swap_rebuild_repairs_drifted_tables(article_prescription, second_prescription_like):
    items = list(article_prescription.itens.order_by("pk").values_list("pk", flat=True))
    with unsafe_read_model_writes():
        ItemDetalhado.objects.filter(pk=items[0]).delete()
        ItemDetalhado.objects.filter(pk=items[1]).update(nome_medico="Dr. Errado")
        row = ItemDetalhado.objects.get(pk=items[1])
        row.pk, row.id_prescricao = 999_999, 424_242
        row.save(force_insert=True)
        PrescricaoDocumento.objects.filter(pk=article_prescription.pk).update(documento={"x": 1})
    assert find_drift()
    _run()
    assert _verify_exit_code() == 0


def test_swap_keeps_names_indexes_triggers_and_protection(article_prescription):
    before = _catalog()
    assert set(before) == set(TABLES)
    _run()
    assert before[TABLES[1]][4] == ["busca_texto statistics 0"]  # see pharmacy/sql/refresh.sql
    assert _catalog() == before  # same index names and definitions, constraints, triggers, statistics targets
    model_indexes = {index.name for index in ItemDetalhado._meta.indexes}
    assert model_indexes <= {entry.split(":")[0] for entry in before[TABLES[0]][1]}
    # The protect triggers work on the new tables.
    for table in TABLES:
        with pytest.raises(DatabaseError, match="read model"), connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {table}")
    # And the sync keeps writing them (plans re-resolved to the new tables).
    master.update_doctor(
        id_medico=article_prescription.medico_id, nome="Dr. João S.", especialidade="Cardiologia", crm="CRM12345"
    )
    assert ItemDetalhado.objects.filter(nome_medico="Dr. João S.").count() == 2
    assert_read_models_match_source()
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)


def test_interrupted_build_leaves_nothing_and_the_next_run_cleans_up(article_prescription, monkeypatch):
    def boom(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(rebuild_snapshot, "create_indexes", boom)
    with pytest.raises(KeyboardInterrupt):
        _run()
    monkeypatch.undo()
    assert not _leftovers()
    with connection.cursor() as cursor:  # a leftover from a killed process
        cursor.execute(f"CREATE TABLE {shadow_tables.shadow_name(TABLES[0])} (x int)")
    _run()
    assert not _leftovers() and _verify_exit_code() == 0


def test_in_place_options_need_in_place(article_prescription):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        _run("--batch-size", "10")


class Writer:
    """Commands from another thread (own connection), run on demand and waited for."""

    def __init__(self, medico, paciente, medicamentos):
        self.medico, self.paciente, self.medicamentos = medico, paciente, medicamentos
        self.created: list[int] = []
        self.errors: list[BaseException] = []
        self.hour = 0
        self.lock = threading.Lock()  # one write sequence at a time (each cancels the one before)

    def write(self, *, wait: bool = True) -> threading.Thread:
        self.hour = (self.hour + 1) % 24

        def work(hour=self.hour):
            try:
                self.lock.acquire()
                p = commands.create_prescription(
                    id_medico=self.medico.pk,
                    id_paciente=self.paciente.pk,
                    medicamentos=[ItemInput(self.medicamentos[0].pk, f"{hour:02d}:00", "1 cp")],
                )
                self.created.append(p.pk)
                commands.add_item(id_prescricao=p.pk, item=ItemInput(self.medicamentos[1].pk, f"{hour:02d}:30", "2"))
                master.update_doctor(
                    id_medico=self.medico.pk, nome=f"Dr. Nome {hour}", especialidade="Cardiologia", crm="CRM12345"
                )
                if len(self.created) > 1:
                    commands.cancel_prescription(id_prescricao=self.created[-2])
            except BaseException as exc:  # reported by the test
                self.errors.append(exc)
            finally:
                connections.close_all()
                self.lock.release()

        thread = threading.Thread(target=work)
        thread.start()
        if wait:
            thread.join(30)
        return thread


@pytest.fixture
def writer(cardiologista, paciente, aspirina, paracetamol):
    return Writer(cardiologista, paciente, [aspirina, paracetamol])


def _rebuild_with_writes_at_every_step(writer: Writer, monkeypatch) -> list[threading.Thread]:
    """Commit writes from another connection at each step: during the build snapshot, between rounds,
    and while the swap holds the lock (those block until it commits)."""
    blocked: list[threading.Thread] = []
    real_apply = swap_rebuild._apply_delta

    def apply_with_blocked_writer(cursor, shapes, after):
        cursor.execute("SELECT count(*) FROM pg_locks WHERE mode = 'AccessExclusiveLock' AND pid = pg_backend_pid()")
        if cursor.fetchone()[0]:  # inside the swap: this writer waits for the lock
            blocked.append(writer.write(wait=False))
            blocked[-1].join(0.5)
            assert blocked[-1].is_alive(), "the writer should be blocked by the swap lock"
        else:
            writer.write()
        return real_apply(cursor, shapes, after)

    monkeypatch.setattr(swap_rebuild, "_apply_delta", apply_with_blocked_writer)
    swap_rebuild.rebuild_swap(log=lambda _m: writer.write())
    for thread in blocked:
        thread.join(30)
    return blocked


def test_concurrent_writers_lose_nothing_trigger_mode(writer, monkeypatch):
    writer.write()  # this thread's plans of the sync functions are cached before the swap
    blocked = _rebuild_with_writes_at_every_step(writer, monkeypatch)
    assert blocked and not writer.errors, writer.errors
    assert len(writer.created) > 5
    assert_read_models_match_source()
    writer.write()  # and after it
    assert not writer.errors and _verify_exit_code() == 0


def test_concurrent_writers_lose_nothing_celery_mode(writer, monkeypatch):
    set_mode("celery")
    try:
        writer.write()
        projector.catch_up()
        swap_rebuild.rebuild_swap(log=lambda _m: (writer.write(), projector.catch_up()))
        assert not writer.errors, writer.errors
        projector.catch_up()
        assert_read_models_match_source()
    finally:
        set_mode("trigger")


def test_inside_a_transaction_it_builds_and_swaps_there(article_prescription):
    from django.db import transaction

    with unsafe_read_model_writes(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM vw_prescricoes_documentos")
    with transaction.atomic():
        swap_rebuild.rebuild_swap()
    assert_read_models_match_source()
    commands.change_prescription_date(
        id_prescricao=article_prescription.pk, data_prescricao=dt.datetime(2023, 5, 21, tzinfo=dt.UTC)
    )
    assert_read_models_match_source()


def test_a_session_with_cached_plans_keeps_working_across_the_swap(article_prescription, monkeypatch):
    """One persistent connection: its plpgsql plans (sync functions) point at the old tables' OIDs; a write
    blocked by the swap and the writes after it must re-plan against the new tables, not fail or vanish."""
    other = pg.connect(autocommit=True)
    medico_id = article_prescription.medico_id

    def rename(name: str) -> None:
        other.execute("UPDATE medicos SET nome = %s WHERE id = %s", [name, medico_id])
        other.execute(
            "UPDATE prescricao_medicamentos SET dosagem = %s WHERE id_prescricao = %s", [name, article_prescription.pk]
        )

    try:
        for n in range(6):  # past plpgsql's first executions: generic plans cached in this session
            rename(f"Dr. Antes {n}")
        real_apply = swap_rebuild._apply_delta
        blocked: list[threading.Thread] = []

        def apply(cursor, shapes, after):
            cursor.execute(
                "SELECT count(*) FROM pg_locks WHERE mode = 'AccessExclusiveLock' AND pid = pg_backend_pid()"
            )
            if cursor.fetchone()[0] and not blocked:
                blocked.append(threading.Thread(target=rename, args=["Dr. Durante"]))
                blocked[0].start()
                blocked[0].join(0.5)
                assert blocked[0].is_alive()
            return real_apply(cursor, shapes, after)

        monkeypatch.setattr(swap_rebuild, "_apply_delta", apply)
        swap_rebuild.rebuild_swap()
        blocked[0].join(30)
        assert ItemDetalhado.objects.filter(nome_medico="Dr. Durante", dosagem="Dr. Durante").count() == 2
        assert_read_models_match_source()
        rename("Dr. Depois")
        assert ItemDetalhado.objects.filter(nome_medico="Dr. Depois", dosagem="Dr. Depois").count() == 2
        assert_read_models_match_source()
    finally:
        other.close()


def test_a_writer_committing_while_the_swap_waits_for_its_lock_is_kept(article_prescription, monkeypatch):
    """Trigger mode: a transaction that already wrote the old read tables holds the swap's LOCK back; once it
    commits, the swap's snapshot (taken after the lock) must include its change."""
    other = pg.connect()
    real_swap = swap_rebuild._swap

    def committer() -> None:
        with pg.connect(autocommit=True) as watcher:
            for _ in range(500):
                waiting = watcher.execute(
                    "SELECT count(*) FROM pg_locks WHERE mode = 'AccessExclusiveLock' AND NOT granted"
                ).fetchone()[0]
                if waiting:
                    break
                time.sleep(0.01)
        other.commit()

    def swap(*args, **kwargs):
        other.execute("UPDATE medicos SET nome = 'Dr. Bloqueante' WHERE id = %s", [article_prescription.medico_id])
        thread = threading.Thread(target=committer)
        thread.start()
        try:
            return real_swap(*args, **kwargs)
        finally:
            thread.join(30)

    monkeypatch.setattr(swap_rebuild, "_swap", swap)
    try:
        swap_rebuild.rebuild_swap()
        assert ItemDetalhado.objects.filter(nome_medico="Dr. Bloqueante").count() == 2
        assert_read_models_match_source()
    finally:
        other.close()


def test_sequential_build_gives_the_same_result(article_prescription, second_prescription_like):
    with unsafe_read_model_writes(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM vw_prescricoes_documentos")
    report = swap_rebuild.rebuild_swap(parallel=False)
    assert (report.rows, report.documents) == (4, 2)
    assert _verify_exit_code() == 0
