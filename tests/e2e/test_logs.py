"""CloudWatch Logs through boto3 and the aws CLI: log groups, retention (also
on the clock), tags, streams, PutLogEvents' batch rules, GetLogEvents' tokens,
FilterLogEvents with filter patterns, metric and subscription filters, Logs
Insights queries, export tasks, and state across a restart."""

from __future__ import annotations

import gzip
import json
import time

import boto3
import pytest
from botocore.exceptions import ClientError

from helpers import DEFAULT_ACCOUNT, REGION, error_of

DAY = 86_400_000


@pytest.fixture
def logs(server):
    return server.client("logs")


def now_ms(server) -> int:
    return int(server.now().timestamp() * 1000)


def fails(call, code, message=None, **kw):
    with pytest.raises(ClientError) as e:
        call(**kw)
    c, m, status = error_of(e.value)
    assert (c, status) == (code, 400), (c, m, status)
    if message is not None:
        assert m == message, m
    return m


def group_with_stream(logs, group="/app/web", stream="i-1"):
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName=stream)
    return group, stream


def put(logs, group, stream, messages, start):
    """Puts messages one millisecond apart from `start`."""
    events = [{"timestamp": start + i, "message": m} for i, m in enumerate(messages)]
    return logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)


# ---------------------------------------------------------------- log groups


def test_log_groups_create_describe_delete(logs):
    kms = f"arn:aws:kms:{REGION}:{DEFAULT_ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    logs.create_log_group(logGroupName="/app/web", tags={"team": "web"}, kmsKeyId=kms)
    logs.create_log_group(logGroupName="/app/worker", logGroupClass="INFREQUENT_ACCESS")
    logs.create_log_group(logGroupName="audit")
    fails(
        logs.create_log_group,
        "ResourceAlreadyExistsException",
        "The specified log group already exists",
        logGroupName="/app/web",
    )

    groups = logs.describe_log_groups(logGroupNamePrefix="/app/")["logGroups"]
    assert [g["logGroupName"] for g in groups] == ["/app/web", "/app/worker"]
    web = groups[0]
    base = f"arn:aws:logs:{REGION}:{DEFAULT_ACCOUNT}:log-group:/app/web"
    assert web["arn"] == base + ":*"
    assert web["logGroupArn"] == base
    assert web["kmsKeyId"] == kms
    assert web["logGroupClass"] == "STANDARD"
    assert web["storedBytes"] == 0
    assert web["metricFilterCount"] == 0
    assert "retentionInDays" not in web
    assert groups[1]["logGroupClass"] == "INFREQUENT_ACCESS"

    by_pattern = logs.describe_log_groups(logGroupNamePattern="work")["logGroups"]
    assert [g["logGroupName"] for g in by_pattern] == ["/app/worker"]
    fails(
        logs.describe_log_groups,
        "InvalidParameterException",
        "LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.",
        logGroupNamePrefix="/app",
        logGroupNamePattern="app",
    )
    by_class = logs.describe_log_groups(logGroupClass="INFREQUENT_ACCESS")["logGroups"]
    assert [g["logGroupName"] for g in by_class] == ["/app/worker"]

    page1 = logs.describe_log_groups(limit=2)
    assert [g["logGroupName"] for g in page1["logGroups"]] == ["/app/web", "/app/worker"]
    page2 = logs.describe_log_groups(limit=2, nextToken=page1["nextToken"])
    assert [g["logGroupName"] for g in page2["logGroups"]] == ["audit"]
    assert "nextToken" not in page2
    paged = [
        g["logGroupName"]
        for p in logs.get_paginator("describe_log_groups").paginate(PaginationConfig={"PageSize": 1})
        for g in p["logGroups"]
    ]
    assert paged == ["/app/web", "/app/worker", "audit"]

    logs.delete_log_group(logGroupName="audit")
    fails(
        logs.delete_log_group,
        "ResourceNotFoundException",
        "The specified log group does not exist.",
        logGroupName="audit",
    )
    assert len(logs.describe_log_groups()["logGroups"]) == 2


def test_groups_are_per_account_and_region(logs, server):
    logs.create_log_group(logGroupName="shared-name")
    other_region = boto3.client(
        "logs",
        endpoint_url=server.url,
        region_name="eu-west-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    other_account = server.client("logs", access_key="111122223333")
    assert other_region.describe_log_groups()["logGroups"] == []
    assert other_account.describe_log_groups()["logGroups"] == []
    other_account.create_log_group(logGroupName="shared-name")
    arn = other_account.describe_log_groups()["logGroups"][0]["logGroupArn"]
    assert arn == f"arn:aws:logs:{REGION}:111122223333:log-group:shared-name"
    other_account.delete_log_group(logGroupName="shared-name")
    assert [g["logGroupName"] for g in logs.describe_log_groups()["logGroups"]] == ["shared-name"]


def test_log_group_names_are_validated(logs):
    m = fails(logs.create_log_group, "InvalidParameterException", logGroupName="bad:name")
    assert "logGroupName" in m and "regular expression" in m
    fails(logs.create_log_group, "InvalidParameterException", logGroupName="a" * 513)
    fails(
        logs.create_log_group,
        "InvalidParameterException",
        "Log groups starting with AWS/ are reserved for AWS.",
        logGroupName="aws/mine",
    )
    fails(logs.get_log_events, "InvalidParameterException", logGroupName="g", logStreamName="s", limit=10001)


def test_retention_policies(logs):
    logs.create_log_group(logGroupName="g")
    logs.put_retention_policy(logGroupName="g", retentionInDays=7)
    assert logs.describe_log_groups()["logGroups"][0]["retentionInDays"] == 7
    m = fails(logs.put_retention_policy, "InvalidParameterException", logGroupName="g", retentionInDays=2)
    assert "retentionInDays" in m and "[1, 3, 5, 7, 14, 30" in m
    logs.put_retention_policy(logGroupName="g", retentionInDays=3653)
    logs.delete_retention_policy(logGroupName="g")
    assert "retentionInDays" not in logs.describe_log_groups()["logGroups"][0]
    fails(logs.put_retention_policy, "ResourceNotFoundException", logGroupName="nope", retentionInDays=1)
    fails(logs.delete_retention_policy, "ResourceNotFoundException", logGroupName="nope")


def test_tags_by_name_and_by_arn(logs):
    logs.create_log_group(logGroupName="/svc", tags={"env": "dev"})
    arn = logs.describe_log_groups()["logGroups"][0]["logGroupArn"]
    logs.tag_resource(resourceArn=arn, tags={"a": "1", "b": "2"})
    logs.tag_log_group(logGroupName="/svc", tags={"c": "3"})
    want = {"env": "dev", "a": "1", "b": "2", "c": "3"}
    assert logs.list_tags_log_group(logGroupName="/svc")["tags"] == want
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == want
    logs.untag_log_group(logGroupName="/svc", tags=["c"])
    logs.untag_resource(resourceArn=arn, tagKeys=["env", "a"])
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == {"b": "2"}
    fails(logs.list_tags_log_group, "ResourceNotFoundException", logGroupName="/nope")
    fails(
        logs.tag_resource,
        "ResourceNotFoundException",
        resourceArn=arn.replace("/svc", "/nope"),
        tags={"x": "y"},
    )
    fails(
        logs.tag_resource,
        "TooManyTagsException",
        resourceArn=arn,
        tags={f"k{i}": "v" for i in range(50)},
    )


def test_kms_keys_and_deletion_protection(logs):
    logs.create_log_group(logGroupName="safe", deletionProtectionEnabled=True)
    key = f"arn:aws:kms:{REGION}:{DEFAULT_ACCOUNT}:key/k1"
    logs.associate_kms_key(logGroupName="safe", kmsKeyId=key)
    g = logs.describe_log_groups()["logGroups"][0]
    assert g["kmsKeyId"] == key and g["deletionProtectionEnabled"] is True
    logs.disassociate_kms_key(logGroupName="safe")
    assert "kmsKeyId" not in logs.describe_log_groups()["logGroups"][0]
    fails(
        logs.delete_log_group,
        "ValidationException",
        "Cannot delete log group with deletion protection enabled. Disable deletion protection first.",
        logGroupName="safe",
    )
    logs.put_log_group_deletion_protection(logGroupIdentifier="safe", deletionProtectionEnabled=False)
    logs.delete_log_group(logGroupName="safe")


# ---------------------------------------------------------------- streams


def test_streams_create_describe_delete(logs, server):
    logs.create_log_group(logGroupName="g")
    for name in ["web-2", "web-1", "db-1"]:
        logs.create_log_stream(logGroupName="g", logStreamName=name)
    fails(
        logs.create_log_stream,
        "ResourceAlreadyExistsException",
        "The specified log stream already exists",
        logGroupName="g",
        logStreamName="web-1",
    )
    fails(
        logs.create_log_stream,
        "ResourceNotFoundException",
        "The specified log group does not exist.",
        logGroupName="nope",
        logStreamName="s",
    )
    streams = logs.describe_log_streams(logGroupName="g")["logStreams"]
    assert [s["logStreamName"] for s in streams] == ["db-1", "web-1", "web-2"]
    fresh = streams[0]
    assert fresh["arn"] == f"arn:aws:logs:{REGION}:{DEFAULT_ACCOUNT}:log-group:g:log-stream:db-1"
    assert fresh["storedBytes"] == 0
    assert "lastEventTimestamp" not in fresh and "uploadSequenceToken" not in fresh

    t = now_ms(server)
    put(logs, "g", "web-2", ["a"], t - 5000)
    put(logs, "g", "db-1", ["b", "c"], t - 1000)
    put(logs, "g", "web-1", ["d"], t - 3000)
    by_time = logs.describe_log_streams(logGroupName="g", orderBy="LastEventTime", descending=True)["logStreams"]
    assert [s["logStreamName"] for s in by_time] == ["db-1", "web-1", "web-2"]
    db = by_time[0]
    assert db["firstEventTimestamp"] == t - 1000
    assert db["lastEventTimestamp"] == t - 999
    assert db["lastIngestionTime"] >= t
    assert len(db["uploadSequenceToken"]) == 56

    prefixed = logs.describe_log_streams(logGroupName="g", logStreamNamePrefix="web", descending=True)
    assert [s["logStreamName"] for s in prefixed["logStreams"]] == ["web-2", "web-1"]
    fails(
        logs.describe_log_streams,
        "InvalidParameterException",
        "Cannot order by LastEventTime with a logStreamNamePrefix.",
        logGroupName="g",
        orderBy="LastEventTime",
        logStreamNamePrefix="web",
    )
    page = logs.describe_log_streams(logGroupName="g", limit=2)
    assert len(page["logStreams"]) == 2
    rest = logs.describe_log_streams(logGroupName="g", limit=2, nextToken=page["nextToken"])
    assert [s["logStreamName"] for s in rest["logStreams"]] == ["web-2"]

    arn = f"arn:aws:logs:{REGION}:{DEFAULT_ACCOUNT}:log-group:g"
    assert len(logs.describe_log_streams(logGroupIdentifier=arn)["logStreams"]) == 3
    fails(
        logs.describe_log_streams,
        "ValidationException",
        "LogGroup name and LogGroup ARN are mutually exclusive parameters.",
        logGroupName="g",
        logGroupIdentifier=arn,
    )
    fails(logs.describe_log_streams, "ResourceNotFoundException", logGroupName="nope")

    logs.delete_log_stream(logGroupName="g", logStreamName="web-2")
    fails(
        logs.delete_log_stream,
        "ResourceNotFoundException",
        "The specified log stream does not exist.",
        logGroupName="g",
        logStreamName="web-2",
    )
    assert len(logs.describe_log_streams(logGroupName="g")["logStreams"]) == 2
    # Deleting the group takes its streams and events along.
    logs.delete_log_group(logGroupName="g")
    logs.create_log_group(logGroupName="g")
    assert logs.describe_log_streams(logGroupName="g")["logStreams"] == []


# ---------------------------------------------------------------- events


def test_put_log_events_batch_rules(logs, server):
    group, stream = group_with_stream(logs)
    t = now_ms(server)
    r = put(logs, group, stream, ["one", "two"], t)
    assert len(r["nextSequenceToken"]) == 56
    assert "rejectedLogEventsInfo" not in r
    # Sequence tokens are accepted and ignored, even stale ones.
    logs.put_log_events(
        logGroupName=group,
        logStreamName=stream,
        logEvents=[{"timestamp": t + 5, "message": "three"}],
        sequenceToken="12345",
    )

    fails(
        logs.put_log_events,
        "InvalidParameterException",
        "Log events in a single PutLogEvents request must be in chronological order.",
        logGroupName=group,
        logStreamName=stream,
        logEvents=[{"timestamp": t, "message": "b"}, {"timestamp": t - 2 * DAY, "message": "a"}],
    )
    fails(
        logs.put_log_events,
        "ResourceNotFoundException",
        "The specified log stream does not exist.",
        logGroupName=group,
        logStreamName="nope",
        logEvents=[{"timestamp": t, "message": "x"}],
    )
    fails(
        logs.put_log_events,
        "ResourceNotFoundException",
        "The specified log group does not exist.",
        logGroupName="nope",
        logStreamName=stream,
        logEvents=[{"timestamp": t, "message": "x"}],
    )
    m = fails(
        logs.put_log_events,
        "InvalidParameterException",
        logGroupName=group,
        logStreamName=stream,
        logEvents=[{"timestamp": t, "message": "x" * 600_000}, {"timestamp": t, "message": "y" * 600_000}],
    )
    assert "1048576" in m
    fails(
        logs.put_log_events,
        "InvalidParameterException",
        logGroupName=group,
        logStreamName=stream,
        logEvents=[{"timestamp": t, "message": "x"} for _ in range(10_001)],
    )
    fails(
        logs.put_log_events,
        "InvalidParameterException",
        "Log events in a single PutLogEvents request cannot span more than 24 hours.",
        logGroupName=group,
        logStreamName=stream,
        logEvents=[{"timestamp": t - 3 * DAY, "message": "a"}, {"timestamp": t, "message": "b"}],
    )

    # Too old (over 14 days), then fine, then too new (over 2 hours ahead).
    r = logs.put_log_events(
        logGroupName=group,
        logStreamName=stream,
        logEvents=[
            {"timestamp": t - 20 * DAY, "message": "old-1"},
            {"timestamp": t - 15 * DAY, "message": "old-2"},
            {"timestamp": t + 10, "message": "kept"},
            {"timestamp": t + 3 * 3_600_000, "message": "new-1"},
            {"timestamp": t + 4 * 3_600_000, "message": "new-2"},
        ],
    )
    assert r["rejectedLogEventsInfo"] == {"tooOldLogEventEndIndex": 1, "tooNewLogEventStartIndex": 3}
    messages = [e["message"] for e in logs.get_log_events(logGroupName=group, logStreamName=stream)["events"]]
    assert messages == ["one", "two", "three", "kept"]

    # Older than the group's retention: expired.
    logs.put_retention_policy(logGroupName=group, retentionInDays=1)
    r = logs.put_log_events(
        logGroupName=group,
        logStreamName=stream,
        logEvents=[{"timestamp": t - 2 * DAY, "message": "expired"}, {"timestamp": t + 20, "message": "ok"}],
    )
    assert r["rejectedLogEventsInfo"] == {"expiredLogEventEndIndex": 0}
    stored = logs.describe_log_groups()["logGroups"][0]["storedBytes"]
    assert stored == len("one") + len("two") + len("three") + len("kept") + len("ok")


def test_get_log_events_paging(logs, server):
    group, stream = group_with_stream(logs)
    t = now_ms(server) - 60_000
    put(logs, group, stream, [f"m{i:02}" for i in range(25)], t)

    def get(**kw):
        return logs.get_log_events(logGroupName=group, logStreamName=stream, **kw)

    everything = get()
    assert [e["message"] for e in everything["events"]] == [f"m{i:02}" for i in range(25)]
    e0 = everything["events"][0]
    assert e0["timestamp"] == t and e0["ingestionTime"] >= t
    assert everything["nextForwardToken"].startswith("f/")
    assert everything["nextBackwardToken"].startswith("b/")

    # Without a token: the newest events; backward pages go further back.
    tail = get(limit=10)
    assert [e["message"] for e in tail["events"]] == [f"m{i:02}" for i in range(15, 25)]
    back = get(limit=10, nextToken=tail["nextBackwardToken"])
    assert [e["message"] for e in back["events"]] == [f"m{i:02}" for i in range(5, 15)]
    back2 = get(limit=10, nextToken=back["nextBackwardToken"])
    assert [e["message"] for e in back2["events"]] == [f"m{i:02}" for i in range(0, 5)]
    start = get(limit=10, nextToken=back2["nextBackwardToken"])
    assert start["events"] == []
    assert start["nextBackwardToken"] == back2["nextBackwardToken"]

    # From the head forward, until the same token comes back.
    seen, token, pages = [], None, 0
    while True:
        kw = {"nextToken": token} if token else {"startFromHead": True}
        page = get(limit=10, **kw)
        pages += 1
        seen += [e["message"] for e in page["events"]]
        if page["nextForwardToken"] == token:
            break
        token = page["nextForwardToken"]
    assert seen == [f"m{i:02}" for i in range(25)]
    assert pages == 4

    # New events appear behind the end token.
    put(logs, group, stream, ["late"], t + 100)
    assert [e["message"] for e in get(nextToken=token)["events"]] == ["late"]

    window = get(startTime=t + 5, endTime=t + 8)
    assert [e["message"] for e in window["events"]] == ["m05", "m06", "m07"]
    arn = f"arn:aws:logs:{REGION}:{DEFAULT_ACCOUNT}:log-group:{group}"
    assert len(logs.get_log_events(logGroupIdentifier=arn, logStreamName=stream)["events"]) == 26

    fails(
        get,
        "InvalidParameterException",
        "The specified nextToken is invalid.",
        nextToken="invalid-token",
    )
    fails(
        logs.get_log_events,
        "ResourceNotFoundException",
        "The specified log stream does not exist.",
        logGroupName=group,
        logStreamName="nope",
    )
    fails(
        logs.get_log_events,
        "ResourceNotFoundException",
        "The specified log group does not exist.",
        logGroupName="nope",
        logStreamName=stream,
    )


APACHE = [
    '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 404 1534',
    '127.0.0.1 - frank [10/Oct/2000:13:35:22 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326',
    '10.0.0.9 - alice [10/Oct/2000:13:50:35 -0700] "GET /index.html HTTP/1.0" 500 120',
]
JSON_EVENTS = [
    json.dumps({"level": "ERROR", "latency": 250, "user": {"name": "alice"}, "tags": ["a", "b"]}),
    json.dumps({"level": "INFO", "latency": 20, "user": {"name": "bob"}, "flag": True}),
    json.dumps({"level": "WARN", "latency": 90, "user": None}),
]


def test_filter_log_events_with_patterns(logs, server):
    logs.create_log_group(logGroupName="g")
    for s in ["access-1", "access-2", "app"]:
        logs.create_log_stream(logGroupName="g", logStreamName=s)
    t = now_ms(server) - 60_000
    put(logs, "g", "access-1", APACHE[:2], t)
    put(logs, "g", "access-2", APACHE[2:], t + 1)
    put(logs, "g", "app", JSON_EVENTS + ["plain ERROR line", "DEBUG noise"], t + 10)

    def matches(pattern, **kw):
        r = logs.filter_log_events(logGroupName="g", filterPattern=pattern, **kw)
        return [e["message"] for e in r["events"]]

    assert len(matches("")) == 8
    assert matches("ERROR") == [JSON_EVENTS[0], "plain ERROR line"]
    assert matches('"plain ERROR"') == ["plain ERROR line"]
    assert matches("?WARN ?DEBUG") == [JSON_EVENTS[2], "DEBUG noise"]
    assert matches("GET -index") == [APACHE[1]]
    assert matches("%frank|alice%") == APACHE + [JSON_EVENTS[0]]
    assert matches('{ $.level = "ERROR" }') == [JSON_EVENTS[0]]
    assert matches("{ $.latency > 50 && $.level != INFO }") == [JSON_EVENTS[0], JSON_EVENTS[2]]
    assert matches('{ $.user.name = "b*" || $.latency >= 250 }') == [JSON_EVENTS[0], JSON_EVENTS[1]]
    assert matches("{ $.user IS NULL }") == [JSON_EVENTS[2]]
    assert matches("{ $.flag IS TRUE }") == [JSON_EVENTS[1]]
    assert matches("{ $.flag NOT EXISTS }") == [JSON_EVENTS[0], JSON_EVENTS[2]]
    assert matches('{ $.tags[1] = "b" }') == [JSON_EVENTS[0]]
    assert matches("[ip, id, user, timestamp, request, status_code = 4*, bytes]") == [APACHE[0]]
    assert matches("[ip, ..., status_code >= 500, bytes]") == [APACHE[2]]
    assert matches("[..., status_code = 2* || status_code = 4*, bytes > 1000]") == [APACHE[0], APACHE[1]]
    assert matches('[ip = "10.*", ...]') == [APACHE[2]]

    # Which streams, which times.
    assert matches("GET", logStreamNames=["access-2"]) == [APACHE[2]]
    assert len(matches("GET", logStreamNamePrefix="access")) == 3
    assert matches("", startTime=t + 1, endTime=t + 11) == [APACHE[1], APACHE[2], JSON_EVENTS[0]]
    r = logs.filter_log_events(logGroupName="g", filterPattern="GET", logStreamNamePrefix="access", interleaved=True)
    assert sorted(s["logStreamName"] for s in r["searchedLogStreams"]) == ["access-1", "access-2"]
    ev = r["events"][0]
    assert ev["logStreamName"] == "access-1" and len(ev["eventId"]) == 56
    assert ev["timestamp"] == t and ev["ingestionTime"] >= t

    # Paging.
    seen, token = [], None
    while True:
        kw = {"nextToken": token} if token else {}
        r = logs.filter_log_events(logGroupName="g", limit=3, **kw)
        seen += [e["message"] for e in r["events"]]
        token = r.get("nextToken")
        if not token:
            break
    assert len(seen) == 8 and seen[:2] == APACHE[:2]
    paged = [e["message"] for p in logs.get_paginator("filter_log_events").paginate(logGroupName="g", PaginationConfig={"PageSize": 2}) for e in p["events"]]
    assert paged == seen

    fails(
        logs.filter_log_events,
        "InvalidParameterException",
        "The specified nextToken is invalid.",
        logGroupName="g",
        nextToken="garbage!",
    )
    fails(
        logs.filter_log_events,
        "InvalidParameterException",
        logGroupName="g",
        logStreamNames=["app"],
        logStreamNamePrefix="a",
    )
    fails(logs.filter_log_events, "InvalidParameterException", logGroupName="g", filterPattern="{ $.a = }")
    fails(
        logs.filter_log_events,
        "ResourceNotFoundException",
        "The specified log group does not exist.",
        logGroupName="nope",
    )


# ---------------------------------------------------------------- metric filters


def test_metric_filters(logs):
    logs.create_log_group(logGroupName="g")
    logs.put_metric_filter(
        logGroupName="g",
        filterName="errors",
        filterPattern="ERROR",
        metricTransformations=[
            {"metricName": "ErrorCount", "metricNamespace": "App", "metricValue": "1", "defaultValue": 0}
        ],
    )
    logs.put_metric_filter(
        logGroupName="g",
        filterName="latency",
        filterPattern="{ $.latency > 0 }",
        metricTransformations=[
            {
                "metricName": "Latency",
                "metricNamespace": "App",
                "metricValue": "$.latency",
                "unit": "Milliseconds",
                "dimensions": {"User": "$.user.name"},
            }
        ],
    )
    logs.put_metric_filter(
        logGroupName="g",
        filterName="bytes",
        filterPattern="[ip, id, user, timestamp, request, status, bytes]",
        metricTransformations=[{"metricName": "Bytes", "metricNamespace": "Web", "metricValue": "$bytes"}],
    )
    filters = logs.describe_metric_filters(logGroupName="g")["metricFilters"]
    assert [f["filterName"] for f in filters] == ["bytes", "errors", "latency"]
    errors = filters[1]
    assert errors["filterPattern"] == "ERROR" and errors["logGroupName"] == "g"
    assert errors["metricTransformations"] == [
        {"metricName": "ErrorCount", "metricNamespace": "App", "metricValue": "1", "defaultValue": 0.0}
    ]
    assert filters[2]["metricTransformations"][0]["dimensions"] == {"User": "$.user.name"}
    assert logs.describe_log_groups()["logGroups"][0]["metricFilterCount"] == 3

    by_prefix = logs.describe_metric_filters(logGroupName="g", filterNamePrefix="lat")["metricFilters"]
    assert [f["filterName"] for f in by_prefix] == ["latency"]
    by_metric = logs.describe_metric_filters(metricName="Bytes", metricNamespace="Web")["metricFilters"]
    assert [f["filterName"] for f in by_metric] == ["bytes"]
    fails(logs.describe_metric_filters, "InvalidParameterException", filterNamePrefix="x")
    fails(logs.describe_metric_filters, "ResourceNotFoundException", logGroupName="nope")

    fails(
        logs.put_metric_filter,
        "InvalidParameterException",
        logGroupName="g",
        filterName="bad",
        filterPattern="[a, b]",
        metricTransformations=[{"metricName": "M", "metricNamespace": "N", "metricValue": "$c"}],
    )
    fails(
        logs.put_metric_filter,
        "InvalidParameterException",
        logGroupName="g",
        filterName="bad",
        filterPattern="{ $.a = ",
        metricTransformations=[{"metricName": "M", "metricNamespace": "N", "metricValue": "1"}],
    )
    fails(
        logs.put_metric_filter,
        "ResourceNotFoundException",
        "The specified log group does not exist.",
        logGroupName="nope",
        filterName="f",
        filterPattern="",
        metricTransformations=[{"metricName": "M", "metricNamespace": "N", "metricValue": "1"}],
    )

    logs.delete_metric_filter(logGroupName="g", filterName="bytes")
    fails(
        logs.delete_metric_filter,
        "ResourceNotFoundException",
        logGroupName="g",
        filterName="bytes",
    )
    assert len(logs.describe_metric_filters(logGroupName="g")["metricFilters"]) == 2


def test_test_metric_filter(logs):
    r = logs.test_metric_filter(
        filterPattern="[ip, id, user, timestamp, request, status_code = 4*, bytes]",
        logEventMessages=APACHE,
    )
    assert len(r["matches"]) == 1
    m = r["matches"][0]
    assert m["eventNumber"] == 1 and m["eventMessage"] == APACHE[0]
    assert m["extractedValues"]["$status_code"] == "404"
    assert m["extractedValues"]["$bytes"] == "1534"
    r = logs.test_metric_filter(filterPattern="{ $.latency >= 90 }", logEventMessages=JSON_EVENTS)
    assert [m["eventNumber"] for m in r["matches"]] == [1, 3]
    assert r["matches"][0]["extractedValues"] == {"$.latency": "250"}
    r = logs.test_metric_filter(filterPattern="?INFO ?WARN", logEventMessages=JSON_EVENTS)
    assert [m["eventNumber"] for m in r["matches"]] == [2, 3]
    fails(logs.test_metric_filter, "InvalidParameterException", filterPattern="{ $.x >", logEventMessages=["a"])


# ---------------------------------------------------------------- subscription filters


def test_subscription_filters(logs):
    logs.create_log_group(logGroupName="g")
    fn = f"arn:aws:lambda:{REGION}:{DEFAULT_ACCOUNT}:function:shipper"
    stream = f"arn:aws:kinesis:{REGION}:{DEFAULT_ACCOUNT}:stream/logs"
    role = f"arn:aws:iam::{DEFAULT_ACCOUNT}:role/cwl"
    logs.put_subscription_filter(logGroupName="g", filterName="to-lambda", filterPattern="", destinationArn=fn)
    logs.put_subscription_filter(
        logGroupName="g",
        filterName="to-kinesis",
        filterPattern="ERROR",
        destinationArn=stream,
        roleArn=role,
        distribution="Random",
    )
    subs = logs.describe_subscription_filters(logGroupName="g")["subscriptionFilters"]
    assert [s["filterName"] for s in subs] == ["to-kinesis", "to-lambda"]
    assert subs[0]["distribution"] == "Random" and subs[0]["roleArn"] == role
    assert subs[1]["distribution"] == "ByLogStream" and subs[1]["destinationArn"] == fn
    # Updating one keeps the count at two.
    logs.put_subscription_filter(logGroupName="g", filterName="to-lambda", filterPattern="[]", destinationArn=fn)
    assert logs.describe_subscription_filters(logGroupName="g", filterNamePrefix="to-l")["subscriptionFilters"][0][
        "filterPattern"
    ] == "[]"
    fails(
        logs.put_subscription_filter,
        "LimitExceededException",
        "Resource limit exceeded.",
        logGroupName="g",
        filterName="third",
        filterPattern="",
        destinationArn=fn,
    )
    fails(
        logs.put_subscription_filter,
        "InvalidParameterException",
        "destinationArn for vendor kinesis cannot be used without roleArn",
        logGroupName="g",
        filterName="to-kinesis",
        filterPattern="",
        destinationArn=stream,
    )
    fails(
        logs.put_subscription_filter,
        "InvalidParameterException",
        logGroupName="g",
        filterName="x",
        filterPattern="",
        destinationArn=f"arn:aws:sqs:{REGION}:{DEFAULT_ACCOUNT}:q",
    )
    logs.delete_subscription_filter(logGroupName="g", filterName="to-kinesis")
    fails(
        logs.delete_subscription_filter,
        "ResourceNotFoundException",
        "The specified subscription filter does not exist.",
        logGroupName="g",
        filterName="to-kinesis",
    )
    fails(
        logs.describe_subscription_filters,
        "ResourceNotFoundException",
        "The specified log group does not exist.",
        logGroupName="nope",
    )


# ---------------------------------------------------------------- Insights


def wait_query(logs, qid):
    for _ in range(50):
        r = logs.get_query_results(queryId=qid)
        if r["status"] == "Complete":
            return r
        time.sleep(0.1)
    raise AssertionError(f"query {qid} did not complete")


def rows(result):
    return [{f["field"]: f["value"] for f in row} for row in result["results"]]


def test_insights_queries(logs, server):
    logs.create_log_group(logGroupName="/app")
    logs.create_log_stream(logGroupName="/app", logStreamName="s1")
    logs.create_log_stream(logGroupName="/app", logStreamName="s2")
    t = now_ms(server) - 120_000
    put(logs, "/app", "s1", JSON_EVENTS, t)
    put(logs, "/app", "s2", ["user=carol action=login took 35ms", "user=dave action=logout took 12ms"], t + 10)
    start, end = t // 1000 - 60, now_ms(server) // 1000 + 60

    def query(q, **kw):
        qid = logs.start_query(logGroupName="/app", startTime=start, endTime=end, queryString=q, **kw)["queryId"]
        return wait_query(logs, qid)

    r = query("fields @timestamp, @message, @logStream, @log | sort @timestamp desc | limit 3")
    got = rows(r)
    assert len(got) == 3
    assert got[0]["@message"] == "user=dave action=logout took 12ms"
    assert got[0]["@logStream"] == "s2"
    assert got[0]["@log"] == f"{DEFAULT_ACCOUNT}:/app"
    assert len(got[0]["@timestamp"]) == len("2024-01-01 00:00:00.000")
    assert "@ptr" in got[0]
    assert r["statistics"]["recordsScanned"] == 5.0
    assert r["statistics"]["recordsMatched"] == 5.0
    assert r["statistics"]["bytesScanned"] > 0

    r = query('filter level = "ERROR" or latency < 50 | fields level, latency | sort latency')
    assert [(x["level"], x["latency"]) for x in rows(r)] == [("INFO", "20"), ("ERROR", "250")]
    assert r["statistics"]["recordsMatched"] == 2.0

    r = query("filter @message like /action=log(in|out)/ | parse @message \"user=* action=* took *ms\" as who, what, ms | display who, what, ms")
    assert rows(r) == [{"who": "carol", "what": "login", "ms": "35"}, {"who": "dave", "what": "logout", "ms": "12"}]

    r = query("filter ispresent(latency) | stats count(*) as n, avg(latency) as avg, max(latency) by level | sort n desc, level")
    assert rows(r) == [
        {"level": "ERROR", "n": "1", "avg": "250", "max(latency)": "250"},
        {"level": "INFO", "n": "1", "avg": "20", "max(latency)": "20"},
        {"level": "WARN", "n": "1", "avg": "90", "max(latency)": "90"},
    ]
    r = query("stats count(*) as events by bin(1h)")
    assert len(rows(r)) in (1, 2) and sum(int(x["events"]) for x in rows(r)) == 5

    # Several groups, by identifier.
    logs.create_log_group(logGroupName="/other")
    qid = logs.start_query(
        logGroupIdentifiers=["/app", f"arn:aws:logs:{REGION}:{DEFAULT_ACCOUNT}:log-group:/other"],
        startTime=start,
        endTime=end,
        queryString="stats count(*) as n",
    )["queryId"]
    assert rows(wait_query(logs, qid)) == [{"n": "5"}]

    described = logs.describe_queries(logGroupName="/app")["queries"]
    assert len(described) == 6
    assert all(q["status"] == "Complete" for q in described)
    assert any(q["queryString"].endswith("| sort @timestamp desc | limit 3") for q in described)
    assert described[0]["queryString"].startswith('SOURCE "/app" "/other" START=')
    assert logs.describe_queries(status="Running")["queries"] == []

    fails(logs.stop_query, "InvalidParameterException", queryId=qid)
    fails(logs.get_query_results, "ResourceNotFoundException", queryId="00000000-0000-0000-0000-000000000000")
    with pytest.raises(ClientError) as e:
        logs.start_query(logGroupName="/app", startTime=start, endTime=end, queryString="fields @message | bogus")
    assert error_of(e.value)[0] == "MalformedQueryException"
    assert e.value.response["queryCompileError"]["location"]["startCharOffset"] == 19 - 1
    fails(
        logs.start_query,
        "ResourceNotFoundException",
        f"Log group '/nope' does not exist for account ID '{DEFAULT_ACCOUNT}'",
        logGroupName="/nope",
        startTime=start,
        endTime=end,
        queryString="fields @message",
    )

    fields = {f["name"]: f["percent"] for f in logs.get_log_group_fields(logGroupName="/app")["logGroupFields"]}
    assert fields["@message"] == 100 and fields["level"] == 60


def test_log_records_and_query_definitions(logs, server):
    group, stream = group_with_stream(logs, "/rec", "s")
    t = now_ms(server) - 5_000
    put(logs, group, stream, [json.dumps({"op": "read", "ms": 7}), "plain"], t)
    qid = logs.start_query(
        logGroupName=group,
        startTime=t // 1000 - 10,
        endTime=t // 1000 + 10,
        queryString="filter op = 'read' | fields @message",
    )["queryId"]
    ptr = rows(wait_query(logs, qid))[0]["@ptr"]
    record = logs.get_log_record(logRecordPointer=ptr)["logRecord"]
    assert record["op"] == "read" and record["ms"] == "7"
    assert record["@logStream"] == "s" and record["@log"] == f"{DEFAULT_ACCOUNT}:/rec"
    assert record["@timestamp"] == str(t)
    fails(logs.get_log_record, "InvalidParameterException", logRecordPointer="not-a-pointer")

    did = logs.put_query_definition(
        name="errors/by-path", queryString="filter level = 'ERROR' | stats count(*) by path", logGroupNames=[group]
    )["queryDefinitionId"]
    logs.put_query_definition(name="slow", queryString="filter ms > 100")
    logs.put_query_definition(queryDefinitionId=did, name="errors/by-path", queryString="stats count(*)")
    defs = logs.describe_query_definitions()["queryDefinitions"]
    assert [d["name"] for d in defs] == ["errors/by-path", "slow"]
    assert defs[0]["queryString"] == "stats count(*)" and defs[0]["logGroupNames"] == []
    assert [d["name"] for d in logs.describe_query_definitions(queryDefinitionNamePrefix="sl")["queryDefinitions"]] == [
        "slow"
    ]
    assert logs.delete_query_definition(queryDefinitionId=did)["success"] is True
    fails(logs.delete_query_definition, "ResourceNotFoundException", queryDefinitionId=did)
    fails(logs.put_query_definition, "ResourceNotFoundException", queryDefinitionId=did, name="x", queryString="y")


def test_list_log_groups(logs):
    for name in ["/aws/lambda/fn-a", "/aws/lambda/fn-b", "/app/discovery", "other"]:
        logs.create_log_group(logGroupName=name, tags={"env": "prod" if "fn-a" in name else "dev"})
    names = lambda **kw: [g["logGroupName"] for g in logs.list_log_groups(**kw)["logGroups"]]  # noqa: E731
    assert names(logGroupNamePattern="^/aws/lambda|discovery") == ["/app/discovery", "/aws/lambda/fn-a", "/aws/lambda/fn-b"]
    assert names(logGroupNamePattern="fn-") == ["/aws/lambda/fn-a", "/aws/lambda/fn-b"]
    assert names(logGroupTags=[{"key": "env", "values": ["prod"]}]) == ["/aws/lambda/fn-a"]
    first = logs.list_log_groups(limit=3)
    assert len(first["logGroups"]) == 3
    assert first["logGroups"][0]["logGroupArn"] == f"arn:aws:logs:{REGION}:{DEFAULT_ACCOUNT}:log-group:/app/discovery"
    assert [g["logGroupName"] for g in logs.list_log_groups(limit=3, nextToken=first["nextToken"])["logGroups"]] == [
        "other"
    ]


# ---------------------------------------------------------------- export tasks


def test_export_tasks(logs, server):
    logs.create_log_group(logGroupName="g")
    t = now_ms(server)
    tid = logs.create_export_task(
        taskName="nightly", logGroupName="g", to=t, destination="my-bucket", **{"from": t - DAY}
    )["taskId"]
    task = logs.describe_export_tasks(taskId=tid)["exportTasks"][0]
    assert task["taskName"] == "nightly" and task["destination"] == "my-bucket"
    assert task["destinationPrefix"] == "exportedlogs"
    assert task["status"]["code"] == "PENDING"
    assert task["from"] == t - DAY and task["to"] == t
    logs.cancel_export_task(taskId=tid)
    assert logs.describe_export_tasks(statusCode="CANCELLED")["exportTasks"][0]["taskId"] == tid
    assert logs.describe_export_tasks(statusCode="PENDING")["exportTasks"] == []
    fails(logs.cancel_export_task, "InvalidOperationException", taskId=tid)
    fails(
        logs.cancel_export_task,
        "ResourceNotFoundException",
        "The specified export task does not exist.",
        taskId="nope",
    )
    fails(
        logs.create_export_task,
        "ResourceNotFoundException",
        "The specified log group does not exist.",
        logGroupName="nope",
        to=1,
        destination="b",
        **{"from": 0},
    )
    fails(logs.create_export_task, "InvalidParameterException", logGroupName="g", to=1, destination="b", **{"from": 5})


def test_export_tasks_write_gzip_objects_to_the_bucket(logs, server):
    s3 = server.client("s3")
    s3.create_bucket(Bucket="log-archive")
    logs.create_log_group(logGroupName="/app/web")
    for stream in ("i-1", "i-2", "i-3"):
        logs.create_log_stream(logGroupName="/app/web", logStreamName=stream)
    t = now_ms(server) - 60_000
    put(logs, "/app/web", "i-1", ["GET / 200", "GET /missing 404"], t)
    put(logs, "/app/web", "i-2", ["POST /login 302"], t + 10)
    put(logs, "/app/web", "i-3", ["too late"], t + 50_000)
    tid = logs.create_export_task(logGroupName="/app/web", destination="log-archive", destinationPrefix="web/",
                                  to=t + 20_000, **{"from": t})["taskId"]
    missing = logs.create_export_task(logGroupName="/app/web", destination="no-such-bucket",
                                      to=t + 20_000, **{"from": t})["taskId"]
    server.advance(5)

    def status(task):
        return logs.describe_export_tasks(taskId=task)["exportTasks"][0]["status"]

    deadline = time.time() + 5
    while status(tid)["code"] == "PENDING" and time.time() < deadline:
        time.sleep(0.1)
    assert status(tid)["code"] == "COMPLETED"
    assert status(missing)["code"] == "FAILED"
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket="log-archive")["Contents"])
    assert keys == [f"web/{tid}/i-1/000000.gz", f"web/{tid}/i-2/000000.gz"]
    body = s3.get_object(Bucket="log-archive", Key=f"web/{tid}/i-1/000000.gz")["Body"].read()
    lines = gzip.decompress(body).decode().splitlines()
    assert [line.split(" ", 1)[1] for line in lines] == ["GET / 200", "GET /missing 404"]
    assert lines[0].split(" ", 1)[0].endswith("Z")


# ---------------------------------------------------------------- retention on the clock


def test_retention_deletes_old_events_on_the_clock(logs, server):
    group, stream = group_with_stream(logs)
    logs.create_log_group(logGroupName="/keep")
    logs.create_log_stream(logGroupName="/keep", logStreamName="s")
    t = now_ms(server)
    put(logs, group, stream, ["old-1", "old-2"], t - 60_000)
    put(logs, "/keep", "s", ["forever"], t - 60_000)
    logs.put_retention_policy(logGroupName=group, retentionInDays=1)

    server.advance(2 * 86_400)
    t2 = now_ms(server)
    put(logs, group, stream, ["fresh"], t2)

    deadline = time.monotonic() + 5
    while True:
        msgs = [e["message"] for e in logs.get_log_events(logGroupName=group, logStreamName=stream)["events"]]
        if msgs == ["fresh"] or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert msgs == ["fresh"]
    assert logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["storedBytes"] == len("fresh")
    # Without retention nothing expires.
    kept = logs.get_log_events(logGroupName="/keep", logStreamName="s")["events"]
    assert [e["message"] for e in kept] == ["forever"]


# ---------------------------------------------------------------- persistence


def test_logs_survive_a_restart(server_factory):
    srv = server_factory(args=["--test-mode"])
    logs = srv.client("logs")
    logs.create_log_group(logGroupName="/persist", tags={"k": "v"}, kmsKeyId="arn:aws:kms:us-east-1:000000000000:key/x")
    logs.put_retention_policy(logGroupName="/persist", retentionInDays=30)
    logs.create_log_stream(logGroupName="/persist", logStreamName="a")
    logs.create_log_stream(logGroupName="/persist", logStreamName="b")
    logs.put_metric_filter(
        logGroupName="/persist",
        filterName="errors",
        filterPattern="ERROR",
        metricTransformations=[{"metricName": "E", "metricNamespace": "N", "metricValue": "1"}],
    )
    logs.put_subscription_filter(
        logGroupName="/persist",
        filterName="sub",
        filterPattern="",
        destinationArn="arn:aws:lambda:us-east-1:000000000000:function:f",
    )
    t = now_ms(srv) - 10_000
    put(logs, "/persist", "a", [f"a{i}" for i in range(500)], t)
    put(logs, "/persist", "b", ["b0 ERROR", "b1"], t + 1)
    first = logs.get_log_events(logGroupName="/persist", logStreamName="a", limit=100, startFromHead=True)
    tid = logs.create_export_task(logGroupName="/persist", to=t, destination="bucket", **{"from": 0})["taskId"]
    did = logs.put_query_definition(name="saved", queryString="fields @message")["queryDefinitionId"]
    logs.create_log_group(logGroupName="/gone")
    logs.delete_log_group(logGroupName="/gone")
    logs.delete_log_stream(logGroupName="/persist", logStreamName="b")
    logs.create_log_stream(logGroupName="/persist", logStreamName="b")

    srv.restart()
    logs = srv.client("logs")
    groups = logs.describe_log_groups()["logGroups"]
    assert [g["logGroupName"] for g in groups] == ["/persist"]
    g = groups[0]
    assert g["retentionInDays"] == 30 and g["kmsKeyId"].endswith("key/x") and g["metricFilterCount"] == 1
    assert g["storedBytes"] == sum(len(f"a{i}") for i in range(500))
    assert logs.list_tags_log_group(logGroupName="/persist")["tags"] == {"k": "v"}
    streams = {s["logStreamName"]: s for s in logs.describe_log_streams(logGroupName="/persist")["logStreams"]}
    assert set(streams) == {"a", "b"}
    assert "lastEventTimestamp" not in streams["b"]
    assert streams["a"]["lastEventTimestamp"] == t + 499
    # The token handed out before the restart still pages on.
    nxt = logs.get_log_events(
        logGroupName="/persist", logStreamName="a", limit=100, nextToken=first["nextForwardToken"]
    )
    assert [e["message"] for e in nxt["events"]] == [f"a{i}" for i in range(100, 200)]
    assert logs.get_log_events(logGroupName="/persist", logStreamName="b")["events"] == []
    assert len(logs.filter_log_events(logGroupName="/persist", filterPattern="a4")["events"]) == 111
    assert logs.describe_subscription_filters(logGroupName="/persist")["subscriptionFilters"][0]["filterName"] == "sub"
    assert logs.describe_export_tasks(taskId=tid)["exportTasks"][0]["destination"] == "bucket"
    assert logs.describe_query_definitions()["queryDefinitions"][0]["queryDefinitionId"] == did
    # New events after the restart sort after the old ones.
    put(logs, "/persist", "a", ["after"], t + 600)
    tail = logs.get_log_events(logGroupName="/persist", logStreamName="a", limit=2)["events"]
    assert [e["message"] for e in tail] == ["a499", "after"]


# ---------------------------------------------------------------- aws CLI


def test_aws_cli_log_workflow(aws, server):
    aws("logs", "create-log-group", "--log-group-name", "/cli/app", "--tags", "team=ops")
    aws("logs", "put-retention-policy", "--log-group-name", "/cli/app", "--retention-in-days", "14")
    aws("logs", "create-log-stream", "--log-group-name", "/cli/app", "--log-stream-name", "web")
    t = now_ms(server)
    events = json.dumps(
        [
            {"timestamp": t, "message": "GET /health 200"},
            {"timestamp": t + 1, "message": "GET /login 500 ERROR"},
            {"timestamp": t + 2, "message": "POST /login 200"},
        ]
    )
    out = aws(
        "logs", "put-log-events", "--log-group-name", "/cli/app", "--log-stream-name", "web", "--log-events", events
    )
    assert len(out["nextSequenceToken"]) == 56
    found = aws("logs", "filter-log-events", "--log-group-name", "/cli/app", "--filter-pattern", "ERROR")
    assert [e["message"] for e in found["events"]] == ["GET /login 500 ERROR"]
    found = aws(
        "logs", "filter-log-events", "--log-group-name", "/cli/app", "--filter-pattern", "[method, path, status = 2*, ...]"
    )
    assert len(found["events"]) == 2
    got = aws("logs", "get-log-events", "--log-group-name", "/cli/app", "--log-stream-name", "web", "--start-from-head")
    assert [e["message"] for e in got["events"]][0] == "GET /health 200"
    groups = aws("logs", "describe-log-groups", "--log-group-name-prefix", "/cli")["logGroups"]
    assert groups[0]["retentionInDays"] == 14
    proc = aws("logs", "create-log-group", "--log-group-name", "/cli/app", check=False)
    assert proc.returncode != 0 and "ResourceAlreadyExistsException" in proc.stderr
