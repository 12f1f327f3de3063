"""STS request constants and the fallback load generator.

The DynamoDB requests are in ddb_workload.py; they reach run() as a request
source (an object with prepare(port, worker) -> next_request(connection)).

The fallback exists only for machines where wrk cannot be installed. It is a
keep-alive HTTP/1.1 client on asyncio, one process per "thread" like wrk's -t,
so the two generators are driven with the same (connections, threads,
duration) triple. It is much slower per request than wrk, so on a 2-core
machine it can become the bottleneck: the report names the generator used so
numbers from different generators are never compared by accident.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor

HOST = "127.0.0.1"

# Stratus reads only the credential scope (service "sts") unless started with
# --verify-signatures; moto routes on the same scope. A fixed dummy signature
# keeps the client from spending CPU on SigV4.
AUTHORIZATION = (
    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250101/us-east-1/sts/aws4_request, "
    "SignedHeaders=host, Signature=0"
)
BODY_GET_CALLER_IDENTITY = b"Action=GetCallerIdentity&Version=2011-06-15"
BODY_ASSUME_ROLE = (
    b"Action=AssumeRole&Version=2011-06-15"
    b"&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fbench&RoleSessionName=s1"
)

# Hard ceiling per worker process, so the loop is bounded in count as well as
# in time even against a server that answers implausibly fast.
MAX_REQUESTS_PER_WORKER = 5_000_000
# Grace after the deadline for in-flight requests before they count as timeouts.
DRAIN_S = 5.0


STS_HEADERS = {"Content-Type": "application/x-www-form-urlencoded", "Authorization": AUTHORIZATION}


def build_request(port: int, body: bytes, keep_alive: bool = True, headers: dict | None = None) -> bytes:
    """POST / with the STS headers, or with `headers` when given."""
    lines = ["POST / HTTP/1.1", f"Host: {HOST}:{port}"]
    lines += [f"{name}: {value}" for name, value in (headers or STS_HEADERS).items()]
    lines.append(f"Content-Length: {len(body)}")
    if not keep_alive:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii") + body


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Reads one response; returns (status, server_wants_close)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length: int | None = None
    chunked = close = False
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name, value = name.strip().lower(), value.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "transfer-encoding" and "chunked" in value:
            chunked = True
        elif name == "connection" and value == "close":
            close = True
    if chunked:
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)  # chunk data + CRLF (no trailers expected)
            if size == 0:
                break
    elif length is not None:
        await reader.readexactly(length)
    else:
        # No framing: the body runs to EOF, so this connection is spent.
        await reader.read()
        close = True
    return status, close


class Cycle:
    """Request source: the given STS bodies in turn, on every connection."""

    def __init__(self, bodies: list[bytes]):
        self.bodies = bodies

    def prepare(self, port: int, worker: int):
        requests = [build_request(port, body) for body in self.bodies]
        counters: dict[int, int] = {}

        def next_request(connection: int) -> bytes:
            i = counters.get(connection, 0)
            counters[connection] = i + 1
            return requests[i % len(requests)]

        return next_request


async def _connection(port: int, next_request, connection: int, deadline: float, stats: dict) -> None:
    errors = stats["errors"]
    writer = None
    try:
        while time.perf_counter() < deadline and stats["requests"] < MAX_REQUESTS_PER_WORKER:
            if writer is None:
                try:
                    reader, writer = await asyncio.open_connection(HOST, port)
                except OSError:
                    errors["connect"] += 1
                    await asyncio.sleep(0.01)  # don't spin on a refusing port
                    continue
            request = next_request(connection)
            started = time.perf_counter()
            try:
                writer.write(request)
                status, close = await _read_response(reader)
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError, IndexError):
                errors["read"] += 1
                writer.close()
                writer = None
                continue
            stats["latencies"].append(time.perf_counter() - started)
            stats["requests"] += 1
            if not 200 <= status < 400:
                errors["status"] += 1
            if close:
                writer.close()
                writer = None
    finally:
        if writer is not None:
            writer.close()


async def _worker_main(port: int, source, worker: int, connections: int, duration_s: float) -> dict:
    next_request = source.prepare(port, worker)
    stats = {
        "requests": 0,
        "latencies": [],
        "errors": {"connect": 0, "read": 0, "write": 0, "status": 0, "timeout": 0},
    }
    started = time.perf_counter()
    deadline = started + duration_s
    tasks = [
        asyncio.create_task(_connection(port, next_request, c, deadline, stats)) for c in range(connections)
    ]
    _, pending = await asyncio.wait(tasks, timeout=duration_s + DRAIN_S)
    for task in pending:  # a server that stopped answering
        task.cancel()
        stats["errors"]["timeout"] += 1
    stats["elapsed_s"] = time.perf_counter() - started
    built = getattr(next_request, "built", None)  # PutItem: keys generated
    stats["built"] = built[0] if built else None
    return stats


def _worker(port: int, source, worker: int, connections: int, duration_s: float) -> dict:
    return asyncio.run(_worker_main(port, source, worker, connections, duration_s))


def _percentile(sorted_values: list[float], pct: float) -> float | None:
    if not sorted_values:
        return None
    index = min(len(sorted_values) - 1, max(0, round(pct / 100 * (len(sorted_values) - 1))))
    return sorted_values[index]


def run(port: int, bodies: list[bytes] | None, connections: int, threads: int, duration_s: float,
        source=None) -> dict:
    """Same result shape as bench.run_wrk(). Sends `bodies` (STS) in turn, or
    what `source` builds."""
    source = source or Cycle(bodies)
    threads = max(1, min(threads, connections))
    split = [connections // threads + (1 if i < connections % threads else 0) for i in range(threads)]
    # fork: workers inherit the module without re-importing it by path.
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=threads, mp_context=context) as pool:
        futures = [pool.submit(_worker, port, source, w + 1, n, duration_s) for w, n in enumerate(split)]
        parts = [f.result(timeout=duration_s + DRAIN_S + 30) for f in futures]

    latencies = sorted(x for part in parts for x in part["latencies"])
    errors = {key: sum(part["errors"][key] for part in parts) for key in parts[0]["errors"]}
    requests = sum(part["requests"] for part in parts)
    elapsed = max(part["elapsed_s"] for part in parts)

    def ms(value: float | None) -> float | None:
        return None if value is None else value * 1000.0

    result = {
        "requests": requests,
        "duration_s": elapsed,
        "rps": requests / elapsed if elapsed > 0 else 0.0,
        "errors": errors,
        "latency_ms": {
            "p50": ms(_percentile(latencies, 50)),
            "p90": ms(_percentile(latencies, 90)),
            "p99": ms(_percentile(latencies, 99)),
            "max": ms(latencies[-1] if latencies else None),
        },
    }
    if any(part["built"] is not None for part in parts):
        result["built"] = [part["built"] or 0 for part in parts]
    return result
