"""Request metrics: one count and one latency observation per response, labelled by route, not path.

The route is the URL pattern that matched (`api/pharmacy/prescricoes/<bigint:prescricao_id>/`),
so ids never become label values; a request that matched nothing counts as `<unmatched>`.
Put it first in MIDDLEWARE so the time covers the rest of the stack; a response made before the
middleware (`pharmacy.fast_reads`) is recorded with `observe`.
"""

import time

from monitoring import metrics


class RequestMetricsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        observe(request, response, time.perf_counter() - started)
        return response


def observe(request, response, seconds: float) -> None:
    """Count `response` and record its latency under its request's method and route."""
    match = getattr(request, "resolver_match", None)
    route = match.route if match is not None else "<unmatched>"
    method = request.method if request.method in _METHODS else "OTHER"
    metrics.http_request_duration.labels(method, route).observe(seconds)
    metrics.http_requests.labels(method, route, str(response.status_code)).inc()


_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
