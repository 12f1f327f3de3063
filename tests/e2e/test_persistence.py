"""State on disk: restarts, --ephemeral, the default data dir, crash safety."""

from __future__ import annotations

import threading
import time

import requests

from helpers import DEFAULT_ACCOUNT, caller_arn, free_port, role_arn

UNKNOWN_KEY_ARN = f"arn:aws:iam::{DEFAULT_ACCOUNT}:root"


def _assume(srv, name="keeper", session="s1", account="111122223333"):
    return srv.client("sts").assume_role(
        RoleArn=role_arn(name, account=account), RoleSessionName=session
    )


def _files_under(path):
    return [p for p in path.rglob("*") if p.is_file()] if path.exists() else []


def test_assumed_role_credentials_survive_a_restart(server_factory):
    srv = server_factory()
    resp = _assume(srv, session="persist")
    expected = resp["AssumedRoleUser"]["Arn"]
    creds = resp["Credentials"]

    srv.restart()

    ident = srv.client("sts", creds=creds).get_caller_identity()
    assert ident["Arn"] == expected
    assert ident["UserId"] == resp["AssumedRoleUser"]["AssumedRoleId"]
    assert ident["Account"] == "111122223333"
    info = srv.client("sts").get_access_key_info(AccessKeyId=creds["AccessKeyId"])
    assert info["Account"] == "111122223333"


def test_federation_and_session_credentials_survive_a_restart(server_factory):
    srv = server_factory()
    sts = srv.client("sts", access_key="123456789012")
    fed = sts.get_federation_token(Name="persisted")["Credentials"]
    sess = sts.get_session_token()["Credentials"]

    srv.restart()

    assert caller_arn(srv.url, fed) == "arn:aws:sts::123456789012:federated-user/persisted"
    assert caller_arn(srv.url, sess) == "arn:aws:iam::123456789012:root"
    info = srv.client("sts").get_access_key_info(AccessKeyId=sess["AccessKeyId"])
    assert info["Account"] == "123456789012"


def test_ephemeral_server_forgets_credentials_on_restart(server_factory):
    srv = server_factory(args=["--ephemeral"])
    creds = _assume(srv, session="gone")["Credentials"]
    assert caller_arn(srv.url, creds).endswith("assumed-role/keeper/gone")

    srv.restart()

    assert caller_arn(srv.url, creds) == UNKNOWN_KEY_ARN


def test_stratus_ephemeral_env_var_forgets_credentials_on_restart(server_factory):
    srv = server_factory(env={"STRATUS_EPHEMERAL": "1"})
    creds = _assume(srv, session="gone")["Credentials"]
    srv.restart()
    assert caller_arn(srv.url, creds) == UNKNOWN_KEY_ARN


def test_reset_is_durable_across_a_restart(server_factory):
    srv = server_factory()
    creds = _assume(srv, session="reset-me")["Credentials"]
    assert srv.reset().status_code == 200
    assert caller_arn(srv.url, creds) == UNKNOWN_KEY_ARN

    srv.restart()

    assert caller_arn(srv.url, creds) == UNKNOWN_KEY_ARN


def test_stratus_data_dir_env_var_holds_the_state(server_factory, tmp_path):
    data = tmp_path / "env-data-dir"
    port = free_port()
    env = {"STRATUS_HOST": "127.0.0.1", "STRATUS_PORT": str(port), "STRATUS_DATA_DIR": str(data)}
    srv = server_factory(flags=False, port=port, env=env)
    resp = _assume(srv, session="envdir")
    srv.restart()
    assert _files_under(data), f"nothing written under STRATUS_DATA_DIR={data}"
    assert caller_arn(srv.url, resp["Credentials"]) == resp["AssumedRoleUser"]["Arn"]


def test_without_data_dir_state_lives_in_the_users_data_dir(server_factory, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    srv = server_factory(
        data_dir_flag=False,
        env={"HOME": str(home), "XDG_DATA_HOME": str(home / ".local" / "share")},
    )
    resp = _assume(srv, session="home")
    srv.restart()
    written = _files_under(home / ".local" / "share")
    assert written, f"nothing written under {home}/.local/share"
    assert caller_arn(srv.url, resp["Credentials"]) == resp["AssumedRoleUser"]["Arn"]


def test_sigkill_mid_stream_loses_no_acknowledged_credentials(server_factory):
    srv = server_factory()
    n_threads = 4
    clients = [srv.client("sts", access_key=f"10000000000{i}") for i in range(n_threads)]
    acked: list[tuple[dict, str]] = []
    lock = threading.Lock()
    stop = threading.Event()
    killing = threading.Event()
    unexpected: list[BaseException] = []

    def worker(i: int) -> None:
        n = 0
        while not stop.is_set():
            try:
                r = clients[i].assume_role(
                    RoleArn=role_arn(f"crash{i}"), RoleSessionName=f"t{i}-{n}"
                )
            except Exception as e:  # after the kill every call fails; before it none may
                if not killing.is_set():
                    unexpected.append(e)
                return
            with lock:
                acked.append((r["Credentials"], r["AssumedRoleUser"]["Arn"]))
            n += 1

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(n_threads)]
    for t in threads:
        t.start()
    t0 = time.monotonic()
    while time.monotonic() - t0 < 1.0 or not acked:
        if time.monotonic() - t0 > 10:
            break
        time.sleep(0.05)
    killing.set()
    srv.kill()  # SIGKILL, mid-stream
    stop.set()
    for t in threads:
        t.join(timeout=20)
    assert not any(t.is_alive() for t in threads), "AssumeRole calls hung after the server was killed"
    assert not unexpected, f"AssumeRole failed before the kill: {unexpected[0]!r}"
    assert acked, "no AssumeRole call was acknowledged within 10 s"

    srv.start()  # same data dir: state must be readable

    lost = []
    with requests.Session() as http:
        for creds, arn in acked:
            got = caller_arn(srv.url, creds, session=http)
            if got != arn:
                lost.append((creds["AccessKeyId"], arn, got))
    print(f"{len(acked)} acknowledged AssumeRole calls before SIGKILL, {len(lost)} lost")
    assert not lost, f"{len(lost)} of {len(acked)} acknowledged keys lost after SIGKILL, e.g. {lost[:3]}"
