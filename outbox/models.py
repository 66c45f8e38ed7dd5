"""The transactional outbox: the system's event feed.

Every change the read models show appends an event here inside its own
transaction, in both sync modes: commands through `outbox.events.record_event`,
direct ORM/SQL edits of the write tables through deferred triggers
(`outbox.capture_triggers`). `id` is the event's position: it only grows.

Besides the columns below the table has `xid xid8` (the writing transaction,
set by the database default `pg_current_xact_id()`); the relay only claims
events whose transaction is older than every running one (see
`outbox.store` for why that, plus claiming by state instead of by cursor,
makes positions gap-safe).

Life of an event in celery mode: pending -> published (the broker accepted
it) -> projected (a worker applied it to the read models). In trigger mode
the read models changed in the same transaction, so events are born
projected. Failures count in `attempts`; after `OUTBOX_MAX_ATTEMPTS` the event
is dead-lettered until an operator redrives it.
"""

import pgtrigger
from django.db import models
from django.utils import timezone

from outbox.queries import CHANNEL, TABLE
from outbox.types import AggregateType, EventType

# The ORM spelling of `outbox.queries.pending()` / `unpublished()`, which statements use to match these indexes.
PENDING = models.Q(projected_at__isnull=True, dead_lettered_at__isnull=True)
UNPUBLISHED = PENDING & models.Q(published_at__isnull=True)

# In trigger mode the read models changed in this very transaction: the event is born projected.
BORN_PROJECTED = pgtrigger.Trigger(
    name="outbox_born_projected",
    level=pgtrigger.Row,
    when=pgtrigger.Before,
    operation=pgtrigger.Insert,
    func="""
    IF NEW.projected_at IS NULL AND read_model_sync_mode() = 'trigger' THEN
        NEW.projected_at := now();
    END IF;
    RETURN NEW;
    """,
)

# Celery mode: wake the relays. Delivered at commit, folded into one notification per transaction.
NOTIFY = pgtrigger.Trigger(
    name="outbox_notify",
    level=pgtrigger.Statement,
    when=pgtrigger.After,
    operation=pgtrigger.Insert,
    func=f"""
    IF read_model_sync_mode() = 'celery' THEN
        PERFORM pg_notify('{CHANNEL}', '');
    END IF;
    RETURN NULL;
    """,
)


class OutboxEvent(models.Model):
    id = models.BigAutoField("posição", primary_key=True)
    event_type = models.CharField("tipo do evento", max_length=100, choices=[(t.value, t.value) for t in EventType])
    aggregate_type = models.CharField(
        "tipo do agregado", max_length=50, choices=[(t.value, t.value) for t in AggregateType]
    )
    aggregate_id = models.BigIntegerField("id do agregado")
    payload = models.JSONField("conteúdo")
    occurred_at = models.DateTimeField("ocorrido em", default=timezone.now)
    published_at = models.DateTimeField("publicado em", null=True, blank=True)
    # A database default, so that an INSERT returns the column as BORN_PROJECTED left it: `record_event`
    # learns from it whether this transaction applies the event (trigger mode) without asking again.
    projected_at = models.DateTimeField("projetado em", null=True, blank=True, db_default=None)
    attempts = models.PositiveIntegerField("tentativas", default=0)
    last_error = models.TextField("último erro", blank=True, default="")
    next_attempt_at = models.DateTimeField("próxima tentativa", null=True, blank=True)
    dead_lettered_at = models.DateTimeField("dead letter em", null=True, blank=True)

    class Meta:
        db_table = TABLE
        verbose_name = "evento do outbox"
        verbose_name_plural = "eventos do outbox"
        ordering = ["id"]
        indexes = [
            # Backlog, status and the read-after check: events the read models do not reflect yet.
            models.Index(fields=["id"], name="outbox_pending", condition=PENDING),
            # The relay's claim scan: events waiting to be (re)published, by position.
            models.Index(fields=["id"], name="outbox_unpublished", condition=UNPUBLISHED),
            models.Index(fields=["aggregate_type", "aggregate_id", "id"], name="outbox_aggregate"),
            models.Index(fields=["id"], name="outbox_dead", condition=models.Q(dead_lettered_at__isnull=False)),
        ]
        triggers = [BORN_PROJECTED, NOTIFY]

    def __str__(self) -> str:
        return f"#{self.pk} {self.event_type} {self.aggregate_type}:{self.aggregate_id}"

    @property
    def position(self) -> int:
        return self.pk

    @property
    def status(self) -> str:
        if self.dead_lettered_at:
            return "dead letter"
        if self.projected_at:
            return "projetado"
        if self.published_at:
            return "publicado"
        return "pendente"


class SyncMode(models.TextChoices):
    TRIGGER = "trigger", "Triggers (síncrono)"
    CELERY = "celery", "Outbox + Celery (assíncrono)"


class SyncState(models.Model):
    """The read-model sync mode the database is in right now (one row, id=1).

    The database function `read_model_sync_mode()` reads it: the pharmacy
    triggers stand down in celery mode and the outbox marks events born in
    trigger mode as already projected. No row means `trigger`. Change it only
    through `outbox.sync_mode.switch_mode` (manage.py switch_sync_mode).
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    mode = models.CharField("modo", max_length=10, choices=SyncMode.choices, default=SyncMode.TRIGGER)
    changed_at = models.DateTimeField("alterado em", default=timezone.now)
    # Celery mode: the broker the relays and workers must share (password masked), recorded by switch_sync_mode.
    broker = models.CharField("broker", max_length=500, blank=True, default="", db_default="")

    class Meta:
        db_table = "outbox_sync_state"
        verbose_name = "modo de sincronização"
        verbose_name_plural = "modo de sincronização"
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="sync_state_single_row"),
            models.CheckConstraint(condition=models.Q(mode__in=SyncMode.values), name="sync_state_mode_valid"),
        ]

    def __str__(self) -> str:
        return self.mode
