"""Signals the outbox sends, for the apps above it to act on without the outbox importing them."""

from django.dispatch import Signal

#: `manage.py outbox_relay` is about to run with `metrics_port` set (RELAY_METRICS_PORT): serve the relay's metrics.
relay_starting = Signal()
