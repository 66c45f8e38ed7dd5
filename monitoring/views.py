"""`/metrics`, `/healthz`, `/readyz`: plain Django views, no DRF authentication or per-request queries.

`/healthz` (liveness) answers 200 while the process can serve a request at
all; it touches nothing else, so a database outage never gets a healthy web
process restarted. `/readyz` (readiness) runs `monitoring.health` and
answers 503 when a check fails, so a load balancer stops sending traffic.
"""

from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from monitoring import exposition, health

_collector: exposition.ScrapeCollector | None = None


def _error(status: int, code: str, detail: str, errors: dict | None = None) -> JsonResponse:
    return JsonResponse(
        {"detail": detail, "code": code, "errors": errors or {}},
        status=status,
        json_dumps_params={"ensure_ascii": False},
    )


@never_cache
@require_GET
def metrics(request):
    global _collector
    refused = exposition.refusal(request.headers.get("Authorization", ""), request.META.get("REMOTE_ADDR", ""))
    if refused:
        status, code, detail = refused
        response = _error(status, code, detail)
        if status == 401:
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    if _collector is None:
        _collector = exposition.ScrapeCollector()
    return HttpResponse(_collector.render(), content_type=exposition.CONTENT_TYPE_LATEST)


@never_cache
@require_GET
def healthz(request):
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request):
    results = health.readiness()
    failed = {name: failure for name, failure in results.items() if failure is not None}
    if failed:
        return _error(
            503,
            "servico_indisponivel",
            "Não pronto: " + ", ".join(failed) + ".",
            {name: [{"code": f.code, "message": f.message}] for name, f in failed.items()},
        )
    return JsonResponse({"status": "ok", "checks": {name: "ok" for name in results}})
