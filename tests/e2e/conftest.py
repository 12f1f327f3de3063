"""Fixtures for the Stratus end-to-end suite.

Every server a test starts is a child process of this pytest process, listens
on a free 127.0.0.1 port chosen by the OS, keeps its state in a temporary data
directory, and is stopped when the test (or session) ends, also on failure.
"""

from __future__ import annotations

import atexit
import datetime as _dt
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest
import requests
from botocore.config import Config

from helpers import HTTP_TIMEOUT, REGION, creds_tuple, free_port, parse_iso

REPO = Path(__file__).resolve().parents[2]

# ---------------------------------------------------------------------------
# Keep the tests hermetic: no user AWS config, profiles or proxies may leak in.
# ---------------------------------------------------------------------------
for _var in list(os.environ):
    if _var.startswith("AWS_") and _var not in ("AWS_CA_BUNDLE",):
        del os.environ[_var]
os.environ["AWS_CONFIG_FILE"] = os.devnull
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
for _var in ("NO_PROXY", "no_proxy"):
    _cur = os.environ.get(_var, "")
    os.environ[_var] = ",".join(x for x in (_cur, "127.0.0.1", "localhost") if x)


def _find_binary() -> Path:
    env = os.environ.get("STRATUS_BIN")
    if env:
        path = Path(env)
        if not path.is_absolute():
            path = REPO / path
        return path
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    if not target.is_absolute():
        target = REPO / target
    return target / "release" / "stratus"


STRATUS_BIN = _find_binary()


def _find_aws() -> Path:
    for cand in (Path(sys.executable).parent / "aws", REPO / ".venv" / "bin" / "aws"):
        if cand.exists():
            return cand
    return REPO / ".venv" / "bin" / "aws"


AWS_BIN = _find_aws()

_BOTO = boto3.session.Session()
_LIVE: set[subprocess.Popen] = set()
STARTUP_TIMES: list[float] = []


# Ports of every server the tests started: a server killed rather than
# stopped leaves its instance namespaces (`stratus<port>-*`) behind.
_PORTS: set[int] = set()


@atexit.register
def _kill_leftovers() -> None:
    for proc in list(_LIVE):
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    netns = Path("/var/run/netns")
    if netns.is_dir():
        for ns in netns.iterdir():
            if any(ns.name.startswith(f"stratus{p}-") for p in _PORTS):
                subprocess.run(["ip", "netns", "del", ns.name], capture_output=True)


class ServerError(AssertionError):
    pass


class Server:
    """One `stratus serve` child process.

    args:  extra command-line arguments after `serve`.
    env:   extra environment variables for the process.
    flags: when True (default) pass --host/--port explicitly (and --data-dir
           when data_dir_flag); when False the caller configures the server
           through `env` and must pass the port it chose.
    """

    def __init__(
        self,
        workdir: Path,
        args=(),
        env: dict | None = None,
        port: int | None = None,
        data_dir: Path | None = None,
        flags: bool = True,
        data_dir_flag: bool = True,
    ):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.args = [str(a) for a in args]
        self.env = dict(env or {})
        # Instances are state only unless a test asks for the process
        # runtime (`--instance-runtime process`, tests/e2e/test_instance_runtime.py):
        # with it, health checks are real and need a server in the instance.
        self.env.setdefault("STRATUS_INSTANCE_RUNTIME", "none")
        self.port = port or free_port()
        _PORTS.add(self.port)
        self.data_dir = Path(data_dir) if data_dir else self.workdir / "data"
        self.flags = flags
        self.data_dir_flag = data_dir_flag
        self.proc: subprocess.Popen | None = None
        self.runs = 0
        self.startup_seconds: float | None = None
        self.http = requests.Session()

    # -- lifecycle ---------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        cmd = [str(STRATUS_BIN), "serve"]
        if self.flags:
            cmd += ["--host", "127.0.0.1", "--port", str(self.port)]
            if self.data_dir_flag:
                cmd += ["--data-dir", str(self.data_dir)]
        return cmd + self.args

    @property
    def stderr_path(self) -> Path:
        return self.workdir / f"stderr.{self.runs}.log"

    @property
    def stdout_path(self) -> Path:
        return self.workdir / f"stdout.{self.runs}.log"

    def stderr(self) -> str:
        try:
            return self.stderr_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def stderr_tail(self, lines: int = 60) -> str:
        return "\n".join(self.stderr().splitlines()[-lines:])

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self, timeout: float = 10.0) -> "Server":
        if not STRATUS_BIN.exists():
            raise ServerError(
                f"stratus binary not found at {STRATUS_BIN}; build it with "
                "`cargo build --release` or set STRATUS_BIN"
            )
        assert not self.running(), "server already running"
        self.runs += 1
        env = dict(os.environ)
        env.update(self.env)
        with open(self.stderr_path, "wb") as err, open(self.stdout_path, "wb") as out:
            self.proc = subprocess.Popen(
                self.command(),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                env=env,
                cwd=self.workdir,
            )
        _LIVE.add(self.proc)
        t0 = time.monotonic()
        deadline = t0 + timeout
        last = "no answer"
        probe = requests.Session()
        try:
            while True:
                rc = self.proc.poll()
                if rc is not None:
                    raise ServerError(
                        f"stratus exited with code {rc} before answering "
                        f"(command: {' '.join(self.command())});\nstderr:\n{self.stderr_tail()}"
                    )
                try:
                    r = probe.get(self.url + "/_stratus/health", timeout=1)
                    if r.status_code == 200:
                        break
                    last = f"HTTP {r.status_code}: {r.text[:200]}"
                except requests.RequestException as e:
                    last = type(e).__name__
                if time.monotonic() > deadline:
                    self.kill()
                    raise ServerError(
                        f"stratus did not answer /_stratus/health within {timeout:.0f} s "
                        f"(last: {last}; command: {' '.join(self.command())});\n"
                        f"stderr:\n{self.stderr_tail()}"
                    )
                time.sleep(0.01)
        finally:
            probe.close()
        self.startup_seconds = time.monotonic() - t0
        STARTUP_TIMES.append(self.startup_seconds)
        return self

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 5.0) -> int:
        """Sends `sig` and waits for exit; returns the exit code. Kills the
        process and raises if it does not exit within `timeout` seconds."""
        self.http.close()
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                raise ServerError(
                    f"stratus did not exit within {timeout} s of signal {sig};\n"
                    f"stderr:\n{self.stderr_tail()}"
                )
        _LIVE.discard(self.proc)
        return self.proc.returncode

    def kill(self) -> None:
        self.http.close()
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.wait()
            _LIVE.discard(self.proc)

    def restart(self, **kw) -> "Server":
        rc = self.stop()
        assert rc == 0, f"stratus exited with code {rc} on SIGTERM;\nstderr:\n{self.stderr_tail()}"
        return self.start(**kw)

    # -- clients -----------------------------------------------------------
    def client(
        self,
        service: str,
        access_key: str = "test",
        secret_key: str = "test",
        session_token: str | None = None,
        creds=None,
        config: Config | None = None,
        **config_kw,
    ):
        """A boto3 client for `service` pointed at this server.

        `creds` may be an STS Credentials dict or a (key, secret[, token]) tuple.
        Retries are off (one attempt) so server errors show as they are.
        """
        if creds is not None:
            access_key, secret_key, session_token = creds_tuple(creds)
        base = Config(
            retries={"total_max_attempts": 1, "mode": "standard"},
            connect_timeout=5,
            read_timeout=HTTP_TIMEOUT,
            **config_kw,
        )
        if config is not None:
            base = base.merge(config)
        return _BOTO.client(
            service,
            endpoint_url=self.url,
            region_name=REGION,
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            aws_session_token=session_token,
            config=base,
        )

    # -- raw HTTP ----------------------------------------------------------
    def get(self, path: str, **kw) -> requests.Response:
        kw.setdefault("timeout", HTTP_TIMEOUT)
        return self.http.get(self.url + path, **kw)

    def post(self, path: str, **kw) -> requests.Response:
        kw.setdefault("timeout", HTTP_TIMEOUT)
        return self.http.post(self.url + path, **kw)

    def health(self) -> dict:
        r = self.get("/_stratus/health")
        assert r.status_code == 200, f"health: HTTP {r.status_code}: {r.text[:300]}"
        return r.json()

    def reset(self, service: str | None = None) -> requests.Response:
        params = {"service": service} if service else None
        return self.post("/_stratus/reset", params=params)

    def clock(self) -> dict:
        r = self.get("/_stratus/clock")
        assert r.status_code == 200, f"clock: HTTP {r.status_code}: {r.text[:300]}"
        return r.json()

    def now(self) -> _dt.datetime:
        """The server's (possibly advanced) notion of now."""
        return parse_iso(self.clock()["now"])

    def advance(self, seconds: int) -> requests.Response:
        r = self.post("/_stratus/clock", params={"advance": str(seconds)})
        assert r.status_code == 200, f"clock advance: HTTP {r.status_code}: {r.text[:300]}"
        return r

    def hold(self, held: bool = True) -> None:
        """Holds the server's clock still, or lets it run again."""
        r = self.post("/_stratus/clock", params={"hold": "true" if held else "false"})
        assert r.status_code == 200, f"clock hold: HTTP {r.status_code}: {r.text[:300]}"


# ---------------------------------------------------------------------------
# Fixtures
# ---------------------------------------------------------------------------
@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


def _failed(request) -> bool:
    rep = getattr(request.node, "rep_call", None)
    return bool(rep and rep.failed)


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """The shared server: ephemeral, test mode (injectable clock)."""
    srv = Server(tmp_path_factory.mktemp("stratus-default"), args=["--ephemeral", "--test-mode"])
    srv.start()
    yield srv
    try:
        srv.stop()
    finally:
        srv.kill()


@pytest.fixture(autouse=True)
def _reset_default_server(request, server):
    """Every test starts from an empty default server."""
    if not server.running():
        pytest.fail(
            f"the shared stratus server exited (code {server.proc.returncode});\n"
            f"stderr:\n{server.stderr_tail()}"
        )
    r = server.reset()
    assert r.status_code == 200, f"POST /_stratus/reset: HTTP {r.status_code}: {r.text[:300]}"
    yield
    if _failed(request):
        print(f"--- shared stratus server stderr (tail) ---\n{server.stderr_tail(40)}")
        if not server.running():
            print(f"!!! shared stratus server exited with code {server.proc.returncode}")


@pytest.fixture
def holds_clock(server):
    """For a test that holds the shared server's clock (`server.hold()`) so
    steps that must land inside a phase of a few hundred milliseconds do so
    however slowly the machine runs them: lets it run again afterwards."""
    yield server
    server.hold(False)


@pytest.fixture
def server_factory(request, tmp_path):
    """Starts extra servers for one test; all are stopped at teardown."""
    started: list[Server] = []

    def make(args=(), env=None, start=True, **kw) -> Server:
        srv = Server(tmp_path / f"srv{len(started)}", args=args, env=env, **kw)
        started.append(srv)
        if start:
            srv.start()
        return srv

    yield make
    for srv in started:
        if _failed(request):
            print(f"--- stderr of {' '.join(srv.command())} (tail) ---\n{srv.stderr_tail(40)}")
        try:
            if srv.running():
                srv.stop(timeout=5)
        except ServerError:
            pass
        finally:
            srv.kill()


class AwsCliError(AssertionError):
    def __init__(self, returncode: int, stdout: str, stderr: str, args):
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        super().__init__(f"aws {' '.join(args)} exited {returncode}:\n{stderr.strip()}")


def run_aws(srv: Server, *args, creds=None, check: bool = True):
    """Runs the real aws CLI against `srv`; returns parsed JSON output.

    Raises AwsCliError (with stderr) when the CLI fails and `check` is True;
    with check=False returns the CompletedProcess instead.
    """
    if not AWS_BIN.exists():
        raise AssertionError(f"aws CLI not found at {AWS_BIN}; run ./test.sh to create .venv")
    ak, sk, token = creds_tuple(creds or ("test", "test"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID=ak,
        AWS_SECRET_ACCESS_KEY=sk,
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_EC2_METADATA_DISABLED="true",
        AWS_PAGER="",
        AWS_RETRY_MODE="standard",
        AWS_MAX_ATTEMPTS="1",
    )
    if "AWS_CA_BUNDLE" in os.environ:
        env["AWS_CA_BUNDLE"] = os.environ["AWS_CA_BUNDLE"]
    if token:
        env["AWS_SESSION_TOKEN"] = token
    cmd = [
        str(AWS_BIN),
        *map(str, args),
        "--endpoint-url",
        srv.url,
        "--region",
        REGION,
        "--output",
        "json",
    ]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    if not check:
        return proc
    if proc.returncode != 0:
        raise AwsCliError(proc.returncode, proc.stdout, proc.stderr, args)
    return json.loads(proc.stdout) if proc.stdout.strip() else None


@pytest.fixture
def aws(server):
    """aws(*args, creds=..., check=True, srv=None): the aws CLI against the shared server."""

    def call(*args, creds=None, check=True, srv=None):
        return run_aws(srv or server, *args, creds=creds, check=check)

    return call


def pytest_terminal_summary(terminalreporter):
    if STARTUP_TIMES:
        first = STARTUP_TIMES[0]
        worst = max(STARTUP_TIMES)
        terminalreporter.write_line(
            f"stratus startup (spawn -> first health answer): first {first * 1000:.0f} ms, "
            f"slowest {worst * 1000:.0f} ms over {len(STARTUP_TIMES)} starts (informational)"
        )


def _module_server(tmp_path_factory, name, args, env=None):
    srv = Server(tmp_path_factory.mktemp(name), args=args, env=env)
    srv.start()
    return srv


@pytest.fixture(scope="session")
def plain_server(tmp_path_factory):
    """A server without --test-mode (clock cannot be moved)."""
    srv = _module_server(tmp_path_factory, "stratus-plain", ["--ephemeral"])
    yield srv
    try:
        srv.stop()
    finally:
        srv.kill()


@pytest.fixture(scope="session")
def verify_server(tmp_path_factory):
    """A server started with --verify-signatures (no test mode)."""
    srv = _module_server(tmp_path_factory, "stratus-verify", ["--ephemeral", "--verify-signatures"])
    yield srv
    try:
        srv.stop()
    finally:
        srv.kill()
