"""DynamoDB through boto3 and the aws CLI: tables, items, expressions,
queries, indexes, batches and transactions, with DynamoDB's errors."""

from __future__ import annotations

import decimal

import pytest
from boto3.dynamodb.conditions import Attr, Key
from botocore.config import Config
from botocore.exceptions import ClientError

NO_VALIDATION = Config(parameter_validation=False)


def error(excinfo) -> tuple[str, str, int]:
    e = excinfo.value.response
    return e["Error"]["Code"], e["Error"]["Message"], e["ResponseMetadata"]["HTTPStatusCode"]


def create_table(ddb, **kwargs) -> dict:
    """Creates a table and waits until it is ACTIVE, as code written for AWS
    must: a table answers CREATING first."""
    out = ddb.create_table(**kwargs)
    ddb.get_waiter("table_exists").wait(TableName=kwargs["TableName"])
    return out


@pytest.fixture
def ddb(server):
    return server.client("dynamodb")


@pytest.fixture
def table(server, ddb):
    create_table(
        ddb,
        TableName="orders",
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "N"},
            {"AttributeName": "status_code", "AttributeType": "S"},
        ],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by_status",
                "KeySchema": [{"AttributeName": "status_code", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    boto = __import__("boto3").session.Session()
    res = boto.resource(
        "dynamodb",
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    t = res.Table("orders")
    t.wait_until_exists()
    return t


def test_create_describe_list_delete(ddb, table):
    d = ddb.describe_table(TableName="orders")["Table"]
    assert d["TableStatus"] == "ACTIVE"
    assert d["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]
    assert d["TableArn"] == "arn:aws:dynamodb:us-east-1:000000000000:table/orders"
    assert d["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert d["GlobalSecondaryIndexes"][0]["IndexName"] == "by_status"
    assert ddb.list_tables()["TableNames"] == ["orders"]
    with pytest.raises(ClientError) as e:
        ddb.create_table(
            TableName="orders",
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
    assert error(e)[:2] == ("ResourceInUseException", "Table already exists: orders")
    ddb.delete_table(TableName="orders")
    ddb.get_waiter("table_not_exists").wait(TableName="orders")
    with pytest.raises(ClientError) as e:
        ddb.describe_table(TableName="orders")
    assert error(e) == ("ResourceNotFoundException", "Requested resource not found: Table: orders not found", 400)


def test_create_table_validation(ddb):
    with pytest.raises(ClientError) as e:
        ddb.create_table(
            TableName="t",
            AttributeDefinitions=[{"AttributeName": "a", "AttributeType": "S"}, {"AttributeName": "extra", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "a", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
    assert error(e)[0] == "ValidationException"
    assert "unused attribute" in error(e)[1] or "AttributeDefinitions" in error(e)[1]
    with pytest.raises(ClientError) as e:
        ddb.create_table(
            TableName="t",
            AttributeDefinitions=[{"AttributeName": "a", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "a", "KeyType": "HASH"}],
        )
    assert error(e)[0] == "ValidationException"


def test_put_get_update_delete_with_conditions(table):
    table.put_item(Item={"pk": "u1", "sk": 1, "qty": 2, "tags": {"a", "b"}, "addr": {"city": "Seoul"}})
    got = table.get_item(Key={"pk": "u1", "sk": 1})["Item"]
    assert got == {"pk": "u1", "sk": 1, "qty": 2, "tags": {"a", "b"}, "addr": {"city": "Seoul"}}

    with pytest.raises(ClientError) as e:
        table.put_item(Item={"pk": "u1", "sk": 1}, ConditionExpression="attribute_not_exists(pk)")
    assert error(e) == ("ConditionalCheckFailedException", "The conditional request failed", 400)

    out = table.update_item(
        Key={"pk": "u1", "sk": 1},
        UpdateExpression="SET qty = qty + :inc, addr.zip = :z, notes = list_append(if_not_exists(notes, :empty), :n) ADD tags :t REMOVE missing_attr",
        ExpressionAttributeValues={":inc": 3, ":z": "04524", ":empty": [], ":n": ["first"], ":t": {"c"}},
        ReturnValues="ALL_NEW",
    )["Attributes"]
    assert out["qty"] == 5
    assert out["addr"] == {"city": "Seoul", "zip": "04524"}
    assert out["notes"] == ["first"]
    assert out["tags"] == {"a", "b", "c"}

    old = table.update_item(
        Key={"pk": "u1", "sk": 1},
        UpdateExpression="SET qty = :q",
        ExpressionAttributeValues={":q": 9},
        ReturnValues="UPDATED_OLD",
    )["Attributes"]
    assert old == {"qty": 5}

    with pytest.raises(ClientError) as e:
        table.delete_item(Key={"pk": "u1", "sk": 1}, ConditionExpression=Attr("qty").lt(3))
    assert error(e)[0] == "ConditionalCheckFailedException"
    gone = table.delete_item(Key={"pk": "u1", "sk": 1}, ReturnValues="ALL_OLD")["Attributes"]
    assert gone["qty"] == 9
    assert "Item" not in table.get_item(Key={"pk": "u1", "sk": 1})


def test_numbers_keep_their_precision(table):
    big = decimal.Decimal("12345678901234567890.123456789012345678")
    table.put_item(Item={"pk": "n", "sk": 1, "v": big})
    assert table.get_item(Key={"pk": "n", "sk": 1})["Item"]["v"] == big
    out = table.update_item(
        Key={"pk": "n", "sk": 1},
        UpdateExpression="SET v = v + :d",
        ExpressionAttributeValues={":d": decimal.Decimal("0.000000000000000001")},
        ReturnValues="UPDATED_NEW",
    )["Attributes"]
    # DynamoDB keeps 38 digits; Python's default context would round to 28.
    assert out["v"] == decimal.Context(prec=38).add(big, decimal.Decimal("0.000000000000000001"))
    assert str(out["v"]) == "12345678901234567890.123456789012345679"


def test_key_and_item_errors(server, table):
    ddb = server.client("dynamodb", config=NO_VALIDATION)
    with pytest.raises(ClientError) as e:
        ddb.get_item(TableName="orders", Key={"pk": {"S": "x"}})
    assert error(e)[:2] == ("ValidationException", "The provided key element does not match the schema")
    with pytest.raises(ClientError) as e:
        ddb.put_item(TableName="orders", Item={"pk": {"S": "x"}})
    assert error(e)[1] == "One or more parameter values were invalid: Missing the key sk in the item"
    with pytest.raises(ClientError) as e:
        ddb.put_item(TableName="orders", Item={"pk": {"N": "1"}, "sk": {"N": "1"}})
    assert error(e)[1] == "One or more parameter values were invalid: Type mismatch for key pk expected: S actual: N"
    with pytest.raises(ClientError) as e:
        ddb.get_item(TableName="nope", Key={"pk": {"S": "x"}})
    assert error(e)[:2] == ("ResourceNotFoundException", "Requested resource not found")
    with pytest.raises(ClientError) as e:
        ddb.put_item(TableName="orders", Item={"pk": {"S": "x"}, "sk": {"N": "1"}, "big": {"S": "x" * 410_000}})
    assert error(e)[1] == "Item size has exceeded the maximum allowed size"
    with pytest.raises(ClientError) as e:
        ddb.put_item(TableName="orders", Item={"pk": {"S": "x"}, "sk": {"N": "1"}, "s": {"SS": ["a", "a"]}})
    assert "contains duplicates" in error(e)[1]


def test_expression_errors(server, table):
    ddb = server.client("dynamodb")
    key = {"pk": {"S": "a"}, "sk": {"N": "1"}}
    ddb.put_item(TableName="orders", Item=key)
    cases = [
        (dict(UpdateExpression="SET = :v", ExpressionAttributeValues={":v": {"S": "x"}}),
         'Invalid UpdateExpression: Syntax error; token: "=", near: "SET = :v"'),
        (dict(UpdateExpression="SET #a = :v", ExpressionAttributeValues={":v": {"S": "x"}}),
         "Invalid UpdateExpression: An expression attribute name used in the document path is not defined; attribute name: #a"),
        (dict(UpdateExpression="SET a = :v", ExpressionAttributeValues={":v": {"S": "x"}, ":w": {"S": "y"}}),
         "Value provided in ExpressionAttributeValues unused in expressions: keys: {:w}"),
        (dict(UpdateExpression="SET status = :v", ExpressionAttributeValues={":v": {"S": "x"}}),
         "Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: status"),
        (dict(UpdateExpression="SET pk = :v", ExpressionAttributeValues={":v": {"S": "x"}}),
         "One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key"),
        (dict(UpdateExpression="SET a = :v REMOVE a", ExpressionAttributeValues={":v": {"S": "x"}}),
         "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a]"),
        (dict(UpdateExpression="ADD a :v", ExpressionAttributeValues={":v": {"S": "x"}}),
         "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: STRING"),
    ]
    for kwargs, message in cases:
        with pytest.raises(ClientError) as e:
            ddb.update_item(TableName="orders", Key=key, **kwargs)
        assert error(e) == ("ValidationException", message, 400), kwargs


def test_query_with_sort_conditions_order_and_pages(table):
    with table.batch_writer() as w:
        for i in range(1, 26):
            w.put_item(Item={"pk": "p", "sk": i, "status_code": "open" if i % 2 else "done", "n": i})
        w.put_item(Item={"pk": "other", "sk": 1})
    r = table.query(KeyConditionExpression=Key("pk").eq("p") & Key("sk").between(5, 9))
    assert [i["sk"] for i in r["Items"]] == [5, 6, 7, 8, 9]
    r = table.query(KeyConditionExpression=Key("pk").eq("p"), ScanIndexForward=False, Limit=3)
    assert [i["sk"] for i in r["Items"]] == [25, 24, 23]
    assert r["LastEvaluatedKey"] == {"pk": "p", "sk": 23}
    r2 = table.query(KeyConditionExpression=Key("pk").eq("p"), ScanIndexForward=False, Limit=3, ExclusiveStartKey=r["LastEvaluatedKey"])
    assert [i["sk"] for i in r2["Items"]] == [22, 21, 20]
    r = table.query(KeyConditionExpression=Key("pk").eq("p"), FilterExpression=Attr("n").gt(20))
    assert r["Count"] == 5 and r["ScannedCount"] == 25
    r = table.query(KeyConditionExpression=Key("pk").eq("p"), Select="COUNT")
    assert r["Count"] == 25 and "Items" not in r
    r = table.query(IndexName="by_status", KeyConditionExpression=Key("status_code").eq("done") & Key("sk").lt(7))
    assert r["Items"] == [{"pk": "p", "sk": 2, "status_code": "done"}, {"pk": "p", "sk": 4, "status_code": "done"}, {"pk": "p", "sk": 6, "status_code": "done"}]
    r = table.query(KeyConditionExpression="pk = :p AND sk >= :s", ExpressionAttributeValues={":p": "p", ":s": 24}, ProjectionExpression="sk")
    assert r["Items"] == [{"sk": 24}, {"sk": 25}]


def test_query_key_condition_errors(server, table):
    ddb = server.client("dynamodb")
    with pytest.raises(ClientError) as e:
        ddb.query(TableName="orders", KeyConditionExpression="sk = :s", ExpressionAttributeValues={":s": {"N": "1"}})
    assert error(e)[1] == "Query condition missed key schema element: pk"
    with pytest.raises(ClientError) as e:
        ddb.query(TableName="orders", IndexName="nope", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "a"}})
    assert error(e)[1] == "The table does not have the specified index: nope"


def test_scan_segments_cover_the_table_once(table):
    with table.batch_writer() as w:
        for i in range(60):
            w.put_item(Item={"pk": f"k{i}", "sk": i})
    seen = []
    for seg in range(4):
        seen += [i["pk"] for i in table.scan(Segment=seg, TotalSegments=4)["Items"]]
    assert sorted(seen) == sorted(f"k{i}" for i in range(60))
    assert table.scan(FilterExpression=Attr("sk").lt(10))["Count"] == 10


def test_batch_get_and_write(ddb, table):
    ddb.batch_write_item(
        RequestItems={"orders": [{"PutRequest": {"Item": {"pk": {"S": "b"}, "sk": {"N": str(i)}}}} for i in range(5)]}
    )
    r = ddb.batch_get_item(RequestItems={"orders": {"Keys": [{"pk": {"S": "b"}, "sk": {"N": str(i)}} for i in (0, 3, 9)]}})
    assert sorted(int(i["sk"]["N"]) for i in r["Responses"]["orders"]) == [0, 3]
    assert r["UnprocessedKeys"] == {}
    with pytest.raises(ClientError) as e:
        ddb.batch_get_item(RequestItems={"orders": {"Keys": [{"pk": {"S": "b"}, "sk": {"N": "1"}}] * 2}})
    assert error(e)[1] == "Provided list of item keys contains duplicates"


def test_transactions_are_all_or_nothing(ddb, table):
    ddb.put_item(TableName="orders", Item={"pk": {"S": "acct"}, "sk": {"N": "1"}, "bal": {"N": "10"}})
    with pytest.raises(ClientError) as e:
        ddb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": "orders", "Item": {"pk": {"S": "acct"}, "sk": {"N": "2"}}}},
                {"Update": {
                    "TableName": "orders",
                    "Key": {"pk": {"S": "acct"}, "sk": {"N": "1"}},
                    "UpdateExpression": "SET bal = bal - :a",
                    "ConditionExpression": "bal >= :a",
                    "ExpressionAttributeValues": {":a": {"N": "50"}},
                }},
            ]
        )
    code, message, _ = error(e)
    assert code == "TransactionCanceledException"
    assert message == "Transaction cancelled, please refer cancellation reasons for specific reasons [None, ConditionalCheckFailed]"
    reasons = e.value.response["CancellationReasons"]
    assert [r["Code"] for r in reasons] == ["None", "ConditionalCheckFailed"]
    assert "Item" not in ddb.get_item(TableName="orders", Key={"pk": {"S": "acct"}, "sk": {"N": "2"}})
    ddb.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": "orders", "Item": {"pk": {"S": "acct"}, "sk": {"N": "2"}}}},
            {"ConditionCheck": {
                "TableName": "orders",
                "Key": {"pk": {"S": "acct"}, "sk": {"N": "1"}},
                "ConditionExpression": "bal = :b",
                "ExpressionAttributeValues": {":b": {"N": "10"}},
            }},
        ]
    )
    got = ddb.transact_get_items(TransactItems=[{"Get": {"TableName": "orders", "Key": {"pk": {"S": "acct"}, "sk": {"N": "2"}}}}])
    assert got["Responses"][0]["Item"]["pk"] == {"S": "acct"}


def test_tags_and_ttl(ddb, table):
    arn = ddb.describe_table(TableName="orders")["Table"]["TableArn"]
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "team", "Value": "web"}])
    assert ddb.list_tags_of_resource(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "web"}]
    ddb.untag_resource(ResourceArn=arn, TagKeys=["team"])
    assert ddb.list_tags_of_resource(ResourceArn=arn)["Tags"] == []
    ddb.update_time_to_live(TableName="orders", TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})
    d = ddb.describe_time_to_live(TableName="orders")["TimeToLiveDescription"]
    assert d == {"TimeToLiveStatus": "ENABLED", "AttributeName": "exp"}


def test_items_survive_a_restart(server_factory):
    srv = server_factory()
    ddb = srv.client("dynamodb")
    create_table(
        ddb,
        TableName="keep",
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    for i in range(20):
        ddb.put_item(TableName="keep", Item={"id": {"S": f"i{i}"}, "v": {"N": str(i)}})
    ddb.delete_item(TableName="keep", Key={"id": {"S": "i3"}})
    srv.restart()
    ddb = srv.client("dynamodb")
    assert ddb.scan(TableName="keep")["Count"] == 19
    assert ddb.get_item(TableName="keep", Key={"id": {"S": "i7"}})["Item"]["v"] == {"N": "7"}


def test_cli_flow(aws):
    aws("dynamodb", "create-table", "--table-name", "cli",
        "--attribute-definitions", "AttributeName=id,AttributeType=S",
        "--key-schema", "AttributeName=id,KeyType=HASH",
        "--billing-mode", "PAY_PER_REQUEST")
    aws("dynamodb", "wait", "table-exists", "--table-name", "cli")
    aws("dynamodb", "put-item", "--table-name", "cli", "--item", '{"id": {"S": "1"}, "name": {"S": "Ann"}}')
    got = aws("dynamodb", "get-item", "--table-name", "cli", "--key", '{"id": {"S": "1"}}')
    assert got["Item"]["name"] == {"S": "Ann"}
    assert aws("dynamodb", "scan", "--table-name", "cli")["Count"] == 1
    out = aws("dynamodb", "put-item", "--table-name", "cli", "--item", '{"id": {"S": "2"}}',
              "--return-consumed-capacity", "INDEXES")
    assert out["ConsumedCapacity"] == {"TableName": "cli", "CapacityUnits": 1.0, "Table": {"CapacityUnits": 1.0}}


def test_ttl_expires_items_when_the_clock_passes_them(server, ddb, table):
    ddb.update_time_to_live(TableName="orders", TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})
    now = int(server.now().timestamp())
    table.put_item(Item={"pk": "t", "sk": 1, "exp": now + 3600})
    table.put_item(Item={"pk": "t", "sk": 2, "exp": now + 7200})
    table.put_item(Item={"pk": "t", "sk": 3, "exp": "not a number"})
    server.advance(3700)
    deadline = __import__("time").monotonic() + 10
    while __import__("time").monotonic() < deadline:
        left = [i["sk"] for i in table.query(KeyConditionExpression=Key("pk").eq("t"))["Items"]]
        if left == [2, 3]:
            break
        __import__("time").sleep(0.05)
    assert left == [2, 3]


def test_legacy_parameters_still_work(ddb, table):
    ddb.put_item(TableName="orders", Item={"pk": {"S": "L"}, "sk": {"N": "1"}, "v": {"N": "1"}},
                 Expected={"pk": {"Exists": False}})
    with pytest.raises(ClientError) as e:
        ddb.put_item(TableName="orders", Item={"pk": {"S": "L"}, "sk": {"N": "1"}}, Expected={"pk": {"Exists": False}})
    assert error(e)[0] == "ConditionalCheckFailedException"
    ddb.update_item(TableName="orders", Key={"pk": {"S": "L"}, "sk": {"N": "1"}},
                    AttributeUpdates={"v": {"Value": {"N": "4"}, "Action": "ADD"}, "w": {"Value": {"S": "x"}, "Action": "PUT"}})
    got = ddb.get_item(TableName="orders", Key={"pk": {"S": "L"}, "sk": {"N": "1"}}, AttributesToGet=["v", "w"])["Item"]
    assert got == {"v": {"N": "5"}, "w": {"S": "x"}}
    r = ddb.query(TableName="orders", KeyConditions={
        "pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "L"}]},
        "sk": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "0"}, {"N": "3"}]},
    }, QueryFilter={"w": {"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [{"S": "x"}]}})
    assert r["Count"] == 1
    r = ddb.scan(TableName="orders", ScanFilter={"v": {"ComparisonOperator": "GT", "AttributeValueList": [{"N": "9"}]}})
    assert r["Count"] == 0 and r["ScannedCount"] == 1
    with pytest.raises(ClientError) as e:
        ddb.get_item(TableName="orders", Key={"pk": {"S": "L"}, "sk": {"N": "1"}}, AttributesToGet=["v"], ProjectionExpression="v")
    assert error(e)[1].startswith("Can not use both expression and non-expression parameters in the same request")


def test_condition_failure_can_return_the_item(ddb, table):
    ddb.put_item(TableName="orders", Item={"pk": {"S": "r"}, "sk": {"N": "1"}, "v": {"N": "7"}})
    with pytest.raises(ClientError) as e:
        ddb.put_item(TableName="orders", Item={"pk": {"S": "r"}, "sk": {"N": "1"}},
                     ConditionExpression="attribute_not_exists(pk)",
                     ReturnValuesOnConditionCheckFailure="ALL_OLD")
    assert error(e)[0] == "ConditionalCheckFailedException"
    assert e.value.response["Item"] == {"pk": {"S": "r"}, "sk": {"N": "1"}, "v": {"N": "7"}}


def test_sigkill_loses_no_acknowledged_write(server_factory):
    import threading

    srv = server_factory()
    ddb = srv.client("dynamodb")
    create_table(
        ddb,
        TableName="crash",
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    acked: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def writer(w: int):
        client = srv.client("dynamodb")
        i = 0
        while not stop.is_set():
            key = f"w{w}-{i}"
            try:
                client.put_item(TableName="crash", Item={"id": {"S": key}, "n": {"N": str(i)}})
            except Exception:
                return
            with lock:
                acked.append(key)
            i += 1

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    deadline = __import__("time").monotonic() + 10
    while len(acked) < 200 and __import__("time").monotonic() < deadline:
        __import__("time").sleep(0.01)
    srv.kill()
    stop.set()
    for t in threads:
        t.join()
    assert len(acked) >= 200, f"only {len(acked)} writes acknowledged before the kill"
    srv.start()
    ddb = srv.client("dynamodb")
    stored = set()
    kwargs = {}
    while True:
        page = ddb.scan(TableName="crash", **kwargs)
        stored |= {i["id"]["S"] for i in page["Items"]}
        if "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    missing = [k for k in acked if k not in stored]
    assert not missing, f"{len(missing)} acknowledged writes lost, e.g. {missing[:5]}"


def test_streams_record_every_change(server, ddb):
    create_table(
        ddb,
        TableName="events",
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    arn = ddb.describe_table(TableName="events")["Table"]["LatestStreamArn"]
    streams = server.client("dynamodbstreams")
    assert [s["StreamArn"] for s in streams.list_streams(TableName="events")["Streams"]] == [arn]
    ddb.put_item(TableName="events", Item={"id": {"S": "a"}, "v": {"N": "1"}})
    ddb.update_item(TableName="events", Key={"id": {"S": "a"}}, UpdateExpression="SET v = :v", ExpressionAttributeValues={":v": {"N": "2"}})
    ddb.update_item(TableName="events", Key={"id": {"S": "a"}}, UpdateExpression="SET v = :v", ExpressionAttributeValues={":v": {"N": "2"}})
    ddb.delete_item(TableName="events", Key={"id": {"S": "a"}})
    desc = streams.describe_stream(StreamArn=arn)["StreamDescription"]
    assert desc["StreamStatus"] == "ENABLED" and desc["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    shard = desc["Shards"][0]["ShardId"]
    it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    page = streams.get_records(ShardIterator=it)
    events = [(r["eventName"], r["dynamodb"].get("OldImage"), r["dynamodb"].get("NewImage")) for r in page["Records"]]
    assert events == [
        ("INSERT", None, {"id": {"S": "a"}, "v": {"N": "1"}}),
        ("MODIFY", {"id": {"S": "a"}, "v": {"N": "1"}}, {"id": {"S": "a"}, "v": {"N": "2"}}),
        ("REMOVE", {"id": {"S": "a"}, "v": {"N": "2"}}, None),
    ], "an update that changes nothing writes no record"
    seqs = [int(r["dynamodb"]["SequenceNumber"]) for r in page["Records"]]
    assert seqs == sorted(seqs)
    assert all(r["dynamodb"]["Keys"] == {"id": {"S": "a"}} for r in page["Records"])
    # Nothing new after the last record; a LATEST iterator sees only later changes.
    assert streams.get_records(ShardIterator=page["NextShardIterator"])["Records"] == []
    latest = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="LATEST")["ShardIterator"]
    ddb.put_item(TableName="events", Item={"id": {"S": "b"}})
    assert [r["eventName"] for r in streams.get_records(ShardIterator=latest)["Records"]] == ["INSERT"]
    with pytest.raises(ClientError) as e:
        streams.describe_stream(StreamArn=arn + "x")
    assert error(e)[0] == "ResourceNotFoundException"


def test_transaction_tokens_make_retries_idempotent(ddb, table):
    put = [{"Update": {
        "TableName": "orders",
        "Key": {"pk": {"S": "tok"}, "sk": {"N": "1"}},
        "UpdateExpression": "ADD n :one",
        "ExpressionAttributeValues": {":one": {"N": "1"}},
    }}]
    ddb.transact_write_items(TransactItems=put, ClientRequestToken="t-1")
    ddb.transact_write_items(TransactItems=put, ClientRequestToken="t-1")
    item = ddb.get_item(TableName="orders", Key={"pk": {"S": "tok"}, "sk": {"N": "1"}})["Item"]
    assert item["n"] == {"N": "1"}, "the retry must not apply twice"
    put[0]["Update"]["ExpressionAttributeValues"][":one"] = {"N": "5"}
    with pytest.raises(ClientError) as e:
        ddb.transact_write_items(TransactItems=put, ClientRequestToken="t-1")
    assert error(e)[0] == "IdempotentParameterMismatchException"


def test_point_in_time_recovery_settings(ddb, table):
    d = ddb.describe_continuous_backups(TableName="orders")["ContinuousBackupsDescription"]
    assert d["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "DISABLED"
    d = ddb.update_continuous_backups(
        TableName="orders", PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )["ContinuousBackupsDescription"]
    assert d["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"
    assert d["PointInTimeRecoveryDescription"]["RecoveryPeriodInDays"] == 35
    with pytest.raises(ClientError) as e:
        ddb.describe_continuous_backups(TableName="nope")
    assert error(e)[0] == "TableNotFoundException"


def test_partiql_statements(ddb, table):
    ddb.execute_statement(Statement="INSERT INTO \"orders\" VALUE {'pk': ?, 'sk': 1, 'n': 1, 'tags': <<'a'>>}", Parameters=[{"S": "q"}])
    with pytest.raises(ClientError) as e:
        ddb.execute_statement(Statement="INSERT INTO orders VALUE {'pk': 'q', 'sk': 1}")
    assert error(e)[:2] == ("DuplicateItemException", "Duplicate primary key exists in table")
    out = ddb.execute_statement(
        Statement="UPDATE orders SET n = n + 1 SET tags = set_add(tags, <<'b'>>) WHERE pk = 'q' AND sk = 1 RETURNING ALL NEW *"
    )["Items"][0]
    assert out["n"] == {"N": "2"} and sorted(out["tags"]["SS"]) == ["a", "b"]
    r = ddb.execute_statement(Statement="SELECT pk, n FROM orders WHERE pk = ? AND n >= 2", Parameters=[{"S": "q"}])
    assert r["Items"] == [{"pk": {"S": "q"}, "n": {"N": "2"}}]
    with pytest.raises(ClientError) as e:
        ddb.execute_statement(Statement="UPDATE orders SET n = 5 WHERE pk = 'q'")
    assert error(e)[1] == "Where clause does not contain a mandatory equality on all key attributes"
    with pytest.raises(ClientError) as e:
        ddb.execute_statement(Statement="UPDATE orders SET n = 5 WHERE pk = 'q' AND sk = 1 AND n = 99")
    assert error(e)[0] == "ConditionalCheckFailedException"
    batch = ddb.batch_execute_statement(Statements=[
        {"Statement": "INSERT INTO orders VALUE {'pk': 'q', 'sk': 2}"},
        {"Statement": "INSERT INTO orders VALUE {'pk': 'q', 'sk': 1}"},
    ])["Responses"]
    assert "Error" not in batch[0] and batch[1]["Error"]["Code"] == "DuplicateItem"
    ddb.execute_transaction(TransactStatements=[
        {"Statement": "DELETE FROM orders WHERE pk = 'q' AND sk = 2"},
        {"Statement": "UPDATE orders SET n = 10 WHERE pk = 'q' AND sk = 1"},
    ])
    rows = ddb.execute_statement(Statement="SELECT * FROM orders WHERE pk = 'q'")["Items"]
    assert [(r["sk"]["N"], r["n"]["N"]) for r in rows] == [("1", "10")]
    with pytest.raises(ClientError) as e:
        ddb.execute_statement(Statement="SELEC * FROM orders")
    assert error(e)[0] == "ValidationException"


def test_table_status_moves_on_the_clock(server, ddb, holds_clock):
    keys = {
        "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
        "BillingMode": "PAY_PER_REQUEST",
    }
    server.hold()
    out = ddb.create_table(TableName="slow", **keys)["TableDescription"]
    assert out["TableStatus"] == "CREATING"
    assert "slow" in ddb.list_tables()["TableNames"]
    with pytest.raises(ClientError) as e:
        ddb.put_item(TableName="slow", Item={"id": {"S": "a"}})
    assert error(e) == ("ResourceNotFoundException", "Requested resource not found", 400)
    with pytest.raises(ClientError) as e:
        ddb.delete_table(TableName="slow")
    assert error(e) == (
        "ResourceInUseException",
        "Attempt to change a resource which is still in use: Table is being created: slow",
        400,
    )
    server.advance(1)
    ddb.put_item(TableName="slow", Item={"id": {"S": "a"}, "v": {"S": "x"}})

    out = ddb.update_table(
        TableName="slow",
        AttributeDefinitions=[{"AttributeName": "v", "AttributeType": "S"}],
        GlobalSecondaryIndexUpdates=[{"Create": {
            "IndexName": "by_v",
            "KeySchema": [{"AttributeName": "v", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "ALL"},
        }}],
    )["TableDescription"]
    assert out["TableStatus"] == "UPDATING"
    gsi = out["GlobalSecondaryIndexes"][0]
    assert (gsi["IndexStatus"], gsi["Backfilling"]) == ("CREATING", True)
    by_v = {"IndexName": "by_v", "KeyConditionExpression": "v = :v", "ExpressionAttributeValues": {":v": {"S": "x"}}}
    with pytest.raises(ClientError) as e:
        ddb.query(TableName="slow", **by_v)
    assert error(e) == ("ValidationException", "Cannot read from backfilling global secondary index: by_v", 400)
    with pytest.raises(ClientError) as e:
        ddb.update_table(TableName="slow", BillingMode="PROVISIONED",
                         ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1})
    assert error(e)[:2] == (
        "ResourceInUseException",
        "Attempt to change a resource which is still in use: Table is being updated: slow",
    )
    # Items stay writable while the table is UPDATING.
    ddb.put_item(TableName="slow", Item={"id": {"S": "b"}, "v": {"S": "x"}})
    server.advance(2)
    d = ddb.describe_table(TableName="slow")["Table"]
    assert d["TableStatus"] == "ACTIVE"
    assert d["GlobalSecondaryIndexes"][0]["IndexStatus"] == "ACTIVE"
    assert "Backfilling" not in d["GlobalSecondaryIndexes"][0]
    assert sorted(i["id"]["S"] for i in ddb.query(TableName="slow", **by_v)["Items"]) == ["a", "b"]
    assert ddb.delete_table(TableName="slow")["TableDescription"]["TableStatus"] == "DELETING"


def test_table_exists_waiter_succeeds_without_moving_the_clock(server, ddb):
    ddb.create_table(
        TableName="waited",
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    # One attempt only: the first DescribeTable must already answer ACTIVE,
    # so users' waiters never sleep their 20-second delay.
    ddb.get_waiter("table_exists").wait(TableName="waited", WaiterConfig={"Delay": 1, "MaxAttempts": 1})
    ddb.put_item(TableName="waited", Item={"id": {"S": "a"}})
    assert ddb.get_item(TableName="waited", Key={"id": {"S": "a"}})["Item"] == {"id": {"S": "a"}}


def test_consumed_capacity_by_index_and_item_collection_metrics(ddb):
    create_table(
        ddb,
        TableName="cap",
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
            {"AttributeName": "g", "AttributeType": "S"},
            {"AttributeName": "l", "AttributeType": "S"},
        ],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[{
            "IndexName": "by_g",
            "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "KEYS_ONLY"},
        }],
        LocalSecondaryIndexes=[{
            "IndexName": "by_l",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "l", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "ALL"},
        }],
        BillingMode="PAY_PER_REQUEST",
    )
    big = "x" * 1500  # 1.5 KB: two write units on the table and the ALL-projecting LSI
    out = ddb.put_item(
        TableName="cap",
        Item={"pk": {"S": "p"}, "sk": {"S": "1"}, "g": {"S": "a"}, "l": {"S": "b"}, "big": {"S": big}},
        ReturnConsumedCapacity="INDEXES",
        ReturnItemCollectionMetrics="SIZE",
    )
    c = out["ConsumedCapacity"]
    assert c["TableName"] == "cap"
    assert c["Table"] == {"CapacityUnits": 2.0}
    assert c["GlobalSecondaryIndexes"] == {"by_g": {"CapacityUnits": 1.0}}
    assert c["LocalSecondaryIndexes"] == {"by_l": {"CapacityUnits": 2.0}}
    assert c["CapacityUnits"] == 5.0
    assert out["ItemCollectionMetrics"] == {"ItemCollectionKey": {"pk": {"S": "p"}}, "SizeEstimateRangeGB": [0.0, 1.0]}
    # Changing only an attribute the GSI does not project writes nothing there;
    # moving the GSI key deletes one entry and puts another.
    out = ddb.update_item(TableName="cap", Key={"pk": {"S": "p"}, "sk": {"S": "1"}},
                          UpdateExpression="SET big = :s", ExpressionAttributeValues={":s": {"S": "small"}},
                          ReturnConsumedCapacity="INDEXES")
    assert "GlobalSecondaryIndexes" not in out["ConsumedCapacity"]
    out = ddb.update_item(TableName="cap", Key={"pk": {"S": "p"}, "sk": {"S": "1"}},
                          UpdateExpression="SET g = :g", ExpressionAttributeValues={":g": {"S": "z"}},
                          ReturnConsumedCapacity="INDEXES")
    assert out["ConsumedCapacity"]["GlobalSecondaryIndexes"] == {"by_g": {"CapacityUnits": 2.0}}
    # TOTAL gives the sum only.
    out = ddb.get_item(TableName="cap", Key={"pk": {"S": "p"}, "sk": {"S": "1"}}, ReturnConsumedCapacity="TOTAL")
    assert out["ConsumedCapacity"] == {"TableName": "cap", "CapacityUnits": 0.5}
    out = ddb.get_item(TableName="cap", Key={"pk": {"S": "p"}, "sk": {"S": "1"}}, ConsistentRead=True,
                       ReturnConsumedCapacity="INDEXES")
    assert out["ConsumedCapacity"] == {"TableName": "cap", "CapacityUnits": 1.0, "Table": {"CapacityUnits": 1.0}}
    # A Query on an index is charged to the index.
    out = ddb.query(TableName="cap", IndexName="by_g", KeyConditionExpression="g = :g",
                    ExpressionAttributeValues={":g": {"S": "z"}}, ReturnConsumedCapacity="INDEXES")
    assert out["Count"] == 1
    assert out["ConsumedCapacity"]["GlobalSecondaryIndexes"] == {"by_g": {"CapacityUnits": 0.5}}
    # Batches report one entry per table; transactions cost twice.
    out = ddb.batch_write_item(RequestItems={"cap": [
        {"PutRequest": {"Item": {"pk": {"S": "q"}, "sk": {"S": "1"}}}},
        {"PutRequest": {"Item": {"pk": {"S": "q"}, "sk": {"S": "2"}, "l": {"S": "c"}}}},
    ]}, ReturnConsumedCapacity="TOTAL", ReturnItemCollectionMetrics="SIZE")
    assert out["ConsumedCapacity"] == [{"TableName": "cap", "CapacityUnits": 3.0}]
    assert [m["ItemCollectionKey"] for m in out["ItemCollectionMetrics"]["cap"]] == [{"pk": {"S": "q"}}] * 2
    out = ddb.transact_write_items(TransactItems=[
        {"Put": {"TableName": "cap", "Item": {"pk": {"S": "t"}, "sk": {"S": "1"}}}},
    ], ReturnConsumedCapacity="TOTAL")
    assert out["ConsumedCapacity"] == [{"TableName": "cap", "CapacityUnits": 2.0}]
    # Without an LSI there are no item collection metrics.
    create_table(ddb, TableName="plain", AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                 KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}], BillingMode="PAY_PER_REQUEST")
    out = ddb.put_item(TableName="plain", Item={"id": {"S": "a"}}, ReturnItemCollectionMetrics="SIZE")
    assert "ItemCollectionMetrics" not in out


def test_stream_records_survive_a_restart(server_factory):
    srv = server_factory(args=["--test-mode"])
    ddb = srv.client("dynamodb")
    create_table(
        ddb,
        TableName="kept",
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    ddb.put_item(TableName="kept", Item={"id": {"S": "a"}, "v": {"N": "1"}})
    ddb.update_item(TableName="kept", Key={"id": {"S": "a"}}, UpdateExpression="SET v = :v",
                    ExpressionAttributeValues={":v": {"N": "2"}})
    streams = srv.client("dynamodbstreams")
    arn = ddb.describe_table(TableName="kept")["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    before = streams.get_records(ShardIterator=it)
    assert [r["eventName"] for r in before["Records"]] == ["INSERT", "MODIFY"]

    srv.restart()
    ddb = srv.client("dynamodb")
    streams = srv.client("dynamodbstreams")
    desc = streams.describe_stream(StreamArn=arn)["StreamDescription"]
    assert desc["Shards"][0]["ShardId"] == shard
    it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    after = streams.get_records(ShardIterator=it)["Records"]
    assert [(r["eventID"], r["dynamodb"]["SequenceNumber"], r["dynamodb"].get("NewImage")) for r in after] == [
        (r["eventID"], r["dynamodb"]["SequenceNumber"], r["dynamodb"].get("NewImage")) for r in before["Records"]
    ]
    # The iterator handed out before the restart still reads on from where it was,
    # and new records number on after the old ones.
    ddb.delete_item(TableName="kept", Key={"id": {"S": "a"}})
    new = streams.get_records(ShardIterator=before["NextShardIterator"])["Records"]
    assert [r["eventName"] for r in new] == ["REMOVE"]
    assert int(new[0]["dynamodb"]["SequenceNumber"]) > int(after[-1]["dynamodb"]["SequenceNumber"])
    # Past their 24 hours, kept records are no longer served.
    srv.advance(25 * 3600)
    it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    assert streams.get_records(ShardIterator=it)["Records"] == []


def test_validation_messages_match_aws(server, table):
    ddb = server.client("dynamodb", config=NO_VALIDATION)
    key = {"pk": {"S": "v"}, "sk": {"N": "1"}}
    item = {**key, "n": {"N": "1"}}
    cases = [
        (ddb.put_item, dict(Item=item, ReturnValues="ALL_NEW"), "ReturnValues can only be ALL_OLD or NONE"),
        (ddb.delete_item, dict(Key=key, ReturnValues="UPDATED_OLD"), "ReturnValues can only be ALL_OLD or NONE"),
        (ddb.put_item, dict(Item=item, ExpressionAttributeNames={"#n": "n"}),
         "ExpressionAttributeNames can only be specified when using expressions"),
        (ddb.put_item, dict(Item=item, ExpressionAttributeValues={":v": {"N": "1"}}),
         "ExpressionAttributeValues can only be specified when using expressions: ConditionExpression is null"),
        (ddb.update_item, dict(Key=key, ExpressionAttributeValues={":v": {"N": "1"}}),
         "ExpressionAttributeValues can only be specified when using expressions: UpdateExpression and ConditionExpression are null"),
        (ddb.get_item, dict(Key=key, ExpressionAttributeNames={"#n": "n"}),
         "ExpressionAttributeNames can only be specified when using expressions"),
        (ddb.put_item, dict(Item=item, ConditionExpression="attribute_exists(#n)", ExpressionAttributeNames={"n": "n"}),
         'ExpressionAttributeNames contains invalid key: Syntax error; key: "n"'),
        (ddb.put_item, dict(Item=item, ConditionExpression="n = :v", ExpressionAttributeValues={"v": {"N": "1"}}),
         'ExpressionAttributeValues contains invalid key: Syntax error; key: "v"'),
        (ddb.put_item, dict(Item=item, ConditionExpression="n = :v", ExpressionAttributeValues={":v": {"SS": []}}),
         "ExpressionAttributeValues contains invalid value: One or more parameter values were invalid: "
         "An string set  may not be empty for key :v"),
        (ddb.query, dict(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "v"}},
                         Select="COUNT", ProjectionExpression="sk"),
         "1 validation error detected: Cannot specify the ProjectionExpression when choosing to get only the Count"),
        (ddb.scan, dict(Select="COUNT", ProjectionExpression="sk"),
         "Cannot specify the ProjectionExpression when choosing to get only the Count"),
        (ddb.scan, dict(Select="SPECIFIC_ATTRIBUTES"),
         "Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES"),
        (ddb.query, dict(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "v"}},
                         Select="ALL_PROJECTED_ATTRIBUTES"),
         "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName"),
        (ddb.query, dict(IndexName="by_status", KeyConditionExpression="status_code = :s",
                         ExpressionAttributeValues={":s": {"S": "x"}}, Select="ALL_ATTRIBUTES"),
         "Select type ALL_ATTRIBUTES is not supported for global secondary index by_status because its projection type is not ALL"),
        (ddb.query, dict(KeyConditionExpression="pk = :p", FilterExpression="#s > :k",
                         ExpressionAttributeNames={"#s": "sk"}, ExpressionAttributeValues={":p": {"S": "v"}, ":k": {"N": "1"}}),
         "Filter Expression can only contain non-primary key attributes: Primary key attribute: sk"),
        (ddb.query, dict(KeyConditions={"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "v"}]}},
                         QueryFilter={"pk": {"ComparisonOperator": "NOT_NULL"}}),
         "QueryFilter can only contain non-primary key attributes: Primary key attribute: pk"),
    ]
    for call, kwargs, message in cases:
        with pytest.raises(ClientError) as e:
            call(TableName="orders", **kwargs)
        assert error(e) == ("ValidationException", message, 400), kwargs
    with pytest.raises(ClientError) as e:
        ddb.batch_write_item(RequestItems={"orders": [
            {"PutRequest": {"Item": item}}, {"DeleteRequest": {"Key": key}},
        ]})
    assert error(e)[:2] == ("ValidationException", "Provided list of item keys contains duplicates")
    with pytest.raises(ClientError) as e:
        ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": "orders", "Item": item}},
            {"Delete": {"TableName": "orders", "Key": key}},
        ])
    assert error(e)[:2] == ("ValidationException", "Transaction request cannot include multiple operations on one item")


def test_index_entries_follow_every_kind_of_write(server, ddb, table):
    def by_status(code):
        r = ddb.query(TableName="orders", IndexName="by_status", KeyConditionExpression="status_code = :s",
                      ExpressionAttributeValues={":s": {"S": code}})
        return [(i["pk"]["S"], int(i["sk"]["N"])) for i in r["Items"]]

    for sk in (3, 1, 2):
        table.put_item(Item={"pk": "a", "sk": sk, "status_code": "open"})
    table.put_item(Item={"pk": "b", "sk": 2, "status_code": "open"})
    table.put_item(Item={"pk": "c", "sk": 9})  # no index key: not in the index
    assert by_status("open") == [("a", 1), ("a", 2), ("b", 2), ("a", 3)], "index sort key order, then primary key"
    table.update_item(Key={"pk": "a", "sk": 2}, UpdateExpression="SET status_code = :s",
                      ExpressionAttributeValues={":s": "done"})
    table.delete_item(Key={"pk": "a", "sk": 3})
    ddb.batch_write_item(RequestItems={"orders": [
        {"PutRequest": {"Item": {"pk": {"S": "d"}, "sk": {"N": "5"}, "status_code": {"S": "open"}}}},
        {"DeleteRequest": {"Key": {"pk": {"S": "b"}, "sk": {"N": "2"}}}},
    ]})
    ddb.transact_write_items(TransactItems=[
        {"Update": {"TableName": "orders", "Key": {"pk": {"S": "a"}, "sk": {"N": "1"}},
                    "UpdateExpression": "REMOVE status_code"}},
    ])
    assert by_status("open") == [("d", 5)]
    assert by_status("done") == [("a", 2)]
    r = ddb.query(TableName="orders", IndexName="by_status", KeyConditionExpression="status_code = :s AND sk > :k",
                  ExpressionAttributeValues={":s": {"S": "open"}, ":k": {"N": "5"}})
    assert r["Items"] == []
    # The index projects keys only: a filter on another attribute sees it missing.
    table.put_item(Item={"pk": "e", "sk": 1, "status_code": "kept", "n": 5})
    r = ddb.query(TableName="orders", IndexName="by_status", KeyConditionExpression="status_code = :s",
                  FilterExpression="attribute_exists(n)", ExpressionAttributeValues={":s": {"S": "kept"}})
    assert (r["Count"], r["ScannedCount"]) == (0, 1)


def test_tables_become_active_by_themselves_without_test_mode(plain_server):
    ddb = plain_server.client("dynamodb")
    name = f"plain-{__import__('uuid').uuid4().hex[:8]}"
    out = ddb.create_table(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    assert out["TableDescription"]["TableStatus"] == "CREATING"
    # No waiter and no clock to move: the table is ACTIVE within a second of real time.
    __import__("time").sleep(1.0)
    ddb.put_item(TableName=name, Item={"id": {"S": "a"}})
    assert ddb.describe_table(TableName=name)["Table"]["TableStatus"] == "ACTIVE"
    ddb.delete_table(TableName=name)


def test_deleted_table_is_deleting_until_its_phase_ends(server, ddb, holds_clock):
    keys = {
        "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
        "BillingMode": "PAY_PER_REQUEST",
    }
    create_table(ddb, TableName="doomed", StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"},
                 **keys)
    ddb.put_item(TableName="doomed", Item={"id": {"S": "old"}})
    stream_arn = ddb.describe_table(TableName="doomed")["Table"]["LatestStreamArn"]
    streams = server.client("dynamodbstreams")

    server.hold()
    assert ddb.delete_table(TableName="doomed")["TableDescription"]["TableStatus"] == "DELETING"
    # The clock is held: the phase lasts until the advance below.
    assert ddb.describe_table(TableName="doomed")["Table"]["TableStatus"] == "DELETING"
    assert "doomed" in ddb.list_tables()["TableNames"]
    key = {"id": {"S": "old"}}
    data_plane = [
        lambda: ddb.put_item(TableName="doomed", Item={"id": {"S": "new"}}),
        lambda: ddb.get_item(TableName="doomed", Key=key),
        lambda: ddb.query(TableName="doomed", KeyConditionExpression="id = :k", ExpressionAttributeValues={":k": key["id"]}),
        lambda: ddb.scan(TableName="doomed"),
        lambda: ddb.batch_write_item(RequestItems={"doomed": [{"DeleteRequest": {"Key": key}}]}),
        lambda: ddb.transact_write_items(TransactItems=[{"Delete": {"TableName": "doomed", "Key": key}}]),
    ]
    for call in data_plane:
        with pytest.raises(ClientError) as e:
            call()
        assert error(e) == ("ResourceNotFoundException", "Requested resource not found", 400)
    being_deleted = ("ResourceInUseException", "Attempt to change a resource which is still in use: Table is being deleted: doomed", 400)
    with pytest.raises(ClientError) as e:
        ddb.delete_table(TableName="doomed")
    assert error(e) == being_deleted
    with pytest.raises(ClientError) as e:
        ddb.update_table(TableName="doomed", StreamSpecification={"StreamEnabled": False})
    assert error(e) == being_deleted
    with pytest.raises(ClientError) as e:
        ddb.create_table(TableName="doomed", **keys)
    assert error(e) == ("ResourceInUseException", "Table already exists: doomed", 400)
    with pytest.raises(ClientError) as e:
        ddb.describe_time_to_live(TableName="doomed")
    assert error(e) == (
        "ValidationException",
        "Cannot describe time to live while table is in DELETING state: Current table state is DELETING",
        400,
    )
    assert streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["StreamStatus"] == "DISABLED"

    server.advance(1)
    with pytest.raises(ClientError) as e:
        ddb.describe_table(TableName="doomed")
    assert error(e) == ("ResourceNotFoundException", "Requested resource not found: Table: doomed not found", 400)
    assert "doomed" not in ddb.list_tables()["TableNames"]
    with pytest.raises(ClientError) as e:
        streams.describe_stream(StreamArn=stream_arn)
    assert error(e)[0] == "ResourceNotFoundException"
    # The name is free again, and the new table starts empty: the old items went with the old table.
    server.hold(False)
    create_table(ddb, TableName="doomed", **keys)
    assert ddb.scan(TableName="doomed")["Items"] == []
    assert "Item" not in ddb.get_item(TableName="doomed", Key=key)


def test_table_not_exists_waiter_succeeds_without_moving_the_clock(ddb):
    create_table(
        ddb,
        TableName="brief",
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    ddb.delete_table(TableName="brief")
    # One attempt only: a waiter's DescribeTable waits out the deletion, so it
    # never sleeps its 20-second delay.
    ddb.get_waiter("table_not_exists").wait(TableName="brief", WaiterConfig={"Delay": 1, "MaxAttempts": 1})
    assert "brief" not in ddb.list_tables()["TableNames"]


def test_cli_waits_for_a_deleted_table(aws):
    aws("dynamodb", "create-table", "--table-name", "cli-gone",
        "--attribute-definitions", "AttributeName=id,AttributeType=S",
        "--key-schema", "AttributeName=id,KeyType=HASH",
        "--billing-mode", "PAY_PER_REQUEST")
    aws("dynamodb", "wait", "table-exists", "--table-name", "cli-gone")
    out = aws("dynamodb", "delete-table", "--table-name", "cli-gone")
    assert out["TableDescription"]["TableStatus"] == "DELETING"
    aws("dynamodb", "wait", "table-not-exists", "--table-name", "cli-gone")
    assert "cli-gone" not in aws("dynamodb", "list-tables")["TableNames"]


def test_deleted_index_is_deleting_until_its_phase_ends(server, ddb, holds_clock):
    create_table(
        ddb,
        TableName="indexed",
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}, {"AttributeName": "v", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        GlobalSecondaryIndexes=[{
            "IndexName": "by_v",
            "KeySchema": [{"AttributeName": "v", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "ALL"},
        }],
        BillingMode="PAY_PER_REQUEST",
    )
    ddb.put_item(TableName="indexed", Item={"id": {"S": "a"}, "v": {"S": "x"}})

    server.hold()
    out = ddb.update_table(TableName="indexed", GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "by_v"}}])
    d = out["TableDescription"]
    assert (d["TableStatus"], d["GlobalSecondaryIndexes"][0]["IndexStatus"]) == ("UPDATING", "DELETING")
    # The clock is held: the phase lasts until the advance below.
    d = ddb.describe_table(TableName="indexed")["Table"]
    gsi = d["GlobalSecondaryIndexes"][0]
    assert (d["TableStatus"], gsi["IndexName"], gsi["IndexStatus"]) == ("UPDATING", "by_v", "DELETING")
    assert "Projection" not in gsi
    by_v = {"IndexName": "by_v", "KeyConditionExpression": "v = :v", "ExpressionAttributeValues": {":v": {"S": "x"}}}
    no_index = ("ValidationException", "The table does not have the specified index: by_v", 400)
    with pytest.raises(ClientError) as e:
        ddb.query(TableName="indexed", **by_v)
    assert error(e) == no_index
    with pytest.raises(ClientError) as e:
        ddb.scan(TableName="indexed", IndexName="by_v")
    assert error(e) == no_index
    with pytest.raises(ClientError) as e:
        ddb.update_table(TableName="indexed", GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "by_v"}}])
    assert error(e) == (
        "ResourceInUseException",
        "Attempt to change a resource which is still in use: Index is being deleted. Table: indexed Index: by_v",
        400,
    )
    with pytest.raises(ClientError) as e:
        ddb.update_table(TableName="indexed", BillingMode="PROVISIONED",
                         ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1})
    assert error(e) == (
        "ResourceInUseException",
        "Attempt to change a resource which is still in use: Can't change table IOPS when an index is being deleted."
        " Table: indexed Indexes: [by_v]",
        400,
    )
    with pytest.raises(ClientError) as e:
        ddb.delete_table(TableName="indexed")
    assert error(e) == (
        "ResourceInUseException",
        "Attempt to change a resource which is still in use: Cannot delete table while indexes are being created,"
        " updated, or deleted.",
        400,
    )
    # Deletion protection may change meanwhile, and the table's items stay writable.
    ddb.update_table(TableName="indexed", DeletionProtectionEnabled=True)
    ddb.put_item(TableName="indexed", Item={"id": {"S": "b"}, "v": {"S": "x"}})

    server.advance(2)
    d = ddb.describe_table(TableName="indexed")["Table"]
    assert d["TableStatus"] == "ACTIVE"
    assert "GlobalSecondaryIndexes" not in d
    # The attribute only the index used goes with it.
    assert d["AttributeDefinitions"] == [{"AttributeName": "id", "AttributeType": "S"}]
    assert d["DeletionProtectionEnabled"] is True
    with pytest.raises(ClientError) as e:
        ddb.query(TableName="indexed", **by_v)
    assert error(e) == no_index
    with pytest.raises(ClientError) as e:
        ddb.update_table(TableName="indexed", GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "by_v"}}])
    assert error(e)[0] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as e:
        ddb.update_table(TableName="indexed",
                         GlobalSecondaryIndexUpdates=[{"Update": {"IndexName": "by_v", "OnDemandThroughput": {}}}])
    assert error(e) == ("ResourceNotFoundException", "Requested resource not found: Index by_v for table indexed", 400)
    assert ddb.scan(TableName="indexed")["Count"] == 2


def test_table_exists_waiter_waits_out_an_index_deletion(ddb):
    create_table(
        ddb,
        TableName="reindexed",
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}, {"AttributeName": "v", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        GlobalSecondaryIndexes=[{
            "IndexName": "by_v",
            "KeySchema": [{"AttributeName": "v", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "KEYS_ONLY"},
        }],
        BillingMode="PAY_PER_REQUEST",
    )
    ddb.update_table(TableName="reindexed", GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "by_v"}}])
    ddb.get_waiter("table_exists").wait(TableName="reindexed", WaiterConfig={"Delay": 1, "MaxAttempts": 1})
    d = ddb.describe_table(TableName="reindexed")["Table"]
    assert d["TableStatus"] == "ACTIVE" and "GlobalSecondaryIndexes" not in d


def test_a_restart_does_not_bring_a_deleted_table_back(server_factory):
    srv = server_factory(args=["--test-mode"])
    ddb = srv.client("dynamodb")
    keys = {
        "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
        "BillingMode": "PAY_PER_REQUEST",
    }
    create_table(ddb, TableName="dropped", StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
                 **keys)
    for i in range(5):
        ddb.put_item(TableName="dropped", Item={"id": {"S": f"i{i}"}})
    create_table(ddb, TableName="kept", **keys)
    ddb.put_item(TableName="kept", Item={"id": {"S": "k"}})
    assert ddb.delete_table(TableName="dropped")["TableDescription"]["TableStatus"] == "DELETING"

    # Stopped while the table is DELETING: after the restart it finishes deleting
    # (the clock is not moved: a restart forgets how far a test moved it).
    srv.restart()
    ddb = srv.client("dynamodb")
    ddb.get_waiter("table_not_exists").wait(TableName="dropped", WaiterConfig={"Delay": 1, "MaxAttempts": 1})
    with pytest.raises(ClientError) as e:
        ddb.describe_table(TableName="dropped")
    assert error(e) == ("ResourceNotFoundException", "Requested resource not found: Table: dropped not found", 400)
    assert ddb.list_tables()["TableNames"] == ["kept"]
    assert [s["TableName"] for s in srv.client("dynamodbstreams").list_streams()["Streams"]] == []
    create_table(ddb, TableName="dropped", **keys)
    assert ddb.scan(TableName="dropped")["Count"] == 0
    # And it stays gone across a further restart, its items with it.
    srv.restart()
    ddb = srv.client("dynamodb")
    assert ddb.scan(TableName="dropped")["Count"] == 0
    assert ddb.get_item(TableName="kept", Key={"id": {"S": "k"}})["Item"] == {"id": {"S": "k"}}


def test_a_refused_update_changes_nothing(ddb):
    create_table(
        ddb,
        TableName="steady",
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
    )
    with pytest.raises(ClientError) as e:
        ddb.update_table(TableName="steady", BillingMode="PAY_PER_REQUEST",
                         ProvisionedThroughput={"ReadCapacityUnits": 6, "WriteCapacityUnits": 6})
    assert error(e) == (
        "ValidationException",
        "One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be"
        " specified when BillingMode is PAY_PER_REQUEST",
        400,
    )
    d = ddb.describe_table(TableName="steady")["Table"]
    assert d["TableStatus"] == "ACTIVE" and "BillingModeSummary" not in d
    pt = d["ProvisionedThroughput"]
    assert (pt["ReadCapacityUnits"], pt["WriteCapacityUnits"]) == (5, 5)
