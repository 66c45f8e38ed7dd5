"""Request metrics for every response the middleware sees (`hospital.request_metrics`).

Put it first in MIDDLEWARE so the time covers the rest of the stack.
"""

import time

from hospital.request_metrics import observe


class RequestMetricsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        observe(request, response, time.perf_counter() - started)
        return response
