"""`make run` serves the admin's static files itself, with DEBUG off as well (no collectstatic, no web server)."""

import re

from werkzeug.test import Client

from hospital.devserver.launcher import static_application
from tests.hospital.in_process import requests_keep_the_connection


def test_admin_css_is_served_with_debug_off(settings):
    settings.DEBUG = False
    with requests_keep_the_connection():
        response = Client(static_application()).get("/static/admin/css/base.css")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/css")
    assert b"body" in response.get_data()


def test_docs_ui_loads_its_assets_from_the_app_not_a_cdn(client, settings):
    settings.DEBUG = False
    page = client.get("/api/docs/").content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert assets and all(asset.startswith("/static/") for asset in assets), assets
    served = Client(static_application())
    with requests_keep_the_connection():
        for asset in assets:
            assert served.get(asset).status_code == 200, asset
