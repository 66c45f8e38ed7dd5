"""Routes of the record, mounted under /api/: integracoes/ (events in) and prontuarios/ (documents out)."""

from django.urls import path, register_converter
from django.urls.converters import get_converters

from hospital.api.converters import BigIntConverter
from prontuario import views

if "bigint" not in get_converters():
    register_converter(BigIntConverter, "bigint")

urlpatterns = [
    path("integracoes/eventos/", views.EventBatchApi.as_view(), name="integracoes-eventos"),
    path("prontuarios/<bigint:id_paciente>/", views.PatientRecordApi.as_view(), name="prontuario-paciente"),
    path(
        "prontuarios/<bigint:id_paciente>/atendimentos/<str:id_atendimento>/",
        views.VisitRecordApi.as_view(),
        name="prontuario-atendimento",
    ),
]
