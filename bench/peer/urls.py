"""The project's routes, unchanged, plus the peer's under /peer/."""

from django.urls import path

from bench.peer import views
from hospital.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    *project_urlpatterns,
    path("peer/itens/", views.ItemList.as_view()),
    path("peer/prescricoes/<int:pk>/", views.PrescriptionDetail.as_view()),
    path("peer/prescricoes/", views.PrescriptionCreate.as_view()),
]
