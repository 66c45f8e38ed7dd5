"""The WSGI entry point takes what a worker loaded out of the garbage collector's view (`hospital.wsgi`)."""

import gc

from hospital.wsgi import frozen_after_first_request


def _environ(path: str) -> dict:
    return {"REQUEST_METHOD": "GET", "PATH_INFO": path}


def _in_collectors_view(obj) -> bool:
    """Whether a full collection would walk `obj` (frozen objects are in no generation)."""
    return any(seen is obj for seen in gc.get_objects())


def test_the_loaded_objects_are_frozen_at_start_and_after_the_first_request():
    kept = []

    def app(environ, start_response):
        kept.append([object() for _ in range(100)])  # what a request loads, and the process keeps
        start_response("200 OK", [])
        return [b""]

    loaded_before = [object()]
    gc.unfreeze()
    try:
        wrapped = frozen_after_first_request(app)
        assert not _in_collectors_view(loaded_before)
        wrapped(_environ("/healthz"), lambda status, headers: None)
        wrapped(_environ("/healthz"), lambda status, headers: None)
        first, later = kept
        assert not _in_collectors_view(first)
        assert _in_collectors_view(later)  # later requests' objects stay collectable
    finally:
        gc.unfreeze()
