"""The outbox in the admin: the feed read-only, dead letters filterable and redriven by an action."""

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from outbox.models import OutboxEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(User.objects.create_superuser("root", "root@example.org", "senha-forte-123"))
    return client


def _event(**fields) -> OutboxEvent:
    return OutboxEvent.objects.create(
        event_type="Teste", aggregate_type="Prescricao", aggregate_id=1, payload={}, **fields
    )


def test_dead_letters_are_listed_and_redriven(admin_client):
    dead = _event(dead_lettered_at=timezone.now(), attempts=8, last_error="projeção falhou: boom")
    fine = _event()
    url = "/admin/outbox/outboxevent/"
    page = admin_client.get(url, {"situacao": "dead_letter"})
    assert page.status_code == 200
    assert page.context["cl"].result_count == 1

    response = admin_client.post(
        url, {"action": "redrive_dead_letters", "_selected_action": [dead.pk, fine.pk]}, follow=True
    )
    assert response.status_code == 200
    assert "1 evento(s) reenviado(s)" in response.content.decode()
    dead.refresh_from_db()
    assert (dead.dead_lettered_at, dead.attempts, dead.published_at) == (None, 0, None)


def test_the_feed_is_read_only(admin_client):
    event = _event()
    assert admin_client.get(f"/admin/outbox/outboxevent/{event.pk}/change/").status_code == 200
    assert admin_client.post(f"/admin/outbox/outboxevent/{event.pk}/delete/").status_code == 403
    assert admin_client.get("/admin/outbox/outboxevent/add/").status_code == 403
