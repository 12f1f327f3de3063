"""The application load balancer's data plane with real traffic: small HTTP
servers on 127.0.0.1 as `ip` targets, real health checks as the clock moves,
requests through Stratus's port by the load balancer's DNS name (and on a
listener's own port with --lb-listen), rules, redirects, fixed responses,
weighted groups, stickiness, ELB's own errors, and the traffic in CloudWatch."""

from __future__ import annotations

import datetime
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from helpers import free_port, fresh_period


# ---------------------------------------------------------------- targets
class Backend:
    """A web server on a random loopback port that answers with its name,
    what it was asked and the X-Forwarded-* headers it got."""

    def __init__(self, name: str, delay: float = 0.0, health_status: int = 200, cookie: str | None = None):
        self.name = name
        self.cookie = cookie
        self.delay = delay
        self.health_status = health_status
        backend = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                if self.path.startswith("/health"):
                    status, payload = backend.health_status, b"ok"
                else:
                    time.sleep(backend.delay)
                    status = 200
                    payload = json.dumps({
                        "name": backend.name,
                        "method": self.command,
                        "path": self.path,
                        "body": body,
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                    }).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                if backend.cookie and not self.path.startswith("/health"):
                    self.send_header("Set-Cookie", f"{backend.cookie}={backend.name}; Path=/")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = answer

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def backends():
    made: list[Backend] = []

    def make(name: str, **kw) -> Backend:
        b = Backend(name, **kw)
        made.append(b)
        return b

    yield make
    for b in made:
        try:
            b.stop()
        except Exception:
            pass


# ---------------------------------------------------------------- helpers
@pytest.fixture
def elb(server):
    return server.client("elbv2")


@pytest.fixture
def ec2(server):
    return server.client("ec2")


def network(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i + 1}.0/24", AvailabilityZone=z)["Subnet"]["SubnetId"]
               for i, z in enumerate(("us-east-1a", "us-east-1b"))]
    return {"vpc": vpc, "subnets": subnets}


def make_alb(elb, net, name="web"):
    return elb.create_load_balancer(Name=name, Subnets=net["subnets"])["LoadBalancers"][0]


def ip_group(elb, net, name, *backends, **kw):
    kw.setdefault("HealthCheckIntervalSeconds", 5)
    kw.setdefault("HealthCheckTimeoutSeconds", 2)
    kw.setdefault("HealthyThresholdCount", 2)
    kw.setdefault("UnhealthyThresholdCount", 2)
    kw.setdefault("HealthCheckPath", "/health")
    tg = elb.create_target_group(Name=name, Protocol="HTTP", Port=80, VpcId=net["vpc"], TargetType="ip",
                                 **kw)["TargetGroups"][0]["TargetGroupArn"]
    if backends:
        register(elb, tg, *backends)
    return tg


def register(elb, tg, *backends):
    elb.register_targets(TargetGroupArn=tg, Targets=[
        {"Id": "127.0.0.1", "Port": b.port, "AvailabilityZone": "all"} for b in backends])


def forward(tg):
    return [{"Type": "forward", "TargetGroupArn": tg}]


def states(elb, tg):
    return {d["Target"]["Port"]: (d["TargetHealth"]["State"], d["TargetHealth"].get("Reason"))
            for d in elb.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]}


def eventually(fn, timeout=8.0):
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = fn()
            if result:
                return result
            raise AssertionError(f"not yet: {result!r}")
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def until_states(server, elb, tg, want: dict, steps=6):
    """Moves the clock a check interval at a time until the targets' states are `want`."""
    for _ in range(steps):
        server.advance(5)
        try:
            return eventually(lambda: {p: s for p, (s, _) in states(elb, tg).items()} == want, timeout=3)
        except AssertionError:
            continue
    raise AssertionError(f"targets never became {want}: {states(elb, tg)}")


class Alb:
    """Requests to a load balancer by its DNS name through Stratus's port."""

    def __init__(self, server, dns):
        self.server = server
        self.dns = dns
        self.http = requests.Session()

    def request(self, method="GET", path="/", headers=None, session=None, **kw):
        h = {"Host": self.dns}
        h.update(headers or {})
        kw.setdefault("timeout", 15)
        kw.setdefault("allow_redirects", False)
        return (session or self.http).request(method, self.server.url + path, headers=h, **kw)

    def get(self, path="/", **kw):
        return self.request("GET", path, **kw)

    def name(self, path="/", **kw):
        r = self.get(path, **kw)
        assert r.status_code == 200, (r.status_code, r.text[:300])
        return r.json()["name"]


def setup_web(server, elb, ec2, *backends, name="web"):
    net = network(ec2)
    lb = make_alb(elb, net, name)
    tg = ip_group(elb, net, name, *backends)
    listener = elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                                   DefaultActions=forward(tg))["Listeners"][0]["ListenerArn"]
    if backends:
        until_states(server, elb, tg, {b.port: "healthy" for b in backends})
    return net, lb, tg, listener, Alb(server, lb["DNSName"])


# ---------------------------------------------------------------- tests
def test_round_robin_across_healthy_targets_and_around_a_stopped_one(server, elb, ec2, backends, aws):
    a, b = backends("a"), backends("b")
    net, lb, tg, _, alb = setup_web(server, elb, ec2, a, b)
    names = [alb.name() for _ in range(6)]
    assert sorted(names) == ["a"] * 3 + ["b"] * 3
    assert all(names[i] != names[i + 1] for i in range(5)), names
    # A user's view of the same health through the CLI.
    out = aws("elbv2", "describe-target-health", "--target-group-arn", tg)
    assert {d["TargetHealth"]["State"] for d in out["TargetHealthDescriptions"]} == {"healthy"}

    b.stop()
    until_states(server, elb, tg, {a.port: "healthy", b.port: "unhealthy"})
    assert states(elb, tg)[b.port] == ("unhealthy", "Target.FailedHealthChecks")
    assert {alb.name() for _ in range(6)} == {"a"}


def test_health_checks_report_the_codes_that_failed(server, elb, ec2, backends):
    bad = backends("bad", health_status=404)
    _, _, tg, _, _ = setup_web(server, elb, ec2)
    register(elb, tg, bad)
    until_states(server, elb, tg, {bad.port: "unhealthy"})
    d = elb.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"][0]["TargetHealth"]
    assert d["Reason"] == "Target.ResponseCodeMismatch"
    assert d["Description"] == "Health checks failed with these codes: [404]"
    # Matcher ranges are honoured.
    elb.modify_target_group(TargetGroupArn=tg, Matcher={"HttpCode": "200,404"})
    until_states(server, elb, tg, {bad.port: "healthy"})


def test_requests_carry_method_path_body_and_forwarded_headers(server, elb, ec2, backends):
    a = backends("a")
    _, _, _, _, alb = setup_web(server, elb, ec2, a)
    r = alb.request("POST", "/orders/7?expand=items&x=1", data="hello", headers={"Content-Type": "text/plain"})
    assert r.status_code == 200
    seen = r.json()
    assert (seen["method"], seen["path"], seen["body"]) == ("POST", "/orders/7?expand=items&x=1", "hello")
    h = seen["headers"]
    assert h["x-forwarded-for"] == "127.0.0.1"
    assert (h["x-forwarded-proto"], h["x-forwarded-port"]) == ("http", "80")
    assert re.fullmatch(r"Root=1-[0-9a-f]{8}-[0-9a-f]{24}", h["x-amzn-trace-id"]), h["x-amzn-trace-id"]
    assert h["host"] == alb.dns
    # A client behind a proxy: the load balancer appends, never replaces.
    h = alb.get("/", headers={"X-Forwarded-For": "203.0.113.7"}).json()["headers"]
    assert h["x-forwarded-for"] == "203.0.113.7, 127.0.0.1"
    # The DNS name also works with Stratus's port in the Host header.
    r = requests.get(f"http://127.0.0.1:{server.port}/", headers={"Host": f"{alb.dns}:{server.port}"}, timeout=15)
    assert r.json()["name"] == "a"


def test_rules_send_paths_to_groups_and_answer_fixed_responses_and_redirects(server, elb, ec2, backends):
    web, api = backends("web"), backends("api")
    net, lb, _, listener, alb = setup_web(server, elb, ec2, web)
    api_tg = ip_group(elb, net, "api", api)
    elb.create_rule(ListenerArn=listener, Priority=10, Actions=forward(api_tg),
                    Conditions=[{"Field": "path-pattern", "Values": ["/api/*"]}])
    elb.create_rule(ListenerArn=listener, Priority=20, Conditions=[{"Field": "path-pattern", "Values": ["/teapot"]}],
                    Actions=[{"Type": "fixed-response", "FixedResponseConfig": {
                        "StatusCode": "418", "ContentType": "application/json", "MessageBody": '{"short":"stout"}'}}])
    elb.create_rule(ListenerArn=listener, Priority=30, Conditions=[{"Field": "path-pattern", "Values": ["/old/*"]}],
                    Actions=[{"Type": "redirect", "RedirectConfig": {
                        "Protocol": "HTTPS", "Port": "443", "Path": "/new/#{path}", "StatusCode": "HTTP_301"}}])
    elb.create_rule(ListenerArn=listener, Priority=5, Actions=forward(api_tg), Conditions=[
        {"Field": "http-header", "HttpHeaderConfig": {"HttpHeaderName": "X-Beta", "Values": ["y?s"]}},
        {"Field": "query-string", "QueryStringConfig": {"Values": [{"Key": "v", "Value": "2"}]}}])
    until_states(server, elb, api_tg, {api.port: "healthy"})

    assert alb.name("/api/users") == "api"
    assert alb.name("/API/users") == "web"  # paths are case-sensitive
    assert alb.name("/") == "web"
    # Both conditions of a rule must hold.
    assert alb.name("/?v=2", headers={"X-Beta": "YES"}) == "api"
    assert alb.name("/?v=2") == "web"
    assert alb.name("/?v=3", headers={"X-Beta": "yes"}) == "web"

    r = alb.get("/teapot")
    assert (r.status_code, r.headers["Content-Type"].split(";")[0], r.json()) == (418, "application/json", {"short": "stout"})
    r = alb.get("/old/page?x=1")
    assert r.status_code == 301
    assert r.headers["Location"] == f"https://{alb.dns}:443/new/old/page?x=1"


def test_weighted_groups_share_traffic_and_group_stickiness_holds(server, elb, ec2, backends):
    blue, green = backends("blue"), backends("green")
    net, lb, blue_tg, listener, alb = setup_web(server, elb, ec2, blue)
    green_tg = ip_group(elb, net, "green", green)
    groups = [{"TargetGroupArn": blue_tg, "Weight": 3}, {"TargetGroupArn": green_tg, "Weight": 1}]
    elb.modify_listener(ListenerArn=listener, DefaultActions=[
        {"Type": "forward", "ForwardConfig": {"TargetGroups": groups}}])
    until_states(server, elb, green_tg, {green.port: "healthy"})
    names = [alb.name() for _ in range(8)]
    assert (names.count("blue"), names.count("green")) == (6, 2), names

    elb.modify_listener(ListenerArn=listener, DefaultActions=[{"Type": "forward", "ForwardConfig": {
        "TargetGroups": groups, "TargetGroupStickinessConfig": {"Enabled": True, "DurationSeconds": 300}}}])
    s = requests.Session()
    first = alb.get(session=s)
    assert "AWSALBTG" in s.cookies and "AWSALBTGCORS" in s.cookies
    assert {alb.name(session=s) for _ in range(8)} == {first.json()["name"]}


def test_lb_cookie_stickiness_keeps_a_client_on_one_target(server, elb, ec2, backends):
    a, b = backends("a"), backends("b")
    _, _, tg, _, alb = setup_web(server, elb, ec2, a, b)
    elb.modify_target_group_attributes(TargetGroupArn=tg, Attributes=[
        {"Key": "stickiness.enabled", "Value": "true"}, {"Key": "stickiness.type", "Value": "lb_cookie"},
        {"Key": "stickiness.lb_cookie.duration_seconds", "Value": "120"}])
    s = requests.Session()
    r = alb.get(session=s)
    cookies = r.headers.get("Set-Cookie", "")
    assert "AWSALB=" in cookies and "AWSALBCORS=" in cookies and "SameSite=None" in cookies
    first = r.json()["name"]
    assert {alb.name(session=s) for _ in range(6)} == {first}
    # Without the cookie, round robin again.
    assert {alb.name(session=requests) for _ in range(4)} == {"a", "b"}


def test_app_cookie_stickiness_follows_the_application_cookie(server, elb, ec2, backends):
    a, b = backends("a", cookie="SESSION"), backends("b", cookie="SESSION")
    _, _, tg, _, alb = setup_web(server, elb, ec2, a, b)
    elb.modify_target_group_attributes(TargetGroupArn=tg, Attributes=[
        {"Key": "stickiness.enabled", "Value": "true"}, {"Key": "stickiness.type", "Value": "app_cookie"},
        {"Key": "stickiness.app_cookie.cookie_name", "Value": "SESSION"}])
    s = requests.Session()
    r = alb.get(session=s)
    assert "AWSALBAPP-0=" in r.headers["Set-Cookie"] and "SESSION=" in r.headers["Set-Cookie"]
    first = r.json()["name"]
    assert {alb.name(session=s) for _ in range(6)} == {first}


def test_least_outstanding_requests_prefers_the_idle_target(server, elb, ec2, backends):
    slow, fast = backends("slow", delay=2), backends("fast")
    _, _, tg, _, alb = setup_web(server, elb, ec2, slow, fast)
    elb.modify_target_group_attributes(TargetGroupArn=tg, Attributes=[
        {"Key": "load_balancing.algorithm.type", "Value": "least_outstanding_requests"}])
    # Hold a request on the slow target (ties go in turn, so within two
    # tries); while it is in flight, new requests go to the idle one.
    held = []
    for _ in range(2):
        t = threading.Thread(target=lambda: held.append(Alb(server, alb.dns).name()))
        t.start()
        time.sleep(0.4)
        if t.is_alive():
            break
    assert t.is_alive(), held
    assert {alb.name() for _ in range(4)} == {"fast"}
    t.join()
    assert held[-1] == "slow"


def test_elb_errors_no_targets_refusing_target_and_slow_target(server, elb, ec2, backends):
    net, lb, tg, listener, alb = setup_web(server, elb, ec2)
    r = alb.get("/")
    assert r.status_code == 503 and "503 Service Temporarily Unavailable" in r.text
    assert r.headers["Server"] == "awselb/2.0"

    # The only target refuses connections: it fails its checks, the load
    # balancer fails open to it anyway, and answers 502.
    closed = free_port()
    elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": "127.0.0.1", "Port": closed, "AvailabilityZone": "all"}])
    until_states(server, elb, tg, {closed: "unhealthy"})
    r = alb.get("/")
    assert r.status_code == 502 and "502 Bad Gateway" in r.text

    # A target slower than the idle timeout: 504.
    slow = backends("slow", delay=3)
    elb.deregister_targets(TargetGroupArn=tg, Targets=[{"Id": "127.0.0.1", "Port": closed}])
    register(elb, tg, slow)
    elb.modify_load_balancer_attributes(LoadBalancerArn=lb["LoadBalancerArn"], Attributes=[
        {"Key": "idle_timeout.timeout_seconds", "Value": "1"}])
    until_states(server, elb, tg, {slow.port: "healthy", closed: "draining"})
    t0 = time.monotonic()
    r = alb.get("/")
    assert r.status_code == 504 and "504 Gateway Time-out" in r.text
    assert time.monotonic() - t0 < 2.5

    # A load balancer with no listener at all.
    other = make_alb(elb, net, "idle")
    assert Alb(server, other["DNSName"]).get("/").status_code == 503
    # Unknown names under elb.localhost are not claimed by the data plane.
    assert Alb(server, "nope-123.us-east-1.elb.localhost").get("/").status_code != 200


def test_traffic_reaches_cloudwatch(server, elb, ec2, backends):
    a = backends("a")
    _, lb, tg, listener, alb = setup_web(server, elb, ec2, a)
    elb.create_rule(ListenerArn=listener, Priority=1, Conditions=[{"Field": "path-pattern", "Values": ["/gone"]}],
                    Actions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "503"}}])
    for _ in range(5):
        assert alb.get("/").status_code == 200
    assert alb.get("/gone").status_code == 503
    cw = server.client("cloudwatch")
    lb_dim = {"Name": "LoadBalancer", "Value": lb["LoadBalancerArn"].split(":loadbalancer/")[1]}
    tg_dim = {"Name": "TargetGroup", "Value": "targetgroup/" + tg.split(":targetgroup/")[1]}
    server.advance(60)

    def total(name, dims, stat="Sum"):
        end = server.now() + datetime.timedelta(minutes=1)
        points = cw.get_metric_statistics(Namespace="AWS/ApplicationELB", MetricName=name, Dimensions=dims,
                                          StartTime=end - datetime.timedelta(minutes=15), EndTime=end,
                                          Period=60, Statistics=[stat])["Datapoints"]
        return sum(p[stat] for p in points) if points else None

    eventually(lambda: total("RequestCount", [lb_dim]) == 6.0)
    assert total("RequestCount", [tg_dim, lb_dim]) == 5.0
    assert total("HTTPCode_Target_2XX_Count", [tg_dim, lb_dim]) == 5.0
    assert total("HTTPCode_ELB_5XX_Count", [lb_dim]) == 1.0
    assert total("HTTPCode_ELB_503_Count", [lb_dim]) == 1.0
    assert total("HTTP_Fixed_Response_Count", [lb_dim]) == 1.0
    rt = total("TargetResponseTime", [lb_dim], stat="SampleCount")
    assert rt == 5.0
    names = {m["MetricName"] for m in cw.list_metrics(Namespace="AWS/ApplicationELB", Dimensions=[lb_dim])["Metrics"]}
    assert {"RequestCount", "TargetResponseTime", "HTTPCode_Target_2XX_Count"} <= names


def test_listeners_on_their_own_ports_with_lb_listen(server_factory, backends):
    srv = server_factory(args=["--ephemeral", "--test-mode", "--lb-listen"])
    elb, ec2 = srv.client("elbv2"), srv.client("ec2")
    a = backends("a")
    net = network(ec2)
    lb = make_alb(elb, net)
    tg = ip_group(elb, net, "web", a)
    port = free_port()
    listener = elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=port,
                                   DefaultActions=forward(tg))["Listeners"][0]["ListenerArn"]
    # A port something else holds is skipped, and said so.
    taken = srv.port
    elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=taken,
                        DefaultActions=forward(tg))
    until_states(srv, elb, tg, {a.port: "healthy"})

    def answered():
        try:
            r = requests.get(f"http://127.0.0.1:{port}/hello", timeout=5)
        except requests.ConnectionError:
            return False
        return r.status_code == 200 and r.json()["name"] == "a" and r.json()["headers"]["x-forwarded-port"] == str(port)

    eventually(answered, timeout=10)
    eventually(lambda: "port skipped" in srv.stderr(), timeout=5)
    # The port closes with its listener.
    elb.delete_listener(ListenerArn=listener)

    def closed():
        try:
            requests.get(f"http://127.0.0.1:{port}/", timeout=2)
            return False
        except requests.ConnectionError:
            return True

    eventually(closed, timeout=10)


def test_a_restarted_server_keeps_routing_to_healthy_targets(server_factory, backends):
    srv = server_factory(args=["--test-mode"])
    elb, ec2 = srv.client("elbv2"), srv.client("ec2")
    a, b = backends("a"), backends("b")
    _, lb, tg, listener, alb = setup_web(srv, elb, ec2, a, b)
    elb.create_rule(ListenerArn=listener, Priority=1, Conditions=[{"Field": "path-pattern", "Values": ["/ping"]}],
                    Actions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200", "MessageBody": "pong"}}])
    srv.restart()
    alb = Alb(srv, lb["DNSName"])
    assert {p: s for p, (s, _) in states(elb, tg).items()} == {a.port: "healthy", b.port: "healthy"}
    assert {alb.name() for _ in range(4)} == {"a", "b"}
    assert alb.get("/ping").text == "pong"


def test_access_logs_reach_the_bucket_every_five_minutes(server, elb, ec2, backends, aws):
    import gzip

    s3 = server.client("s3")
    a = backends("a")
    _, lb, tg, listener, alb = setup_web(server, elb, ec2, a)
    account = lb["LoadBalancerArn"].split(":")[4]
    lb_id = lb["LoadBalancerArn"].split(":loadbalancer/")[1]

    def attrs(**kv):
        return [{"Key": f"access_logs.s3.{k}", "Value": v} for k, v in kv.items()]

    # A bucket that does not exist is refused, as AWS refuses one it cannot write.
    with pytest.raises(elb.exceptions.InvalidConfigurationRequestException) as e:
        elb.modify_load_balancer_attributes(LoadBalancerArn=lb["LoadBalancerArn"],
                                            Attributes=attrs(enabled="true", bucket="no-such-logs"))
    assert "Access Denied for bucket: no-such-logs" in str(e.value)

    s3.create_bucket(Bucket="alb-logs")
    aws("elbv2", "modify-load-balancer-attributes", "--load-balancer-arn", lb["LoadBalancerArn"],
        "--attributes", "Key=access_logs.s3.enabled,Value=true", "Key=access_logs.s3.bucket,Value=alb-logs",
        "Key=access_logs.s3.prefix,Value=web")
    root = f"web/AWSLogs/{account}/"

    def keys():
        return [o["Key"] for o in s3.list_objects_v2(Bucket="alb-logs", Prefix=root).get("Contents", [])]

    # Turning logs on writes AWS's test file.
    eventually(lambda: f"{root}ELBAccessLogTestFile" in keys())

    elb.create_rule(ListenerArn=listener, Priority=7, Conditions=[
        {"Field": "path-pattern", "PathPatternConfig": {"Values": ["/gone"]}}],
        Actions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "410"}}])
    # Both requests fall in one five-minute interval of the clock.
    fresh_period(server, 300)
    served = alb.get("/page?x=1", headers={"User-Agent": "lab-browser/1.0"})
    assert served.status_code == 200
    trace = served.json()["headers"]["x-amzn-trace-id"]
    assert alb.get("/gone").status_code == 410
    # Nothing is delivered before the five minutes end.
    assert [k for k in keys() if k.endswith(".log.gz")] == []
    server.advance(300)
    logs = eventually(lambda: [k for k in keys() if k.endswith(".log.gz")])
    assert len(logs) == 1
    name = logs[0].rsplit("/", 1)[1]
    assert re.fullmatch(rf"{account}_elasticloadbalancing_us-east-1_app\.web\.[0-9a-f]+_\d{{8}}T\d{{4}}Z_"
                        r"[\d.]+_[a-z0-9]+\.log\.gz", name), name
    assert logs[0].startswith(f"{root}elasticloadbalancing/us-east-1/")
    body = s3.get_object(Bucket="alb-logs", Key=logs[0])["Body"].read()
    lines = gzip.decompress(body).decode().splitlines()
    assert len(lines) == 2, lines
    fields = [re.findall(r'"[^"]*"|\S+', line) for line in lines]
    page, gone = fields
    assert page[0] == "http" and page[2] == lb_id
    assert page[3].startswith("127.0.0.1:")
    assert page[4] == f"127.0.0.1:{a.port}"
    assert page[8:10] == ["200", "200"]
    assert page[12] == f'"GET http://{lb["DNSName"]}:80/page?x=1 HTTP/1.1"'
    assert page[13] == '"lab-browser/1.0"'
    assert page[16] == tg
    assert page[17] == f'"{trace}"'
    assert page[18] == f'"{lb["DNSName"]}"'
    assert page[20] == "0" and page[22] == '"forward"'
    assert page[25:27] == [f'"127.0.0.1:{a.port}"', '"200"']
    assert gone[4] == "-" and gone[8:10] == ["410", "-"]
    assert gone[20] == "7" and gone[22] == '"fixed-response"'

    # Turned off, requests are no longer logged.
    elb.modify_load_balancer_attributes(LoadBalancerArn=lb["LoadBalancerArn"], Attributes=attrs(enabled="false"))
    alb.get("/page")
    server.advance(300)
    time.sleep(0.5)
    assert len([k for k in keys() if k.endswith(".log.gz")]) == 1


def test_access_log_lines_not_yet_delivered_are_written_when_stratus_stops(server_factory, backends):
    import gzip

    srv = server_factory(args=["--test-mode"])
    elb, ec2, s3 = srv.client("elbv2"), srv.client("ec2"), srv.client("s3")
    a = backends("a")
    _, lb, _, _, alb = setup_web(srv, elb, ec2, a)
    s3.create_bucket(Bucket="stop-logs")
    elb.modify_load_balancer_attributes(LoadBalancerArn=lb["LoadBalancerArn"], Attributes=[
        {"Key": "access_logs.s3.enabled", "Value": "true"}, {"Key": "access_logs.s3.bucket", "Value": "stop-logs"}])
    assert alb.name("/before-stop") == "a"
    srv.restart()
    logs = [o["Key"] for o in srv.client("s3").list_objects_v2(Bucket="stop-logs")["Contents"]
            if o["Key"].endswith(".log.gz")]
    assert len(logs) == 1
    body = srv.client("s3").get_object(Bucket="stop-logs", Key=logs[0])["Body"].read()
    lines = gzip.decompress(body).decode().splitlines()
    assert len(lines) == 1 and "/before-stop HTTP/1.1" in lines[0]
