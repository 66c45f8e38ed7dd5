"""The orjson renderer writes the bytes DRF's JSONRenderer writes, for the read endpoints' kinds of data."""

import datetime as dt
import decimal
import uuid

import pytest
from django.utils.translation import gettext_lazy
from hypothesis import given
from hypothesis import strategies as st
from rest_framework.exceptions import ErrorDetail
from rest_framework.renderers import JSONRenderer

from hospital.api.renderers import OrjsonRenderer

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()  # beyond 64 bits too: orjson refuses them and DRF's renderer takes over
    | st.text()
    | st.dates()
    | st.datetimes()
    | st.datetimes(timezones=st.just(dt.UTC))
    | st.datetimes(timezones=st.integers(-1439, 1439).map(lambda m: dt.timezone(dt.timedelta(minutes=m))))
    | st.times().filter(lambda t: not 10_000 <= t.microsecond <= 99_999)  # orjson 3.13's slip (module doc)
    | st.decimals(allow_nan=False, allow_infinity=False)
    | st.floats(min_value=1e-4, allow_nan=False, allow_infinity=False)
    | st.uuids()
    | st.builds(ErrorDetail, st.text(), st.sampled_from(["invalid", "not_found"]))
)
JSON_LIKE = st.recursive(
    SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4), max_leaves=20
)


def _both(data, media_type="application/json", context=None) -> tuple[bytes, bytes]:
    return (
        OrjsonRenderer().render(data, media_type, context or {}),
        JSONRenderer().render(data, media_type, context or {}),
    )


@given(JSON_LIKE)
def test_same_bytes_as_drf(data):
    ours, drf = _both(data)
    assert ours == drf


def test_the_read_endpoints_values():
    data = {
        "nome": "José — ação ✓ 💊",
        "separadores": "linha\u2028parágrafo\u2029fim",
        "controle": '\x00\x1f\x7f\t\n"\\/',
        "quando": dt.datetime(2024, 2, 29, 23, 59, 58, 123456, tzinfo=dt.UTC),
        "nascimento": dt.date(1985, 7, 10),
        "endereco": None,
        "dose": decimal.Decimal("12.50"),
        "minúscula": decimal.Decimal("0.0000001"),
        "id": 2**63 - 1,
        "grande": 2**70,
        "uuid": uuid.UUID(int=5),
        "erro": [ErrorDetail("Não encontrado.", code="not_found")],
        "traduzido": gettext_lazy("This field is required."),
    }
    ours, drf = _both(data)
    assert ours == drf
    assert b"\\u2028" in ours and b"\\u2029" in ours


def test_indented_and_empty_answers_are_drfs():
    data = {"a": [1, {"b": dt.date(2020, 1, 2)}]}
    ours, drf = _both(data, "application/json; indent=4")
    assert ours == drf and b"\n    " in ours
    ours, drf = _both(data, None, {"indent": 2})  # the browsable API asks for indentation this way
    assert ours == drf and b"\n  " in ours
    assert OrjsonRenderer().render(None) == b""


def test_an_aware_time_is_refused_as_drf_refuses_it():
    data = {"horario": dt.time(8, 0, tzinfo=dt.UTC)}
    with pytest.raises(ValueError, match="timezone-aware times"):
        JSONRenderer().render(data)
    with pytest.raises(ValueError, match="timezone-aware times"):
        OrjsonRenderer().render(data)
