"""The pharmacy's busiest reads, answered by the WSGI handler before the middleware and DRF.

A pharmacy system asks all day for one prescription's document
(`GET /api/pharmacy/prescricoes/<id>/`) or the worklist of one patient or
prescription (`GET /api/pharmacy/itens/?id_paciente=N`). Through the whole
stack (sessions, locale, CSRF, messages, DRF's negotiation, authentication
and permissions, the view, the paginator, the renderer) such a read spent
several times longer in Python than in PostgreSQL. `FastReadHandler`, the
project's WSGI handler (`hospital.wsgi`), answers the plain form of these
requests itself, with the parts the views use (the token cache, the
permission rule, the replica choice, the selectors, the renderer), and
answers exactly what the views would: status, headers and bytes
(`tests/pharmacy/test_fast_reads.py` sends each request both ways). Django's
handler still does what it does for every request (the script prefix, the
`request_started` and `request_finished` signals that manage database
connections, the request object); of the middleware, what applies to such a
response is done here: `SecurityMiddleware`'s redirect and headers, and the
request metrics (`hospital.request_metrics`).

Plain means: `GET` without a body or cookies; `Authorization: Token <key>` with
a key the token cache holds (`hospital.api.token_cache`) for a user who may
read; `Accept` absent, `*/*` or `application/json`; no `Accept-Language` and no
`X-Read-After`; for the worklist, only id filters (plain digits, one value
each) and rows that fit on the first page; for the document, no query
string; and no HTTPS redirect due. Every other request goes through the
middleware to the views unchanged and they answer it, errors included, as
does a plain read whose query fails (a replica that fails is marked down
first): the views run it again and answer the failure in the one error
shape. So does a plain read the fast path fails on unexpectedly (a bug): it
is logged, and the views answer it. `PHARMACY_FAST_READS=0` turns the path
off. Under ASGI (`hospital.asgi`) every read goes to the views.
"""

from __future__ import annotations

import logging
import time
from functools import cached_property

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.db import DEFAULT_DB_ALIAS, DatabaseError
from django.http import HttpResponse
from django.middleware.security import SecurityMiddleware
from django.urls import ResolverMatch, get_script_prefix, resolve, reverse

from hospital.api.permissions import can_read
from hospital.api.renderers import OrjsonRenderer
from hospital.api.token_cache import cache as token_cache
from hospital.replicas.health import pool
from hospital.request_metrics import observe
from pharmacy import selectors
from pharmacy.filters import ITEM_ID_FILTERS, ItemFilter, is_plain_id, plain_ids
from pharmacy.metrics import fast_reads
from pharmacy.pagination import ItemCursorPagination
from pharmacy.replica_routing import read_database
from pharmacy.serializers import worklist_items

logger = logging.getLogger(__name__)
_ACCEPTED = frozenset({None, "*/*", "application/json"})
_renderer = OrjsonRenderer()


class _Routes:
    """The two routes' paths (as `reverse` writes them) and URL patterns, read from the URLconf on first use."""

    @cached_property
    def items_path(self) -> str:
        return reverse("pharmacy-items")

    @cached_property
    def items(self) -> ResolverMatch:
        return _resolve(self.items_path)

    @cached_property
    def document(self) -> ResolverMatch:
        return _resolve(reverse("pharmacy-document", kwargs={"prescricao_id": 1}))

    @cached_property
    def document_prefix(self) -> str:
        return reverse("pharmacy-document", kwargs={"prescricao_id": 1}).removesuffix("1/")


def _resolve(path: str) -> ResolverMatch:
    return resolve(path.removeprefix(get_script_prefix()[:-1]))  # `resolve` takes the path without the prefix


class FastReadHandler(WSGIHandler):
    """Django's WSGI handler, answering plain item and document reads (see the module doc) before the middleware."""

    def __init__(self):
        super().__init__()
        self.routes = _Routes()
        self.security = SecurityMiddleware(super().get_response)  # its redirect and headers; never called through

    def get_response(self, request):
        started = time.perf_counter()
        response = self._fast_answer(request) if settings.PHARMACY_FAST_READS else None
        if response is None:
            return super().get_response(request)
        self.security.process_response(request, response)
        observe(request, response, time.perf_counter() - started)
        fast_reads.labels(route=request.resolver_match.route).inc()
        return response

    def _fast_answer(self, request) -> HttpResponse | None:
        """`answer`, unless an HTTPS redirect is due; a fast path that raises is logged and the views answer."""
        if self.security.process_request(request) is not None:
            return None
        try:
            return self.answer(request)
        except Exception:
            logger.exception("Fast read of %s failed; the views answer it", request.path)
            return None

    def answer(self, request) -> HttpResponse | None:
        """The response to a plain read, or None for the rest of the stack."""
        meta = request.META
        if request.method != "GET" or not _plain_headers(meta) or not _may_read(meta.get("HTTP_AUTHORIZATION")):
            return None
        path = request.path  # with the script prefix, as `reverse` gives the routes' paths
        if path == self.routes.items_path:
            ids = _plain_item_ids(request.GET)
            return None if ids is None else self._items(request, ids)
        prefix = self.routes.document_prefix
        if path.startswith(prefix) and path.endswith("/") and not meta.get("QUERY_STRING"):
            pk = path[len(prefix) : -1]
            if is_plain_id(pk):
                return self._document(request, int(pk))
        return None

    def _items(self, request, ids: dict[str, int]) -> HttpResponse | None:
        page_size = ItemCursorPagination.page_size
        read = _read(lambda alias: selectors.worklist(ids, from_start=True, using=alias)[0 : page_size + 1])
        if read is None or len(read[1]) > page_size:  # a second page needs the paginator's cursor link
            return None
        alias, rows = read
        pool().served(alias)
        request.resolver_match = self.routes.items
        return _json({"next": None, "previous": None, "results": worklist_items(rows)})

    def _document(self, request, pk: int) -> HttpResponse | None:
        read = _read(lambda alias: selectors.document(pk, using=alias))
        if read is None or read[1] is None:  # the read failed, or no such document: the views answer (their 404)
            return None
        alias, document = read
        pool().served(alias)
        match = self.routes.document
        request.resolver_match = ResolverMatch(
            match.func, (), {"prescricao_id": pk}, url_name=match.url_name, route=match.route
        )
        return _json(document)


def _plain_headers(meta) -> bool:
    """No body, JSON accepted, no cookie or language asked for, no `X-Read-After` (even empty: that is a 400)."""
    if meta.get("HTTP_ACCEPT") not in _ACCEPTED or meta.get("CONTENT_LENGTH") not in (None, "", "0"):
        return False
    return "HTTP_X_READ_AFTER" not in meta and not meta.get("HTTP_COOKIE") and not meta.get("HTTP_ACCEPT_LANGUAGE")


def _may_read(authorization: str | None) -> bool:
    """True for `Token <key>` of a key the token cache holds for a user who may read (see the module doc)."""
    if authorization is None or settings.AUTH_CACHE_SECONDS <= 0:
        return False
    parts = authorization.split()
    if len(parts) != 2 or parts[0].lower() != "token":
        return False
    found = token_cache.get(parts[1])
    return found is not None and can_read(found[0])


def _plain_item_ids(query) -> dict[str, int] | None:
    """`{filter: id}` when the query is only id filters of the worklist, each once and plain digits; else None."""
    if any(name not in ITEM_ID_FILTERS or len(values) != 1 for name, values in query.lists()):
        return None  # a paginator parameter, `format`, a date filter or a repeated filter: the views decide
    return plain_ids(query, ItemFilter, ITEM_ID_FILTERS) or None  # no filter is the whole worklist, in pages


def _read(query) -> tuple[str, object] | None:
    """(alias, `query(alias)`) on the database a read without a token uses; None when the primary fails.

    A replica that fails is marked down and the primary asked instead, as the views do
    (`pharmacy.replica_views`); when the primary fails, the views run the read again and answer the failure.
    """
    alias = read_database(None)
    try:
        return alias, query(alias)
    except DatabaseError as error:
        if alias == DEFAULT_DB_ALIAS:
            return None
        pool().mark_down(alias, error)
    try:
        return DEFAULT_DB_ALIAS, query(DEFAULT_DB_ALIAS)
    except DatabaseError:
        return None


def _json(data) -> HttpResponse:
    """A 200 with the body and headers the views' responses carry through the whole middleware stack."""
    body = _renderer.render(data)
    return HttpResponse(body, headers=_headers(len(body)))


def _headers(length: int) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "Vary": "Accept, Accept-Language",  # DRF's negotiation and the LocaleMiddleware
        "Allow": "GET, HEAD, OPTIONS",
        "X-Frame-Options": settings.X_FRAME_OPTIONS,
        "Content-Length": str(length),
        "Content-Language": settings.LANGUAGE_CODE,  # no Accept-Language, no cookie: the default language
    }
