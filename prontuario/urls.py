"""Routes of the record, mounted under /api/: integracoes/ (events in) and prontuarios/ (documents out)."""

from django.urls import path

import hospital.api.converters  # noqa: F401 -- registers <bigint:...>
from prontuario import views

urlpatterns = [
    path("integracoes/eventos/", views.EventBatchApi.as_view(), name="integracoes-eventos"),
    path("prontuarios/<bigint:id_paciente>/", views.PatientRecordApi.as_view(), name="prontuario-paciente"),
    path(
        "prontuarios/<bigint:id_paciente>/atendimentos/<str:id_atendimento>/",
        views.VisitRecordApi.as_view(),
        name="prontuario-atendimento",
    ),
]
