"""Read routes under /api/pharmacy/."""

from django.urls import path

import hospital.api.converters  # noqa: F401 -- registers <bigint:...>
from pharmacy import receita_api, search_api, views

urlpatterns = [
    path("itens/", views.ItemListApi.as_view(), name="pharmacy-items"),
    path("prescricoes/", views.DocumentListApi.as_view(), name="pharmacy-documents"),
    path("prescricoes/<bigint:prescricao_id>/", views.DocumentDetailApi.as_view(), name="pharmacy-document"),
    path("status/", views.StatusApi.as_view(), name="pharmacy-status"),
    path("busca/", search_api.SearchApi.as_view(), name="pharmacy-search"),
    path("prescricoes/<bigint:prescricao_id>/receita/", receita_api.ReceitaApi.as_view(), name="pharmacy-receita"),
]
