from django.apps import AppConfig


class PharmacyConfig(AppConfig):
    name = "pharmacy"
    verbose_name = "Farmácia (modelos de leitura)"

    def ready(self) -> None:
        # The read side hooks its sync triggers onto the write models (see pharmacy.sync_triggers).
        from pharmacy import sync_triggers

        sync_triggers.register()
