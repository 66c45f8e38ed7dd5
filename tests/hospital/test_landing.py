"""The landing page at `/` links the admin, the API docs and the status, without a login."""

import pytest

pytestmark = pytest.mark.django_db


def test_landing_page_links_admin_docs_and_status(client):
    response = client.get("/")
    assert response.status_code == 200
    page = response.content.decode()
    for link in ('href="/admin/"', 'href="/api/docs/"', 'href="/api/pharmacy/status/"'):
        assert link in page
    assert "Sincronização em vigor: <strong>trigger</strong>" in page
