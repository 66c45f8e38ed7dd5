from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    """Metrics and health endpoints; owns no table."""

    name = "monitoring"
    verbose_name = "Monitoramento"

    def ready(self) -> None:
        from monitoring import database
        from outbox.signals import relay_starting

        database.instrument_new_connections()
        relay_starting.connect(_serve_relay_metrics, dispatch_uid="monitoring-relay-metrics")


def _serve_relay_metrics(sender, metrics_port: int, **kwargs) -> None:
    """The relay's own `/metrics` port (RELAY_METRICS_PORT)."""
    from monitoring.exposition import serve_in_background

    serve_in_background(metrics_port, "relay")
