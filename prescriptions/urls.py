"""Command routes under /api/commands/."""

from django.urls import include, path

import hospital.api.converters  # noqa: F401 -- registers <bigint:...>
from prescriptions import views

# The commands on one prescription, under prescricoes/<prescricao_id>/.
prescription_routes = [
    path("medicamentos/", views.ItemAddApi.as_view(), name="prescription-item-add"),
    path("medicamentos/<bigint:item_id>/", views.ItemRemoveApi.as_view(), name="prescription-item-remove"),
    path("cancelar/", views.PrescriptionCancelApi.as_view(), name="prescription-cancel"),
]

urlpatterns = [
    path("prescricoes/", views.PrescriptionCreateApi.as_view(), name="prescription-create"),
    path("prescricoes/<bigint:prescricao_id>/", include(prescription_routes)),
]
