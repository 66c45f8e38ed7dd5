"""The WSGI entry point takes what a worker loaded out of the garbage collector's view (`hospital.wsgi`)."""

import gc

from hospital.wsgi import frozen_after_first_request


def _environ(path: str) -> dict:
    return {"REQUEST_METHOD": "GET", "PATH_INFO": path}


def test_the_loaded_objects_are_frozen_at_start_and_after_the_first_request():
    calls = []

    def app(environ, start_response):
        calls.append(environ["PATH_INFO"])
        loaded_lazily.append([object() for _ in range(100)])  # what a first request loads, and keeps
        start_response("200 OK", [])
        return [b""]

    loaded_lazily = []
    gc.unfreeze()
    wrapped = frozen_after_first_request(app)
    at_start = gc.get_freeze_count()
    assert at_start > 0
    wrapped(_environ("/healthz"), lambda status, headers: None)
    after_first = gc.get_freeze_count()
    assert after_first > at_start
    wrapped(_environ("/healthz"), lambda status, headers: None)
    assert gc.get_freeze_count() == after_first  # later requests' objects stay collectable
    assert calls == ["/healthz", "/healthz"]
    gc.unfreeze()
