"""SQL of the bench: bulk data generation (generate_series) and the source join.

Data layout (deterministic, so the fan-out doctors show exact row counts):
doctor 1 prescribes `fanout_big` rows, doctor 2 `fanout_small` rows (rounded
up to whole prescriptions), the others share the rest; 1 prescription in 50 of
the others is cancelled (its rows leave the worklist); `items_per_prescription` items each at distinct times.
Benchmark writers use doctors >= 3 only, so the fan-out counts stay exact.
"""

from __future__ import annotations

from bench.config import Config
from outbox import queries

# The source 5-table join the read path is compared against (the worklist's contract columns).
JOIN_COLUMNS = """
    pm.id, pm.id_prescricao, p.data_prescricao,
    p.id_medico, m.nome AS nome_medico, m.especialidade AS especialidade_medico, m.crm AS crm_medico,
    p.id_paciente, pa.nome AS nome_paciente, pa.data_nascimento AS data_nascimento_paciente,
    pa.endereco AS endereco_paciente,
    pm.id_medicamento, md.nome AS nome_medicamento, md.descricao AS descricao_medicamento,
    pm.horario, pm.dosagem
"""
JOIN_FROM = """
FROM prescricao_medicamentos pm
JOIN prescricoes p ON p.id = pm.id_prescricao
JOIN medicos m ON m.id = p.id_medico
JOIN pacientes pa ON pa.id = p.id_paciente
JOIN medicamentos md ON md.id = pm.id_medicamento
WHERE p.status = 'ativa'
"""
SOURCE_JOIN = f"SELECT {JOIN_COLUMNS} {JOIN_FROM}"

FLAT_BY_PRESCRIPTION = (
    "SELECT * FROM vw_prescricoes_medicamentos_detalhadas WHERE id_prescricao = {id} ORDER BY horario, id"
)
JOIN_BY_PRESCRIPTION = f"SELECT {JOIN_COLUMNS} {JOIN_FROM} AND pm.id_prescricao = {{id}} ORDER BY pm.horario, pm.id"
FLAT_BY_PATIENT = (
    "SELECT * FROM vw_prescricoes_medicamentos_detalhadas WHERE id_paciente = {id} "
    "ORDER BY data_prescricao DESC, id DESC LIMIT 50"
)
JOIN_BY_PATIENT = (
    f"SELECT {JOIN_COLUMNS} {JOIN_FROM} AND p.id_paciente = {{id}} ORDER BY p.data_prescricao DESC, pm.id DESC LIMIT 50"
)

# An equivalent document per prescription (used only when the project has no source view).
DOCS_FALLBACK = """
SELECT p.id AS id_prescricao, p.id_medico, p.id_paciente, p.status, p.data_prescricao,
       jsonb_build_object(
           'id_prescricao', p.id, 'data_prescricao', p.data_prescricao, 'status', p.status,
           'medico', jsonb_build_object('id_medico', m.id, 'nome', m.nome, 'especialidade', m.especialidade,
                                        'crm', m.crm),
           'paciente', jsonb_build_object('id_paciente', pa.id, 'nome', pa.nome,
                                          'data_nascimento', pa.data_nascimento, 'endereco', pa.endereco),
           'medicamentos', i.medicamentos) AS documento
FROM prescricoes p
JOIN medicos m ON m.id = p.id_medico
JOIN pacientes pa ON pa.id = p.id_paciente
CROSS JOIN LATERAL (
    SELECT jsonb_agg(jsonb_build_object('id_medicamento', md.id, 'nome', md.nome,
                     'horario', to_char(pm.horario, 'HH24:MI'), 'dosagem', pm.dosagem)
                     ORDER BY pm.horario, pm.id) AS medicamentos
    FROM prescricao_medicamentos pm JOIN medicamentos md ON md.id = pm.id_medicamento
    WHERE pm.id_prescricao = p.id) i
WHERE i.medicamentos IS NOT NULL
"""

SPECIALTIES = "ARRAY['Cardiologia','Clínica Médica','Pediatria','Oncologia','Psiquiatria']"
HORARIOS = "ARRAY['08:00','14:00','20:00','02:00','11:00','17:00','23:00','05:00']::time[]"


def generation(cfg: Config) -> list[tuple[str, str]]:
    """(label, statement) list that fills the write model. Run with the write tables' triggers off."""
    per = cfg.items_per_prescription
    big = -(-cfg.fanout_big // per)
    small = -(-cfg.fanout_small // per)
    n = cfg.prescriptions
    others = max(cfg.medicos - 2, 1)
    doctor = f"CASE WHEN i <= {big} THEN 1 WHEN i <= {big + small} THEN 2 ELSE 3 + (i % {others}) END"
    return [
        (
            "medicos",
            f"""INSERT INTO medicos (id, nome, especialidade, crm, ativo)
            SELECT i, 'Dr(a). Médico ' || i, ({SPECIALTIES})[1 + i % 5], 'CRM' || lpad(i::text, 7, '0'), true
            FROM generate_series(1, {cfg.medicos}) i""",
        ),
        (
            "pacientes",
            f"""INSERT INTO pacientes (id, nome, data_nascimento, endereco, ativo)
            SELECT i, 'Paciente ' || i, date '1940-01-01' + (i * 7919 % 29000),
                   CASE WHEN i % 10 = 0 THEN NULL ELSE 'Rua ' || i || ', ' || (i % 997) END, true
            FROM generate_series(1, {cfg.pacientes}) i""",
        ),
        (
            "medicamentos",
            f"""INSERT INTO medicamentos (id, nome, descricao, especialidades_permitidas, ativo)
            SELECT i, 'Medicamento ' || i, CASE WHEN i % 4 = 0 THEN NULL ELSE 'Descrição do medicamento ' || i END,
                   '{{}}'::varchar[], true
            FROM generate_series(1, {cfg.medicamentos}) i""",
        ),
        (
            "prescricoes",
            f"""INSERT INTO prescricoes (id, id_medico, id_paciente, data_prescricao, status, cancelada_em,
                                        motivo_cancelamento)
            SELECT i, {doctor}, 1 + ((i::bigint * 104729) % {cfg.pacientes}),
                   now() - interval '730 days' * ({n} - i) / {n} - interval '1 second' * (i % 3600),
                   CASE WHEN i % 50 = 0 AND i > {big + small} THEN 'cancelada' ELSE 'ativa' END,
                   CASE WHEN i % 50 = 0 AND i > {big + small} THEN now() ELSE NULL END, ''
            FROM generate_series(1, {n}) i""",
        ),
        (
            "prescricao_medicamentos",
            f"""INSERT INTO prescricao_medicamentos (id, id_prescricao, id_medicamento, horario, dosagem)
            SELECT (i - 1) * {per} + k + 1, i, 1 + ((i::bigint * 31 + k * 7) % {cfg.medicamentos}),
                   ({HORARIOS})[1 + k % 8], (50 * (1 + (i + k) % 10))::text || 'mg'
            FROM generate_series(1, {n}) i, generate_series(0, {per - 1}) k""",
        ),
    ]


def reset_sequences() -> list[str]:
    return [
        f"SELECT setval(pg_get_serial_sequence('{t}', 'id'), (SELECT max(id) FROM {t}))"
        for t in ("medicos", "pacientes", "medicamentos", "prescricoes", "prescricao_medicamentos")
    ]


def backlog_events(first_prescription: int, count: int, total_prescriptions: int, offset: int = 0) -> str:
    """`count` pending PrescricaoCriada events for existing prescriptions (payloads like the command's).

    Event `g` (from `offset`) is for prescription `first_prescription + g % total_prescriptions`.
    """
    return f"""
    INSERT INTO {queries.TABLE}
        (event_type, aggregate_type, aggregate_id, payload, occurred_at, attempts, last_error)
    SELECT 'PrescricaoCriada', 'Prescricao', pid,
           jsonb_build_object('id_prescricao', pid, 'data_prescricao', now(),
               'medico', jsonb_build_object('id_medico', 3, 'nome', 'Dr(a). Médico 3', 'especialidade',
                                            'Pediatria', 'crm', 'CRM0000003'),
               'paciente', jsonb_build_object('id_paciente', 1, 'nome', 'Paciente 1',
                                              'data_nascimento', '1980-01-01', 'endereco', 'Rua 1, 1'),
               'medicamentos', jsonb_build_array(
                   jsonb_build_object('id', pid * 3, 'id_medicamento', 1, 'nome', 'Medicamento 1',
                                      'horario', '08:00', 'dosagem', '100mg'),
                   jsonb_build_object('id', pid * 3 + 1, 'id_medicamento', 2, 'nome', 'Medicamento 2',
                                      'horario', '14:00', 'dosagem', '100mg'),
                   jsonb_build_object('id', pid * 3 + 2, 'id_medicamento', 3, 'nome', 'Medicamento 3',
                                      'horario', '20:00', 'dosagem', '100mg'))),
           now(), 0, ''
    FROM (SELECT {first_prescription} + (g % {total_prescriptions}) AS pid
          FROM generate_series({offset}, {offset + count - 1}) g) s
    """
