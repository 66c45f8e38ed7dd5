"""Top-level routes: admin, command API, pharmacy (read) API, auth, the OpenAPI schema, metrics and health."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from hospital.auth import ObtainTokenView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/auth/token/", ObtainTokenView.as_view(), name="auth-token"),
    path("api/commands/", include("prescriptions.urls")),
    path("api/pharmacy/", include("pharmacy.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("", include("monitoring.urls")),
]
