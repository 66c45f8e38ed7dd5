"""Settings defaults that protect a deployment: DEBUG is off unless DEBUG=1 is set explicitly."""

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
