"""Who may do what: `prescritor` and staff write, `farmacia` (and writers) read."""

from rest_framework.permissions import BasePermission

WRITER_GROUP = "prescritor"
READER_GROUP = "farmacia"


def group_names(user) -> frozenset[str] | None:
    """The user's group names when authentication already loaded them (`hospital.api.token_cache`), else None."""
    return getattr(user, "cached_group_names", None)


def _in_any_group(user, names: list[str]) -> bool:
    known = group_names(user)
    if known is not None:
        return not known.isdisjoint(names)
    return user.groups.filter(name__in=names).exists()


def _in_group(user, name: str) -> bool:
    return _in_any_group(user, [name])


def can_write(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and (user.is_staff or _in_group(user, WRITER_GROUP)))


def can_read(user) -> bool:
    return bool(
        user
        and user.is_authenticated
        and user.is_active
        and (user.is_staff or _in_any_group(user, [READER_GROUP, WRITER_GROUP]))
    )


class CanWritePrescriptions(BasePermission):
    """Prescribers (group `prescritor`) and staff change prescriptions."""

    message = "Somente prescritores (grupo 'prescritor') ou a equipe podem alterar prescrições."

    def has_permission(self, request, view) -> bool:
        return can_write(request.user)


class CanReadPharmacy(BasePermission):
    """The pharmacy (group `farmacia`), prescribers and staff read the read models."""

    message = "Somente a farmácia (grupo 'farmacia'), prescritores ou a equipe podem consultar."

    def has_permission(self, request, view) -> bool:
        return can_read(request.user)
