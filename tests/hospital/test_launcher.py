"""`make run` serves the admin's static files itself, with DEBUG off as well (no collectstatic, no web server)."""

from werkzeug.test import Client

from hospital.launcher import static_application


def test_admin_css_is_served_with_debug_off(settings):
    settings.DEBUG = False
    response = Client(static_application()).get("/static/admin/css/base.css")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/css")
    assert b"body" in response.get_data()
