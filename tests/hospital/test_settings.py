"""Settings defaults: DEBUG is off unless DEBUG=1 is set; without URLs they name the embedded servers."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
PRINT_DEBUG = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"


def _debug_with(extra: dict[str, str]) -> str:
    env = {name: value for name, value in os.environ.items() if name != "DEBUG"}
    env.update(DJANGO_SETTINGS_MODULE="hospital.settings", **extra)
    result = subprocess.run(
        [sys.executable, "-c", PRINT_DEBUG], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.mark.parametrize(("extra", "expected"), [({}, "False"), ({"DEBUG": "1"}, "True")])
def test_debug_is_off_unless_set(extra, expected):
    assert _debug_with(extra) == expected


PRINT_URLS = (
    "import django; django.setup(); from django.conf import settings; "
    "print(settings.DATABASES['default']['HOST']); print(settings.REDIS_URL)"
)


def test_without_urls_the_settings_compute_the_embedded_servers_addresses_and_start_nothing(tmp_path):
    """Loading the settings and every app only computes where the embedded servers listen; nothing is started."""
    env = {name: value for name, value in os.environ.items() if name not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(DJANGO_SETTINGS_MODULE="hospital.settings", DATA_DIR=str(tmp_path))
    result = subprocess.run(
        [sys.executable, "-c", PRINT_URLS], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    host, redis_url = result.stdout.split()
    assert Path(host) == (tmp_path / "postgres").resolve()
    assert redis_url == f"redis+socket://{(tmp_path / 'redis').resolve()}/redis.sock"
    assert list(tmp_path.iterdir()) == []  # no server was started: not even its data folder exists
