"""Who may use the record: integration users deliver their own source's events; clinicians and staff read."""

from rest_framework.permissions import BasePermission

INTEGRATION_GROUP = "integracao"
CLINICIAN_GROUP = "clinico"


def integration_source(user) -> str | None:
    """The source system this user delivers events for, or None if it is not an integration user."""
    if not (user and user.is_authenticated and user.is_active):
        return None
    if not user.groups.filter(name=INTEGRATION_GROUP).exists():
        return None
    fonte = getattr(user, "fonte_integracao", None)
    return fonte.fonte if fonte else None


class IsIntegrationSource(BasePermission):
    """Members of `integracao` with a source system (`FonteIntegracao`) post that source's events."""

    message = "Somente sistemas integrados (grupo 'integracao', com sistema de origem definido) entregam eventos."

    def has_permission(self, request, view) -> bool:
        return integration_source(request.user) is not None


class CanReadRecords(BasePermission):
    """Clinicians (group `clinico`) and staff read patient records; the pharmacy and integrations do not."""

    message = "Somente a equipe clínica (grupo 'clinico') ou a equipe do hospital podem consultar prontuários."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(
            user
            and user.is_authenticated
            and user.is_active
            and (user.is_staff or user.groups.filter(name=CLINICIAN_GROUP).exists())
        )
