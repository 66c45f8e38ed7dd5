"""The HTTP request metrics: one count and one latency observation per response, by method and route.

The route is the URL pattern that matched (`api/pharmacy/prescricoes/<bigint:prescricao_id>/`),
so ids never become label values; a request that matched nothing counts as `<unmatched>`.
Declared below every app so that whoever answers a request records it: the first middleware
(`monitoring.middleware`) for the responses the middleware sees, and the WSGI handler's fast path
(`pharmacy.fast_reads`) for the reads it answers before the middleware.
"""

from prometheus_client import Counter, Histogram

# Request latency buckets: the pharmacy's reads take a few ms, a command tens, a read-after wait up to seconds.
_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

http_requests = Counter(
    "http_requests",
    "HTTP requests answered, by method, route (the URL pattern, not the path) and status code.",
    ["method", "route", "status"],
)
http_request_duration = Histogram(
    "http_request_duration_seconds",
    "Time from the request reaching Django to the response leaving it, by method and route.",
    ["method", "route"],
    buckets=_BUCKETS,
)


def observe(request, response, seconds: float) -> None:
    """Count `response` and record its latency under its request's method and route."""
    match = getattr(request, "resolver_match", None)
    route = match.route if match is not None else "<unmatched>"
    method = request.method if request.method in _METHODS else "OTHER"
    http_request_duration.labels(method, route).observe(seconds)
    http_requests.labels(method, route, str(response.status_code)).inc()
