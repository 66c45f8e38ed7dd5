"""Admin of the outbox: the event feed read-only, dead letters findable and redrivable."""

from django.contrib import admin, messages
from django.db.models import Q

from outbox.dead_letters import redrive
from outbox.models import PENDING, UNPUBLISHED, OutboxEvent, SyncState


class EstadoFilter(admin.SimpleListFilter):
    title = "situação"
    parameter_name = "situacao"

    CONDITIONS = {
        "pendente": UNPUBLISHED,
        "publicado": PENDING & Q(published_at__isnull=False),
        "projetado": Q(projected_at__isnull=False),
        "dead_letter": Q(dead_lettered_at__isnull=False),
        "com_erro": ~Q(last_error="") & Q(projected_at__isnull=True),
    }

    def lookups(self, request, model_admin):
        return [
            ("pendente", "Pendente"),
            ("publicado", "Publicado, aguardando projeção"),
            ("projetado", "Projetado"),
            ("dead_letter", "Dead letter"),
            ("com_erro", "Com erro (em nova tentativa)"),
        ]

    def queryset(self, request, queryset):
        condition = self.CONDITIONS.get(self.value())
        return queryset.filter(condition) if condition is not None else queryset


@admin.register(OutboxEvent)
class OutboxEventAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "event_type",
        "aggregate_type",
        "aggregate_id",
        "situacao",
        "occurred_at",
        "published_at",
        "projected_at",
        "attempts",
        "dead_lettered_at",
    ]
    list_filter = [EstadoFilter, "event_type", "aggregate_type"]
    search_fields = ["=id", "=aggregate_id", "event_type", "last_error"]
    ordering = ["-id"]
    actions = ["redrive_dead_letters"]
    show_full_result_count = False
    list_per_page = 100

    def has_redrive_permission(self, request) -> bool:
        return request.user.has_perm("outbox.change_outboxevent")

    @admin.display(description="situação")
    def situacao(self, obj: OutboxEvent) -> str:
        return obj.status

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # the feed is append-only; the redrive action is the one way to act on it

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Reenviar dead letters selecionados", permissions=["redrive"])
    def redrive_dead_letters(self, request, queryset):
        count = redrive(queryset)
        if count:
            self.message_user(request, f"{count} evento(s) reenviado(s) ao relay.", messages.SUCCESS)
        else:
            self.message_user(request, "Nenhum dos eventos selecionados está em dead letter.", messages.WARNING)


@admin.register(SyncState)
class SyncStateAdmin(admin.ModelAdmin):
    list_display = ["mode", "changed_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # switch with `manage.py switch_sync_mode`: it drains, rebuilds and verifies

    def has_delete_permission(self, request, obj=None):
        return False
