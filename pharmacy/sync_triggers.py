"""The read-model sync triggers on the write tables (trigger mode), as django-pgtrigger objects.

What they enforce: after every statement that changes a write table, by any
path (commands, admin, `bulk_create`, `queryset.update()`, raw SQL), both read
models of the prescriptions it touched equal the source join again, inside
the writing transaction. A rolled-back write leaves no trace.

Where the pieces live:

- the triggers: here, one per write table and operation, statement level
  with transition tables (`novos` = NEW TABLE, `antigos` = OLD TABLE) so a
  bulk write costs one call however many rows it touched. `register()`
  (called from `PharmacyConfig.ready`) attaches them to the write models, so
  they sit in those models' migration state: `makemigrations` writes their
  `AddTrigger` operations into the owning apps (hospital, prescriptions) and
  `migrate` installs them (`manage.py pgtrigger ls` lists them);
- what they call, all plain SQL functions installed by the pharmacy's RunSQL
  migrations (`pharmacy/sql/0002_sync.sql` documents the layers, with
  `0004_faster_sync.sql` superseding some definitions):
  `pharmacy_sync_enabled()` (false in celery mode: the triggers stand down and
  the Celery projector maintains the read models from the outbox),
  `pharmacy_refresh_prescricoes/medicos/pacientes/medicamentos(ids)` (the
  set-based, idempotent refresh, also used by the projector, rebuild and
  repair) and `pharmacy_clear()` (TRUNCATE of a write table: run in both
  modes, since a TRUNCATE leaves no outbox event for the projector).

Until `pharmacy/migrations/0005_pgtrigger_sync.py` these triggers were the
hand-written `pharmacy_sync_<table>_<op>` triggers over `pharmacy_trg_<table>()`
in `pharmacy/sql/0002_sync.sql`; the bodies below are those functions' branches,
unchanged (except the TRUNCATE triggers, no longer guarded by the mode since
prescriptions migration 0003).

The write models never import this module (the read side hooks itself onto
the write side, not the other way round).
"""

import pgtrigger

NOVOS = pgtrigger.Referencing(new="novos")
ANTIGOS = pgtrigger.Referencing(old="antigos")
AMBOS = pgtrigger.Referencing(old="antigos", new="novos")


def _guarded(body: str) -> str:
    """`body` only in trigger mode (`pharmacy_sync_enabled()`); a statement trigger returns NULL."""
    return f"""
    IF pharmacy_sync_enabled() THEN
        {body.strip()}
    END IF;
    RETURN NULL;
    """


def _sync(name: str, operation: pgtrigger.Operation, body: str, referencing=None) -> pgtrigger.Trigger:
    return pgtrigger.Trigger(
        name=name,
        level=pgtrigger.Statement,
        when=pgtrigger.After,
        operation=operation,
        referencing=referencing,
        func=_guarded(body),
    )


# A write table was truncated: both read models emptied, in both sync modes. A TRUNCATE writes no
# outbox event (the capture triggers are row-level), so in celery mode nothing would ever tell the
# projector; emptying the read models in the truncating transaction keeps them equal to the source.
CLEAR = pgtrigger.Trigger(
    name="pharmacy_sync_trunc",
    level=pgtrigger.Statement,
    when=pgtrigger.After,
    operation=pgtrigger.Truncate,
    func="PERFORM pharmacy_clear(); RETURN NULL;",
)

# prescricao_medicamentos: the items of a prescription.
ITENS = [
    _sync(
        "pharmacy_sync_ins",
        pgtrigger.Insert,
        "PERFORM pharmacy_refresh_prescricoes(ARRAY(SELECT DISTINCT id_prescricao FROM novos));",
        NOVOS,
    ),
    _sync(
        "pharmacy_sync_upd",
        pgtrigger.Update,
        """
        PERFORM pharmacy_refresh_prescricoes(ARRAY(
            SELECT n.id_prescricao FROM novos n
            LEFT JOIN antigos o ON o.id = n.id
            WHERE o.id IS NULL
               OR (o.id_prescricao, o.id_medicamento, o.horario, o.dosagem)
                  IS DISTINCT FROM (n.id_prescricao, n.id_medicamento, n.horario, n.dosagem)
            UNION
            SELECT o.id_prescricao FROM antigos o
            LEFT JOIN novos n ON n.id = o.id
            WHERE n.id IS NULL OR o.id_prescricao IS DISTINCT FROM n.id_prescricao));
        """,
        AMBOS,
    ),
    _sync(
        "pharmacy_sync_del",
        pgtrigger.Delete,
        "PERFORM pharmacy_refresh_prescricoes(ARRAY(SELECT DISTINCT id_prescricao FROM antigos));",
        ANTIGOS,
    ),
    CLEAR,
]

# prescricoes: doctor, patient, date, status and cancellation reason of a prescription.
PRESCRICOES = [
    _sync(
        "pharmacy_sync_ins",
        pgtrigger.Insert,
        # A new prescription shows up only once it has items (their trigger adds it);
        # it can already have some only when deferred foreign keys let items come first.
        """
        PERFORM pharmacy_refresh_prescricoes(ARRAY(
            SELECT n.id FROM novos n
            WHERE EXISTS (SELECT 1 FROM prescricao_medicamentos pm WHERE pm.id_prescricao = n.id)));
        """,
        NOVOS,
    ),
    _sync(
        "pharmacy_sync_upd",
        pgtrigger.Update,
        """
        PERFORM pharmacy_refresh_prescricoes(ARRAY(
            SELECT n.id FROM novos n
            LEFT JOIN antigos o ON o.id = n.id
            WHERE o.id IS NULL
               OR (o.id_medico, o.id_paciente, o.data_prescricao, o.status, o.motivo_cancelamento)
                  IS DISTINCT FROM (n.id_medico, n.id_paciente, n.data_prescricao, n.status, n.motivo_cancelamento)
            UNION
            SELECT o.id FROM antigos o WHERE NOT EXISTS (SELECT 1 FROM novos n WHERE n.id = o.id)));
        """,
        AMBOS,
    ),
    _sync(
        "pharmacy_sync_del",
        pgtrigger.Delete,
        "PERFORM pharmacy_refresh_prescricoes(ARRAY(SELECT id FROM antigos));",
        ANTIGOS,
    ),
    CLEAR,
]


def _master_data(fk_query: str, refresh: str, shown: tuple[str, ...]) -> list[pgtrigger.Trigger]:
    """INSERT and UPDATE triggers of a master-data table.

    An INSERT can only matter when deferred foreign keys let prescriptions
    reference the row before it existed (`fk_query`: those prescriptions); an
    UPDATE rewrites the `shown` columns in place through `refresh`. A DELETE of a
    referenced row fails its foreign key, so there is no DELETE trigger.
    """
    old = ", ".join(f"o.{c}" for c in shown)
    new = ", ".join(f"n.{c}" for c in shown)
    return [
        _sync(
            "pharmacy_sync_ins", pgtrigger.Insert, f"PERFORM pharmacy_refresh_prescricoes(ARRAY({fk_query}));", NOVOS
        ),
        _sync(
            "pharmacy_sync_upd",
            pgtrigger.Update,
            f"""
        PERFORM {refresh}(ARRAY(
            SELECT n.id FROM novos n
            LEFT JOIN antigos o ON o.id = n.id
            WHERE o.id IS NULL OR ({old}) IS DISTINCT FROM ({new})));
            """,
            AMBOS,
        ),
    ]


MEDICOS = _master_data(
    "SELECT p.id FROM prescricoes p WHERE p.id_medico IN (SELECT id FROM novos)",
    "pharmacy_refresh_medicos",
    ("nome", "especialidade", "crm"),
)
PACIENTES = _master_data(
    "SELECT p.id FROM prescricoes p WHERE p.id_paciente IN (SELECT id FROM novos)",
    "pharmacy_refresh_pacientes",
    ("nome", "data_nascimento", "endereco"),
)
MEDICAMENTOS = _master_data(
    "SELECT DISTINCT pm.id_prescricao FROM prescricao_medicamentos pm"
    " WHERE pm.id_medicamento IN (SELECT id FROM novos)",
    "pharmacy_refresh_medicamentos",
    ("nome", "descricao"),
)


def register() -> None:
    """Attach the sync triggers to the write models (idempotent; `PharmacyConfig.ready` calls it)."""
    from hospital.models import Medicamento, Medico, Paciente
    from prescriptions.models import Prescricao, PrescricaoMedicamento

    for model, triggers in [
        (PrescricaoMedicamento, ITENS),
        (Prescricao, PRESCRICOES),
        (Medico, MEDICOS),
        (Paciente, PACIENTES),
        (Medicamento, MEDICAMENTOS),
    ]:
        pgtrigger.register(*triggers)(model)
