from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data for `make run` (`manage.py seed_demo`); owns no table."""

    name = "demo"
    verbose_name = "Dados de demonstração"
