"""The read models' admin pages read a replica (real streaming replicas, see cluster.py)."""

from __future__ import annotations

import http.client
import re
from http.cookies import SimpleCookie
from urllib.parse import urlencode

from tests.hospital.replicas.cluster import REPLICAS, Site


def _admin_session(site: Site) -> dict[str, str]:
    """Log in to the admin as the demo's `admin` (seed_demo); the session and CSRF cookies."""
    conn = http.client.HTTPConnection("127.0.0.1", site.port, timeout=30)
    conn.request("GET", "/admin/login/")
    page = conn.getresponse()
    html = page.read().decode()
    cookies = {k: v.value for k, v in SimpleCookie(page.getheader("Set-Cookie")).items()}
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)[1]
    form = urlencode({"username": "admin", "password": "hospital-admin", "csrfmiddlewaretoken": csrf,
                      "next": "/admin/"})  # fmt: skip
    conn.request("POST", "/admin/login/", body=form, headers={
        "Content-Type": "application/x-www-form-urlencoded",
        "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()),
    })  # fmt: skip
    done = conn.getresponse()
    done.read()
    assert done.status == 302, done.status
    cookies |= {k: v.value for k, v in SimpleCookie(done.getheader("Set-Cookie")).items()}
    conn.close()
    return cookies


def _changelist(site: Site, cookies: dict[str, str], prescription_id: int) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", site.port, timeout=30)
    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
    conn.request("GET", f"/admin/pharmacy/itemdetalhado/?q={prescription_id}", headers={"Cookie": cookie})
    page = conn.getresponse()
    html = page.read().decode()
    conn.close()
    assert page.status == 200, html[:500]
    return html


def _shows(html: str, prescription_id: int) -> bool:
    """The change list has a row of this prescription (its first column may be a link to the row)."""
    return re.search(rf'field-id_prescricao">(?:<a [^>]*>)?{prescription_id}<', html) is not None


def test_the_worklist_admin_reads_a_replica(cluster, trigger_site, replay_paused):
    site = trigger_site
    cookies = _admin_session(site)
    cluster.wait_replayed()
    for alias in REPLICAS:
        replay_paused(alias)
    created = site.create(horario="03:30")
    prescription_id = created.body["id_prescricao"]
    served = site.status()["reads_served"]

    html = _changelist(site, cookies, prescription_id)
    assert not _shows(html, prescription_id)  # the paused replica has not replayed it
    after = site.status()["reads_served"]
    assert sum(after[a] - served[a] for a in REPLICAS) == 1 and after["default"] == served["default"]

    for alias in REPLICAS:
        with cluster.replica(alias) as conn:
            conn.execute("SELECT pg_wal_replay_resume()")
    cluster.wait_replayed()
    assert _shows(_changelist(site, cookies, prescription_id), prescription_id)
