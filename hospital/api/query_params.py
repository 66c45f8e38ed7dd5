"""Read endpoints refuse query parameters they do not know, and parameters given without a value.

A misspelt filter (`?id_pacient=5`) or an empty one (`?id_paciente=`, a
client's variable left unset) that were ignored would answer every
patient's items as if they were one patient's: for a pharmacy worklist that
is worse than an error. The known parameters are the view's filters, the
fields of its `query_serializer_class` (views that parse their own
parameters), its paginator's (`cursor`, `page_size`, ...) and DRF's `format`
override.
"""

from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.settings import api_settings

from hospital.errors import ErrorCode


def _paginator_parameters(paginator) -> set[str]:
    if paginator is None:
        return set()
    names = (getattr(paginator, attr) for attr in dir(paginator) if attr.endswith("_query_param"))
    return {name for name in names if isinstance(name, str)}


class KnownQueryParametersMixin:
    """DRF view mixin: after authentication and permissions, a query parameter the view does not know is a 400."""

    query_serializer_class = None

    def known_query_parameters(self) -> set[str]:
        filterset_class = getattr(self, "filterset_class", None)
        filters = set(filterset_class.base_filters) if filterset_class else set()
        if self.query_serializer_class is not None:
            filters |= set(self.query_serializer_class().fields)
        return filters | _paginator_parameters(getattr(self, "paginator", None)) | {api_settings.URL_FORMAT_OVERRIDE}

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        known = self.known_query_parameters()
        errors = {}
        for name, values in request.query_params.lists():
            if name not in known:
                accepted = ", ".join(sorted(known - {api_settings.URL_FORMAT_OVERRIDE})) or "nenhum"
                message = f"Parâmetro desconhecido neste endereço; os aceitos são: {accepted}."
                errors[name] = [ErrorDetail(message, code="parametro_desconhecido")]
            elif any(not value.strip() for value in values):
                message = "Parâmetro sem valor: informe um valor ou retire o parâmetro."
                errors[name] = [ErrorDetail(message, code=ErrorCode.EMPTY_VALUE.value)]
        if errors:
            raise ValidationError(errors)


def whole_number(name: str, raw: str, low: int, high: int) -> int:
    """Query parameter `name` as a whole number from `low` to `high`; anything else is a 400 on that parameter."""
    if not raw.isdigit() or not low <= int(raw) <= high:
        message = f"{name} deve ser um número inteiro de {low} a {high}, não {raw!r}."
        raise ValidationError({name: [ErrorDetail(message, code=f"{name}_invalido")]})
    return int(raw)


class StrictPageSizeMixin:
    """Pages of 50 by default; a `page_size` that is not a whole number from 1 to 500 is a 400, never clamped."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        return whole_number(self.page_size_query_param, raw, 1, self.max_page_size)
