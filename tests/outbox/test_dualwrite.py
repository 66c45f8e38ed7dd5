"""The article's dual-write (READ_MODEL_SYNC=dualwrite) against a private Redis and a real Celery worker.

Both failure modes: the broker refuses (503, nothing written; the outbox mode
accepts the same write) and the commit fails after the publish (the phantom
projects nothing). Plus the race in between: a message handled before its
transaction commits waits for the commit instead of reading the old state.
"""

import time

import pytest
from celery import Celery
from django.contrib.auth.models import Group
from django.db import DatabaseError, connection

from outbox import dualwrite
from outbox.models import OutboxEvent
from pharmacy.models import ItemDetalhado, PrescricaoDocumento
from pharmacy.verify import find_drift
from prescriptions import commands
from prescriptions.models import Prescricao
from prescriptions.rules import ItemInput
from prontuario.models import DocumentoAtendimento
from tests.celery.conftest import Stack, private_redis, wait_until  # noqa: F401 -- fixture
from tests.conftest import _client, _user

pytestmark = [pytest.mark.celery]


@pytest.fixture
def dualwrite_mode(celery_mode, private_redis, settings, monkeypatch):  # noqa: F811 -- fixture
    """Commands publish to a private Redis inside their transaction; the database is in celery mode."""
    settings.READ_MODEL_SYNC = "dualwrite"
    settings.CELERY_BROKER_URL = private_redis.url
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_timeout": 1, "socket_connect_timeout": 1}
    app = Celery("dualwrite-test")
    app.config_from_object("django.conf:settings", namespace="CELERY")
    monkeypatch.setattr(dualwrite, "celery_app", lambda: app)
    yield private_redis
    app.close()


def _body(world, paciente: int = 0) -> dict:
    item = {"id_medicamento": world["medicamentos"][0].pk, "horario": "08:00", "dosagem": "1g"}
    return {"id_medico": world["medicos"][0].pk, "id_paciente": world["pacientes"][paciente].pk, "medicamentos": [item]}


def test_broker_down_dualwrite_refuses_the_write_and_the_outbox_accepts_it(world, dualwrite_mode, settings):
    Group.objects.get_or_create(name="prescritor")  # an earlier transactional test may have flushed the groups
    client = _client(_user("prescritor-dw", group="prescritor"))
    events_before = OutboxEvent.objects.count()
    dualwrite_mode.stop()

    refused = client.post("/api/commands/prescricoes/", _body(world), format="json")

    assert refused.status_code == 503
    assert refused["Retry-After"] == str(dualwrite.RETRY_AFTER)
    assert refused.json() == {"detail": dualwrite.WritesUnavailable.default_detail, "code": "broker_indisponivel",
                              "errors": {}}  # fmt: skip
    assert not Prescricao.objects.exists()
    assert OutboxEvent.objects.count() == events_before

    settings.READ_MODEL_SYNC = "celery"  # the outbox: the same write is accepted, to be relayed later
    accepted = client.post("/api/commands/prescricoes/", _body(world), format="json")
    assert accepted.status_code == 201
    assert OutboxEvent.objects.filter(pk=int(accepted["X-Event-Position"]), projected_at__isnull=True).exists()


@pytest.fixture
def failing_commit():
    """A deferred constraint trigger: a transaction that inserted into `dualwrite_test_commit` fails AT COMMIT."""
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE dualwrite_test_commit (x int);"
            "CREATE FUNCTION dualwrite_test_refuse() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'commit refused by the test'; END $$;"
            "CREATE CONSTRAINT TRIGGER refuse AFTER INSERT ON dualwrite_test_commit "
            "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION dualwrite_test_refuse();"
        )
    yield "INSERT INTO dualwrite_test_commit VALUES (1)"
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE dualwrite_test_commit; DROP FUNCTION dualwrite_test_refuse();")


def test_a_phantom_projects_nothing_and_an_early_message_waits_for_its_commit(
    world, dualwrite_mode, failing_commit, monkeypatch, tmp_path
):
    publish = dualwrite.publish_in_transaction
    maria, pedro = world["pacientes"]
    aspirina = world["medicamentos"][0]

    def publish_then_fail_at_commit(event):
        publish(event)
        with connection.cursor() as cursor:
            cursor.execute(failing_commit)

    monkeypatch.setattr(dualwrite, "publish_in_transaction", publish_then_fail_at_commit)
    with pytest.raises(DatabaseError, match="commit refused by the test"):
        commands.create_prescription(
            id_medico=world["medicos"][0].pk, id_paciente=maria.pk, id_atendimento="ATD-1",
            medicamentos=[ItemInput(aspirina.pk, "08:00", "100mg")],
        )  # fmt: skip
    assert not Prescricao.objects.exists()  # the phantom's message is in Redis; its data never existed

    def publish_then_commit_late(event):
        publish(event)
        time.sleep(1.5)  # the worker gets the message while this transaction is still running

    stack = Stack(tmp_path, dualwrite_mode.url)
    stack.worker("w1", concurrency=1)
    try:
        wait_until(lambda: "phantom event" in stack.logs(), 60, "the worker to handle the phantom", stack)
        assert not ItemDetalhado.objects.exists() and not PrescricaoDocumento.objects.exists()
        monkeypatch.setattr(dualwrite, "publish_in_transaction", publish_then_commit_late)
        real = commands.create_prescription(
            id_medico=world["medicos"][0].pk, id_paciente=pedro.pk, medicamentos=[ItemInput(aspirina.pk, "09:00", "1g")]
        )
        wait_until(lambda: ItemDetalhado.objects.filter(id_prescricao=real.pk).exists(), 20, "the late commit", stack)
    finally:
        stack.stop_all()
    assert list(ItemDetalhado.objects.values_list("id_prescricao", flat=True)) == [real.pk]
    assert list(PrescricaoDocumento.objects.values_list("id_prescricao", flat=True)) == [real.pk]
    assert not DocumentoAtendimento.objects.exists()
    assert not find_drift()
