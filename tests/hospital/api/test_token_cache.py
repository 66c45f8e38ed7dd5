"""Token authentication served from the in-process cache: one query per read, and how soon changes bite."""

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from hospital.api import token_cache

pytestmark = pytest.mark.django_db

DOCUMENT = "/api/pharmacy/prescricoes/{}/"


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    token_cache.cache.clear()
    fake = Clock()
    monkeypatch.setattr(token_cache.cache, "clock", fake)
    yield fake
    token_cache.cache.clear()


@pytest.fixture
def token_client(farmaceutico):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=farmaceutico).key}")
    return client


def test_a_cached_token_costs_no_query(token_client, article_prescription, clock, django_assert_num_queries):
    url = DOCUMENT.format(article_prescription.pk)
    with django_assert_num_queries(3):  # token and user, the user's groups, the document
        assert token_client.get(url).status_code == 200
    with django_assert_num_queries(1):  # the document only
        response = token_client.get(url)
    assert response.status_code == 200
    assert response.json()["id_prescricao"] == article_prescription.pk


def test_changes_made_in_this_process_apply_at_once(token_client, farmaceutico, article_prescription, clock):
    url = DOCUMENT.format(article_prescription.pk)
    assert token_client.get(url).status_code == 200
    farmaceutico.groups.remove(Group.objects.get(name="farmacia"))
    assert token_client.get(url).status_code == 403
    farmaceutico.groups.add(Group.objects.get(name="farmacia"))
    assert token_client.get(url).status_code == 200
    Token.objects.filter(user=farmaceutico).delete()  # a queryset delete sends post_delete per token
    response = token_client.get(url)
    assert response.status_code == 401
    assert response.json() == {"detail": "Token inválido.", "code": "authentication_failed", "errors": {}}


def test_changes_made_elsewhere_apply_within_auth_cache_seconds(
    token_client, farmaceutico, article_prescription, clock, settings
):
    """A change no signal of this process sees (another process, raw SQL) waits out AUTH_CACHE_SECONDS, no more."""
    url = DOCUMENT.format(article_prescription.pk)
    assert token_client.get(url).status_code == 200
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM authtoken_token WHERE user_id = %s", [farmaceutico.pk])
    clock.now += settings.AUTH_CACHE_SECONDS - 0.1
    assert token_client.get(url).status_code == 200  # the documented staleness
    clock.now += 0.2
    assert token_client.get(url).status_code == 401


def test_auth_cache_seconds_zero_reads_the_token_every_time(
    token_client, article_prescription, clock, settings, django_assert_num_queries
):
    settings.AUTH_CACHE_SECONDS = 0
    url = DOCUMENT.format(article_prescription.pk)
    token_client.get(url)
    with django_assert_num_queries(3):
        assert token_client.get(url).status_code == 200
