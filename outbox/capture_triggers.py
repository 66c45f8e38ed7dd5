"""Change capture on the write tables: the trigger factory the write models declare.

What it enforces: every committed change of a write table has an outbox
event of its aggregate, whatever path wrote it. A deferred (commit-time) row
trigger appends an `AlteracaoDireta` event unless the transaction already
wrote one for that aggregate; by commit a command has appended its own event,
so only writes that bypassed the commands (ORM `update()`, `bulk_create`, raw
SQL) get one, and command writes are never doubled.

Each write model lists `capture_change(<aggregate type>, <column holding the
aggregate id>)` in its `Meta.triggers` (hospital.models, prescriptions.models),
so the trigger lives in that model's migration state and is installed by the
owning app's migrations (`manage.py pgtrigger ls`). The bodies never name the
outbox table: they call the outbox's `outbox_capture` function
(`outbox.queries.SCHEMA_SQL`).

The outbox table's own triggers (born projected, NOTIFY) are in
`outbox.models.OutboxEvent.Meta.triggers`.
"""

import pgtrigger

from outbox.types import AggregateType


def capture_change(aggregate: AggregateType, column: str) -> pgtrigger.Trigger:
    """Deferred row trigger: an `AlteracaoDireta` event per aggregate the row belongs to (old and new).

    `column` holds the aggregate's id in the guarded table (`id`, or
    `id_prescricao` for an item). The work is the outbox's `outbox_capture`
    function (`outbox.queries.SCHEMA_SQL`); the trigger only says which
    aggregate and which ids.
    """
    return pgtrigger.Trigger(
        name="outbox_capture",
        level=pgtrigger.Row,
        when=pgtrigger.After,
        operation=pgtrigger.Insert | pgtrigger.Update | pgtrigger.Delete,
        timing=pgtrigger.Deferred,
        func=f"""
    IF TG_OP = 'UPDATE' AND OLD IS NOT DISTINCT FROM NEW THEN
        RETURN NULL;
    END IF;
    PERFORM outbox_capture('{aggregate}',
        CASE WHEN TG_OP <> 'INSERT' THEN OLD.{column}::bigint END,
        CASE WHEN TG_OP <> 'DELETE' THEN NEW.{column}::bigint END,
        TG_TABLE_NAME, TG_OP);
    RETURN NULL;
    """,
    )
