"""Worklist filters: instants with any offset Python accepts are compared in UTC; out-of-range ones are a 400."""

import pytest

from tests.hospital.error_shape import assert_django_error

pytestmark = pytest.mark.django_db

ITEMS = "/api/pharmacy/itens/"


def _ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


@pytest.mark.parametrize(
    ("query", "included"),
    [
        # 2023-05-20T14:30Z is 2023-05-20T20:30+06:00 and 2023-05-19T20:30-18:00 (PostgreSQL refuses offsets
        # past 15:59; Python accepts them up to 23:59)
        ("data_prescricao__gte=2023-05-19T20:30:00-18:00", True),
        ("data_prescricao__gte=2023-05-19T20:30:01-18:00", False),
        ("data_prescricao__lte=2023-05-21T08:29:59%2B18:00", False),
        ("data_prescricao__lte=2023-05-21T08:30:00%2B18:00", True),
    ],
)
def test_offsets_beyond_postgresql_range_compare_as_utc(reader_client, article_prescription, query, included):
    items = set(article_prescription.itens.values_list("id", flat=True))
    assert _ids(reader_client.get(f"{ITEMS}?{query}")) == (items if included else set())


@pytest.mark.parametrize(
    "query",
    ["data_prescricao__gte=0001-01-01T00:00:00%2B05:00", "data_prescricao__lte=9999-12-31T23:59:59-05:00"],
)
def test_instants_outside_utc_years_1_to_9999_are_refused(reader_client, query):
    error = assert_django_error(reader_client.get(f"{ITEMS}?{query}"), 400, "dados_invalidos")
    assert [e["code"] for errors in error["errors"].values() for e in errors] == ["overflow"]


@pytest.mark.parametrize("value", ["1.0", "0.5", "1e3", "0x1", "1 2"])
def test_id_filters_take_whole_numbers_only(reader_client, value):
    error = assert_django_error(reader_client.get(f"{ITEMS}?id_medico={value}"), 400, "dados_invalidos")
    assert [e["code"] for e in error["errors"]["id_medico"]] == ["invalid"]


def test_id_filter_with_a_whole_number(reader_client, article_prescription):
    items = set(article_prescription.itens.values_list("id", flat=True))
    assert _ids(reader_client.get(f"{ITEMS}?id_medico={article_prescription.medico_id}")) == items
