"""Top-level routes: admin, command API, pharmacy (read) API, auth and the OpenAPI schema."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from hospital.auth import ObtainTokenView
from hospital.landing import landing

urlpatterns = [
    path("", landing, name="landing"),
    path("admin/", admin.site.urls),
    path("api/auth/token/", ObtainTokenView.as_view(), name="auth-token"),
    path("api/commands/", include("prescriptions.urls")),
    path("api/pharmacy/", include("pharmacy.urls")),
    path("api/cadastros/", include("hospital.registry_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
]
