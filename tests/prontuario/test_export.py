"""export_prontuarios: one JSON line per patient, date range, constant memory."""

import datetime as dt
import io
import json
import tracemalloc

import pytest
from django.core.management import call_command
from django.db import connection

from hospital import commands as master
from prontuario.export import patient_records
from tests.prontuario.conftest import lab_result, visit_opened
from tests.prontuario.test_ingestion import receive


def _export(*args: str) -> list[dict]:
    out = io.StringIO()
    call_command("export_prontuarios", *args, stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


@pytest.mark.django_db
def test_one_line_per_patient_with_visits_newest_first_and_a_date_range(paciente):
    pedro = master.register_patient(nome="Pedro", data_nascimento=dt.date(2000, 1, 2))
    receive(
        "triagem",
        visit_opened("v1", paciente=paciente.pk, atendimento="A-2023", aberto_em="2023-12-31T23:30:00-03:00"),
        visit_opened("v2", paciente=paciente.pk, atendimento="A-2024", aberto_em="2024-01-01T00:30:00-03:00"),
        visit_opened("v3", paciente=pedro.pk, atendimento="P-2024", aberto_em="2024-02-01T10:00:00-03:00"),
    )
    receive("laboratorio", lab_result("r1", paciente=paciente.pk, atendimento="A-2024"))

    lines = _export()
    assert [(line["paciente"]["nome"], [v["id_atendimento"] for v in line["atendimentos"]]) for line in lines] == [
        ("Maria Oliveira", ["A-2024", "A-2023"]),
        ("Pedro", ["P-2024"]),
    ]
    assert lines[0]["paciente"] == {
        "id_paciente": paciente.pk,
        "nome": "Maria Oliveira",
        "data_nascimento": "1985-07-10",
    }
    assert lines[0]["atendimentos"][0]["exames_laboratoriais"][0]["situacao"] == "liberado"
    january = _export("--since", "2024-01-01", "--until", "2024-01-31")  # local dates (America/Sao_Paulo)
    assert [(line["paciente"]["nome"], [v["id_atendimento"] for v in line["atendimentos"]]) for line in january] == [
        ("Maria Oliveira", ["A-2024"])
    ]


def _fill(patients: int, visits_each: int) -> None:
    """Visit documents written directly (the export only reads them), ~2 kB each."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO pacientes (nome, data_nascimento, ativo) "
            "SELECT 'P' || g, DATE '1980-01-01', true FROM generate_series(1, %s) g",
            [patients],
        )
        cursor.execute(
            "INSERT INTO prontuario_atendimentos (id_paciente, id_atendimento, inicio, documento, atualizado_em) "
            "SELECT p.id, 'A' || v, now() - v * interval '1 day', jsonb_build_object('texto', repeat('x', 2000)), "
            "now() FROM pacientes p, generate_series(1, %s) v "
            "WHERE NOT EXISTS (SELECT FROM prontuario_atendimentos d WHERE d.id_paciente = p.id)",
            [visits_each],
        )


def _peak_bytes() -> int:
    tracemalloc.start()
    try:
        for _ in patient_records():
            pass
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.django_db
def test_memory_does_not_grow_with_the_number_of_patients():
    _fill(patients=200, visits_each=2)
    small = _peak_bytes()
    _fill(patients=1800, visits_each=2)  # ten times as many documents (~8 MB of JSON)
    large = _peak_bytes()
    assert large < 2 * small + 1_000_000, (small, large)
