#!/usr/bin/env python3
"""S3 throughput and memory: Stratus (durable and in memory) vs moto.

PutObject and GetObject of 1 KiB objects (requests/s with 1 and 16
connections, server CPU per request), GetObject of 64 MiB and 1 GiB objects
(MiB/s over one connection), and the server's memory while a 1 GiB object is
uploaded. Reports numbers only. Run through bench/s3.sh.
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import bench
from bench import HOST, Server, free_port, log, run_wrk, stop_all, tree_cpu_s, tree_mib

def signed_headers() -> dict:
    """A dummy signature dated now: S3 refuses requests dated 15 minutes off."""
    now = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    return {
        "Authorization": f"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/{now[:8]}/us-east-1/s3/aws4_request, "
                         "SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=0",
        "x-amz-content-sha256": "UNSIGNED-PAYLOAD",
        "x-amz-date": now,
    }
CHUNK = 1 << 20
BUCKET = "bench"


def request(port: int, method: str, path: str, body=None, length: int | None = None) -> int:
    """One request; a body that is a callable yields chunks (streamed). Returns bytes read."""
    conn = http.client.HTTPConnection(HOST, port, timeout=600)
    try:
        headers = signed_headers()
        if length is not None:
            headers["Content-Length"] = str(length)
        if callable(body):
            conn.putrequest(method, path)
            for k, v in headers.items():
                conn.putheader(k, v)
            conn.endheaders()
            for chunk in body():
                conn.send(chunk)
        else:
            conn.request(method, path, body, headers)
        resp = conn.getresponse()
        n = 0
        while True:
            data = resp.read(CHUNK)
            if not data:
                break
            n += len(data)
        if resp.status not in (200, 204):
            raise RuntimeError(f"{method} {path}: HTTP {resp.status}")
        return n
    finally:
        conn.close()


def zeros(total: int):
    def gen():
        block = b"\0" * CHUNK
        left = total
        while left > 0:
            yield block[: min(CHUNK, left)]
            left -= CHUNK
    return gen


def get_rate(port: int, key: str, size: int, duration_s: int) -> float:
    """MiB/s of GETs of one object, one after another on one keep-alive
    connection, read by curl (a Python reader would cap the rate well below
    what a server can send). Each curl process fetches a batch of GETs, so
    starting curl is not counted as if it were the server's time."""
    batch = max(1, min(8, (256 << 20) // size))
    url = f"http://{HOST}:{port}/{BUCKET}/{key}"
    start, done, n = time.perf_counter(), 0, 0
    while n < 2 * batch or time.perf_counter() - start < duration_s:
        cmd = ["curl", "-s", "-w", "%{http_code} %{size_download}\\n"]
        for k, v in signed_headers().items():
            cmd += ["-H", f"{k}: {v}"]
        for _ in range(batch):
            cmd += ["-o", "/dev/null", url]
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        lines = res.stdout.split("\n")[:batch]
        for line in lines:
            status, got = line.split()
            if status != "200" or int(got) != size:
                raise RuntimeError(f"GET {key}: HTTP {status}, {got} bytes, expected {size}")
            done += int(got)
            n += 1
    return done / (1 << 20) / (time.perf_counter() - start)


def upload_memory(srv: Server, port: int, size: int) -> dict:
    """Peak and final RSS growth of the server's process tree while `size` bytes are PUT."""
    base = tree_mib(srv.pid)
    peak = [base]
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            peak[0] = max(peak[0], tree_mib(srv.pid))
            time.sleep(0.05)

    t = threading.Thread(target=sample)
    t.start()
    began = time.perf_counter()
    try:
        request(port, "PUT", f"/{BUCKET}/upload", zeros(size), length=size)
    finally:
        stop.set()
        t.join()
    return {"base_mib": base, "peak_growth_mib": peak[0] - base,
            "upload_mib_s": size / (1 << 20) / (time.perf_counter() - began)}


def measure(label: str, argv_for_port, duration_s: int, log_dir: Path, big: int) -> dict:
    port = free_port()
    srv = Server(label, argv_for_port(port), port, log_dir)
    srv.spawn()
    out = {}
    try:
        srv.wait_first_200()
        request(port, "PUT", f"/{BUCKET}")
        request(port, "PUT", f"/{BUCKET}/small", b"x" * 1024)
        os.environ["S3_BUCKET"], os.environ["S3_KEY"] = BUCKET, "small"
        out["put_c1"] = run_wrk(port, "s3_put.lua", 1, 1, duration_s)
        before = tree_cpu_s(srv.pid)
        out["put_c16"] = run_wrk(port, "s3_put.lua", 16, 2, duration_s)
        out["put_cpu_us"] = (tree_cpu_s(srv.pid) - before) / max(out["put_c16"]["requests"], 1) * 1e6
        out["get_c1"] = run_wrk(port, "s3_get.lua", 1, 1, duration_s)
        before = tree_cpu_s(srv.pid)
        out["get_c16"] = run_wrk(port, "s3_get.lua", 16, 2, duration_s)
        out["get_cpu_us"] = (tree_cpu_s(srv.pid) - before) / max(out["get_c16"]["requests"], 1) * 1e6
        srv.ensure_alive("1 KiB load")
        out["upload"] = upload_memory(srv, port, big)
        srv.ensure_alive("large upload")
        out["get_big_mib_s"] = get_rate(port, "upload", big, duration_s)
        request(port, "PUT", f"/{BUCKET}/mid", zeros(64 << 20), length=64 << 20)
        out["get_64_mib_s"] = get_rate(port, "mid", 64 << 20, duration_s)
        srv.ensure_alive("large GETs")
        return out
    finally:
        srv.stop()


def fmt(v, d=0):
    return "n/a" if v is None else f"{v:,.{d}f}"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--stratus-bin", required=True)
    p.add_argument("--moto-server", default="")
    p.add_argument("--duration", type=int, default=5)
    p.add_argument("--big-mib", type=int, default=1024)
    p.add_argument("--out", default=str(bench.BENCH_DIR / "results" / "s3-latest.md"))
    args = p.parse_args()
    big = args.big_mib << 20
    load_at_start = os.getloadavg()[0]
    log_dir = Path(tempfile.mkdtemp(prefix="stratus-s3-bench-"))
    data_dir = Path(tempfile.mkdtemp(prefix="stratus-s3-bench-data-"))
    results, failures = {}, {}
    runs = [
        ("stratus (durable)", lambda port: [args.stratus_bin, "serve", "--port", str(port), "--data-dir", str(data_dir)]),
        ("stratus (--ephemeral)", lambda port: [args.stratus_bin, "serve", "--port", str(port), "--ephemeral"]),
    ]
    if args.moto_server:
        runs.append(("moto", lambda port: [args.moto_server, "-H", HOST, "-p", str(port)]))
    try:
        for label, argv in runs:
            log(f"measuring {label}")
            try:
                results[label] = measure(label.split()[0], argv, args.duration, log_dir, big)
            except Exception as error:  # report what could be measured
                failures[label] = str(error)
    finally:
        stop_all()
        shutil.rmtree(data_dir, ignore_errors=True)
    moto = results.get("moto")
    gib = f"{args.big_mib} MiB"
    rows = [
        ("PutObject 1 KiB req/s, 1 connection", lambda r: r["put_c1"]["rps"], True),
        ("PutObject 1 KiB req/s, 16 connections", lambda r: r["put_c16"]["rps"], True),
        ("Server CPU per PutObject (µs)", lambda r: r["put_cpu_us"], False),
        ("GetObject 1 KiB req/s, 1 connection", lambda r: r["get_c1"]["rps"], True),
        ("GetObject 1 KiB req/s, 16 connections", lambda r: r["get_c16"]["rps"], True),
        ("Server CPU per GetObject (µs)", lambda r: r["get_cpu_us"], False),
        ("GetObject 64 MiB MiB/s, 1 connection", lambda r: r["get_64_mib_s"], True),
        (f"GetObject {gib} MiB/s, 1 connection", lambda r: r["get_big_mib_s"], True),
        (f"PutObject {gib} MiB/s, 1 connection", lambda r: r["upload"]["upload_mib_s"], True),
        (f"RSS growth during a {gib} upload (MiB, peak)", lambda r: r["upload"]["peak_growth_mib"], False),
    ]
    labels = list(results)
    lines = [f"# S3 benchmark ({args.duration} s runs, wrk)", "",
             f"{os.cpu_count()} cores, load average {load_at_start:.2f} at start: the load generator "
             "shares the cores, and other work on the machine skews every row.", "",
             "| Metric | " + " | ".join(labels) + (" | durable / moto | ephemeral / moto |" if moto else " |"),
             "|---|" + "---:|" * (len(labels) + (2 if moto else 0))]
    for name, get, higher_better in rows:
        vals = [get(results[label]) for label in labels]
        line = f"| {name} | " + " | ".join(fmt(v, 1 if isinstance(v, float) and v < 100 else 0) for v in vals) + " |"
        if moto:
            m = get(moto)
            for label in ("stratus (durable)", "stratus (--ephemeral)"):
                s = get(results[label]) if label in results else None
                ratio = None
                if s is not None and m is not None and s > 0 and m > 0:
                    ratio = s / m if higher_better else m / s
                line += f" {fmt(ratio, 1)}x |" if ratio is not None else " n/a |"
        lines.append(line)
    lines.append("")
    lines.append("Ratios: > 1 means Stratus is better (rates: Stratus/moto; CPU and memory: moto/Stratus).")
    for label, why in failures.items():
        lines.append(f"- {label} not measured: {why}")
    report = "\n".join(lines) + "\n"
    print(report)
    Path(args.out).write_text(report)
    return 0 if any(k.startswith("stratus") for k in results) else 1


if __name__ == "__main__":
    sys.exit(main())
