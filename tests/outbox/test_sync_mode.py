"""One truth for the sync mode (the database's row) and for the broker the relays and workers share."""

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings

from outbox.models import OutboxEvent
from outbox.sync_mode import current_mode, recorded_broker, set_mode
from tests.celery.conftest import _database_url

ROOT = Path(__file__).resolve().parents[2]
BROKER_A = "redis://127.0.0.1:6379/8"
BROKER_B = "redis://127.0.0.1:6399/3"  # nothing listens there: a process that used it would hang or fail


def _call(name: str, *args) -> str:
    out = StringIO()
    call_command(name, *args, stdout=out, stderr=out)
    return out.getvalue()


def _process(argv: list[str], **env: str) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "DATABASE_URL": _database_url(), "DJANGO_SETTINGS_MODULE": "hospital.settings", **env}
    return subprocess.run(argv, cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=120)


@pytest.mark.django_db
def test_commands_follow_the_database_not_the_environment():
    set_mode("celery")
    with override_settings(READ_MODEL_SYNC=None):
        assert "sync mode: celery (from the database)" in _call("sync_status")
    with override_settings(READ_MODEL_SYNC="trigger"):
        out = _call("sync_status")
    assert "sync mode: celery (from the database)" in out
    assert "READ_MODEL_SYNC=trigger is not in effect: `manage.py switch_sync_mode trigger`" in out


@pytest.mark.django_db(transaction=True)
def test_switching_to_celery_records_the_broker_and_a_new_one_replaces_it():
    with override_settings(CELERY_BROKER_URL="redis://:secret@127.0.0.1:6379/8"):
        out = _call("switch_sync_mode", "celery", "--no-rebuild")
    assert current_mode() == "celery" and recorded_broker() == "redis://:**@127.0.0.1:6379/8"
    assert "secret" not in out and "mode celery in effect" in out
    with override_settings(CELERY_BROKER_URL=BROKER_B):
        out = _call("switch_sync_mode", "celery")
    assert recorded_broker() == BROKER_B
    assert f"broker changed from redis://:**@127.0.0.1:6379/8 to {BROKER_B}" in out
    _call("switch_sync_mode", "trigger", "--no-rebuild")
    assert recorded_broker() == ""


@pytest.mark.django_db(transaction=True)
def test_relay_refuses_a_broker_other_than_the_recorded_one(world):
    set_mode("celery", broker=BROKER_A)
    from prescriptions import commands
    from prescriptions.rules import ItemInput

    commands.create_prescription(
        id_medico=world["medicos"][0].pk,
        id_paciente=world["pacientes"][0].pk,
        medicamentos=[ItemInput(world["medicamentos"][0].pk, "08:00", "100mg")],
    )
    result = _process([sys.executable, "manage.py", "outbox_relay", "--once"], REDIS_URL=BROKER_B)
    assert result.returncode == 1
    assert "sync mode: celery (from the database); broker redis://127.0.0.1:6379/8" in result.stdout
    assert (
        "refusing to run: this process is configured for broker redis://127.0.0.1:6399/3, but the database's "
        "celery mode uses redis://127.0.0.1:6379/8" in result.stderr
    )
    assert not OutboxEvent.objects.filter(published_at__isnull=False).exists()
    assert OutboxEvent.objects.filter(attempts__gt=0).count() == 0


@pytest.mark.django_db(transaction=True)
def test_worker_refuses_a_broker_other_than_the_recorded_one():
    set_mode("celery", broker=BROKER_A)
    argv = [sys.executable, "-m", "celery", "-A", "hospital", "worker", "-c", "1", "--without-gossip",
            "--without-mingle", "--without-heartbeat", "-l", "WARNING"]  # fmt: skip
    result = _process(argv, REDIS_URL=BROKER_B)
    assert result.returncode == 1
    assert "refusing to run: this process is configured for broker redis://127.0.0.1:6399/3" in result.stderr


def test_without_redis_url_the_broker_is_the_checkouts_embedded_redis(tmp_path):
    env = {key: value for key, value in os.environ.items() if key != "REDIS_URL"}
    code = "from django.conf import settings; print(settings.CELERY_BROKER_URL)"
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env={**env, "DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "hospital.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"redis+socket://{tmp_path.resolve()}/redis/redis.sock"
    assert not (tmp_path / "redis" / "redis.pid").exists()  # resolving the URL starts nothing
