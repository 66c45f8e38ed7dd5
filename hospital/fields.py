"""Serializer fields shared by the command and read APIs."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

HORARIO_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"


@extend_schema_field({"type": "string", "pattern": HORARIO_PATTERN, "example": "08:00"})
class HorarioField(serializers.TimeField):
    """A time of day as the API writes it, `HH:MM` (OpenAPI's `format: time` would promise seconds and an offset)."""

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", **kwargs)
