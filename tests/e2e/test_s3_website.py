"""Static website hosting: the course lab end to end, plus the rules around it
(bucket policy, public access block, website configuration, redirects)."""

from __future__ import annotations

import json

import pytest
import requests

from s3util import expect, s3

SITE = "course-site"
INDEX = b"<html><body><h1>Hello from S3</h1><img src='logo.png'></body></html>"
ERROR = b"<html><body>Not here</body></html>"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


def public_read(bucket: str, listable: bool = False) -> str:
    statements = [{"Sid": "PublicReadGetObject", "Effect": "Allow", "Principal": "*",
                   "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}]
    if listable:
        statements.append({"Sid": "PublicList", "Effect": "Allow", "Principal": "*",
                           "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{bucket}"})
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def site_get(server, path: str, bucket: str = SITE, style: str = "dash", region: str = "us-east-1", **kw):
    """A plain anonymous HTTP GET to the website endpoint, by Host header on 127.0.0.1."""
    port = server.url.rsplit(":", 1)[1]
    host = {
        "dash": f"{bucket}.s3-website-{region}.localhost:{port}",
        "dot": f"{bucket}.s3-website.{region}.localhost:{port}",
        "aws": f"{bucket}.s3-website-{region}.amazonaws.com",
        "aws-dot": f"{bucket}.s3-website.{region}.amazonaws.com",
    }[style]
    headers = {"Host": host, **kw.pop("headers", {})}
    return requests.get(server.url + path, headers=headers, allow_redirects=False, timeout=10, **kw)


def test_course_lab(server, aws):
    c = s3(server)
    c.create_bucket(Bucket=SITE)
    c.put_object(Bucket=SITE, Key="index.html", Body=INDEX, ContentType="text/html")
    c.put_object(Bucket=SITE, Key="error.html", Body=ERROR, ContentType="text/html")
    c.put_object(Bucket=SITE, Key="logo.png", Body=PNG, ContentType="image/png")
    aws("s3", "website", f"s3://{SITE}/", "--index-document", "index.html", "--error-document", "error.html")
    cfg = c.get_bucket_website(Bucket=SITE)
    assert cfg["IndexDocument"] == {"Suffix": "index.html"} and cfg["ErrorDocument"] == {"Key": "error.html"}

    # New buckets block public access: no policy yet, so the visitor is refused.
    r = site_get(server, "/")
    assert r.status_code == 403
    assert "<li>Code: AccessDenied</li>" in r.text and r.headers["content-type"].startswith("text/html")
    # A public policy is refused while the block is on.
    expect("AccessDenied", 403, c.put_bucket_policy, Bucket=SITE, Policy=public_read(SITE))

    c.put_public_access_block(Bucket=SITE, PublicAccessBlockConfiguration={
        "BlockPublicAcls": False, "IgnorePublicAcls": False,
        "BlockPublicPolicy": False, "RestrictPublicBuckets": False})
    assert site_get(server, "/").status_code == 403  # still no policy
    c.put_bucket_policy(Bucket=SITE, Policy=public_read(SITE))

    for style in ["dash", "dot", "aws", "aws-dot"]:
        r = site_get(server, "/", style=style)
        assert r.status_code == 200, (style, r.text)
        assert r.content == INDEX and r.headers["content-type"] == "text/html"
    r = site_get(server, "/logo.png")
    assert r.status_code == 200 and r.content == PNG and r.headers["content-type"] == "image/png"
    # GetObject alone does not reveal which keys exist: a missing key is
    # denied, with the error document as the 403 page.
    r = site_get(server, "/missing.html")
    assert r.status_code == 403 and r.content == ERROR
    # Once visitors may list the bucket, a missing key is a 404.
    c.put_bucket_policy(Bucket=SITE, Policy=public_read(SITE, listable=True))
    r = site_get(server, "/missing.html")
    assert r.status_code == 404 and r.content == ERROR


def test_folders_redirects_and_error_pages(server):
    c = s3(server)
    c.create_bucket(Bucket=SITE)
    c.delete_public_access_block(Bucket=SITE)
    c.put_bucket_policy(Bucket=SITE, Policy=public_read(SITE, listable=True))
    c.put_object(Bucket=SITE, Key="docs/index.html", Body=b"docs home", ContentType="text/html")
    c.put_object(Bucket=SITE, Key="old.html", Body=b"", WebsiteRedirectLocation="/docs/")
    c.put_bucket_website(Bucket=SITE, WebsiteConfiguration={
        "IndexDocument": {"Suffix": "index.html"},
        "RoutingRules": [{"Condition": {"KeyPrefixEquals": "legacy/"},
                          "Redirect": {"ReplaceKeyPrefixWith": "docs/", "HttpRedirectCode": "301"}}]})
    assert site_get(server, "/docs/").content == b"docs home"
    r = site_get(server, "/docs")
    assert r.status_code == 302 and r.headers["location"] == "/docs/"
    r = site_get(server, "/old.html")
    assert r.status_code == 301 and r.headers["location"] == "/docs/"
    r = site_get(server, "/legacy/page.html")
    assert r.status_code == 301 and r.headers["location"].endswith("/docs/page.html")
    # No error document configured: AWS's HTML page.
    r = site_get(server, "/nothing")
    assert r.status_code == 404
    assert "<li>Code: NoSuchKey</li>" in r.text and "<li>Key: nothing</li>" in r.text
    r = requests.post(server.url + "/", headers={"Host": f"{SITE}.s3-website-us-east-1.localhost"}, timeout=10)
    assert r.status_code == 405 and "MethodNotAllowed" in r.text


def test_redirect_all_and_missing_config(server):
    c = s3(server)
    c.create_bucket(Bucket="redirector")
    r = site_get(server, "/", bucket="redirector")
    assert r.status_code == 404 and "NoSuchWebsiteConfiguration" in r.text
    r = site_get(server, "/", bucket="never-created")
    assert r.status_code == 404 and "NoSuchBucket" in r.text
    c.put_bucket_website(Bucket="redirector", WebsiteConfiguration={
        "RedirectAllRequestsTo": {"HostName": "example.com", "Protocol": "https"}})
    r = site_get(server, "/a/b?x=1", bucket="redirector")
    assert r.status_code == 301 and r.headers["location"] == "https://example.com/a/b?x=1"
    c.delete_bucket_website(Bucket="redirector")
    expect("NoSuchWebsiteConfiguration", 404, c.get_bucket_website, Bucket="redirector")


def test_website_configuration_validation(server):
    c = s3(server)
    c.create_bucket(Bucket=SITE)
    expect("InvalidArgument", 400, c.put_bucket_website, Bucket=SITE,
           WebsiteConfiguration={"ErrorDocument": {"Key": "e.html"}})
    expect("InvalidArgument", 400, c.put_bucket_website, Bucket=SITE,
           WebsiteConfiguration={"IndexDocument": {"Suffix": "a/index.html"}})


def test_restrict_public_buckets_and_deny(server):
    c = s3(server)
    c.create_bucket(Bucket=SITE)
    c.put_object(Bucket=SITE, Key="index.html", Body=b"hi", ContentType="text/html")
    c.put_object(Bucket=SITE, Key="private/secret.html", Body=b"secret")
    c.put_bucket_website(Bucket=SITE, WebsiteConfiguration={"IndexDocument": {"Suffix": "index.html"}})
    c.delete_public_access_block(Bucket=SITE)
    policy = json.loads(public_read(SITE))
    policy["Statement"].append({"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject",
                                "Resource": f"arn:aws:s3:::{SITE}/private/*"})
    c.put_bucket_policy(Bucket=SITE, Policy=json.dumps(policy))
    assert site_get(server, "/").status_code == 200
    assert site_get(server, "/private/secret.html").status_code == 403
    c.put_public_access_block(Bucket=SITE, PublicAccessBlockConfiguration={"RestrictPublicBuckets": True})
    assert site_get(server, "/").status_code == 403


def test_policy_and_public_access_block_api(server):
    c = s3(server)
    c.create_bucket(Bucket=SITE)
    pab = c.get_public_access_block(Bucket=SITE)["PublicAccessBlockConfiguration"]
    assert pab == {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
                   "RestrictPublicBuckets": True}
    c.delete_public_access_block(Bucket=SITE)
    expect("NoSuchPublicAccessBlockConfiguration", 404, c.get_public_access_block, Bucket=SITE)
    expect("NoSuchBucketPolicy", 404, c.get_bucket_policy, Bucket=SITE)
    for bad, text in [("not json", "first byte"),
                      (json.dumps({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "ec2:*",
                                                  "Resource": f"arn:aws:s3:::{SITE}/*"}]}), "invalid action"),
                      (json.dumps({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                                                  "Resource": "arn:aws:s3:::other-bucket/*"}]}), "invalid resource")]:
        msg = expect("MalformedPolicy", 400, c.put_bucket_policy, Bucket=SITE, Policy=bad)
        assert text in msg
    c.put_bucket_policy(Bucket=SITE, Policy=public_read(SITE))
    assert json.loads(c.get_bucket_policy(Bucket=SITE)["Policy"]) == json.loads(public_read(SITE))
    c.delete_bucket_policy(Bucket=SITE)
    expect("NoSuchBucketPolicy", 404, c.get_bucket_policy, Bucket=SITE)


def test_hosts_lines_name_hosts_the_site_answers_to(server):
    import subprocess
    from conftest import STRATUS_BIN

    c = s3(server)
    c.create_bucket(Bucket="hosts-site")
    c.put_object(Bucket="hosts-site", Key="index.html", Body=INDEX, ContentType="text/html")
    c.put_bucket_website(Bucket="hosts-site", WebsiteConfiguration={"IndexDocument": {"Suffix": "index.html"}})
    c.put_public_access_block(Bucket="hosts-site", PublicAccessBlockConfiguration={
        "BlockPublicAcls": False, "IgnorePublicAcls": False,
        "BlockPublicPolicy": False, "RestrictPublicBuckets": False})
    c.put_bucket_policy(Bucket="hosts-site", Policy=public_read("hosts-site"))
    out = subprocess.run([str(STRATUS_BIN), "hosts", "hosts-site", "--region", "us-east-1", "--aws-names"],
                         capture_output=True, text=True, check=True).stdout
    address, *names = out.split()
    assert address == "127.0.0.1" and out.count("\n") == 1
    website = [n for n in names if "s3-website" in n]
    assert len(website) == 4
    for name in website:
        r = requests.get(server.url + "/", headers={"Host": name}, timeout=10)
        assert r.status_code == 200 and r.content == INDEX, name
    rest = [n for n in names if ".s3." in n]
    for name in rest:
        r = requests.get(server.url + "/index.html", headers={"Host": name}, timeout=10)
        # the REST names reach the bucket's API; the public-read policy lets anyone GET
        assert r.status_code == 200 and r.content == INDEX, name


def test_hosts_lists_every_bucket_of_the_server(server_factory):
    import subprocess
    from conftest import STRATUS_BIN

    server = server_factory(["--ephemeral"])
    s3(server).create_bucket(Bucket="east-site")
    s3(server, region="eu-west-1", access_key="111111111111").create_bucket(
        Bucket="west-site", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    out = subprocess.run([str(STRATUS_BIN), "hosts", "--endpoint", server.url],
                         capture_output=True, text=True, check=True).stdout
    lines = out.splitlines()
    assert len(lines) == 2
    east, west = lines
    assert east.split() == ["127.0.0.1", "east-site.s3.localhost", "east-site.s3.us-east-1.localhost",
                            "east-site.s3-website-us-east-1.localhost", "east-site.s3-website.us-east-1.localhost"]
    assert "west-site.s3-website-eu-west-1.localhost" in west.split()
    # Each name reaches its bucket.
    r = requests.get(server.url + "/", headers={"Host": "west-site.s3-website.eu-west-1.localhost"}, timeout=10)
    assert r.status_code == 404 and "NoSuchWebsiteConfiguration" in r.text
    # No server there: a clear error, not an empty list.
    failed = subprocess.run([str(STRATUS_BIN), "hosts", "--endpoint", "http://127.0.0.1:9"],
                            capture_output=True, text=True)
    assert failed.returncode != 0 and "cannot reach Stratus" in failed.stderr


def test_missing_key_without_list_permission_is_403(server):
    c = s3(server)
    c.create_bucket(Bucket=SITE)
    c.delete_public_access_block(Bucket=SITE)
    c.put_bucket_policy(Bucket=SITE, Policy=public_read(SITE))
    c.put_bucket_website(Bucket=SITE, WebsiteConfiguration={"IndexDocument": {"Suffix": "index.html"}})
    r = site_get(server, "/nothing.html")
    assert r.status_code == 403
    assert "<li>Code: AccessDenied</li>" in r.text and "NoSuchKey" not in r.text


def policy_with(bucket: str, condition: dict, effect: str = "Allow") -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": effect, "Principal": "*", "Action": "s3:GetObject",
         "Resource": f"arn:aws:s3:::{bucket}/*", "Condition": condition}]})


def test_policy_conditions_apply_to_visitors(server):
    c = s3(server)
    c.create_bucket(Bucket=SITE)
    c.delete_public_access_block(Bucket=SITE)
    c.put_bucket_website(Bucket=SITE, WebsiteConfiguration={"IndexDocument": {"Suffix": "index.html"}})
    c.put_object(Bucket=SITE, Key="index.html", Body=b"home", ContentType="text/html")
    c.put_object(Bucket=SITE, Key="tagged.html", Body=b"tagged", Tagging="public=yes")

    # The visitor comes from 127.0.0.1.
    c.put_bucket_policy(Bucket=SITE, Policy=policy_with(SITE, {"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}}))
    assert site_get(server, "/").content == b"home"
    c.put_bucket_policy(Bucket=SITE, Policy=policy_with(SITE, {"IpAddress": {"aws:SourceIp": "192.0.2.0/24"}}))
    assert site_get(server, "/").status_code == 403

    # Hotlink protection by Referer.
    c.put_bucket_policy(Bucket=SITE, Policy=policy_with(
        SITE, {"StringLike": {"aws:Referer": ["http://www.example.com/*"]}}))
    assert site_get(server, "/", headers={"Referer": "http://www.example.com/page"}).status_code == 200
    assert site_get(server, "/", headers={"Referer": "http://evil.example/"}).status_code == 403
    assert site_get(server, "/").status_code == 403

    # The website endpoint is plain HTTP: SecureTransport is false.
    c.put_bucket_policy(Bucket=SITE, Policy=policy_with(SITE, {"Bool": {"aws:SecureTransport": "true"}}))
    assert site_get(server, "/").status_code == 403
    c.put_bucket_policy(Bucket=SITE, Policy=policy_with(SITE, {"Bool": {"aws:SecureTransport": "false"}}))
    assert site_get(server, "/").status_code == 200

    # Objects opened by their tags.
    c.put_bucket_policy(Bucket=SITE, Policy=policy_with(
        SITE, {"StringEquals": {"s3:ExistingObjectTag/public": "yes"}}))
    assert site_get(server, "/tagged.html").content == b"tagged"
    assert site_get(server, "/").status_code == 403

    # A Deny by User-Agent beside a public read.
    deny_bots = json.loads(public_read(SITE))
    deny_bots["Statement"].append({"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject",
                                   "Resource": f"arn:aws:s3:::{SITE}/*",
                                   "Condition": {"StringLike": {"aws:UserAgent": "*bot*"}}})
    c.put_bucket_policy(Bucket=SITE, Policy=json.dumps(deny_bots))
    assert site_get(server, "/", headers={"User-Agent": "curl/8.5.0"}).status_code == 200
    assert site_get(server, "/", headers={"User-Agent": "Googlebot/2.1"}).status_code == 403
