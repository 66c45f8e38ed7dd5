"""Routes of the record: /api/integracoes/ (events in) and /api/prontuarios/ (documents out)."""

from django.urls import path, register_converter
from django.urls.converters import get_converters

from hospital.converters import BigIntConverter
from prontuario import views

if "bigint" not in get_converters():
    register_converter(BigIntConverter, "bigint")

integracoes = [path("eventos/", views.EventBatchApi.as_view(), name="integracoes-eventos")]

prontuarios = [
    path("<bigint:id_paciente>/", views.PatientRecordApi.as_view(), name="prontuario-paciente"),
    path(
        "<bigint:id_paciente>/atendimentos/<str:id_atendimento>/",
        views.VisitRecordApi.as_view(),
        name="prontuario-atendimento",
    ),
]
