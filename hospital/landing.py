"""The landing page at `/`: where the admin, the API docs and the sync status are (no login needed)."""

from django.shortcuts import render

from outbox.sync_mode import current_mode


def landing(request):
    """A small page of links, so "Ver o site" and a bare URL lead somewhere useful."""
    return render(request, "hospital/landing.html", {"mode": current_mode()})
