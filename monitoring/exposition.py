"""Serving the metrics: which registry a scrape reads, who may scrape, and the relay's/worker's own port.

- **Multiprocess mode.** A process tree with several Python processes that
  count (gunicorn workers, Celery's prefork pool) must share its counters:
  prometheus-client's multiprocess mode does that with one file per process
  in `PROMETHEUS_MULTIPROC_DIR`, and a scrape sums them. The variable must be
  in the environment before the processes start (`make run` sets it for the
  web; the worker sets it itself, see `monitoring.worker`). Without it each
  process reports only its own counts.
- **Access.** `METRICS_TOKEN` set: a scrape needs `Authorization: Bearer
  <token>`. Unset: only clients on the loopback interface may scrape. The
  figures hold no patient data, but they do show activity; behind a reverse
  proxy on the same host every client looks local, so set the token there.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import os
import threading
from wsgiref.simple_server import make_server

from django.conf import settings
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from prometheus_client.exposition import ThreadingWSGIServer, _get_best_family, _SilentHandler
from prometheus_client.multiprocess import MultiProcessCollector

from monitoring.sync_collector import SyncCollector

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


class ScrapeCollector:
    """What one scrape reads: the process's metrics (summed over its process tree in multiprocess mode),
    then the sync gauges."""

    def __init__(self, *, close_connection: bool = False):
        self.own = MultiProcessCollector(None) if os.environ.get(MULTIPROC_ENV) else REGISTRY
        self.sync = SyncCollector(close_connection=close_connection)

    def collect(self):
        yield from self.own.collect()
        yield from self.sync.collect()

    def render(self) -> bytes:
        return generate_latest(self)


def refusal(authorization: str, remote_addr: str) -> tuple[int, str, str] | None:
    """None when the scrape is allowed, else (status, code, detail) for the project's error shape."""
    token = settings.METRICS_TOKEN
    if token:
        scheme, _, given = authorization.partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode()):
            return None
        return 401, "nao_autenticado", "Métricas exigem 'Authorization: Bearer <METRICS_TOKEN>'."
    try:
        local = ipaddress.ip_address(remote_addr.split("%")[0]).is_loopback
    except ValueError:
        local = False
    if local:
        return None
    return 403, "permissao_negada", "Sem METRICS_TOKEN configurado, só clientes locais (loopback) leem as métricas."


def _error_body(code: str, detail: str) -> bytes:
    return json.dumps({"detail": detail, "code": code, "errors": {}}, ensure_ascii=False).encode()


def metrics_wsgi_app(collector: ScrapeCollector):
    """A WSGI app answering every GET with the registry's metrics, under the same access rule as /metrics."""

    def app(environ, start_response):
        refused = refusal(environ.get("HTTP_AUTHORIZATION", ""), environ.get("REMOTE_ADDR", ""))
        if refused:
            status, code, detail = refused
            reason = "401 Unauthorized" if status == 401 else "403 Forbidden"
            headers = [("Content-Type", "application/json")]
            if status == 401:
                headers.append(("WWW-Authenticate", 'Bearer realm="metrics"'))
            start_response(reason, headers)
            return [_error_body(code, detail)]
        start_response("200 OK", [("Content-Type", CONTENT_TYPE_LATEST)])
        return [collector.render()]

    return app


def serve_in_background(port: int, name: str):
    """Serve this process's metrics on `METRICS_BIND:port` from a daemon thread; returns the server."""

    class Server(ThreadingWSGIServer):
        pass

    Server.address_family, address = _get_best_family(settings.METRICS_BIND, port)  # IPv4 or IPv6
    app = metrics_wsgi_app(ScrapeCollector(close_connection=True))
    server = make_server(address, port, app, Server, handler_class=_SilentHandler)
    threading.Thread(target=server.serve_forever, name=f"{name}-metrics", daemon=True).start()
    return server
