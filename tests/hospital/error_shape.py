"""The one error shape, asserted the same way by every test of the API's errors."""

import json


def assert_error_shape(status: int, content_type: str, content: bytes, *, code: str | None = None) -> dict:
    """A 4xx/5xx body is JSON `{detail: str, code: str, errors: {field: [{code, message}]}}` and nothing else."""
    assert status >= 400, status
    assert content_type.startswith("application/json"), (status, content_type, content[:300])
    body = json.loads(content)
    assert set(body) == {"detail", "code", "errors"}, body
    assert isinstance(body["detail"], str) and body["detail"].strip(), body
    assert isinstance(body["code"], str) and body["code"].strip(), body
    assert isinstance(body["errors"], dict), body
    for field, messages in body["errors"].items():
        assert isinstance(field, str) and messages, body
        for message in messages:
            assert set(message) == {"code", "message"} and all(isinstance(v, str) for v in message.values()), body
    if code is not None:
        assert body["code"] == code, body
    return body


def assert_django_error(response, status: int, code: str | None = None) -> dict:
    """`assert_error_shape` for a Django test-client response, with its expected status."""
    assert response.status_code == status, (response.status_code, response.content[:300])
    return assert_error_shape(response.status_code, response.get("Content-Type", ""), response.content, code=code)
