#!/usr/bin/env python3
"""Stratus vs moto: startup, memory, throughput and CPU per request.

Two suites: STS (startup, memory, GetCallerIdentity/AssumeRole load, reset)
and DynamoDB (PutItem, GetItem and Query load on Stratus durable, Stratus
--ephemeral and moto; the workload itself is in ddb_workload.py).

Run through bench/run.sh, which picks the Python environment, installs the
pinned moto and the load generator, then calls this file. Everything here only
measures and reports: there are no thresholds and no pass/fail, because a
number that is "good enough" today is a regression hidden tomorrow.

Every server is a child of this process in its own process group, tracked in
LIVE and stopped in a finally block (also on Ctrl-C, SIGTERM and errors).
"""

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import http.client
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import ddb_workload
import loadgen
from loadgen import BODY_ASSUME_ROLE, BODY_GET_CALLER_IDENTITY, HOST

BENCH_DIR = Path(__file__).resolve().parent
WRK_DIR = BENCH_DIR / "wrk"

# Spec targets for Stratus, shown beside the measurements as information only.
TARGETS = [
    ("first_answer_ms", "Time to first answer (ephemeral)", "≤ 10 ms", "ms"),
    ("idle_rss_mib", "Idle RSS 1 s after first answer", "≤ 8 MiB", "MiB"),
    ("rss_after_mixed_mib", "RSS after sustained mixed load", "≤ 40 MiB", "MiB"),
    ("reset_after_load_ms", "Reset (well under 10 ms), right after the load", "< 10 ms", "ms"),
    ("reset_median_ms", "Reset (well under 10 ms), empty server", "< 10 ms", "ms"),
]

# How long a server may take to answer its first request before we give up.
# Generous because moto imports a lot of Python on a cold page cache.
STARTUP_TIMEOUT_S = 60.0
# Pause between refused connects: short enough to resolve well under 1 ms,
# long enough that the poller does not take a whole core from a server that
# is starting up on a 2-core machine.
POLL_PAUSE_S = 0.0001
STOP_GRACE_S = 5.0


def log(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# /proc readers. RSS and CPU are summed over the whole process tree because
# a server may fork helpers; Stratus normally has none, moto may.


def _stat_fields(pid: int) -> list[str] | None:
    """Fields of /proc/PID/stat after the command name (field 3 onwards)."""
    try:
        data = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name may contain spaces and parentheses; it ends at the last ')'.
    return data[data.rindex(")") + 2 :].split()


def process_tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat_fields(int(entry))
            if fields:
                children.setdefault(int(fields[1]), []).append(int(entry))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def _status_kib(pid: int, key: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_mib(root: int, key: str = "VmRSS") -> float:
    return sum(_status_kib(pid, key) for pid in process_tree(root)) / 1024.0


def tree_cpu_s(root: int) -> float:
    """utime+stime of the tree, plus cutime+cstime of children already reaped."""
    ticks = 0
    for pid in process_tree(root):
        fields = _stat_fields(pid)
        if fields:
            # stat fields 14-17 (utime stime cutime cstime) are indexes 11-14 here.
            ticks += sum(int(x) for x in fields[11:15])
    return ticks / os.sysconf("SC_CLK_TCK")


# --------------------------------------------------------------------------
# Servers


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


LIVE: list["Server"] = []


class ServerError(RuntimeError):
    pass


class Server:
    def __init__(self, label: str, argv: list[str], port: int, log_dir: Path):
        self.label = label
        self.argv = argv
        self.port = port
        self.log_path = log_dir / f"{label}-{port}.log"
        self.proc: subprocess.Popen | None = None
        self.spawned_at = 0.0
        self.sigterm_exit_ms: float | None = None
        self.needed_sigkill = False

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def spawn(self) -> None:
        with open(self.log_path, "wb") as log_file:
            # The clock starts before Popen: fork/exec is part of what a user waits for.
            self.spawned_at = time.perf_counter()
            # Own session: Ctrl-C reaches only the harness, which then stops the
            # server in order, and killpg can reach anything the server forked.
            self.proc = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        LIVE.append(self)

    def log_tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def wait_first_200(self, timeout_s: float = STARTUP_TIMEOUT_S) -> float:
        """Polls GetCallerIdentity until a 200; returns ms since spawn."""
        request = loadgen.build_request(self.port, BODY_GET_CALLER_IDENTITY, keep_alive=False)
        deadline = self.spawned_at + timeout_s
        last = "no connection accepted"
        attempts = 0
        while attempts < 10_000_000:  # bound in count as well as in time
            attempts += 1
            if self.proc.poll() is not None:
                raise ServerError(
                    f"{self.label} exited with code {self.proc.returncode} before answering; "
                    f"log tail:\n{self.log_tail()}"
                )
            status = None
            sock = socket.socket()
            try:
                sock.settimeout(max(0.05, deadline - time.perf_counter()))
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                sock.connect((HOST, self.port))
                sock.sendall(request)
                head = b""
                while b"\r\n" not in head:
                    chunk = sock.recv(4096)
                    if not chunk:
                        break
                    head += chunk
                status = head.split(b"\r\n", 1)[0]
            except OSError as error:  # refused/reset/timeout while the server starts
                last = f"{type(error).__name__}: {error}"
            finally:
                sock.close()
            if status is not None:
                parts = status.split()
                if len(parts) >= 2 and parts[1] == b"200":
                    return (time.perf_counter() - self.spawned_at) * 1000.0
                # A server may answer 503 while it warms up; keep polling.
                last = status.decode("latin-1", "replace") or "empty answer"
            if time.perf_counter() > deadline:
                break
            time.sleep(POLL_PAUSE_S)
        raise ServerError(
            f"{self.label} gave no 200 within {timeout_s:.0f} s (last: {last}); "
            f"log tail:\n{self.log_tail()}"
        )

    def ensure_alive(self, phase: str) -> None:
        # A dead server's /proc entry reads as 0 MiB and 0 CPU: fail loudly instead.
        if self.proc.poll() is not None:
            raise ServerError(
                f"{self.label} exited with code {self.proc.returncode} during {phase}; "
                f"log tail:\n{self.log_tail()}"
            )

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            started = time.perf_counter()
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(STOP_GRACE_S)
                self.sigterm_exit_ms = (time.perf_counter() - started) * 1000.0
            except subprocess.TimeoutExpired:
                self.needed_sigkill = True
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait(STOP_GRACE_S)
        if self in LIVE:
            LIVE.remove(self)


def stop_all() -> None:
    for server in list(LIVE):
        try:
            server.stop()
        except Exception as error:  # keep stopping the others
            log(f"could not stop {server.label} (pid {server.proc.pid}): {error}")


# --------------------------------------------------------------------------
# Load generation


def run_wrk(port: int, script: str, connections: int, threads: int, duration_s: int,
            script_args: list[str] | None = None) -> dict:
    cmd = [
        "wrk", f"-t{threads}", f"-c{connections}", f"-d{duration_s}s", "--timeout", "5s",
        "-s", str(WRK_DIR / script), f"http://{HOST}:{port}/",
    ]
    if script_args:
        cmd += ["--", *script_args]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=duration_s + 60)
    match = re.search(r"^WRK_JSON (\{.*\})$", result.stdout, re.MULTILINE)
    if not match:
        raise RuntimeError(
            f"wrk gave no summary (exit {result.returncode}): {result.stderr.strip()[-500:]}"
        )
    raw = json.loads(match.group(1))
    seconds = raw["duration_us"] / 1e6
    result = {
        "requests": raw["requests"],
        "duration_s": seconds,
        "rps": raw["requests"] / seconds if seconds > 0 else 0.0,
        "errors": raw["errors"],
        "latency_ms": {k: v / 1000.0 for k, v in raw["latency_us"].items() if k != "mean"},
    }
    if "built" in raw:  # ddb_put.lua: requests built per thread
        result["built"] = raw["built"]
    return result


class LoadGenerator:
    def __init__(self, kind: str):
        self.kind = kind

    def describe(self) -> str:
        if self.kind == "wrk":
            out = subprocess.run(["wrk", "-v"], capture_output=True, text=True, timeout=10)
            first = (out.stdout or out.stderr).strip().splitlines()
            return first[0].split(" Copyright")[0] if first else "wrk (version unknown)"
        return f"Python asyncio keep-alive client (bench/loadgen.py, Python {platform.python_version()})"

    def run(self, port: int, mixed: bool, connections: int, threads: int, duration_s: int) -> dict:
        if self.kind == "wrk":
            result = run_wrk(port, "mixed.lua" if mixed else "gci.lua", connections, threads, duration_s)
        else:
            bodies = [BODY_GET_CALLER_IDENTITY, BODY_ASSUME_ROLE] if mixed else [BODY_GET_CALLER_IDENTITY]
            result = loadgen.run(port, bodies, connections, threads, duration_s)
        result["errors_total"] = sum(result["errors"].values())
        result["connections"] = connections
        result["threads"] = threads
        return result

    def run_ddb(self, port: int, operation: str, run: str, connections: int, threads: int,
                duration_s: int) -> dict:
        """One DynamoDB load run. `ok_rps` counts only 2xx/3xx answers: an
        error answer is never throughput."""
        if self.kind == "wrk":
            result = run_wrk(port, ddb_workload.WRK_SCRIPTS[operation], connections, threads, duration_s,
                             script_args=ddb_workload.wrk_args(operation, run))
        else:
            result = loadgen.run(port, None, connections, threads, duration_s,
                                 source=ddb_workload.Requests(operation, run))
        result["errors_total"] = sum(result["errors"].values())
        result["ok"] = result["requests"] - result["errors"]["status"]
        result["ok_rps"] = result["ok"] / result["duration_s"] if result["duration_s"] > 0 else 0.0
        result["connections"] = connections
        result["threads"] = threads
        return result


# --------------------------------------------------------------------------
# Measurement plan


def sanity_check(port: int) -> dict:
    """One real SDK call of each kind, so the load numbers are known to be
    answers and not error pages. Not timed."""
    try:
        import boto3
        from botocore.config import Config
    except ImportError:
        return {"skipped": "boto3 not installed"}
    client = boto3.client(
        "sts",
        endpoint_url=f"http://{HOST}:{port}",
        region_name="us-east-1",
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="bench-secret-not-real",
        config=Config(retries={"max_attempts": 1}, connect_timeout=2, read_timeout=10),
    )
    out = {}
    try:
        identity = client.get_caller_identity()
        out["GetCallerIdentity"] = f"ok (Account {identity.get('Account')}, Arn {identity.get('Arn')})"
    except Exception as error:
        out["GetCallerIdentity"] = f"error: {error}"
    try:
        role = client.assume_role(
            RoleArn="arn:aws:iam::123456789012:role/bench", RoleSessionName="s1"
        )
        out["AssumeRole"] = f"ok (AssumedRoleId {role['AssumedRoleUser']['AssumedRoleId']})"
    except Exception as error:
        out["AssumeRole"] = f"error: {error}"
    return out


def measure_starts(label: str, argv_for_port, starts: int, log_dir: Path, keep_last: bool) -> tuple[dict, Server | None]:
    """Cold starts: first-answer time and idle RSS of each; optionally keeps
    the last server running for the load phase."""
    first_ms, idle = [], []
    kept = None
    for i in range(starts):
        port = free_port()
        server = Server(label, argv_for_port(port), port, log_dir)
        server.spawn()
        try:
            ms = server.wait_first_200()
            time.sleep(1.0)
            server.ensure_alive("the idle second")
            rss = tree_mib(server.pid)
        except BaseException:
            server.stop()
            raise
        first_ms.append(ms)
        idle.append(rss)
        log(f"{label}: start {i + 1}/{starts}: first 200 after {ms:.2f} ms, idle RSS {rss:.1f} MiB")
        if keep_last and i == starts - 1:
            kept = server
        else:
            server.stop()
            if server.needed_sigkill:
                log(f"{label}: did not exit within {STOP_GRACE_S:.0f} s of SIGTERM; killed")
    result = {
        "starts": starts,
        "first_answer_ms": statistics.median(first_ms),
        "first_answer_ms_samples": first_ms,
        "idle_rss_mib": statistics.median(idle),
        "idle_rss_mib_samples": idle,
    }
    return result, kept


def measure_load(label: str, server: Server, generator: LoadGenerator, plan: dict) -> dict:
    result: dict = {"sanity": sanity_check(server.port)}
    log(f"{label}: sanity {result['sanity']}")

    d = plan["run_s"]
    result["c1"] = generator.run(server.port, mixed=False, connections=1, threads=1, duration_s=d)
    server.ensure_alive("the 1-connection run")
    log(f"{label}: 1 connection: {result['c1']['rps']:.0f} req/s")

    cpu_before = tree_cpu_s(server.pid)
    result["c16"] = generator.run(server.port, mixed=False, connections=16, threads=2, duration_s=d)
    server.ensure_alive("the 16-connection run")
    cpu_used = tree_cpu_s(server.pid) - cpu_before
    requests = result["c16"]["requests"]
    result["c16"]["server_cpu_s"] = cpu_used
    result["cpu_us_per_request"] = cpu_used / requests * 1e6 if requests else None
    log(f"{label}: 16 connections: {result['c16']['rps']:.0f} req/s, server CPU {cpu_used:.2f} s")

    result["mixed"] = generator.run(
        server.port, mixed=True, connections=16, threads=2, duration_s=plan["mixed_s"]
    )
    server.ensure_alive("the mixed load")
    result["rss_after_mixed_mib"] = tree_mib(server.pid)
    result["peak_rss_mib"] = tree_mib(server.pid, "VmHWM")
    log(f"{label}: mixed: {result['mixed']['rps']:.0f} req/s, RSS after {result['rss_after_mixed_mib']:.1f} MiB")

    # Test suites reset before every test: time it on the state the mixed load
    # left (the worst case), then on an empty server.
    path = "/moto-api/reset" if label.startswith("moto") else "/_stratus/reset"
    times = time_resets(server.port, path, RESET_SAMPLES)
    server.ensure_alive("the resets")
    result["reset_after_load_ms"] = times[0]
    result["reset_median_ms"] = statistics.median(times[1:])
    result["rss_after_reset_mib"] = tree_mib(server.pid)
    log(f"{label}: reset {times[0]:.2f} ms after the load, median {result['reset_median_ms']:.2f} ms empty")
    return result


RESET_SAMPLES = 21


def time_resets(port: int, path: str, n: int) -> list[float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    times = []
    try:
        for _ in range(n):
            t0 = time.perf_counter()
            conn.request("POST", path)
            resp = conn.getresponse()
            resp.read()
            if resp.status != 200:
                raise RuntimeError(f"reset answered HTTP {resp.status}")
            times.append((time.perf_counter() - t0) * 1000)
    finally:
        conn.close()
    return times


def measure_server(label: str, argv_for_port, generator: LoadGenerator, plan: dict, log_dir: Path) -> dict:
    result: dict = {"measured": False}
    server = None
    try:
        starts, server = measure_starts(label, argv_for_port, plan["starts"], log_dir, keep_last=True)
        result.update(starts)
        result.update(measure_load(label, server, generator, plan))
        result["measured"] = True
    except Exception as error:  # report it and go on to the next server
        result["error"] = str(error)
        log(f"{label}: FAILED: {error}")
    finally:
        if server is not None:
            server.stop()
            result["sigterm_exit_ms"] = server.sigterm_exit_ms
            result["needed_sigkill"] = server.needed_sigkill
    return result


def measure_durable(stratus_bin: str, log_dir: Path) -> dict:
    """One start on a fresh --data-dir: the cost of opening the store."""
    data_dir = Path(tempfile.mkdtemp(prefix="stratus-bench-data-"))
    try:
        result, _ = measure_starts(
            "stratus-durable",
            lambda port: [stratus_bin, "serve", "--port", str(port), "--data-dir", str(data_dir)],
            1, log_dir, keep_last=False,
        )
        result["measured"] = True
        return result
    except Exception as error:
        log(f"stratus-durable: FAILED: {error}")
        return {"measured": False, "error": str(error)}
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


# --------------------------------------------------------------------------
# DynamoDB: PutItem, GetItem and Query under load (workload in ddb_workload.py)

DDB_CONNECTIONS = ((1, 1), (16, 2))  # (connections, wrk threads), as for STS


def _dir_mib(path: Path) -> float:
    total = 0
    for entry in path.rglob("*"):
        try:
            if entry.is_file():
                total += entry.stat().st_size
        except OSError:
            pass
    return total / 1024 / 1024


def _fs_type(path: Path) -> str:
    try:
        out = subprocess.run(["df", "--output=fstype", str(path)], capture_output=True, text=True, timeout=10)
        lines = out.stdout.split()
        return lines[-1] if out.returncode == 0 and len(lines) > 1 else "unknown"
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"


def measure_ddb_server(label: str, argv_for_port, generator: LoadGenerator, plan: dict, log_dir: Path,
                       data_dir: Path | None = None) -> dict:
    """One start, then: create the table and pre-load it (boto3), check each
    request type (boto3), then PutItem, GetItem and Query with 1 and 16
    connections, server CPU around each 16-connection run, RSS after."""
    result: dict = {"measured": False}
    port = free_port()
    server = Server(label, argv_for_port(port), port, log_dir)
    server.spawn()
    try:
        result["first_answer_ms"] = server.wait_first_200()
        result["rss_before_load_mib"] = tree_mib(server.pid)
        ddb = ddb_workload.client(port)
        t0 = time.perf_counter()
        result["preload"] = ddb_workload.create_and_load(ddb)
        result["preload"]["seconds"] = time.perf_counter() - t0
        result["sanity"] = ddb_workload.check(ddb)
        server.ensure_alive("the boto3 set-up and checks")
        log(f"{label}: pre-loaded {result['preload']['items']} items in "
            f"{result['preload']['seconds']:.2f} s; checks {result['sanity']}")

        for operation in ddb_workload.OPERATIONS:
            runs: dict = {}
            for connections, threads in DDB_CONNECTIONS:
                run = f"c{connections}"
                cpu_before = tree_cpu_s(server.pid)
                r = generator.run_ddb(port, operation, run, connections, threads, plan["run_s"])
                server.ensure_alive(f"the {operation} {connections}-connection run")
                r["server_cpu_s"] = tree_cpu_s(server.pid) - cpu_before
                r["cpu_us_per_request"] = r["server_cpu_s"] / r["requests"] * 1e6 if r["requests"] else None
                r["rss_after_mib"] = tree_mib(server.pid)
                if operation == "PutItem":
                    # Did the writes land? Count the partitions this run wrote.
                    partitions = [ddb_workload.put_partition(run, t + 1) for t in range(threads)]
                    r["items_stored"] = sum(ddb_workload.count_partition(ddb, pk) for pk in partitions)
                runs[run] = r
                extra = f", {r['items_stored']} items stored" if "items_stored" in r else ""
                log(f"{label}: {operation} {connections} conn: {r['ok_rps']:.0f} ok/s, "
                    f"p99 {r['latency_ms']['p99']:.3f} ms, non-2xx {r['errors']['status']}, "
                    f"socket errors {r['errors_total'] - r['errors']['status']}, "
                    f"CPU {r['server_cpu_s']:.2f} s{extra}")
            result[operation] = runs

        result["rss_after_mib"] = tree_mib(server.pid)
        result["peak_rss_mib"] = tree_mib(server.pid, "VmHWM")
        # What the RSS holds: pre-load + the check item + what the PutItem load stored.
        result["items_held"] = (result["preload"]["items"] + 1
                                + sum(r["items_stored"] for r in result["PutItem"].values()))
        if data_dir is not None:
            result["data_dir_mib"] = _dir_mib(data_dir)
            result["data_dir_fs"] = _fs_type(data_dir)
        result["measured"] = True
    except Exception as error:  # report it and go on to the next server
        result["error"] = str(error)
        log(f"{label}: FAILED: {error}")
    finally:
        server.stop()
        result["sigterm_exit_ms"] = server.sigterm_exit_ms
        result["needed_sigkill"] = server.needed_sigkill
    return result


def measure_ddb_durable(stratus_bin: str, generator: LoadGenerator, plan: dict, log_dir: Path) -> dict:
    data_dir = Path(tempfile.mkdtemp(prefix="stratus-bench-ddb-data-"))
    try:
        return measure_ddb_server(
            "stratus-durable-ddb",
            lambda port: [stratus_bin, "serve", "--port", str(port), "--data-dir", str(data_dir)],
            generator, plan, log_dir, data_dir=data_dir,
        )
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


# --------------------------------------------------------------------------
# Environment description


def machine_info() -> dict:
    cpu_model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gib = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_gib = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    return {
        "nproc": int(nproc) if nproc.isdigit() else os.cpu_count(),
        "cpu_model": cpu_model,
        "mem_total_gib": mem_gib,
        "kernel": platform.release(),
    }


def stratus_version(binary: str) -> str:
    try:
        out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10)
        text = (out.stdout or out.stderr).strip().splitlines()
        return text[0] if out.returncode == 0 and text else "unknown"
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"


def git_commit(path: Path) -> str:
    try:
        out = subprocess.run(
            ["git", "-C", str(path), "describe", "--always", "--dirty"],
            capture_output=True, text=True, timeout=10,
        )
        return out.stdout.strip() if out.returncode == 0 else "no commit"
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"


def package_version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


# --------------------------------------------------------------------------
# Report


def _get(result: dict | None, *path):
    value = result
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def build_rows(s: dict | None, d: dict | None, m: dict | None, plan: dict) -> list[dict]:
    n, r, mx = plan["starts"], plan["run_s"], plan["mixed_s"]
    # (label, unit, decimals, "lower"/"higher"/None, stratus value, moto value)
    spec = [
        (f"Time to first answer, ephemeral (median of {n} starts)", "ms", 2, "lower",
         _get(s, "first_answer_ms"), _get(m, "first_answer_ms")),
        ("Time to first answer, durable fresh --data-dir (1 start)", "ms", 2, None,
         _get(d, "first_answer_ms"), None),
        (f"Idle RSS 1 s after first answer (median of {n})", "MiB", 1, "lower",
         _get(s, "idle_rss_mib"), _get(m, "idle_rss_mib")),
        ("Idle RSS, durable (1 start)", "MiB", 1, None, _get(d, "idle_rss_mib"), None),
        (f"GetCallerIdentity, 1 connection ({r} s)", "req/s", 0, "higher",
         _get(s, "c1", "rps"), _get(m, "c1", "rps")),
        ("  latency p50, 1 connection", "ms", 3, "lower",
         _get(s, "c1", "latency_ms", "p50"), _get(m, "c1", "latency_ms", "p50")),
        ("  latency p99, 1 connection", "ms", 3, "lower",
         _get(s, "c1", "latency_ms", "p99"), _get(m, "c1", "latency_ms", "p99")),
        (f"GetCallerIdentity, 16 connections ({r} s)", "req/s", 0, "higher",
         _get(s, "c16", "rps"), _get(m, "c16", "rps")),
        ("  latency p50, 16 connections", "ms", 3, "lower",
         _get(s, "c16", "latency_ms", "p50"), _get(m, "c16", "latency_ms", "p50")),
        ("  latency p99, 16 connections", "ms", 3, "lower",
         _get(s, "c16", "latency_ms", "p99"), _get(m, "c16", "latency_ms", "p99")),
        ("Server CPU per request, 16 connections", "µs", 1, "lower",
         _get(s, "cpu_us_per_request"), _get(m, "cpu_us_per_request")),
        (f"Mixed GetCallerIdentity+AssumeRole 1:1, 16 connections ({mx} s)", "req/s", 0, "higher",
         _get(s, "mixed", "rps"), _get(m, "mixed", "rps")),
        ("RSS right after the mixed load", "MiB", 1, "lower",
         _get(s, "rss_after_mixed_mib"), _get(m, "rss_after_mixed_mib")),
        ("Peak RSS (VmHWM) over the server's life", "MiB", 1, "lower",
         _get(s, "peak_rss_mib"), _get(m, "peak_rss_mib")),
        ("Reset right after the mixed load (state full of sessions)", "ms", 2, "lower",
         _get(s, "reset_after_load_ms"), _get(m, "reset_after_load_ms")),
        (f"Reset of an empty server (median of {RESET_SAMPLES - 1})", "ms", 3, "lower",
         _get(s, "reset_median_ms"), _get(m, "reset_median_ms")),
        ("RSS after the reset", "MiB", 1, "lower",
         _get(s, "rss_after_reset_mib"), _get(m, "rss_after_reset_mib")),
    ]

    def failed(result):
        if not result or not result.get("measured"):
            return None
        return sum(_get(result, run, "errors_total") or 0 for run in ("c1", "c16", "mixed"))

    rows = []
    for label, unit, decimals, better, sv, mv in spec:
        ratio, formula = None, None
        if better and sv and mv:
            if better == "higher":
                ratio, formula = sv / mv, "Stratus/moto"
            else:
                ratio, formula = mv / sv, "moto/Stratus"
        rows.append({
            "metric": label, "unit": unit, "decimals": decimals, "better": better,
            "stratus": sv, "moto": mv, "ratio": ratio, "ratio_is": formula,
        })
    rows.append({
        "metric": "Failed requests (non-2xx/3xx + socket errors), all load runs", "unit": "count",
        "decimals": 0, "better": None, "stratus": failed(s), "moto": failed(m),
        "ratio": None, "ratio_is": None,
    })
    return rows


def _fmt(value, decimals: int) -> str:
    if value is None:
        return "—"
    return f"{value:,.{decimals}f}"


RATIO_NOTE = ("Ratio: > 1 means Stratus is better. For rates it is Stratus/moto; for times, memory and "
              "CPU (lower is better) it is moto/Stratus.")


def render_markdown(report: dict) -> str:
    mach, ver, plan = report["machine"], report["versions"], report["plan"]
    suites = report["suites"]
    parts = []
    if "sts" in suites:
        parts.append(f"STS {plan['starts']} starts, {plan['run_s']} s per throughput run, "
                     f"{plan['mixed_s']} s mixed load")
    if "dynamodb" in suites:
        parts.append(f"DynamoDB {plan['run_s']} s per load run")
    lines = [
        f"# Stratus benchmark — {report['date']}",
        "",
        f"- Machine: nproc {mach['nproc']}, {mach['cpu_model']}, {mach['mem_total_gib']} GiB RAM, "
        f"Linux {mach['kernel']}; load average at start {mach['loadavg_at_start']}, "
        f"at end {mach.get('loadavg_at_end', '?')}",
        f"- Stratus: {ver['stratus']} (binary {ver['stratus_binary_mib']:.1f} MiB, tree {ver['git']})",
        f"- moto: {ver['moto'] or 'not measured'}; boto3 {ver['boto3'] or 'not installed'}; "
        f"Python {ver['python']}",
        f"- Load generator: {report['generator']}",
        f"- Mode: {'quick (smoke run, numbers are rough)' if plan['quick'] else 'full'} — "
        f"suites {', '.join(suites)}: " + "; ".join(parts),
        "- Client and servers share the same cores; every server is measured in the same run, "
        "one after the other. A load average near or above the core count means other work "
        "competed for the CPU: treat the numbers as noisy.",
        "",
    ]
    if "sts" in suites:
        lines += render_sts(report)
    if "dynamodb" in suites:
        lines += render_ddb(report)
    return "\n".join(lines)


def render_sts(report: dict) -> list[str]:
    plan, servers = report["plan"], report["servers"]
    lines = [
        "## STS",
        "",
        RATIO_NOTE,
        "",
        "| Metric | Unit | Stratus | moto | Ratio | Ratio is |",
        "| --- | --- | ---: | ---: | ---: | --- |",
    ]
    for row in report["rows"]:
        ratio = "—" if row["ratio"] is None else f"{row['ratio']:,.2f}×"
        lines.append(
            f"| {row['metric']} | {row['unit']} | {_fmt(row['stratus'], row['decimals'])} | "
            f"{_fmt(row['moto'], row['decimals'])} | {ratio} | {row['ratio_is'] or '—'} |"
        )

    for name, result in servers.items():
        if any(str(v).startswith("error") for v in (_get(result, "sanity") or {}).values()):
            lines += ["", f"**Note:** {name} failed the boto3 STS check (see Details), so its load "
                      "numbers may count answers that are not valid STS responses."]
    lines += [
        "",
        "### STS spec targets (information only, not a verdict)",
        "",
        "| Target | Spec | Stratus measured |",
        "| --- | --- | ---: |",
    ]
    for key, label, target, unit in TARGETS:
        value = _get(servers.get("stratus"), key)
        shown = "—" if value is None else f"{value:,.2f} {unit}"
        lines.append(f"| {label} | {target} | {shown} |")
    if plan["quick"]:
        lines.append("")
        lines.append(f"(quick mode: the mixed load ran {plan['mixed_s']} s, not the ~10 s the spec means.)")

    lines += ["", "### STS details", ""]
    for name, result in servers.items():
        if result is None:
            lines.append(f"- {name}: not measured ({report['skipped'].get(name, 'skipped')})")
            continue
        if result.get("error"):
            first, *rest = result["error"].splitlines()
            lines.append(f"- {name}: FAILED: {first}")
            if rest:  # the server's log tail, kept verbatim
                lines += ["", "  ```", *(f"  {line}" for line in rest), "  ```", ""]
        samples = result.get("first_answer_ms_samples")
        if samples:
            lines.append(f"- {name}: first answer samples (ms): {', '.join(f'{x:.2f}' for x in samples)}")
        if result.get("sanity"):
            checks = "; ".join(f"{call} {outcome}" for call, outcome in result["sanity"].items())
            lines.append(f"- {name}: boto3 check: {checks}")
        errors = {
            run: result[run]["errors"] for run in ("c1", "c16", "mixed")
            if isinstance(result.get(run), dict) and result[run].get("errors_total")
        }
        if errors:
            lines.append(f"- {name}: failed requests by run: {errors}")
        if result.get("needed_sigkill"):
            lines.append(f"- {name}: did not exit within {STOP_GRACE_S:.0f} s of SIGTERM and was killed")
        elif result.get("sigterm_exit_ms") is not None:
            lines.append(f"- {name}: exited {result['sigterm_exit_ms']:.1f} ms after SIGTERM")
    lines.append("")
    return lines


# DynamoDB report: three measured servers, so two ratio columns.

DDB_SERVERS = ("stratus_durable", "stratus", "moto")  # keys of report["dynamodb"]["servers"]


def _ratio(value, baseline, better: str | None):
    if not better or not value or not baseline:
        return None
    return value / baseline if better == "higher" else baseline / value


def build_ddb_rows(servers: dict, plan: dict) -> list[dict]:
    r = plan["run_s"]
    spec = []  # (label, unit, decimals, better, path)
    for operation in ddb_workload.OPERATIONS:
        what = {"PutItem": "new key each", "GetItem": f"random of {ddb_workload.GET_ITEMS:,} items",
                "Query": f"{ddb_workload.QUERY_LIMIT} items per page"}[operation]
        for connections, _ in DDB_CONNECTIONS:
            run = f"c{connections}"
            conn = "1 connection" if connections == 1 else f"{connections} connections"
            spec += [
                (f"{operation} ({what}), {conn} ({r} s), 2xx answers", "req/s", 0, "higher",
                 (operation, run, "ok_rps")),
                (f"  latency p50, {conn}", "ms", 3, "lower", (operation, run, "latency_ms", "p50")),
                (f"  latency p99, {conn}", "ms", 3, "lower", (operation, run, "latency_ms", "p99")),
            ]
            if connections > 1:
                spec.append((f"  server CPU per request, {conn}", "µs", 1, "lower",
                             (operation, run, "cpu_us_per_request")))
    spec += [
        ("Items in the table after the runs (pre-load + PutItem load)", "count", 0, None, ("items_held",)),
        ("RSS after all DynamoDB runs (holds the items above)", "MiB", 1, "lower", ("rss_after_mib",)),
        ("Peak RSS (VmHWM) over the server's life", "MiB", 1, "lower", ("peak_rss_mib",)),
    ]
    rows = []
    for label, unit, decimals, better, path in spec:
        values = {name: _get(servers.get(name), *path) for name in DDB_SERVERS}
        rows.append({
            "metric": label, "unit": unit, "decimals": decimals, "better": better,
            **values,
            "ratio_durable": _ratio(values["stratus_durable"], values["moto"], better),
            "ratio_ephemeral": _ratio(values["stratus"], values["moto"], better),
            "ratio_is": None if not better else ("Stratus/moto" if better == "higher" else "moto/Stratus"),
        })

    def failed(result, kind):
        if not result or not result.get("measured"):
            return None
        total = 0
        for operation in ddb_workload.OPERATIONS:
            for run in (result.get(operation) or {}).values():
                total += run["errors"]["status"] if kind == "status" else run["errors_total"] - run["errors"]["status"]
        return total

    for kind, label in (("status", "Non-2xx answers (HTTP ≥ 400), all DynamoDB load runs"),
                        ("socket", "Socket errors and timeouts, all DynamoDB load runs")):
        rows.append({
            "metric": label, "unit": "count", "decimals": 0, "better": None,
            **{name: failed(servers.get(name), kind) for name in DDB_SERVERS},
            "ratio_durable": None, "ratio_ephemeral": None, "ratio_is": None,
        })
    return rows


def ddb_targets(servers: dict) -> list[dict]:
    """The spec's DynamoDB targets beside what was measured; no verdict."""
    d, e, m = (servers.get(name) for name in DDB_SERVERS)

    def ratios(result, operation):
        parts = []
        for connections, _ in DDB_CONNECTIONS:
            ratio = _ratio(_get(result, operation, f"c{connections}", "ok_rps"),
                           _get(m, operation, f"c{connections}", "ok_rps"), "higher")
            parts.append(f"{connections} conn {'—' if ratio is None else f'{ratio:,.1f}×'}")
        return ", ".join(parts)

    def p99(result):
        parts = []
        for connections, _ in DDB_CONNECTIONS:
            value = _get(result, "GetItem", f"c{connections}", "latency_ms", "p99")
            parts.append(f"{connections} conn {'—' if value is None else f'{value:.3f} ms'}")
        return ", ".join(parts)

    return [
        {"target": "PutItem throughput vs moto, durable", "spec": "≥ 12×", "measured": ratios(d, "PutItem")},
        {"target": "PutItem throughput vs moto, --ephemeral", "spec": "≥ 50×", "measured": ratios(e, "PutItem")},
        {"target": "GetItem throughput vs moto, durable", "spec": "≥ 80×", "measured": ratios(d, "GetItem")},
        {"target": "GetItem throughput vs moto, --ephemeral", "spec": "≥ 80×", "measured": ratios(e, "GetItem")},
        {"target": "GetItem p99 on loopback, durable", "spec": "< 1 ms", "measured": p99(d)},
        {"target": "GetItem p99 on loopback, --ephemeral", "spec": "< 1 ms", "measured": p99(e)},
    ]


def render_ddb(report: dict) -> list[str]:
    section, plan = report["dynamodb"], report["plan"]
    servers = section["servers"]
    w = ddb_workload
    lines = [
        "## DynamoDB",
        "",
        f"Table `{w.TABLE}` (pk string, sk number, PAY_PER_REQUEST), created and pre-loaded with boto3 "
        f"BatchWriteItem ({w.GET_ITEMS:,} GetItem items + {w.QUERY_ITEMS} items in partition "
        f"`{w.QUERY_PARTITION}`, ~{w.ITEM_BYTES} bytes each) before the load. Stratus durable runs on a "
        "fresh temp `--data-dir`. Throughput counts 2xx answers only.",
        "",
        RATIO_NOTE + " \"Ratio durable\" compares Stratus durable with moto, \"Ratio ephemeral\" "
        "Stratus `--ephemeral` with moto.",
        "",
        "| Metric | Unit | Stratus durable | Stratus ephemeral | moto | Ratio durable | Ratio ephemeral "
        "| Ratio is |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for row in section["rows"]:
        cells = [_fmt(row[name], row["decimals"]) for name in DDB_SERVERS]
        cells += ["—" if row[k] is None else f"{row[k]:,.2f}×" for k in ("ratio_durable", "ratio_ephemeral")]
        lines.append(f"| {row['metric']} | {row['unit']} | {' | '.join(cells)} | {row['ratio_is'] or '—'} |")

    for name in DDB_SERVERS:
        if any(str(v).startswith("error") for v in (_get(servers.get(name), "sanity") or {}).values()):
            lines += ["", f"**Note:** {name} failed a boto3 DynamoDB check (see details), so its load "
                      "numbers may not be valid DynamoDB answers."]
    lines += [
        "",
        "### DynamoDB spec targets (information only, not a verdict)",
        "",
        "| Target | Spec | Stratus measured |",
        "| --- | --- | --- |",
    ]
    for target in section["targets"]:
        lines.append(f"| {target['target']} | {target['spec']} | {target['measured']} |")
    if plan["quick"]:
        lines += ["", f"(quick mode: {plan['run_s']} s runs; rough numbers.)"]

    lines += ["", "### DynamoDB details", ""]
    for name in DDB_SERVERS:
        result = servers.get(name)
        if result is None:
            lines.append(f"- {name}: not measured ({section['skipped'].get(name, 'skipped')})")
            continue
        if result.get("error"):
            first, *rest = result["error"].splitlines()
            lines.append(f"- {name}: FAILED: {first}")
            if rest:
                lines += ["", "  ```", *(f"  {line}" for line in rest), "  ```", ""]
        if result.get("first_answer_ms") is not None:
            lines.append(f"- {name}: first answer {result['first_answer_ms']:.2f} ms, RSS before the pre-load "
                         f"{result['rss_before_load_mib']:.1f} MiB")
        if result.get("preload"):
            p = result["preload"]
            lines.append(f"- {name}: pre-load {p['items']:,} items in {p['batch_write_calls']} BatchWriteItem "
                         f"calls, {p['seconds']:.2f} s (boto3, untimed for the report)")
        if result.get("sanity"):
            checks = "; ".join(f"{call} {outcome}" for call, outcome in result["sanity"].items())
            lines.append(f"- {name}: boto3 check: {checks}")
        for run, r in (result.get("PutItem") or {}).items():
            lines.append(
                f"- {name}: PutItem {run}: {r['ok']:,} 2xx answers, {r.get('items_stored', 0):,} items found in the "
                f"run's partitions afterwards, {sum(r.get('built') or []):,} requests built by the client "
                "(built also counts requests still in flight at the end, and the one wrk builds before "
                "the run to check the script)")
        errors = {
            f"{op} {run}": r["errors"] for op in ddb_workload.OPERATIONS
            for run, r in (result.get(op) or {}).items() if r.get("errors_total")
        }
        if errors:
            lines.append(f"- {name}: failed requests by run: {errors}")
        if result.get("data_dir_mib") is not None:
            lines.append(f"- {name}: data dir ({result['data_dir_fs']}) held {result['data_dir_mib']:.1f} MiB "
                         "after the runs")
        if result.get("needed_sigkill"):
            lines.append(f"- {name}: did not exit within {STOP_GRACE_S:.0f} s of SIGTERM and was killed")
        elif result.get("sigterm_exit_ms") is not None:
            lines.append(f"- {name}: exited {result['sigterm_exit_ms']:.1f} ms after SIGTERM")
    lines.append("")
    return lines


# --------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 s runs, 2 starts (smoke use)")
    parser.add_argument("--stratus-bin", required=True)
    parser.add_argument("--moto-server", default="", help="path to moto_server; empty skips moto")
    parser.add_argument("--generator", choices=["wrk", "python"], default="wrk")
    parser.add_argument("--out-dir", default=str(BENCH_DIR / "results"))
    parser.add_argument("--suite", choices=["sts", "dynamodb", "all"], default="all",
                        help="which services to load (default: all)")
    args = parser.parse_args()
    suites = ["sts", "dynamodb"] if args.suite == "all" else [args.suite]

    plan = {
        "quick": args.quick,
        "starts": 2 if args.quick else 5,
        "run_s": 1 if args.quick else 5,
        "mixed_s": 1 if args.quick else 10,
    }
    generator = LoadGenerator(args.generator)

    # SIGTERM/SIGHUP become exceptions so the finally below stops the servers.
    def _terminate(signum, _frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGHUP, _terminate)
    # Also when started with SIGINT ignored (a background job of a script):
    # Ctrl-C must still reach us, or wrk would end early and look like a result.
    signal.signal(signal.SIGINT, signal.default_int_handler)

    # Other work on the machine skews every number here; record how busy it was.
    load_at_start = Path("/proc/loadavg").read_text().split()[:3]
    log_dir = Path(tempfile.mkdtemp(prefix="stratus-bench-logs-"))
    servers: dict[str, dict | None] = {"stratus": None, "stratus_durable": None, "moto": None}
    skipped: dict[str, str] = {}
    ddb_servers: dict[str, dict | None] = {name: None for name in DDB_SERVERS}
    ddb_skipped: dict[str, str] = {}
    no_moto = "no moto_server given (BENCH_SKIP_MOTO=1, or install failed: see run.sh output)"
    keep_logs = False
    stratus = args.stratus_bin
    moto = args.moto_server
    ephemeral_argv = lambda port: [stratus, "serve", "--port", str(port), "--ephemeral"]  # noqa: E731
    moto_argv = lambda port: [moto, "-H", HOST, "-p", str(port)]  # noqa: E731
    try:
        if "sts" in suites:
            servers["stratus"] = measure_server("stratus", ephemeral_argv, generator, plan, log_dir)
            servers["stratus_durable"] = measure_durable(stratus, log_dir)
            if moto:
                servers["moto"] = measure_server("moto", moto_argv, generator, plan, log_dir)
            else:
                skipped["moto"] = no_moto
        if "dynamodb" in suites:
            ddb_servers["stratus_durable"] = measure_ddb_durable(stratus, generator, plan, log_dir)
            ddb_servers["stratus"] = measure_ddb_server("stratus-ddb", ephemeral_argv, generator, plan, log_dir)
            if moto:
                ddb_servers["moto"] = measure_ddb_server("moto-ddb", moto_argv, generator, plan, log_dir)
            else:
                ddb_skipped["moto"] = no_moto
    except (KeyboardInterrupt, SystemExit):
        log("interrupted: stopping servers, no report written")
        raise
    finally:
        # A second Ctrl-C must not interrupt the cleanup itself.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        stop_all()
        keep_logs = any(r and r.get("error") for r in [*servers.values(), *ddb_servers.values()])
        if keep_logs:
            log(f"server logs kept in {log_dir}")
        else:
            shutil.rmtree(log_dir, ignore_errors=True)
        signal.signal(signal.SIGINT, signal.default_int_handler)

    load_at_end = Path("/proc/loadavg").read_text().split()[:3]
    report = {
        "schema": 2,
        "suites": suites,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": {**machine_info(), "loadavg_at_start": " ".join(load_at_start),
                    "loadavg_at_end": " ".join(load_at_end)},
        "versions": {
            "stratus": stratus_version(args.stratus_bin),
            "stratus_binary_mib": os.path.getsize(args.stratus_bin) / 1024 / 1024,
            "git": git_commit(BENCH_DIR.parent),
            "moto": package_version("moto") if args.moto_server else None,
            "boto3": package_version("boto3"),
            "python": platform.python_version(),
        },
        "generator": generator.describe(),
        "plan": plan,
    }
    if "sts" in suites:
        report["targets"] = {key: target for key, _, target, _ in TARGETS}
        report["servers"] = servers
        report["skipped"] = skipped
        report["rows"] = build_rows(servers["stratus"], servers["stratus_durable"], servers["moto"], plan)
    if "dynamodb" in suites:
        report["dynamodb"] = {
            "workload": {
                "table": ddb_workload.TABLE, "get_items": ddb_workload.GET_ITEMS,
                "query_partition": ddb_workload.QUERY_PARTITION, "query_items": ddb_workload.QUERY_ITEMS,
                "query_limit": ddb_workload.QUERY_LIMIT, "item_bytes": ddb_workload.ITEM_BYTES,
                "connections": [c for c, _ in DDB_CONNECTIONS],
            },
            "servers": ddb_servers,
            "skipped": ddb_skipped,
            "rows": build_ddb_rows(ddb_servers, plan),
            "targets": ddb_targets(ddb_servers),
        }

    markdown = render_markdown(report)
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "latest.md").write_text(markdown)
    (out_dir / "latest.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(markdown)
    log(f"wrote {out_dir / 'latest.md'} and {out_dir / 'latest.json'}")

    # Non-zero only when Stratus itself could not be measured: a slow number is
    # still a result, a missing one is not.
    wanted = []
    if "sts" in suites:
        wanted.append(servers["stratus"])
    if "dynamodb" in suites:
        wanted += [ddb_servers["stratus"], ddb_servers["stratus_durable"]]
    return 0 if all(r and r.get("measured") for r in wanted) else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
