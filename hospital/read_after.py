"""Read-your-writes for read endpoints: honour `X-Read-After: <position>`.

Commands answer `X-Event-Position: N` (the outbox position of their event). A
read request sending `X-Read-After: N` is answered only once the read models
reflect every event up to N: the view waits up to `READ_AFTER_TIMEOUT`
seconds for the projection (celery mode; in trigger mode it is immediate),
else answers 503 with `Retry-After`. Without the header nothing changes and
no query is added.

Use `ReadAfterMixin` on a DRF view (before the base view class), or
`wait_for_read_after(request)` from any view.
"""

import math
import time

from django.conf import settings
from rest_framework import status
from rest_framework.exceptions import APIException, ValidationError

from outbox.positions import is_projected

READ_AFTER_HEADER = "X-Read-After"


class ProjectionBehind(APIException):
    """The read models have not reached the requested position yet; DRF turns `wait` into Retry-After."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "projecao_atrasada"
    default_detail = "Os modelos de leitura ainda não refletem essa posição; tente de novo em instantes."

    def __init__(self, position: int, wait: float):
        super().__init__(
            f"Os modelos de leitura ainda não refletem a posição {position} do outbox; "
            f"tente de novo em {math.ceil(wait)}s."
        )
        self.wait = max(1, math.ceil(wait))


def requested_position(request) -> int | None:
    raw = request.headers.get(READ_AFTER_HEADER)
    if raw is None:  # present but empty is refused below: a client's position variable left unset
        return None
    try:
        position = int(raw.strip())
    except ValueError:
        position = -1
    if position < 0:
        raise ValidationError(
            {READ_AFTER_HEADER: [f"{READ_AFTER_HEADER} deve ser uma posição do outbox (inteiro >= 0), não {raw!r}."]},
            code="read_after_invalido",
        )
    return position


def wait_for_read_after(request, *, timeout: float | None = None) -> None:
    """Block until the projection reaches the request's `X-Read-After`, or raise `ProjectionBehind`."""
    position = requested_position(request)
    if position is None:
        return
    timeout = settings.READ_AFTER_TIMEOUT if timeout is None else timeout
    deadline = time.monotonic() + timeout
    delay = 0.01
    while not is_projected(position):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise ProjectionBehind(position, wait=max(1.0, timeout))
        time.sleep(min(delay, remaining))
        delay = min(delay * 2, 0.2)


class ReadAfterMixin:
    """DRF view mixin: after authentication and permissions, wait for `X-Read-After` (see module doc)."""

    read_after_timeout: float | None = None

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        wait_for_read_after(request, timeout=self.read_after_timeout)
