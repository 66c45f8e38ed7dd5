"""A broker that hangs instead of refusing: the relay's publish gives up within the socket timeout."""

import os
import signal
import time

import pytest

pytestmark = pytest.mark.celery


def test_a_hung_broker_fails_the_publish_within_the_socket_timeout(private_redis, settings):
    """A Redis that stops answering (SIGSTOP: connections stay open, nothing replies) is a broker outage.

    The relay must not wait on it for ever: the publish fails within the socket
    timeout (and kombu's two quick retries) as `BrokerUnavailable`, and works
    again once Redis answers.
    """
    from celery import Celery

    from outbox import publishing, store

    assert settings.CELERY_BROKER_TRANSPORT_OPTIONS["socket_timeout"] == settings.BROKER_SOCKET_TIMEOUT
    settings.CELERY_BROKER_URL = private_redis.url
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_timeout": 0.5, "socket_connect_timeout": 0.5}
    app = Celery("hung-broker-test")
    app.config_from_object("django.conf:settings", namespace="CELERY")
    publish = publishing.celery_publisher(app)
    event = store.Claimed(1, "Teste", "Prescricao", 1, 0)
    publish([event])  # connected and working
    os.kill(private_redis.proc.pid, signal.SIGSTOP)
    try:
        t0 = time.monotonic()
        with pytest.raises(publishing.BrokerUnavailable):
            publish([event])
        assert time.monotonic() - t0 < 6
    finally:
        os.kill(private_redis.proc.pid, signal.SIGCONT)
    publish([event])
    app.close()
