"""URL converters: `<bigint:...>` is registered when this module is imported (by each app's urls)."""

from django.urls import register_converter

MAX_BIGINT = 2**63 - 1


class BigIntConverter:
    """A positive id that fits PostgreSQL's bigint; anything larger is a 404, never a database error."""

    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > MAX_BIGINT:
            raise ValueError("id out of range")
        return number

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(BigIntConverter, "bigint")
