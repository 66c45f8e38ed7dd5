from django.apps import AppConfig


class ProntuarioConfig(AppConfig):
    name = "prontuario"
    verbose_name = "Prontuário consolidado"

    def ready(self) -> None:
        # The record follows the project's event feed (prescriptions, patients) alongside the pharmacy.
        from outbox import consumers
        from prontuario import feed

        consumers.register(feed.apply_events)
