"""The transactional outbox: the system's event feed.

Every command appends its domain event here inside its own transaction, in
both sync modes. `id` is the event's position: it only grows. The relay
(asynchronous mode) records publishing attempts and dead letters on the row.
"""

from django.db import models
from django.utils import timezone


class OutboxEvent(models.Model):
    id = models.BigAutoField("posição", primary_key=True)
    event_type = models.CharField("tipo do evento", max_length=100)
    aggregate_type = models.CharField("tipo do agregado", max_length=50)
    aggregate_id = models.BigIntegerField("id do agregado")
    payload = models.JSONField("conteúdo")
    occurred_at = models.DateTimeField("ocorrido em", default=timezone.now)
    published_at = models.DateTimeField("publicado em", null=True, blank=True)
    attempts = models.PositiveIntegerField("tentativas", default=0)
    last_error = models.TextField("último erro", blank=True, default="")
    next_attempt_at = models.DateTimeField("próxima tentativa", null=True, blank=True)
    dead_lettered_at = models.DateTimeField("dead letter em", null=True, blank=True)

    class Meta:
        db_table = "outbox_events"
        verbose_name = "evento do outbox"
        verbose_name_plural = "eventos do outbox"
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["id"],
                name="outbox_pending",
                condition=models.Q(published_at__isnull=True, dead_lettered_at__isnull=True),
            ),
            models.Index(fields=["aggregate_type", "aggregate_id", "id"], name="outbox_aggregate"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.event_type} {self.aggregate_type}:{self.aggregate_id}"

    @property
    def position(self) -> int:
        return self.pk
