"""`DATABASE_URL` as Django settings: every client, `psql` of `manage.py dbshell` included, reaches its server."""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from hospital.database_url import database_settings

BASE_DIR = Path(__file__).resolve().parents[2]


def test_socket_directory_given_as_query_parameter_becomes_host():
    config = database_settings("postgresql://postgres@/hospital?host=/srv/pg/sockets", conn_max_age=5)
    assert (config["HOST"], config["NAME"], config["USER"], config["CONN_MAX_AGE"]) == (
        "/srv/pg/sockets",
        "hospital",
        "postgres",
        5,
    )
    assert "host" not in config["OPTIONS"]
    assert config["ENGINE"] == "hospital.db"


def test_a_host_in_the_authority_is_kept():
    config = database_settings("postgres://u:p@db.example.org:6543/app?sslmode=require", conn_max_age=0)
    assert (config["HOST"], config["PORT"], config["OPTIONS"]) == ("db.example.org", 6543, {"sslmode": "require"})


@pytest.mark.slow
def test_dbshell_reaches_the_embedded_server_without_database_url():
    """With no DATABASE_URL, `manage.py dbshell` starts (or finds) the embedded server and runs psql on it."""
    data_dir = Path(tempfile.mkdtemp(prefix="dbshell-"))  # short: the server's Unix socket lives in it
    env = {name: value for name, value in os.environ.items() if name != "DATABASE_URL"}
    env.update(DATA_DIR=str(data_dir), READ_MODEL_SYNC="trigger")
    query = "select current_setting('data_directory')"
    try:
        result = subprocess.run(
            [sys.executable, "manage.py", "dbshell", "--", "-tA", "-c", query],
            cwd=BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr
        assert Path(result.stdout.strip()) == (data_dir / "postgres").resolve(), (result.stdout, result.stderr)
    finally:
        subprocess.run(
            [sys.executable, "-m", "hospital.devserver.embedded", "stop"], cwd=BASE_DIR, env=env, timeout=120
        )
        shutil.rmtree(data_dir, ignore_errors=True)
