"""Serializer fields shared by the command and read APIs, and the API's format of an instant."""

import datetime as dt

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

HORARIO_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
HORARIO_SCHEMA = {
    "type": "string",
    "pattern": HORARIO_PATTERN,
    "example": "08:00",
    "description": "HH:MM, de 00:00 a 23:59",
}


def iso_utc(value: dt.datetime) -> str:
    """An instant as the API writes it: ISO 8601 in UTC with `Z`, microseconds when present.

    What DRF's `DateTimeField(default_timezone=UTC)` writes, for answers built without a serializer.
    """
    text = value.astimezone(dt.UTC).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


@extend_schema_field(HORARIO_SCHEMA)
class HorarioField(serializers.TimeField):
    """A time of day as the API writes it, `HH:MM` (OpenAPI's `format: time` would promise seconds and an offset)."""

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", **kwargs)


class StrictCharField(serializers.CharField):
    """A string input that must be a JSON string: DRF would turn `123` into `"123"`, which the schema does not allow."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    """An integer input that must be a JSON integer: DRF would accept `"5"`, `5.0` and `true`."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


@extend_schema_field(HORARIO_SCHEMA)
class HorarioInputField(StrictCharField):
    """A prescribed time as received: a JSON string (the command's rule checks `HH:MM` and answers its error)."""

    def __init__(self, **kwargs):
        super().__init__(max_length=8, allow_blank=True, **kwargs)
