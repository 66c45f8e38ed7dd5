"""Command routes under /api/commands/."""

from django.urls import path

import hospital.api.converters  # noqa: F401 -- registers <bigint:...>
from prescriptions import views

urlpatterns = [
    path("prescricoes/", views.PrescriptionCreateApi.as_view(), name="prescription-create"),
    path("prescricoes/<bigint:prescricao_id>/medicamentos/", views.ItemAddApi.as_view(), name="prescription-item-add"),
    path(
        "prescricoes/<bigint:prescricao_id>/medicamentos/<bigint:item_id>/",
        views.ItemRemoveApi.as_view(),
        name="prescription-item-remove",
    ),
    path(
        "prescricoes/<bigint:prescricao_id>/cancelar/",
        views.PrescriptionCancelApi.as_view(),
        name="prescription-cancel",
    ),
]
