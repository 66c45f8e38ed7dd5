from django.apps import AppConfig


class ProntuarioConfig(AppConfig):
    name = "prontuario"
    verbose_name = "Prontuário consolidado"

    def ready(self) -> None:
        # The record follows the project's event feed (prescriptions, patients) alongside the pharmacy.
        from outbox import consumers
        from pharmacy import verifiers
        from prontuario import feed, verify

        consumers.register(feed.apply_events)
        verifiers.register(
            verifiers.Verifier(
                name="the patient records",
                source="the fold of inbox and write model",
                find_drift=verify.find_drift,
                repair=verify.repair,
            )
        )
