"""HTTP load for the replica bench: keep-alive clients in worker processes, and the demo API's calls."""

from __future__ import annotations

import http.client
import json
import multiprocessing
import random
import time

READ_PATH = "/api/pharmacy/prescricoes/{id}/"


class Client:
    """One keep-alive connection to the site, authenticated with an API token."""

    def __init__(self, port: int, token: str, host: str = "127.0.0.1"):
        self.conn = http.client.HTTPConnection(host, port, timeout=60)
        self.auth = {"Authorization": f"Token {token}"}

    def call(self, method: str, path: str, body=None, headers=None) -> tuple[int, dict, bytes]:
        sent = {**self.auth, **(headers or {})}
        payload = None if body is None else json.dumps(body)
        if payload is not None:
            sent["Content-Type"] = "application/json"
        try:
            self.conn.request(method, path, body=payload, headers=sent)
            response = self.conn.getresponse()
        except (http.client.HTTPException, ConnectionError):  # the server closed a kept connection: once more
            self.conn.close()
            self.conn.request(method, path, body=payload, headers=sent)
            response = self.conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()

    def create(self, horario: str) -> tuple[int, str]:
        """A prescription of the demo's doctor 1 for patient 1; (its id, its X-Read-Token)."""
        body = {"id_medico": 1, "id_paciente": 1,
                "medicamentos": [{"id_medicamento": 1, "horario": horario, "dosagem": "1 comprimido"}]}  # fmt: skip
        status, headers, data = self.call("POST", "/api/commands/prescricoes/", body)
        if status != 201:
            raise RuntimeError(f"create answered {status}: {data[:300]!r}")
        return json.loads(data)["id_prescricao"], headers["x-read-token"]


def login(port: int, username: str, password: str, host: str = "127.0.0.1") -> str:
    conn = http.client.HTTPConnection(host, port, timeout=30)
    body = json.dumps({"username": username, "password": password})
    conn.request("POST", "/api/auth/token/", body=body, headers={"Content-Type": "application/json"})
    response = conn.getresponse()
    data = response.read()
    if response.status != 200:
        raise RuntimeError(f"login of {username} answered {response.status}: {data[:200]!r}")
    return json.loads(data)["token"]


def _read_loop(args) -> tuple[int, int, list[float]]:
    port, token, ids, seconds, start_at, seed = args
    client, rng = Client(port, token), random.Random(seed)
    while time.time() < start_at:
        time.sleep(0.001)
    done = errors = 0
    latencies = []
    deadline = time.perf_counter() + seconds
    while (t0 := time.perf_counter()) < deadline:
        status, _, _ = client.call("GET", READ_PATH.format(id=rng.choice(ids)))
        latencies.append(time.perf_counter() - t0)
        done += 1
        errors += status != 200
    return done, errors, latencies


def read_throughput(port: int, token: str, ids: list[int], *, clients: int, seconds: float) -> dict:
    """`clients` processes reading random documents for `seconds`: requests/s, errors, latency percentiles."""
    start_at = time.time() + 1.0
    with multiprocessing.get_context("spawn").Pool(clients) as pool:
        results = pool.map(_read_loop, [(port, token, ids, seconds, start_at, k) for k in range(clients)])
    latencies = sorted(x for _, _, lat in results for x in lat)
    total = sum(done for done, _, _ in results)
    return {
        "requests_per_s": round(total / seconds, 1),
        "errors": sum(errors for _, errors, _ in results),
        "p50_ms": round(latencies[len(latencies) // 2] * 1000, 2),
        "p99_ms": round(latencies[int(len(latencies) * 0.99)] * 1000, 2),
    }


def _write_loop(args) -> int:
    port, token, rate, seconds, start_at, index = args
    client = Client(port, token)
    while time.time() < start_at:
        time.sleep(0.001)
    t0, sent = time.perf_counter(), 0
    while (due := t0 + sent / rate) < t0 + seconds:
        if (pause := due - time.perf_counter()) > 0:
            time.sleep(pause)
        client.create(f"{(index * 7 + sent) % 24:02d}:{sent % 60:02d}")
        sent += 1
    return sent


def write_load(port: int, token: str, *, rate: float, clients: int, seconds: float, start_at: float):
    """Open-loop commands at `rate`/s in total from `clients` processes (an AsyncResult of their counts)."""
    pool = multiprocessing.get_context("spawn").Pool(clients)
    result = pool.map_async(_write_loop, [(port, token, rate / clients, seconds, start_at, k) for k in range(clients)])
    pool.close()
    return pool, result
