"""Worklist pagination: page_size 1..500 and our own cursors only, else a 400 on that parameter."""

import pytest

from tests.hospital.error_shape import assert_django_error

pytestmark = pytest.mark.django_db

ITEMS = "/api/pharmacy/itens/"


@pytest.mark.parametrize("page_size", ["0", "-1", "501", "abc", "null", "1.5", ""])
def test_page_size_out_of_range_is_a_400(reader_client, page_size):
    error = assert_django_error(reader_client.get(f"{ITEMS}?page_size={page_size}"), 400, "dados_invalidos")
    assert list(error["errors"]) == ["page_size"]


def test_page_size_within_range_pages(reader_client, article_prescription):
    first = reader_client.get(f"{ITEMS}?page_size=1").json()
    assert len(first["results"]) == 1 and first["next"]
    assert len(reader_client.get(f"{ITEMS}?page_size=500").json()["results"]) == 2


# "cD0xMjM0" is base64 of "p=1234": a well-formed cursor whose position is not an instant
@pytest.mark.parametrize("cursor", ["%2C", "%00", "nao-e-base64!", "cD0xMjM0", "cD05OTk5OTk5OTk5OTk5OTk5OTk5"])
def test_a_cursor_not_ours_is_a_400(reader_client, article_prescription, cursor):
    error = assert_django_error(reader_client.get(f"{ITEMS}?cursor={cursor}"), 400, "dados_invalidos")
    assert list(error["errors"]) == ["cursor"]
