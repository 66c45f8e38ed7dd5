"""What the Procfile runs: production settings (DEBUG off, SECRET_KEY required), a quiet access log."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRINT_DEBUG = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"


def _load_production(**env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    return subprocess.run(
        [sys.executable, "-c", PRINT_DEBUG],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "hospital.production", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_settings_need_a_secret_key_and_turn_debug_off():
    refused = _load_production()
    assert refused.returncode != 0
    assert "SECRET_KEY is required in production (hospital.production)" in refused.stderr
    loaded = _load_production(SECRET_KEY="x" * 50, DEBUG="1")
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.strip() == "False"


def test_every_procfile_process_runs_the_production_settings():
    lines = dict(line.split(": ", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line.strip())
    assert set(lines) == {"web", "worker", "relay"}
    assert "--env DJANGO_SETTINGS_MODULE=hospital.production" in lines["web"]
    assert lines["worker"].startswith("DJANGO_SETTINGS_MODULE=hospital.production celery")
    assert lines["relay"].endswith("outbox_relay --settings hospital.production")


def test_make_runs_access_log_leaves_out_static_files(tmp_path):
    """A real gunicorn with `make run`'s arguments: the admin's CSS is served but not logged; pages are."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    log = tmp_path / "access.log"
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "hospital.devserver.launcher:static_application()",
         "--bind", f"127.0.0.1:{port}",
         "--workers", "1", "--no-control-socket", "--access-logfile", str(log),
         "--logger-class", "hospital.access_log.QuietStaticLogger"],
        cwd=ROOT, env={**os.environ, "DJANGO_SETTINGS_MODULE": "hospital.settings"},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                css = urllib.request.urlopen(f"http://127.0.0.1:{port}/static/admin/css/base.css", timeout=5)
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, "gunicorn did not start"
                time.sleep(0.2)
        assert css.status == 200
        assert urllib.request.urlopen(f"http://127.0.0.1:{port}/admin/login/", timeout=5).status == 200
        while "/admin/login/" not in log.read_text():
            assert time.monotonic() < deadline, "the page request was never logged"
            time.sleep(0.1)
    finally:
        server.terminate()
        server.wait(30)
    assert "/static/" not in log.read_text()
