"""Read-your-writes for read endpoints: honour `X-Read-After: <position>`.

Commands answer `X-Event-Position: N` (the outbox position of their event)
and `X-Read-Token: N@LSN` (the same, plus the primary's WAL position after the
command committed; see `hospital.replicas.token`). A read request sending
`X-Read-After: N` (or the token) is answered only once the read models reflect
every event up to N: the view waits up to `READ_AFTER_TIMEOUT` seconds for
the projection (celery mode; in trigger mode it is immediate), else answers
503 with `Retry-After`. Without the header nothing changes and no query is
added. On a replica, `hospital.replicas.routing` also demands the LSN.

Use `ReadAfterMixin` on a DRF view (before the base view class), or
`wait_for_read_after(request)` from any view.
"""

import math
import re
import time
from dataclasses import dataclass

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


_TOKEN = re.compile(r"(?P<position>\d{1,18})(?:@(?P<lsn>[0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8}))?")


@dataclass(frozen=True)
class ReadToken:
    """What a read must reflect: outbox `position`, and (when given) the primary's WAL position `lsn`."""

    position: int
    lsn: str | None = None


def requested_token(request) -> ReadToken | None:
    """The request's `X-Read-After` (`N` or `N@LSN`), None without one; 400 when malformed."""
    raw = request.headers.get(READ_AFTER_HEADER)
    if raw is None or not raw.strip():
        return None
    match = _TOKEN.fullmatch(raw.strip())
    if match is None:
        raise ValidationError(
            {
                READ_AFTER_HEADER: [
                    f"{READ_AFTER_HEADER} deve ser uma posição do outbox (inteiro >= 0, o X-Event-Position) "
                    f"ou o X-Read-Token de um comando (posição@LSN), não {raw!r}."
                ]
            },
            code="read_after_invalido",
        )
    return ReadToken(int(match["position"]), match["lsn"].upper() if match["lsn"] else None)


def requested_position(request) -> int | None:
    token = requested_token(request)
    return None if token is None else token.position


def wait_for_read_after(request, *, timeout: float | None = None) -> None:
    """Block until the projection reaches the request's `X-Read-After`, or raise `ProjectionBehind`."""
    position = requested_position(request)
    if position is not None:
        wait_for_position(position, timeout=timeout)


def wait_for_position(position: int, *, timeout: float | None = None) -> None:
    """Block until the projection (on the primary) reaches `position`, or raise `ProjectionBehind`."""
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
