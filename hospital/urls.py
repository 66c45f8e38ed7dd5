"""Top-level routes: admin, command API, pharmacy (read) API, auth, the OpenAPI schema, metrics and health.

The schema and its UI are public documentation (they hold no patient data): no authentication, bad tokens
ignored. Every other route under /api/ needs an authenticated user.
"""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.permissions import AllowAny

from hospital.api.auth import ObtainTokenView
from hospital.landing import landing

PUBLIC = {"authentication_classes": [], "permission_classes": [AllowAny]}

urlpatterns = [
    path("", landing, name="landing"),
    path("admin/", admin.site.urls),
    path("api/auth/token/", ObtainTokenView.as_view(), name="auth-token"),
    path("api/commands/", include("prescriptions.urls")),
    path("api/pharmacy/", include("pharmacy.urls")),
    path("api/", include("prontuario.urls")),  # integracoes/ and prontuarios/
    path("api/cadastros/", include("hospital.registry_urls")),
    path("api/schema/", SpectacularAPIView.as_view(**PUBLIC), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema", **PUBLIC), name="docs"),
    path("", include("monitoring.urls")),
]
