"""Read pages on replicas: a DRF mixin for the pharmacy's read endpoints and one for the read models' admin.

Both pick the database once per request through `routing.read_database`, run
the page there, and if the replica fails underneath (connection lost, query
cancelled by a recovery conflict) mark it down and run the page again on the
primary: the user sees the answer, never the replica's failure.
"""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError

from hospital.replicas.health import pool
from pharmacy.read_after import ReadToken, requested_token
from pharmacy.replica_routing import read_database, read_on_primary

REPLICA_FAILURES = (OperationalError, InterfaceError)


class ReplicaReadMixin:
    """DRF read view (before the base view class): `self.read_db` is where `get` runs; honours `X-Read-After`.

    The view's queryset must come from a selector called with `using=self.read_db`. A view that is not a
    generic view implements `read` (its GET) instead of `get`, so the fallback and the counters wrap it too.
    """

    read_db: str = DEFAULT_DB_ALIAS
    read_token: ReadToken | None = None

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # authentication and permissions first
        self.read_token = requested_token(request)
        self.read_db = read_database(self.read_token)

    def read(self, request, *args, **kwargs):
        """The view's GET on `self.read_db` (a generic view's own `get` by default)."""
        return super().get(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        try:
            return self.read(request, *args, **kwargs)
        except REPLICA_FAILURES as error:
            if self.read_db == DEFAULT_DB_ALIAS:
                raise
            pool().mark_down(self.read_db, error)
            self.read_db = read_on_primary(self.read_token)
            return self.read(request, *args, **kwargs)
        finally:  # a 404 is a read served too
            pool().served(self.read_db)


class ReplicaAdminMixin:
    """ModelAdmin of a read model: its change list reads a replica (no token: staff browse, they do not write here)."""

    def get_queryset(self, request):
        return super().get_queryset(request).using(getattr(request, "read_database", DEFAULT_DB_ALIAS))

    def changelist_view(self, request, extra_context=None):
        request.read_database = read_database(None)
        try:
            return _rendered(super().changelist_view(request, extra_context))
        except REPLICA_FAILURES as error:
            if request.read_database == DEFAULT_DB_ALIAS:
                raise
            pool().mark_down(request.read_database, error)
            request.read_database = DEFAULT_DB_ALIAS
            return _rendered(super().changelist_view(request, extra_context))
        finally:
            pool().served(request.read_database)


def _rendered(response):
    """Render a TemplateResponse now, so its lazy querysets run inside the caller's `try`."""
    render = getattr(response, "render", None)
    return render() if render is not None else response
