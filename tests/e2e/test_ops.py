"""Operating the server: health, resets, the test clock, signals, configuration."""

from __future__ import annotations

import datetime as _dt
import json
import os
import signal
import socket
import subprocess
import time

import pytest
import requests

from helpers import DEFAULT_ACCOUNT, free_port, parse_iso, role_arn, until


def _assume(srv, account="111122223333", session="ops"):
    return srv.client("sts").assume_role(RoleArn=role_arn(account=account), RoleSessionName=session)


def _arn_with(srv, creds) -> str:
    return srv.client("sts", creds=creds["Credentials"]).get_caller_identity()["Arn"]


# -- health -------------------------------------------------------------------
def test_health_reports_version_edition_and_running_sts(server):
    r = server.get("/_stratus/health")
    assert r.status_code == 200
    body = r.json()
    assert isinstance(body.get("version"), str) and body["version"].strip()
    assert body.get("edition") == "stratus"
    assert isinstance(body.get("services"), dict)
    assert body["services"].get("sts") == "running"
    assert all(isinstance(v, str) for v in body["services"].values())


def test_localstack_health_path_gives_the_same_answer(server):
    ours = server.get("/_stratus/health")
    theirs = server.get("/_localstack/health")
    assert theirs.status_code == 200
    assert theirs.json() == ours.json()


# -- reset --------------------------------------------------------------------
def test_reset_forgets_issued_credentials(server):
    resp = _assume(server, session="before-reset")
    assert _arn_with(server, resp) == resp["AssumedRoleUser"]["Arn"]

    r = server.post("/_stratus/reset")
    assert r.status_code == 200

    # The key is unknown now, so it is just an unknown key of the default account.
    assert _arn_with(server, resp) == f"arn:aws:iam::{DEFAULT_ACCOUNT}:root"


def test_reset_of_sts_service_forgets_sts_credentials(server):
    resp = _assume(server, session="sts-reset")
    r = server.post("/_stratus/reset", params={"service": "sts"})
    assert r.status_code == 200
    assert _arn_with(server, resp) == f"arn:aws:iam::{DEFAULT_ACCOUNT}:root"


def test_reset_of_one_service_leaves_other_state_alone(server):
    resp = _assume(server, session="kept")
    others = [s for s in server.health()["services"] if s != "sts"]
    for other in others:
        r = server.post("/_stratus/reset", params={"service": other})
        assert r.status_code == 200, f"reset?service={other}: HTTP {r.status_code}: {r.text[:300]}"
        assert _arn_with(server, resp) == resp["AssumedRoleUser"]["Arn"], f"reset of {other} wiped STS"
    # A service name Stratus does not run (a typo) is refused and wipes nothing.
    r = server.post("/_stratus/reset", params={"service": "no-such-service"})
    assert 400 <= r.status_code < 500, f"HTTP {r.status_code}: {r.text[:300]}"
    assert _arn_with(server, resp) == resp["AssumedRoleUser"]["Arn"]


def test_moto_api_reset_forgets_issued_credentials(server):
    resp = _assume(server, session="moto")
    r = server.post("/moto-api/reset")
    assert r.status_code == 200
    assert _arn_with(server, resp) == f"arn:aws:iam::{DEFAULT_ACCOUNT}:root"


# -- clock --------------------------------------------------------------------
def test_clock_reports_now_and_offset(server):
    before = _dt.datetime.now(_dt.timezone.utc)
    c = server.clock()
    after = _dt.datetime.now(_dt.timezone.utc)
    assert isinstance(c["offset_ms"], int)
    now = parse_iso(c["now"])
    offset = _dt.timedelta(milliseconds=c["offset_ms"])
    slack = _dt.timedelta(seconds=2)
    assert before + offset - slack <= now <= after + offset + slack


def test_clock_advance_moves_now_forward_in_test_mode(server):
    c0 = server.clock()
    r = server.post("/_stratus/clock", params={"advance": "7200"})
    assert r.status_code == 200
    c1 = server.clock()
    assert c1["offset_ms"] - c0["offset_ms"] == 7_200_000
    moved = (parse_iso(c1["now"]) - parse_iso(c0["now"])).total_seconds()
    assert 7200 <= moved < 7200 + 5


def test_a_held_clock_moves_only_by_advances_and_catches_up_when_let_run(server):
    r = server.post("/_stratus/clock", params={"hold": "true"})
    assert r.status_code == 200 and r.json()["held"] is True
    held = parse_iso(r.json()["now"])
    try:
        time.sleep(1.1)
        assert parse_iso(server.clock()["now"]) == held
        r = server.post("/_stratus/clock", params={"advance": "60"})
        assert parse_iso(r.json()["now"]) - held == _dt.timedelta(seconds=60)
        for bad in [{"hold": "yes"}, {"advance": "-1"}, {}]:
            r = server.post("/_stratus/clock", params=bad)
            assert r.status_code == 400 and r.json()["error"], bad
    finally:
        r = server.post("/_stratus/clock", params={"hold": "false"})
    assert r.status_code == 200 and r.json()["held"] is False
    # Let run, it is where real time says: past the instant it was held at.
    assert parse_iso(r.json()["now"]) - held >= _dt.timedelta(seconds=61)
    assert server.clock()["held"] is False


def test_clock_advance_is_refused_without_test_mode(plain_server):
    r = plain_server.post("/_stratus/clock", params={"advance": "3600"})
    assert r.status_code == 403
    body = r.json()
    assert isinstance(body.get("error"), str) and body["error"].strip()
    c = plain_server.clock()
    assert c["offset_ms"] == 0
    drift = abs((parse_iso(c["now"]) - _dt.datetime.now(_dt.timezone.utc)).total_seconds())
    assert drift < 5


# -- signals ------------------------------------------------------------------
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_shuts_down_cleanly_with_exit_code_0(server_factory, sig):
    srv = server_factory(args=["--ephemeral"])
    srv.proc.send_signal(sig)
    try:
        rc = srv.proc.wait(timeout=2)
    except Exception:
        pytest.fail(f"stratus still running 2 s after {sig.name}")
    assert rc == 0, f"exit code {rc} after {sig.name};\nstderr:\n{srv.stderr_tail()}"
    with pytest.raises(requests.ConnectionError):
        requests.get(srv.url + "/_stratus/health", timeout=2)


def test_sigterm_is_not_held_up_by_an_idle_keepalive_connection(server_factory):
    srv = server_factory(args=["--ephemeral"])
    held = requests.Session()
    try:
        assert held.get(srv.url + "/_stratus/health", timeout=5).status_code == 200
        srv.proc.send_signal(signal.SIGTERM)
        try:
            rc = srv.proc.wait(timeout=2)
        except Exception:
            pytest.fail("stratus still running 2 s after SIGTERM while a client kept a connection open")
        assert rc == 0
    finally:
        held.close()


# -- configuration ------------------------------------------------------------
def test_a_server_out_of_descriptors_waits_for_one_and_serves_again(server_factory):
    srv = server_factory(args=["--ephemeral"])
    pid = srv.proc.pid
    subprocess.run(["prlimit", f"--pid={pid}", "--nofile=96:96"], check=True)
    # More connections than descriptors: the kernel queues those the
    # server cannot accept.
    conns = [socket.create_connection(("127.0.0.1", srv.port), timeout=5) for _ in range(150)]

    def cpu_seconds():
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    try:
        before = cpu_seconds()
        time.sleep(2)
        # Waiting, not spinning on the failed accepts: far under a core.
        assert cpu_seconds() - before < 0.5
    finally:
        for c in conns:
            c.close()
    r = until(lambda: (x := srv.get("/_stratus/health")).status_code == 200 and x, what="an answer again")
    assert r.json()["services"]


def test_stratus_port_env_var_sets_the_listen_port(server_factory, tmp_path):
    port = free_port()
    srv = server_factory(
        flags=False,
        port=port,
        env={
            "STRATUS_HOST": "127.0.0.1",
            "STRATUS_PORT": str(port),
            "STRATUS_DATA_DIR": str(tmp_path / "env-data"),
            "STRATUS_EPHEMERAL": "1",
        },
    )
    r = requests.get(f"http://127.0.0.1:{port}/_stratus/health", timeout=5)
    assert r.status_code == 200
    assert r.json()["edition"] == "stratus"
    assert srv.client("sts").get_caller_identity()["Account"] == DEFAULT_ACCOUNT


def test_stratus_default_account_env_var_sets_the_default_account(server_factory):
    srv = server_factory(args=["--ephemeral"], env={"STRATUS_DEFAULT_ACCOUNT": "123456789012"})
    ident = srv.client("sts", access_key="AKIAIOSFODNN7EXAMPLE").get_caller_identity()
    assert ident["Account"] == "123456789012"
    assert ident["Arn"] == "arn:aws:iam::123456789012:root"
    assert ident["UserId"] == "123456789012"


def test_default_account_flag_sets_the_default_account(server_factory):
    srv = server_factory(args=["--ephemeral", "--default-account", "210987654321"])
    ident = srv.client("sts").get_caller_identity()
    assert ident["Account"] == "210987654321"
    assert ident["Arn"] == "arn:aws:iam::210987654321:root"


def test_twelve_digit_key_still_names_its_account_with_a_default_account_set(server_factory):
    srv = server_factory(args=["--ephemeral", "--default-account", "210987654321"])
    ident = srv.client("sts", access_key="333344445555").get_caller_identity()
    assert ident["Account"] == "333344445555"


def test_stratus_test_mode_env_var_enables_the_clock(server_factory):
    srv = server_factory(args=["--ephemeral"], env={"STRATUS_TEST_MODE": "1"})
    r = srv.post("/_stratus/clock", params={"advance": "60"})
    assert r.status_code == 200
    assert srv.clock()["offset_ms"] == 60_000


def _assert_json_log_lines(srv):
    lines = [ln for ln in srv.stderr().splitlines() if ln.strip()]
    assert lines, "no log lines on stderr at log level debug"
    for ln in lines:
        try:
            parsed = json.loads(ln)
        except ValueError:
            parsed = None
        assert isinstance(parsed, dict), f"stderr line is not a JSON object: {ln[:300]!r}"


def test_json_log_format_writes_json_lines_to_stderr(server_factory):
    srv = server_factory(args=["--ephemeral", "--log-format", "json", "--log-level", "debug"])
    srv.client("sts").get_caller_identity()
    assert srv.stop() == 0
    _assert_json_log_lines(srv)


def test_log_env_vars_select_json_format_and_level(server_factory):
    srv = server_factory(
        args=["--ephemeral"], env={"STRATUS_LOG_FORMAT": "json", "STRATUS_LOG_LEVEL": "debug"}
    )
    srv.client("sts").get_caller_identity()
    assert srv.stop() == 0
    _assert_json_log_lines(srv)
