"""The aws s3 commands people type: mb, cp, ls, sync, mv, rm, rb --force, presign."""

from __future__ import annotations

import functools
import hashlib
import os

import requests

from s3util import s3


def sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_cli_round_trip(server_factory, aws, tmp_path):
    # A server of its own: other tests move the shared server's clock, which
    # would expire the presigned URL below.
    server = server_factory(["--ephemeral", "--test-mode"])
    aws = functools.partial(aws, srv=server)
    run_text(aws, "s3", "mb", "s3://cli-bucket")
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "a.txt").write_text("alpha")
    (src / "sub" / "b.txt").write_text("beta")
    big = src / "big.bin"
    big.write_bytes(os.urandom(20 * 1024 * 1024 + 7))  # multipart through the CLI

    run_text(aws, "s3", "sync", str(src), "s3://cli-bucket/site")
    keys = sorted(o["Key"] for o in s3(server).list_objects_v2(Bucket="cli-bucket")["Contents"])
    assert keys == ["site/a.txt", "site/big.bin", "site/sub/b.txt"]
    ls = run_text(aws, "s3", "ls", "s3://cli-bucket/site/")
    assert "PRE sub/" in ls and "a.txt" in ls

    back = tmp_path / "back"
    run_text(aws, "s3", "sync", "s3://cli-bucket/site", str(back))
    assert (back / "a.txt").read_text() == "alpha" and (back / "sub" / "b.txt").read_text() == "beta"
    assert sha(back / "big.bin") == sha(big)

    run_text(aws, "s3", "cp", str(big), "s3://cli-bucket/copy.bin")
    run_text(aws, "s3", "cp", "s3://cli-bucket/copy.bin", str(tmp_path / "copy.bin"))
    assert sha(tmp_path / "copy.bin") == sha(big)
    run_text(aws, "s3", "mv", "s3://cli-bucket/copy.bin", "s3://cli-bucket/moved.bin")
    keys = {o["Key"] for o in s3(server).list_objects_v2(Bucket="cli-bucket")["Contents"]}
    assert "moved.bin" in keys and "copy.bin" not in keys
    run_text(aws, "s3", "rm", "s3://cli-bucket/site", "--recursive")
    url = run_text(aws, "s3", "presign", "s3://cli-bucket/moved.bin", "--expires-in", "300").strip()
    r = requests.get(url, timeout=30)
    assert r.status_code == 200 and hashlib.sha256(r.content).hexdigest() == sha(big)

    run_text(aws, "s3", "rb", "s3://cli-bucket", "--force")
    assert s3(server).list_buckets()["Buckets"] == []


def run_text(aws, *args) -> str:
    proc = aws(*args, check=False)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout
