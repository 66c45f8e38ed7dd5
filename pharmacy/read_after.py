"""Read-your-writes for read endpoints: honour `X-Read-After: <position>`.

Commands answer `X-Event-Position: N` (the outbox position of their event)
and `X-Read-Token: N@LSN` (the same, plus the primary's WAL position after the
command committed; see `hospital.replicas.token`). A read request sending
`X-Read-After: N` (or the token) is answered only once the read models reflect
every event up to N: the view waits up to `READ_AFTER_TIMEOUT` seconds for
the projection (celery mode; in trigger mode it is immediate), else answers
503 with `Retry-After`. Without the header nothing changes and no query is
added. On a replica, `pharmacy.replica_routing` also demands the LSN.

A wait holds a web thread, so waits are bounded in number as well as in time:

- a position beyond the highest the outbox has ever assigned can never be
  reached by waiting: 400 at once (`read_after_futuro`);
- at most `READ_AFTER_MAX_WAITERS` requests of one process wait at a time;
  one more answers 503 with `Retry-After` at once (`leituras_em_espera_esgotadas`),
  leaving the other threads to the reads that need no wait.

Use `ReadAfterMixin` on a DRF view (before the base view class), or
`wait_for_read_after(request)` from any view.
"""

import math
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from rest_framework import status
from rest_framework.exceptions import APIException, ValidationError

from outbox.positions import highest_assigned_position, is_projected

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


class TooManyWaiters(APIException):
    """Every wait slot of this process is taken: come back shortly rather than hold a web thread."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "leituras_em_espera_esgotadas"
    default_detail = (
        "Muitas leituras já aguardam a projeção neste servidor; tente de novo em 1s (ou leia sem X-Read-After)."
    )
    wait = 1


class _WaitSlots:
    """A per-process count of requests waiting for the projection, capped by `READ_AFTER_MAX_WAITERS`."""

    def __init__(self):
        self._lock = threading.Lock()
        self.taken = 0

    @contextmanager
    def slot(self) -> Iterator[None]:
        with self._lock:
            if self.taken >= settings.READ_AFTER_MAX_WAITERS:
                raise TooManyWaiters()
            self.taken += 1
        try:
            yield
        finally:
            with self._lock:
                self.taken -= 1


wait_slots = _WaitSlots()


_TOKEN = re.compile(r"(?P<position>\d{1,18})(?:@(?P<lsn>[0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8}))?")


@dataclass(frozen=True)
class ReadToken:
    """What a read must reflect: outbox `position`, and (when given) the primary's WAL position `lsn`."""

    position: int
    lsn: str | None = None


def requested_token(request) -> ReadToken | None:
    """The request's `X-Read-After` (`N` or `N@LSN`), None without one; 400 when malformed."""
    raw = request.headers.get(READ_AFTER_HEADER)
    if raw is None:  # present but empty is refused below: a client's position variable left unset
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


def _refuse_unassigned(position: int) -> None:
    highest = highest_assigned_position()
    if position > highest:
        raise ValidationError(
            {
                READ_AFTER_HEADER: [
                    f"A posição {position} ainda não existe: a última atribuída pelo outbox é {highest}. "
                    f"Use a posição devolvida em X-Event-Position."
                ]
            },
            code="read_after_futuro",
        )


def wait_for_read_after(request, *, timeout: float | None = None) -> None:
    """Block until the projection reaches the request's `X-Read-After`, or raise (see module doc)."""
    position = requested_position(request)
    if position is not None:
        wait_for_position(position, timeout=timeout)


def wait_for_position(position: int, *, timeout: float | None = None) -> None:
    """Block until the projection (on the primary) reaches `position`, or raise (see module doc)."""
    if is_projected(position):
        return
    _refuse_unassigned(position)
    timeout = settings.READ_AFTER_TIMEOUT if timeout is None else timeout
    with wait_slots.slot():
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
