"""Pagination of the pharmacy's lists (worklist, documents): stable cursor pages, with strict parameters."""

import re

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination

from hospital.api.api_docs import ExamplePagination
from hospital.api.query_params import StrictPageSizeMixin
from pharmacy import selectors

CURSOR = re.compile(r"[A-Za-z0-9+/]+={0,2}")


class ItemCursorPagination(StrictPageSizeMixin, ExamplePagination, CursorPagination):
    """Stable pages over the worklist however it changes between requests.

    A `page_size` that is not a whole number from 1 to `max_page_size`, or a
    cursor that is not one of ours, is a 400 on that parameter (DRF would
    silently use the default size, and answer a bad cursor with a 404).
    """

    example_path, example_query = "/api/pharmacy/itens/", "cursor=cD0yMDIzLTA1LTIwKzE3JTNBMzAlM0EwMCUyQjAwJTNBMDA%3D"

    ordering = selectors.ITEM_ORDERING

    def decode_cursor(self, request):
        encoded = request.query_params.get(self.cursor_query_param)
        try:
            if encoded is not None and not CURSOR.fullmatch(encoded):
                raise NotFound(self.invalid_cursor_message)  # base64 of our own cursors only (DRF skips junk)
            return super().decode_cursor(request)
        except NotFound:
            raise self._invalid_cursor() from None

    def paginate_queryset(self, queryset, request, view=None):
        """A cursor decodes to a position of the ordering; a forged one may not be a valid instant (400, not 500)."""
        try:
            return super().paginate_queryset(queryset, request, view)
        except (DjangoValidationError, ValueError, OverflowError):
            raise self._invalid_cursor() from None

    def _invalid_cursor(self) -> ValidationError:
        return ValidationError({self.cursor_query_param: [self.invalid_cursor_message]}, code="cursor_invalido")

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update({"minimum": 1, "maximum": self.max_page_size, "default": self.page_size})
        return parameters


class DocumentCursorPagination(ItemCursorPagination):
    """Stable pages over the prescription documents, newest first."""

    ordering = selectors.DOCUMENT_ORDERING
    example_path = "/api/pharmacy/prescricoes/"
