"""An open-loop HTTP/1.1 client: requests leave on a fixed schedule whatever the server's pace.

Latency is measured from each request's scheduled time, not from when a
connection became free, so a server that falls behind is charged for the
queue it builds (no coordinated omission). Connections are kept alive and
reused (one the server closed while it was idle is dropped, as HTTP clients
do, not counted as a failed request); when all `max_connections` are busy a
request waits for one, its clock already running.
"""

from __future__ import annotations

import asyncio
import time


class _Conn:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.reader, self.writer = reader, writer

    async def exchange(self, request: bytes) -> tuple[int, bool]:
        """Send one request, read the whole response; (status, keep the connection)."""
        self.writer.write(request)
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("connection closed by the server")
        status = int(status_line.split(b" ", 2)[1])
        length, chunked, keep = 0, False, True
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
            elif name == b"connection" and b"close" in value.lower():
                keep = False
        if chunked:
            while True:
                size = int((await self.reader.readline()).split(b";")[0], 16)
                await self.reader.readexactly(size + 2)
                if size == 0:
                    break
        elif length:
            await self.reader.readexactly(length)
        return status, keep

    def close(self) -> None:
        self.writer.close()


def build_request(method: str, path: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if body or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _run(port: int, requests: list[bytes], rate: float, count: int, start_at: float, max_connections: int):
    idle: list[_Conn] = []
    slots = asyncio.Semaphore(max_connections)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors: list[str] = []

    async def one(k: int, due: float) -> None:
        async with slots:
            while idle and idle[-1].reader.at_eof():  # closed by the server while idle (its keep-alive timeout)
                idle.pop().close()
            conn = idle.pop() if idle else _Conn(*await asyncio.open_connection("127.0.0.1", port))
            try:
                status, keep = await conn.exchange(requests[k % len(requests)])
            except (OSError, ValueError, asyncio.IncompleteReadError) as exc:
                conn.close()
                errors.append(f"{type(exc).__name__}: {exc}")
                return
            latencies.append(time.monotonic() - due)
            statuses[status] = statuses.get(status, 0) + 1
            if keep:
                idle.append(conn)
            else:
                conn.close()

    delay = start_at - time.monotonic()
    if delay > 0:
        await asyncio.sleep(delay)
    begin = time.monotonic()
    tasks = []
    for k in range(count):
        due = begin + k / rate
        wait = due - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        tasks.append(asyncio.create_task(one(k, due)))
    await asyncio.gather(*tasks)
    seconds = time.monotonic() - begin
    for conn in idle:
        conn.close()
    return {"latencies": latencies, "statuses": statuses, "errors": errors[:5], "failed": len(errors),
            "seconds": seconds, "offered": count}  # fmt: skip


def run(port: int, requests: list[bytes], rate: float, seconds: float, start_at: float, max_connections: int = 32):
    """Offer `rate` requests/s for `seconds` (cycling through `requests`); latencies from the schedule."""
    count = max(1, int(rate * seconds))
    return asyncio.run(_run(port, requests, rate, count, start_at, max_connections))
