"""Read routes under /api/pharmacy/."""

from django.urls import path, register_converter
from django.urls.converters import get_converters

from hospital.api.converters import BigIntConverter
from pharmacy import receita_api, search_api, views

if "bigint" not in get_converters():  # also registered by prescriptions.urls
    register_converter(BigIntConverter, "bigint")

urlpatterns = [
    path("itens/", views.ItemListApi.as_view(), name="pharmacy-items"),
    path("prescricoes/", views.DocumentListApi.as_view(), name="pharmacy-documents"),
    path("prescricoes/<bigint:prescricao_id>/", views.DocumentDetailApi.as_view(), name="pharmacy-document"),
    path("status/", views.StatusApi.as_view(), name="pharmacy-status"),
    path("busca/", search_api.SearchApi.as_view(), name="pharmacy-search"),
    path("prescricoes/<bigint:prescricao_id>/receita/", receita_api.ReceitaApi.as_view(), name="pharmacy-receita"),
]
