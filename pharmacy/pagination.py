"""The worklist's cursor pagination, with a shortcut for the first page (the request the pharmacy makes most).

`WorklistPagination` is DRF's `CursorPagination` (same cursors, links and
ordering). `first_page` answers a request without `cursor` from rows the
caller fetches itself (`page_size + 1` of them, in the pagination's order),
setting the same state `paginate_queryset` sets for a first page, so the
response and its `next` link are identical; later pages go through DRF.
"""

from collections.abc import Callable

from rest_framework.pagination import CursorPagination

from pharmacy import selectors


class WorklistPagination(CursorPagination):
    """Stable pages over the worklist however it changes between requests."""

    ordering = selectors.ITEM_ORDERING
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def first_page(self, request, view, fetch: Callable[[int], list[dict]]) -> list[dict] | None:
        """The first page from `fetch(limit)`; None when the request carries a cursor (use `paginate_queryset`)."""
        if request.query_params.get(self.cursor_query_param):
            return None
        self.request = request
        self.page_size = self.get_page_size(request)
        self.base_url = request.build_absolute_uri()
        self.ordering = self.get_ordering(request, None, view)
        self.cursor = None
        results = fetch(self.page_size + 1)
        self.page = results[: self.page_size]
        self.has_next = len(results) > len(self.page)
        self.has_previous = False
        if self.has_next:
            self.next_position = self._get_position_from_instance(results[-1], self.ordering)
            if self.template is not None:
                self.display_page_controls = True
        return self.page
