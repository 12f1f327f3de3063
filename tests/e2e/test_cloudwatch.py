"""CloudWatch through boto3 (and a few aws CLI calls): metrics and their
statistics, metric math, alarms driven by samples and the clock, alarm
actions delivered through SNS to SQS, EC2 instance actions, dashboards,
metric streams, errors, and state that survives a restart."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest
from botocore.exceptions import ClientError

from helpers import DEFAULT_ACCOUNT, FORM, error_of, fake_auth, fresh_period, query_error

NS = "Stratus/Test"


@pytest.fixture
def cw(server):
    return server.client("cloudwatch")


def minute(server, back=0):
    """The server's current minute (its clock may have been advanced)."""
    now = server.now().replace(second=0, microsecond=0)
    return now - dt.timedelta(minutes=back)


def wait_for(fn, timeout=5.0):
    """Polls `fn` until it returns something truthy (tasks tick asynchronously)."""
    deadline = time.monotonic() + timeout
    while True:
        got = fn()
        if got or time.monotonic() > deadline:
            return got
        time.sleep(0.05)


def state_of(cw, name):
    a = cw.describe_alarms(AlarmNames=[name], AlarmTypes=["MetricAlarm", "CompositeAlarm"])
    alarms = a["MetricAlarms"] + a["CompositeAlarms"]
    return alarms[0]["StateValue"] if alarms else None


def wait_state(cw, name, state):
    assert wait_for(lambda: state_of(cw, name) == state), f"{name} is {state_of(cw, name)}, not {state}"


def put(cw, name, value, ts, dims=None, **kw):
    d = {"MetricName": name, "Value": value, "Timestamp": ts, **kw}
    if dims:
        d["Dimensions"] = [{"Name": k, "Value": v} for k, v in dims.items()]
    cw.put_metric_data(Namespace=NS, MetricData=[d])


# ---------------------------------------------------------------------------
# Metrics
# ---------------------------------------------------------------------------

def test_statistics_over_values_sets_and_arrays(server, cw):
    t = minute(server, 10)
    cw.put_metric_data(Namespace=NS, MetricData=[
        {"MetricName": "Latency", "Value": float(v), "Timestamp": t, "Unit": "Milliseconds",
         "Dimensions": [{"Name": "Service", "Value": "api"}]}
        for v in range(1, 11)
    ])
    cw.put_metric_data(Namespace=NS, MetricData=[
        {"MetricName": "Latency", "Timestamp": t + dt.timedelta(minutes=1), "Unit": "Milliseconds",
         "Dimensions": [{"Name": "Service", "Value": "api"}],
         "StatisticValues": {"SampleCount": 4, "Sum": 100, "Minimum": 25, "Maximum": 25}},
        {"MetricName": "Latency", "Timestamp": t + dt.timedelta(minutes=2), "Unit": "Milliseconds",
         "Dimensions": [{"Name": "Service", "Value": "api"}],
         "Values": [10, 20, 30], "Counts": [1, 2, 1]},
    ])
    out = cw.get_metric_statistics(
        Namespace=NS, MetricName="Latency", Dimensions=[{"Name": "Service", "Value": "api"}],
        StartTime=t, EndTime=t + dt.timedelta(minutes=3), Period=60,
        Statistics=["SampleCount", "Sum", "Average", "Minimum", "Maximum"])
    assert out["Label"] == "Latency"
    points = sorted(out["Datapoints"], key=lambda d: d["Timestamp"])
    assert [p["Timestamp"] for p in points] == [t.replace(tzinfo=dt.timezone.utc) + dt.timedelta(minutes=i) for i in range(3)]
    assert points[0] == {"Timestamp": points[0]["Timestamp"], "SampleCount": 10.0, "Sum": 55.0, "Average": 5.5,
                         "Minimum": 1.0, "Maximum": 10.0, "Unit": "Milliseconds"}
    assert (points[1]["SampleCount"], points[1]["Sum"], points[1]["Average"]) == (4.0, 100.0, 25.0)
    assert (points[2]["SampleCount"], points[2]["Sum"], points[2]["Maximum"]) == (4.0, 80.0, 30.0)

    # One five-minute period folds them all; percentiles come from the raw values.
    out = cw.get_metric_statistics(
        Namespace=NS, MetricName="Latency", Dimensions=[{"Name": "Service", "Value": "api"}],
        StartTime=t, EndTime=t + dt.timedelta(minutes=5), Period=300, ExtendedStatistics=["p50", "p90"])
    [p] = out["Datapoints"]
    assert "Sum" not in p and p["Unit"] == "Milliseconds"
    # 1..10, four 25s (a statistic set of one value), then 10, 20, 20, 30.
    assert p["ExtendedStatistics"] == {"p50": 9.0, "p90": 25.0}

    # GetMetricData takes the other extended statistics too.
    stats = ["p50", "TM(10%:90%)", "IQM", "PR(:5)", "tc90"]
    out = cw.get_metric_data(MetricDataQueries=[
        {"Id": f"s{i}", "MetricStat": {"Metric": {"Namespace": NS, "MetricName": "Latency",
                                                  "Dimensions": [{"Name": "Service", "Value": "api"}]},
                                       "Period": 60, "Stat": stat}}
        for i, stat in enumerate(stats)], StartTime=t, EndTime=t + dt.timedelta(minutes=1))
    assert [r["Values"] for r in out["MetricDataResults"]] == [[5.0], [5.5], [5.5], [50.0], [9.0]]

    # A different dimension set is a different metric.
    none = cw.get_metric_statistics(Namespace=NS, MetricName="Latency", StartTime=t,
                                    EndTime=t + dt.timedelta(minutes=5), Period=60, Statistics=["Sum"])
    assert none["Datapoints"] == []


def test_units_split_datapoints_unless_one_is_asked_for(server, cw):
    t = minute(server, 5)
    for v, unit in [(10, "None"), (5, "Count"), (1, "Seconds")]:
        put(cw, "Mixed", v, t, Unit=unit)
    out = cw.get_metric_statistics(Namespace=NS, MetricName="Mixed", StartTime=t, EndTime=t + dt.timedelta(minutes=1),
                                   Period=60, Statistics=["Average"])
    assert sorted((p["Unit"], p["Average"]) for p in out["Datapoints"]) == [("Count", 5.0), ("None", 10.0), ("Seconds", 1.0)]
    out = cw.get_metric_statistics(Namespace=NS, MetricName="Mixed", StartTime=t, EndTime=t + dt.timedelta(minutes=1),
                                   Period=60, Statistics=["Average"], Unit="Count")
    assert [(p["Unit"], p["Average"]) for p in out["Datapoints"]] == [("Count", 5.0)]


def test_high_resolution_samples_keep_their_seconds(server, cw):
    t = server.now().replace(microsecond=0) - dt.timedelta(minutes=2)
    t = t.replace(second=0)
    for s in (0, 1, 12, 45):
        put(cw, "Fast", float(s), t + dt.timedelta(seconds=s), StorageResolution=1)
    out = cw.get_metric_statistics(Namespace=NS, MetricName="Fast", StartTime=t, EndTime=t + dt.timedelta(minutes=1),
                                   Period=10, Statistics=["Sum"])
    assert sorted(p["Sum"] for p in out["Datapoints"]) == [1.0, 12.0, 45.0]
    put(cw, "Slow", 1.0, t + dt.timedelta(seconds=30))
    out = cw.get_metric_statistics(Namespace=NS, MetricName="Slow", StartTime=t, EndTime=t + dt.timedelta(minutes=1),
                                   Period=10, Statistics=["Sum"])
    # Standard resolution keeps minutes.
    assert [p["Timestamp"].second for p in out["Datapoints"]] == [0]


def test_get_metric_data_with_math_labels_order_and_pages(server, cw):
    t = minute(server, 10)
    for i in range(5):
        at = t + dt.timedelta(minutes=i)
        put(cw, "Errors", float(i), at, {"Service": "api"})
        put(cw, "Requests", 10.0, at, {"Service": "api"})
    dims = [{"Name": "Service", "Value": "api"}]

    def stat(name, s="Sum"):
        return {"Metric": {"Namespace": NS, "MetricName": name, "Dimensions": dims}, "Period": 60, "Stat": s}

    queries = [
        {"Id": "errors", "MetricStat": stat("Errors"), "ReturnData": False},
        {"Id": "requests", "MetricStat": stat("Requests")},
        {"Id": "rate", "Expression": "errors / requests * 100", "Label": "Error rate"},
        {"Id": "total", "Expression": "SUM(METRICS())"},
        {"Id": "filled", "Expression": "FILL(errors, 0)"},
        {"Id": "high", "Expression": "IF(errors > 2, 1, 0)"},
    ]
    out = cw.get_metric_data(MetricDataQueries=queries, StartTime=t, EndTime=t + dt.timedelta(minutes=5))
    res = {r["Id"]: r for r in out["MetricDataResults"]}
    assert set(res) == {"requests", "rate", "total", "filled", "high"}
    assert res["requests"]["Label"] == "Requests" and res["rate"]["Label"] == "Error rate"
    labelled = cw.get_metric_data(MetricDataQueries=[
        {"Id": "e", "MetricStat": stat("Errors"), "Label": "${PROP('Dim.Service')} errors, max ${MAX}"}],
        StartTime=t, EndTime=t + dt.timedelta(minutes=5))
    assert labelled["MetricDataResults"][0]["Label"] == "api errors, max 4"
    assert res["total"]["Label"] == "total"
    # Newest first by default.
    assert res["rate"]["Values"] == [40.0, 30.0, 20.0, 10.0, 0.0]
    assert res["rate"]["Timestamps"] == sorted(res["rate"]["Timestamps"], reverse=True)
    assert res["total"]["Values"] == [14.0, 13.0, 12.0, 11.0, 10.0]
    assert res["high"]["Values"] == [1.0, 1.0, 0.0, 0.0, 0.0]
    assert all(r["StatusCode"] == "Complete" for r in res.values())

    asc = cw.get_metric_data(MetricDataQueries=[{"Id": "e", "MetricStat": stat("Errors", "Maximum")}],
                             StartTime=t, EndTime=t + dt.timedelta(minutes=5), ScanBy="TimestampAscending")
    assert asc["MetricDataResults"][0]["Values"] == [0.0, 1.0, 2.0, 3.0, 4.0]

    # Same metric asked twice with different statistics: labels say which.
    two = cw.get_metric_data(MetricDataQueries=[{"Id": "a", "MetricStat": stat("Errors", "Sum")},
                                                {"Id": "b", "MetricStat": stat("Errors", "Average")}],
                             StartTime=t, EndTime=t + dt.timedelta(minutes=5))
    assert [r["Label"] for r in two["MetricDataResults"]] == ["Errors Sum", "Errors Average"]

    # Pages of at most MaxDatapoints.
    seen, token, pages = [], None, 0
    while True:
        kw = {"NextToken": token} if token else {}
        page = cw.get_metric_data(MetricDataQueries=[{"Id": "e", "MetricStat": stat("Errors")}], StartTime=t,
                                  EndTime=t + dt.timedelta(minutes=5), MaxDatapoints=2, **kw)
        pages += 1
        seen += page["MetricDataResults"][0]["Values"]
        token = page.get("NextToken")
        if not token:
            break
        assert page["MetricDataResults"][0]["StatusCode"] == "PartialData"
    assert pages == 3 and seen == [4.0, 3.0, 2.0, 1.0, 0.0]

    with pytest.raises(ClientError) as e:
        cw.get_metric_data(MetricDataQueries=[{"Id": "x", "Expression": "errors +"}], StartTime=t,
                           EndTime=t + dt.timedelta(minutes=5))
    assert error_of(e.value)[0] == "ValidationError"
    with pytest.raises(ClientError) as e:
        cw.get_metric_data(MetricDataQueries=[{"Id": "Bad", "MetricStat": stat("Errors")}], StartTime=t,
                           EndTime=t + dt.timedelta(minutes=5))
    assert error_of(e.value)[0] == "ValidationError"


def test_search_and_rate(server, cw):
    t = minute(server, 6)
    for host, base in (("a", 0), ("b", 100)):
        for i in range(4):
            put(cw, "Bytes", float(base + 60 * i), t + dt.timedelta(minutes=i), {"Host": host})
    out = cw.get_metric_data(MetricDataQueries=[
        {"Id": "all", "Expression": f"SEARCH('{{{NS},Host}} MetricName=\"Bytes\"', 'Sum', 60)", "ReturnData": False},
        {"Id": "sum", "Expression": "SUM(all)"},
        {"Id": "r", "Expression": "RATE(SUM(all))"},
    ], StartTime=t, EndTime=t + dt.timedelta(minutes=4), ScanBy="TimestampAscending")
    res = {r["Id"]: r for r in out["MetricDataResults"]}
    assert res["sum"]["Values"] == [100.0, 220.0, 340.0, 460.0]
    assert res["r"]["Values"] == [2.0, 2.0, 2.0]


def test_list_metrics_filters_pages_and_recent_activity(server, cw):
    t = minute(server, 1)
    cw.put_metric_data(Namespace=NS, MetricData=[
        {"MetricName": "CPU", "Value": 1.0, "Timestamp": t, "Dimensions": [{"Name": "Host", "Value": f"h{i}"}]}
        for i in range(3)
    ] + [{"MetricName": "Disk", "Value": 1.0, "Timestamp": t}])
    cw.put_metric_data(Namespace="Other/NS", MetricData=[{"MetricName": "CPU", "Value": 1.0, "Timestamp": t}])
    mine = cw.list_metrics(Namespace=NS)["Metrics"]
    assert len(mine) == 4
    assert {"Namespace": NS, "MetricName": "Disk", "Dimensions": []} in mine
    assert len(cw.list_metrics(MetricName="CPU")["Metrics"]) == 4
    assert cw.list_metrics(Namespace=NS, Dimensions=[{"Name": "Host", "Value": "h1"}])["Metrics"] == [
        {"Namespace": NS, "MetricName": "CPU", "Dimensions": [{"Name": "Host", "Value": "h1"}]}]
    assert len(cw.list_metrics(Dimensions=[{"Name": "Host"}])["Metrics"]) == 3
    assert len(cw.list_metrics(Namespace=NS, RecentlyActive="PT3H")["Metrics"]) == 4

    # 600 metrics come back in pages of 500.
    for chunk in range(0, 600, 300):
        cw.put_metric_data(Namespace="Many", MetricData=[
            {"MetricName": "M", "Value": 1.0, "Timestamp": t, "Dimensions": [{"Name": "N", "Value": str(i)}]}
            for i in range(chunk, chunk + 300)])
    first = cw.list_metrics(Namespace="Many")
    assert len(first["Metrics"]) == 500 and first["NextToken"]
    second = cw.list_metrics(Namespace="Many", NextToken=first["NextToken"])
    assert len(second["Metrics"]) == 100 and "NextToken" not in second
    paged = [m for p in cw.get_paginator("list_metrics").paginate(Namespace="Many") for m in p["Metrics"]]
    assert len(paged) == 600

    server.advance(4 * 3600)
    assert cw.list_metrics(Namespace=NS, RecentlyActive="PT3H")["Metrics"] == []
    assert len(cw.list_metrics(Namespace=NS)["Metrics"]) == 4


def test_bad_metric_data_gets_aws_errors(server, cw):
    now = server.now()

    def err(**datum):
        with pytest.raises(ClientError) as e:
            cw.put_metric_data(Namespace=NS, MetricData=[{"MetricName": "m", **datum}])
        return error_of(e.value)

    assert err(Value=1.0, StatisticValues={"SampleCount": 1, "Sum": 1, "Minimum": 1, "Maximum": 1}) == (
        "InvalidParameterCombination",
        "The parameters MetricData.member.1.Value and MetricData.member.1.StatisticValues are mutually exclusive "
        "and you have specified both.", 400)
    assert err(Value=1.0, Values=[1.0])[0] == "InvalidParameterCombination"
    assert err(Values=[1.0, 2.0], Counts=[1.0]) == (
        "InvalidParameterValue",
        "The parameters MetricData.member.1.Values and MetricData.member.1.Counts must be of the same size.", 400)
    assert err(Value=float("nan")) == (
        "InvalidParameterValue", "The value NaN for parameter MetricData.member.1.Value is invalid.", 400)
    assert err()[0] == "MissingParameter"
    old = err(Value=1.0, Timestamp=now - dt.timedelta(days=15))
    assert old[0] == "InvalidParameterValue" and "MetricData.member.1.Timestamp" in old[1]
    future = err(Value=1.0, Timestamp=now + dt.timedelta(hours=3))
    assert future[0] == "InvalidParameterValue" and "two hours in the future" in future[1]
    assert err(Value=1.0, StorageResolution=5)[0] == "InvalidParameterValue"
    with pytest.raises(ClientError) as e:
        cw.put_metric_data(Namespace="AWS/EC2", MetricData=[{"MetricName": "m", "Value": 1.0}])
    assert error_of(e.value) == ("InvalidParameterValue", "The value AWS/EC2 for parameter Namespace is invalid.", 400)
    # A bad datum refuses the whole request.
    with pytest.raises(ClientError):
        cw.put_metric_data(Namespace=NS, MetricData=[{"MetricName": "ok", "Value": 1.0},
                                                     {"MetricName": "ok", "Value": float("inf")}])
    assert cw.list_metrics(Namespace=NS)["Metrics"] == []

    t = minute(server)
    with pytest.raises(ClientError) as e:
        cw.get_metric_statistics(Namespace=NS, MetricName="m", StartTime=t, EndTime=t + dt.timedelta(days=2),
                                 Period=60, Statistics=["Sum"])
    assert error_of(e.value)[0] == "InvalidParameterCombination" and "2,880 datapoints" in error_of(e.value)[1]
    with pytest.raises(ClientError) as e:
        cw.get_metric_statistics(Namespace=NS, MetricName="m", StartTime=t, EndTime=t, Period=60, Statistics=["Sum"])
    assert error_of(e.value) == (
        "InvalidParameterValue", "The parameter StartTime must be less than the parameter EndTime.", 400)
    with pytest.raises(ClientError) as e:
        cw.get_metric_statistics(Namespace=NS, MetricName="m", StartTime=t, EndTime=t + dt.timedelta(hours=1),
                                 Period=60, Statistics=["Sum"], ExtendedStatistics=["p99"])
    assert error_of(e.value)[0] == "InvalidParameterCombination"
    with pytest.raises(ClientError) as e:
        cw.get_metric_statistics(Namespace=NS, MetricName="m", StartTime=t, EndTime=t + dt.timedelta(hours=1),
                                 Period=45, Statistics=["Sum"])
    assert error_of(e.value)[0] == "InvalidParameterValue"


# ---------------------------------------------------------------------------
# Alarms
# ---------------------------------------------------------------------------

def alarm(cw, name, **kw):
    args = dict(AlarmName=name, Namespace=NS, MetricName="CPU", Statistic="Average", Period=60,
                EvaluationPeriods=1, Threshold=50.0, ComparisonOperator="GreaterThanThreshold")
    args.update(kw)
    cw.put_metric_alarm(**{k: v for k, v in args.items() if v is not None})


def test_alarm_follows_samples_and_the_clock(server, cw):
    dims = {"Host": "web-1"}
    alarm(cw, "cpu-high", Dimensions=[{"Name": "Host", "Value": "web-1"}], EvaluationPeriods=3,
          DatapointsToAlarm=2, AlarmDescription="CPU above half", Unit="Percent")
    [a] = cw.describe_alarms(AlarmNames=["cpu-high"])["MetricAlarms"]
    assert a["StateValue"] == "INSUFFICIENT_DATA"
    assert a["StateReason"] == "Unchecked: Initial alarm creation"
    assert a["AlarmArn"] == f"arn:aws:cloudwatch:us-east-1:{DEFAULT_ACCOUNT}:alarm:cpu-high"
    assert (a["EvaluationPeriods"], a["DatapointsToAlarm"], a["Unit"]) == (3, 2, "Percent")

    # One breaching minute of three: not enough for 2 of 3. Each sample is
    # put in the minute the next advance ends, which real time must not end.
    fresh_period(server)
    put(cw, "CPU", 80.0, server.now(), dims, Unit="Percent")
    server.advance(60)
    wait_state(cw, "cpu-high", "OK")
    put(cw, "CPU", 90.0, server.now(), dims, Unit="Percent")
    server.advance(60)
    wait_state(cw, "cpu-high", "ALARM")
    [a] = cw.describe_alarms(AlarmNames=["cpu-high"])["MetricAlarms"]
    assert a["StateReason"].startswith("Threshold Crossed: 2 out of the last 2 datapoints [90.0 (")
    assert "were greater than the threshold (50.0)" in a["StateReason"]
    data = json.loads(a["StateReasonData"])
    assert data["version"] == "1.0" and data["statistic"] == "Average" and data["period"] == 60
    assert data["recentDatapoints"] == [80.0, 90.0] and data["threshold"] == 50.0 and data["unit"] == "Percent"

    # Low samples bring it back.
    for _ in range(2):
        put(cw, "CPU", 10.0, server.now(), dims, Unit="Percent")
        server.advance(60)
    wait_state(cw, "cpu-high", "OK")

    hist = cw.describe_alarm_history(AlarmName="cpu-high", HistoryItemType="StateUpdate")["AlarmHistoryItems"]
    assert [h["HistorySummary"] for h in hist] == [
        "Alarm updated from ALARM to OK", "Alarm updated from OK to ALARM", "Alarm updated from INSUFFICIENT_DATA to OK"]
    d = json.loads(hist[1]["HistoryData"])
    assert d["oldState"]["stateValue"] == "OK" and d["newState"]["stateValue"] == "ALARM"
    assert d["newState"]["stateReasonData"]["recentDatapoints"] == [80.0, 90.0]
    config = cw.describe_alarm_history(AlarmName="cpu-high", HistoryItemType="ConfigurationUpdate")
    [created] = config["AlarmHistoryItems"]
    assert created["HistorySummary"] == 'Alarm "cpu-high" created' and created["AlarmType"] == "MetricAlarm"
    asc = cw.describe_alarm_history(AlarmName="cpu-high", ScanBy="TimestampAscending")["AlarmHistoryItems"]
    assert asc[0]["HistoryItemType"] == "ConfigurationUpdate"


@pytest.mark.parametrize("treat, want", [("breaching", "ALARM"), ("notBreaching", "OK"), ("missing", "INSUFFICIENT_DATA")])
def test_missing_data_treatment(server, cw, treat, want):
    alarm(cw, "quiet", TreatMissingData=treat, EvaluationPeriods=2)
    server.advance(60)
    wait_state(cw, "quiet", want)
    if treat == "breaching":
        [a] = cw.describe_alarms(AlarmNames=["quiet"])["MetricAlarms"]
        assert a["StateReason"] == ("Threshold Crossed: no datapoints were received for 2 periods and "
                                    "2 missing datapoints were treated as [Breaching].")


def test_ignore_keeps_the_state_and_percentile_alarms(server, cw):
    alarm(cw, "sticky", TreatMissingData="ignore", Statistic=None, ExtendedStatistic="p90")
    cw.set_alarm_state(AlarmName="sticky", StateValue="ALARM", StateReason="by hand")
    server.advance(180)
    time.sleep(0.3)
    assert state_of(cw, "sticky") == "ALARM"
    fresh_period(server)
    put(cw, "CPU", 10.0, server.now())
    server.advance(60)
    wait_state(cw, "sticky", "OK")


def test_alarm_actions_publish_to_sns_and_reach_sqs(server, cw):
    sns, sqs = server.client("sns"), server.client("sqs")
    topic = sns.create_topic(Name="ops")["TopicArn"]
    url = sqs.create_queue(QueueName="ops-inbox")["QueueUrl"]
    qarn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn, Attributes={"RawMessageDelivery": "true"})
    alarm(cw, "disk-full", AlarmActions=[topic], OKActions=[topic], AlarmDescription="Disk almost full",
          Dimensions=[{"Name": "Host", "Value": "db"}], TreatMissingData="ignore")
    cw.set_alarm_state(AlarmName="disk-full", StateValue="ALARM", StateReason="testing the pager",
                       StateReasonData=json.dumps({"k": 1}))
    msgs = wait_for(lambda: sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages"))
    assert msgs, "the alarm notification never reached the queue"
    body = json.loads(msgs[0]["Body"])
    assert body["AlarmName"] == "disk-full" and body["AlarmDescription"] == "Disk almost full"
    assert body["AWSAccountId"] == DEFAULT_ACCOUNT and body["Region"] == "US East (N. Virginia)"
    assert (body["OldStateValue"], body["NewStateValue"]) == ("INSUFFICIENT_DATA", "ALARM")
    assert body["NewStateReason"] == "testing the pager"
    assert body["AlarmArn"].endswith(":alarm:disk-full") and body["StateChangeTime"].endswith("+0000")
    trig = body["Trigger"]
    assert trig["MetricName"] == "CPU" and trig["Namespace"] == NS and trig["Statistic"] == "AVERAGE"
    assert trig["Dimensions"] == [{"value": "db", "name": "Host"}] and trig["Threshold"] == 50.0
    assert trig["ComparisonOperator"] == "GreaterThanThreshold" and trig["TreatMissingData"] == "ignore"
    sqs.delete_message(QueueUrl=url, ReceiptHandle=msgs[0]["ReceiptHandle"])

    actions = wait_for(lambda: cw.describe_alarm_history(AlarmName="disk-full", HistoryItemType="Action")["AlarmHistoryItems"])
    assert actions[0]["HistorySummary"] == f"Successfully executed action {topic}"
    assert json.loads(actions[0]["HistoryData"])["actionState"] == "Succeeded"

    # Actions off: the state still changes, nothing is sent.
    cw.disable_alarm_actions(AlarmNames=["disk-full"])
    assert cw.describe_alarms(AlarmNames=["disk-full"])["MetricAlarms"][0]["ActionsEnabled"] is False
    cw.set_alarm_state(AlarmName="disk-full", StateValue="OK", StateReason="quiet")
    assert state_of(cw, "disk-full") == "OK"
    assert sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages") is None
    cw.enable_alarm_actions(AlarmNames=["disk-full"])
    cw.set_alarm_state(AlarmName="disk-full", StateValue="ALARM", StateReason="again")
    msgs = wait_for(lambda: sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages"))
    assert json.loads(msgs[0]["Body"])["OldStateValue"] == "OK"


def test_alarm_stops_an_instance(server, cw):
    ec2 = server.client("ec2")
    images = ec2.describe_images(Owners=["amazon"], Filters=[{"Name": "name", "Values": ["al2023-ami-2023*"]},
                                                            {"Name": "architecture", "Values": ["x86_64"]}])["Images"]
    iid = ec2.run_instances(ImageId=images[0]["ImageId"], MinCount=1, MaxCount=1,
                            InstanceType="t3.micro")["Instances"][0]["InstanceId"]
    server.advance(5)
    alarm(cw, "idle", Namespace="AWS/EC2", MetricName="CPUUtilization", Threshold=5.0,
          ComparisonOperator="LessThanThreshold", Dimensions=[{"Name": "InstanceId", "Value": iid}],
          AlarmActions=["arn:aws:automate:us-east-1:ec2:stop"])
    # EC2 reports a flat low CPU each minute; the alarm sees it and stops the instance.
    server.advance(120)
    wait_state(cw, "idle", "ALARM")

    def state():
        return ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]["State"]["Name"]

    assert wait_for(lambda: state() in ("stopping", "stopped")), state()
    metrics = cw.list_metrics(Namespace="AWS/EC2", MetricName="CPUUtilization",
                              Dimensions=[{"Name": "InstanceId", "Value": iid}])["Metrics"]
    assert len(metrics) == 1


def test_metric_math_alarm(server, cw):
    cw.put_metric_alarm(
        AlarmName="error-rate", EvaluationPeriods=1, Threshold=10.0, ComparisonOperator="GreaterThanThreshold",
        Metrics=[
            {"Id": "e", "MetricStat": {"Metric": {"Namespace": NS, "MetricName": "Errors"}, "Period": 60, "Stat": "Sum"},
             "ReturnData": False},
            {"Id": "r", "MetricStat": {"Metric": {"Namespace": NS, "MetricName": "Requests"}, "Period": 60, "Stat": "Sum"},
             "ReturnData": False},
            {"Id": "rate", "Expression": "e / r * 100", "Label": "Error rate", "ReturnData": True},
        ])
    [a] = cw.describe_alarms(AlarmNames=["error-rate"])["MetricAlarms"]
    assert [m["Id"] for m in a["Metrics"]] == ["e", "r", "rate"] and "MetricName" not in a
    fresh_period(server)
    now = server.now()
    put(cw, "Errors", 5.0, now)
    put(cw, "Requests", 20.0, now)
    server.advance(60)
    wait_state(cw, "error-rate", "ALARM")
    with pytest.raises(ClientError) as e:
        cw.put_metric_alarm(AlarmName="two", EvaluationPeriods=1, Threshold=1.0,
                            ComparisonOperator="GreaterThanThreshold",
                            Metrics=[{"Id": "a", "Expression": "TIME_SERIES(1)"},
                                     {"Id": "b", "Expression": "TIME_SERIES(2)"}])
    assert error_of(e.value) == ("ValidationError", "Exactly one element of the metrics list should return data.", 400)


def test_describe_filters_pages_and_deletes(server, cw):
    for i in range(5):
        alarm(cw, f"app-{i}", AlarmActions=["arn:aws:sns:us-east-1:000000000000:t"] if i % 2 else [])
    alarm(cw, "other", MetricName="Disk")
    names = lambda r: [a["AlarmName"] for a in r["MetricAlarms"]]  # noqa: E731
    assert names(cw.describe_alarms()) == ["app-0", "app-1", "app-2", "app-3", "app-4", "other"]
    assert names(cw.describe_alarms(AlarmNamePrefix="app-")) == [f"app-{i}" for i in range(5)]
    assert names(cw.describe_alarms(ActionPrefix="arn:aws:sns:")) == ["app-1", "app-3"]
    assert names(cw.describe_alarms(StateValue="ALARM")) == []
    page = cw.describe_alarms(MaxRecords=4)
    assert len(page["MetricAlarms"]) == 4
    rest = cw.describe_alarms(MaxRecords=4, NextToken=page["NextToken"])
    assert names(rest) == ["app-4", "other"] and "NextToken" not in rest
    got = cw.describe_alarms_for_metric(Namespace=NS, MetricName="Disk")["MetricAlarms"]
    assert [a["AlarmName"] for a in got] == ["other"]
    with pytest.raises(ClientError) as e:
        cw.describe_alarms(AlarmNames=["x"], AlarmNamePrefix="y")
    assert error_of(e.value)[0] == "InvalidParameterCombination"

    # Updating keeps the state and records a configuration update.
    cw.set_alarm_state(AlarmName="other", StateValue="ALARM", StateReason="manual")
    alarm(cw, "other", MetricName="Disk", Threshold=90.0)
    [o] = cw.describe_alarms(AlarmNames=["other"])["MetricAlarms"]
    assert (o["Threshold"], o["StateValue"]) == (90.0, "ALARM")
    summaries = [h["HistorySummary"] for h in cw.describe_alarm_history(AlarmName="other")["AlarmHistoryItems"]]
    assert 'Alarm "other" updated' in summaries

    # Unknown names are ignored; known ones go.
    cw.delete_alarms(AlarmNames=["app-0", "nope"])
    assert "app-0" not in names(cw.describe_alarms())
    with pytest.raises(ClientError) as e:
        cw.set_alarm_state(AlarmName="app-0", StateValue="OK", StateReason="x")
    assert error_of(e.value)[0] == "ResourceNotFound" and error_of(e.value)[2] == 404


def test_alarm_validation(server, cw):
    def err(**kw):
        with pytest.raises(ClientError) as e:
            alarm(cw, "bad", **kw)
        return error_of(e.value)

    assert err(Period=45)[0] == "ValidationError"
    assert err(Period=300, EvaluationPeriods=300) == (
        "ValidationError", "Metrics cannot be checked across more than a day (EvaluationPeriods * Period must be <= 86400).", 400)
    assert err(ExtendedStatistic="p99")[0] == "InvalidParameterCombination"
    assert err(Statistic=None, ExtendedStatistic="q99")[0] == "InvalidParameterValue"
    assert err(DatapointsToAlarm=2)[0] == "ValidationError"
    assert err(EvaluateLowSampleCountPercentile="sometimes")[0] == "ValidationError"
    assert err(Threshold=None)[0] == "MissingParameter"
    with pytest.raises(ClientError) as e:
        cw.set_alarm_state(AlarmName="nope", StateValue="OK", StateReason="x")
    assert error_of(e.value)[:1] == ("ResourceNotFound",)
    alarm(cw, "good")
    with pytest.raises(ClientError) as e:
        cw.set_alarm_state(AlarmName="good", StateValue="OK", StateReason="x", StateReasonData="{not json")
    assert error_of(e.value)[0] == "InvalidFormat"


def test_composite_alarms(server, cw):
    alarm(cw, "cpu", TreatMissingData="ignore")
    alarm(cw, "mem", MetricName="Mem", TreatMissingData="ignore")
    cw.put_composite_alarm(AlarmName="service", AlarmRule='ALARM("cpu") OR ALARM(mem)',
                           AlarmDescription="either")
    r = cw.describe_alarms(AlarmTypes=["CompositeAlarm"])
    assert r["MetricAlarms"] == [] and [c["AlarmName"] for c in r["CompositeAlarms"]] == ["service"]
    assert r["CompositeAlarms"][0]["AlarmRule"] == 'ALARM("cpu") OR ALARM(mem)'
    # Without AlarmTypes only metric alarms are described.
    assert cw.describe_alarms(AlarmNames=["service"])["CompositeAlarms"] == []
    wait_state(cw, "service", "OK")
    cw.set_alarm_state(AlarmName="mem", StateValue="ALARM", StateReason="swap storm")
    wait_state(cw, "service", "ALARM")
    [c] = cw.describe_alarms(AlarmNames=["service"], AlarmTypes=["CompositeAlarm"])["CompositeAlarms"]
    assert c["StateReason"].startswith(f"arn:aws:cloudwatch:us-east-1:{DEFAULT_ACCOUNT}:alarm:mem transitioned to ALARM at ")
    # Composite history shows only when asked for by type.
    assert cw.describe_alarm_history(AlarmName="service")["AlarmHistoryItems"] == []
    comp = cw.describe_alarm_history(AlarmName="service", AlarmTypes=["CompositeAlarm"],
                                     HistoryItemType="StateUpdate")["AlarmHistoryItems"]
    assert [h["HistorySummary"] for h in comp] == ["Alarm updated from OK to ALARM",
                                                   "Alarm updated from INSUFFICIENT_DATA to OK"]
    kids = cw.describe_alarms(ChildrenOfAlarmName="service")
    assert sorted(a["AlarmName"] for a in kids["MetricAlarms"]) == ["cpu", "mem"]
    parents = cw.describe_alarms(ParentsOfAlarmName="mem")
    assert [a["AlarmName"] for a in parents["CompositeAlarms"]] == ["service"]

    with pytest.raises(ClientError) as e:
        cw.put_composite_alarm(AlarmName="broken", AlarmRule="ALARM(ghost) AND ALARM(cpu)")
    assert error_of(e.value) == (
        "ValidationError", "Could not save the composite alarm as alarms [ghost] in the alarm rule do not exist", 400)
    with pytest.raises(ClientError) as e:
        cw.put_composite_alarm(AlarmName="broken", AlarmRule="ALARM(cpu) AND")
    assert error_of(e.value)[0] == "ValidationError"

    # Set by hand, a composite alarm keeps the state until it is evaluated again.
    cw.set_alarm_state(AlarmName="service", StateValue="OK", StateReason="testing")
    time.sleep(1.2)
    assert state_of(cw, "service") == "OK"
    server.advance(61)
    wait_state(cw, "service", "ALARM")

    # Composites of composites.
    cw.put_composite_alarm(AlarmName="outer", AlarmRule="ALARM(service) AND NOT OK(cpu)")
    wait_state(cw, "outer", "ALARM")
    cw.set_alarm_state(AlarmName="mem", StateValue="OK", StateReason="calm")
    wait_state(cw, "outer", "OK")
    assert state_of(cw, "service") == "OK"

    # Children go only after their parents, one composite at a time.
    with pytest.raises(ClientError) as e:
        cw.delete_alarms(AlarmNames=["mem"])
    assert error_of(e.value) == (
        "ValidationError", "Cannot delete mem as there are composite alarm(s) depending on it.", 400)
    with pytest.raises(ClientError) as e:
        cw.delete_alarms(AlarmNames=["service"])
    assert error_of(e.value)[0] == "ValidationError"
    with pytest.raises(ClientError) as e:
        cw.delete_alarms(AlarmNames=["service", "outer"])
    assert error_of(e.value)[0] == "ValidationError"
    cw.delete_alarms(AlarmNames=["outer"])
    cw.delete_alarms(AlarmNames=["service"])
    cw.delete_alarms(AlarmNames=["mem", "cpu"])
    assert cw.describe_alarms(AlarmTypes=["MetricAlarm", "CompositeAlarm"])["MetricAlarms"] == []


def test_alarm_tags(server, cw):
    alarm(cw, "tagged", Tags=[{"Key": "team", "Value": "ops"}])
    arn = cw.describe_alarms(AlarmNames=["tagged"])["MetricAlarms"][0]["AlarmArn"]
    assert cw.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "team", "Value": "ops"}]
    cw.tag_resource(ResourceARN=arn, Tags=[{"Key": "env", "Value": "dev"}, {"Key": "team", "Value": "sre"}])
    cw.untag_resource(ResourceARN=arn, TagKeys=["env"])
    assert cw.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "team", "Value": "sre"}]
    with pytest.raises(ClientError) as e:
        cw.list_tags_for_resource(ResourceARN=arn + "-gone")
    assert error_of(e.value)[0] == "ResourceNotFoundException"


# ---------------------------------------------------------------------------
# Dashboards and metric streams
# ---------------------------------------------------------------------------

BODY = {"widgets": [{"type": "metric", "x": 0, "y": 0, "width": 12, "height": 6,
                     "properties": {"metrics": [["AWS/EC2", "CPUUtilization", "InstanceId", "i-12345678"]],
                                    "region": "us-east-1", "view": "timeSeries", "stacked": False}}]}


def test_dashboards(server, cw):
    out = cw.put_dashboard(DashboardName="ops-main", DashboardBody=json.dumps(BODY))
    assert out["DashboardValidationMessages"] == []
    cw.put_dashboard(DashboardName="dev-scratch", DashboardBody=json.dumps({"widgets": []}))
    got = cw.get_dashboard(DashboardName="ops-main")
    assert got["DashboardArn"] == f"arn:aws:cloudwatch::{DEFAULT_ACCOUNT}:dashboard/ops-main"
    assert json.loads(got["DashboardBody"]) == BODY
    entries = cw.list_dashboards()["DashboardEntries"]
    assert [e["DashboardName"] for e in entries] == ["dev-scratch", "ops-main"]
    assert entries[1]["Size"] == len(json.dumps(BODY))
    assert [e["DashboardName"] for e in cw.list_dashboards(DashboardNamePrefix="ops")["DashboardEntries"]] == ["ops-main"]

    with pytest.raises(ClientError) as e:
        cw.put_dashboard(DashboardName="bad", DashboardBody=json.dumps({"widgets": [
            {"type": "metric", "properties": {"metrics": ["AWS/EC2"]}}]}))
    code, msg, status = error_of(e.value)
    assert (code, status) == ("InvalidParameterInput", 400)
    assert msg.startswith("The dashboard body is invalid, there are 2 validation errors:")
    assert '"dataPath": "/widgets/0/properties/metrics/0"' in msg
    with pytest.raises(ClientError) as e:
        cw.put_dashboard(DashboardName="bad", DashboardBody="not json")
    assert error_of(e.value)[0] == "InvalidParameterInput"

    with pytest.raises(ClientError) as e:
        cw.delete_dashboards(DashboardNames=["ops-main", "ghost"])
    assert error_of(e.value) == ("ResourceNotFound", "The specified dashboard does not exist. [ghost]", 404)
    assert len(cw.list_dashboards()["DashboardEntries"]) == 2
    cw.delete_dashboards(DashboardNames=["ops-main", "dev-scratch"])
    assert cw.list_dashboards()["DashboardEntries"] == []
    with pytest.raises(ClientError) as e:
        cw.get_dashboard(DashboardName="ops-main")
    assert error_of(e.value)[0] == "ResourceNotFound" and error_of(e.value)[2] == 404


def test_metric_streams(server, cw):
    arn = cw.put_metric_stream(Name="to-firehose", FirehoseArn="arn:aws:firehose:us-east-1:000000000000:deliverystream/d",
                               RoleArn="arn:aws:iam::000000000000:role/r", OutputFormat="json",
                               IncludeFilters=[{"Namespace": "AWS/EC2"}])["Arn"]
    assert arn == f"arn:aws:cloudwatch:us-east-1:{DEFAULT_ACCOUNT}:metric-stream/to-firehose"
    s = cw.get_metric_stream(Name="to-firehose")
    assert (s["State"], s["OutputFormat"], s["IncludeFilters"][0]["Namespace"]) == ("running", "json", "AWS/EC2")
    cw.stop_metric_streams(Names=["to-firehose"])
    assert cw.list_metric_streams()["Entries"][0]["State"] == "stopped"
    cw.start_metric_streams(Names=["to-firehose"])
    assert cw.get_metric_stream(Name="to-firehose")["State"] == "running"
    cw.delete_metric_stream(Name="to-firehose")
    with pytest.raises(ClientError) as e:
        cw.get_metric_stream(Name="to-firehose")
    assert error_of(e.value)[0] == "ResourceNotFoundException"


def test_log_metric_filters_publish_metrics(server, cw):
    logs = server.client("logs")
    logs.create_log_group(logGroupName="/app/web")
    logs.create_log_stream(logGroupName="/app/web", logStreamName="s")
    logs.put_metric_filter(logGroupName="/app/web", filterName="errors", filterPattern="ERROR",
                           metricTransformations=[{"metricName": "ErrorCount", "metricNamespace": "App",
                                                   "metricValue": "1"}])
    ms = int(server.now().timestamp() * 1000)
    logs.put_log_events(logGroupName="/app/web", logStreamName="s", logEvents=[
        {"timestamp": ms, "message": "ERROR boom"}, {"timestamp": ms + 1, "message": "fine"},
        {"timestamp": ms + 2, "message": "ERROR again"}])
    assert wait_for(lambda: cw.list_metrics(Namespace="App")["Metrics"])
    t = minute(server, 1)
    out = cw.get_metric_statistics(Namespace="App", MetricName="ErrorCount", StartTime=t,
                                   EndTime=t + dt.timedelta(minutes=3), Period=180, Statistics=["Sum"])
    assert [p["Sum"] for p in out["Datapoints"]] == [2.0]


# ---------------------------------------------------------------------------
# Other wire protocols: query (older SDKs) and JSON
# ---------------------------------------------------------------------------

def test_query_and_json_protocols(server, cw):
    t = minute(server, 2).strftime("%Y-%m-%dT%H:%M:%SZ")
    form = {"Content-Type": FORM, "Authorization": fake_auth("monitoring")}
    r = server.post("/", headers=form, data={
        "Action": "PutMetricData", "Version": "2010-08-01", "Namespace": NS,
        "MetricData.member.1.MetricName": "Q", "MetricData.member.1.Value": "3",
        "MetricData.member.1.Timestamp": t, "MetricData.member.1.Unit": "Count",
        "MetricData.member.1.Dimensions.member.1.Name": "D", "MetricData.member.1.Dimensions.member.1.Value": "v"})
    assert r.status_code == 200, r.text
    r = server.post("/", headers=form, data={"Action": "ListMetrics", "Version": "2010-08-01", "Namespace": NS})
    assert r.status_code == 200 and "<ListMetricsResponse" in r.text and "<MetricName>Q</MetricName>" in r.text
    r = server.post("/", headers=form, data={
        "Action": "PutMetricData", "Version": "2010-08-01", "Namespace": NS,
        "MetricData.member.1.MetricName": "Q", "MetricData.member.1.Value": "1",
        "MetricData.member.1.StatisticValues.SampleCount": "1", "MetricData.member.1.StatisticValues.Sum": "1",
        "MetricData.member.1.StatisticValues.Minimum": "1", "MetricData.member.1.StatisticValues.Maximum": "1"})
    assert r.status_code == 400 and query_error(r)[0] == "InvalidParameterCombination"

    json_headers = {"Content-Type": "application/x-amz-json-1.0", "Authorization": fake_auth("monitoring"),
                    "X-Amz-Target": "GraniteServiceVersion20100801.GetMetricStatistics"}
    start = minute(server, 3).timestamp()
    r = server.post("/", headers=json_headers, data=json.dumps({
        "Namespace": NS, "MetricName": "Q", "Dimensions": [{"Name": "D", "Value": "v"}],
        "StartTime": start, "EndTime": start + 300, "Period": 300, "Statistics": ["Sum"]}))
    assert r.status_code == 200, r.text
    assert [p["Sum"] for p in r.json()["Datapoints"]] == [3.0]
    json_headers["X-Amz-Target"] = "GraniteServiceVersion20100801.GetDashboard"
    r = server.post("/", headers=json_headers, data=json.dumps({"DashboardName": "none"}))
    assert r.status_code == 404
    assert r.headers["x-amzn-query-error"] == "ResourceNotFound;Sender"


# ---------------------------------------------------------------------------
# The aws CLI, as a user types it
# ---------------------------------------------------------------------------

def test_cli_put_metric_data_and_describe_alarms(server, aws):
    aws("cloudwatch", "put-metric-data", "--namespace", "MyApp", "--metric-name", "PageViews",
        "--value", "12", "--unit", "Count", "--dimensions", "Page=home")
    aws("cloudwatch", "put-metric-data", "--namespace", "MyApp", "--metric-name", "PageViews",
        "--statistic-values", "Sum=30,Minimum=1,Maximum=20,SampleCount=3", "--unit", "Count",
        "--dimensions", "Page=home")
    listed = aws("cloudwatch", "list-metrics", "--namespace", "MyApp")
    assert listed["Metrics"] == [{"Namespace": "MyApp", "MetricName": "PageViews",
                                  "Dimensions": [{"Name": "Page", "Value": "home"}]}]
    now = server.now()
    stats = aws("cloudwatch", "get-metric-statistics", "--namespace", "MyApp", "--metric-name", "PageViews",
                "--dimensions", "Name=Page,Value=home", "--statistics", "Sum", "SampleCount",
                "--start-time", (now - dt.timedelta(minutes=5)).isoformat(),
                "--end-time", (now + dt.timedelta(minutes=1)).isoformat(), "--period", "3600")
    [p] = stats["Datapoints"]
    assert (p["Sum"], p["SampleCount"]) == (42.0, 4.0)
    aws("cloudwatch", "put-metric-alarm", "--alarm-name", "views-high", "--namespace", "MyApp",
        "--metric-name", "PageViews", "--dimensions", "Name=Page,Value=home", "--statistic", "Sum",
        "--period", "300", "--evaluation-periods", "1", "--threshold", "1000",
        "--comparison-operator", "GreaterThanOrEqualToThreshold")
    out = aws("cloudwatch", "describe-alarms", "--alarm-names", "views-high")
    [a] = out["MetricAlarms"]
    assert (a["AlarmName"], a["Threshold"], a["Period"]) == ("views-high", 1000.0, 300)
    aws("cloudwatch", "set-alarm-state", "--alarm-name", "views-high", "--state-value", "ALARM",
        "--state-reason", "cli test")
    out = aws("cloudwatch", "describe-alarms", "--state-value", "ALARM")
    assert [a["AlarmName"] for a in out["MetricAlarms"]] == ["views-high"]
    bad = aws("cloudwatch", "put-metric-data", "--namespace", "AWS/Fake", "--metric-name", "x", "--value", "1",
              check=False)
    assert bad.returncode != 0 and "InvalidParameterValue" in bad.stderr


# ---------------------------------------------------------------------------
# Persistence
# ---------------------------------------------------------------------------

def test_metrics_alarms_and_dashboards_survive_a_restart(server_factory):
    srv = server_factory(args=["--test-mode"])
    cw = srv.client("cloudwatch")
    t = srv.now().replace(second=0, microsecond=0) - dt.timedelta(minutes=30)
    for batch in range(3):
        cw.put_metric_data(Namespace=NS, MetricData=[
            {"MetricName": "Load", "Value": float(i), "Timestamp": t + dt.timedelta(minutes=i % 30),
             "Dimensions": [{"Name": "Host", "Value": f"h{batch}"}]}
            for i in range(300)])
    # Many small writes to one metric: the store merges their chunks later.
    for i in range(40):
        put(cw, "Small", float(i), t + dt.timedelta(minutes=i % 30))
    srv.advance(120)
    time.sleep(0.5)
    alarm(cw, "load", MetricName="Load", Dimensions=[{"Name": "Host", "Value": "h0"}], TreatMissingData="ignore")
    cw.set_alarm_state(AlarmName="load", StateValue="ALARM", StateReason="before restart")
    cw.put_dashboard(DashboardName="persisted", DashboardBody=json.dumps(BODY))

    def stats(c):
        kw = dict(Namespace=NS, MetricName="Load", Dimensions=[{"Name": "Host", "Value": "h1"}],
                  StartTime=t, EndTime=t + dt.timedelta(minutes=30), Period=600)
        basic = c.get_metric_statistics(Statistics=["Sum", "SampleCount"], **kw)["Datapoints"]
        pct = c.get_metric_statistics(ExtendedStatistics=["p50"], **kw)["Datapoints"]
        return basic + pct

    before = sorted(stats(cw), key=lambda d: d["Timestamp"])
    assert sum(p.get("SampleCount", 0) for p in before) == 300.0
    srv.restart()
    cw = srv.client("cloudwatch")
    assert sorted(stats(cw), key=lambda d: (d["Timestamp"], "Sum" in d)) == sorted(before, key=lambda d: (d["Timestamp"], "Sum" in d))
    assert len(cw.list_metrics(Namespace=NS)["Metrics"]) == 4
    [a] = cw.describe_alarms(AlarmNames=["load"])["MetricAlarms"]
    assert (a["StateValue"], a["StateReason"]) == ("ALARM", "before restart")
    assert cw.describe_alarm_history(AlarmName="load", HistoryItemType="StateUpdate")["AlarmHistoryItems"]
    assert json.loads(cw.get_dashboard(DashboardName="persisted")["DashboardBody"]) == BODY
    small = cw.get_metric_statistics(Namespace=NS, MetricName="Small", StartTime=t, EndTime=t + dt.timedelta(minutes=30),
                                     Period=1800, Statistics=["Sum", "SampleCount"])["Datapoints"]
    assert [(p["SampleCount"], p["Sum"]) for p in small] == [(40.0, float(sum(range(40))))]
    # New samples after the restart land beside the old ones.
    put(cw, "Load", 1000.0, t + dt.timedelta(minutes=5), {"Host": "h1"})
    after = stats(cw)
    assert sum(p.get("SampleCount", 0) for p in after) == 301.0
