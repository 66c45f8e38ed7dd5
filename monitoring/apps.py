from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    """Metrics and health endpoints; owns no table."""

    name = "monitoring"
    verbose_name = "Monitoramento"

    def ready(self) -> None:
        from monitoring import database, metrics
        from outbox import relay

        database.instrument_new_connections()
        relay.observe_passes(metrics.counting_relay_pass)
