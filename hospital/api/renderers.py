"""A JSON renderer on orjson for the read endpoints: DRF's `JSONRenderer` bytes, without its cost.

DRF's renderer (compact separators, UTF-8, NaN refused, U+2028/U+2029
escaped) goes through `json.dumps` and a Python `default` call for every
date; orjson writes the same bytes for what the read endpoints return: str
(and its subclasses such as `ErrorDetail`), int, bool, None, dicts, lists,
dates, and datetimes in UTC (`2023-05-20T14:30:00Z`, microseconds when
present) or with whole-minute offsets. Values orjson does not know
(lazy translations, UUID, ...) go through DRF's own encoder, so they
come out as DRF writes them; a Decimal too, written as DRF writes the
float it makes of it.

Where the two would differ the request is rendered by DRF's renderer itself:
an indented answer (`Accept: application/json; indent=4`, the browsable
API), and anything orjson refuses (integers beyond 64 bits, non-string dict
keys, aware times). Three differences remain, by design outside these
endpoints' data (their rows and documents hold no floats and no times, and
PostgreSQL gives datetimes in UTC): floats of magnitude below 1e-4 (orjson
writes `1e-7` and `0.0000392` where DRF writes `1e-07` and `3.92e-05`) or
not finite (orjson writes `null` where DRF refuses); datetimes whose offset
has seconds; and times whose microseconds are 10,000 to 99,999, which
orjson 3.13 writes one digit short (`00:00:00.10000`). Render times as
strings first (the worklist writes `HH:MM`), as the serializers do.
"""

import decimal
import json

import orjson
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.encoders import JSONEncoder

_drf_default = JSONEncoder().default
_OPTIONS = orjson.OPT_UTC_Z
_LINE_SEPARATORS = (b"\xe2\x80\xa8", b"\xe2\x80\xa9")  # U+2028, U+2029 in UTF-8: DRF escapes them for JavaScript


def _default(value):
    if isinstance(value, decimal.Decimal):  # DRF's float, in json's spelling of floats (`1e-07`, not `1e-7`)
        return orjson.Fragment(json.dumps(float(value), allow_nan=False).encode())
    return _drf_default(value)


class OrjsonRenderer(JSONRenderer):
    """`application/json` as DRF writes it (see the module doc), rendered by orjson."""

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if data is None:
            return b""
        if self.get_indent(accepted_media_type, renderer_context or {}) is not None:
            return super().render(data, accepted_media_type, renderer_context)
        try:
            payload = orjson.dumps(data, default=_default, option=_OPTIONS)
        except orjson.JSONEncodeError:
            return super().render(data, accepted_media_type, renderer_context)
        if _LINE_SEPARATORS[0] in payload or _LINE_SEPARATORS[1] in payload:
            payload = payload.replace(_LINE_SEPARATORS[0], b"\\u2028").replace(_LINE_SEPARATORS[1], b"\\u2029")
        return payload
