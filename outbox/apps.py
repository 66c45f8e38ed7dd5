from django.apps import AppConfig


class OutboxConfig(AppConfig):
    name = "outbox"
    verbose_name = "Outbox (eventos)"

    def ready(self) -> None:
        # Change capture on the write models (see outbox.capture_triggers).
        from outbox import capture_triggers

        capture_triggers.register()
