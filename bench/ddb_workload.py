"""The DynamoDB workload: table layout, request bodies, boto3 fixtures.

bench.py owns the servers and the measurement; this file says what the
DynamoDB load is. The wrk scripts (wrk/ddb_*.lua) build the same requests and
must follow the same item layout:

- PutItem load: pk = "put-<run>-<thread>", sk = 1, 2, 3, ... (a new key per
  request, one partition per load thread and run).
- GetItem load: pk = "get-<i>", sk = i for i in [0, GET_ITEMS), pre-loaded.
- Query load: pk = "query", sk = i for i in [0, QUERY_ITEMS), pre-loaded;
  each Query asks for QUERY_LIMIT items.

Every item also has a "data" string of PAYLOAD_LEN characters, which makes it
about ITEM_BYTES by DynamoDB's size rule (attribute names + values).
"""

from __future__ import annotations

import json
import random
import time

from loadgen import HOST, build_request

TABLE = "bench"
GET_ITEMS = 1000
QUERY_PARTITION = "query"
QUERY_ITEMS = 150
QUERY_LIMIT = 100
PAYLOAD_LEN = 185

AUTHORIZATION = (
    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250101/us-east-1/dynamodb/aws4_request, "
    "SignedHeaders=host, Signature=0"
)
# What wrk and the Python client send; boto3 must use the same key and region
# so it sees the same account's tables (Stratus partitions state by both).
ACCESS_KEY = "AKIDEXAMPLE"
REGION = "us-east-1"

OPERATIONS = ("PutItem", "GetItem", "Query")
WRK_SCRIPTS = {"PutItem": "ddb_put.lua", "GetItem": "ddb_get.lua", "Query": "ddb_query.lua"}


def payload(length: int = PAYLOAD_LEN) -> str:
    """Same rule as ddb.payload() in wrk/ddb_common.lua."""
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    return (alphabet * (length // len(alphabet) + 1))[:length]


def item_bytes(pk: str, sk: int) -> int:
    """DynamoDB's item size: attribute names plus values (numbers ~ digits/2 + 1)."""
    return len("pk") + len(pk) + len("sk") + (len(str(sk)) + 1) // 2 + 1 + len("data") + PAYLOAD_LEN


ITEM_BYTES = item_bytes(QUERY_PARTITION, QUERY_ITEMS - 1)


def headers(operation: str) -> dict:
    return {
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": f"DynamoDB_20120810.{operation}",
        "Authorization": AUTHORIZATION,
    }


def wrk_args(operation: str, run: str) -> list[str]:
    """Parameters for the wrk script (after "--")."""
    args = [f"table={TABLE}"]
    if operation == "PutItem":
        args += [f"run={run}", f"payload={PAYLOAD_LEN}"]
    elif operation == "GetItem":
        args += [f"items={GET_ITEMS}"]
    else:
        args += [f"partition={QUERY_PARTITION}", f"limit={QUERY_LIMIT}"]
    return args


def put_partition(run: str, thread: int) -> str:
    return f"put-{run}-{thread}"


def _put_body(run: str, thread: int, n: int) -> bytes:
    return json.dumps({
        "TableName": TABLE,
        "Item": {"pk": {"S": put_partition(run, thread)}, "sk": {"N": str(n)}, "data": {"S": payload()}},
    }, separators=(",", ":")).encode()


def _get_body(i: int) -> bytes:
    return json.dumps({
        "TableName": TABLE, "Key": {"pk": {"S": f"get-{i}"}, "sk": {"N": str(i)}},
    }, separators=(",", ":")).encode()


QUERY_BODY = json.dumps({
    "TableName": TABLE,
    "KeyConditionExpression": "pk = :p",
    "ExpressionAttributeValues": {":p": {"S": QUERY_PARTITION}},
    "Limit": QUERY_LIMIT,
}, separators=(",", ":")).encode()


class Requests:
    """Request source for loadgen.run (the Python fallback generator).

    Picklable; prepare() runs in each worker process (worker = 1, 2, ... like
    wrk's thread ids) and returns the per-request function."""

    def __init__(self, operation: str, run: str):
        self.operation = operation
        self.run = run

    def prepare(self, port: int, worker: int):
        hdrs = headers(self.operation)
        if self.operation == "PutItem":
            counter = [0]

            def next_put(_connection: int) -> bytes:
                counter[0] += 1
                return build_request(port, _put_body(self.run, worker, counter[0]), headers=hdrs)

            next_put.built = counter  # read back for the report, like wrk's "built"
            return next_put
        if self.operation == "GetItem":
            prebuilt = [build_request(port, _get_body(i), headers=hdrs) for i in range(GET_ITEMS)]
            rng = random.Random(worker)
            return lambda _connection: prebuilt[rng.randrange(GET_ITEMS)]
        query = build_request(port, QUERY_BODY, headers=hdrs)
        return lambda _connection: query


# --------------------------------------------------------------------------
# boto3 fixtures: untimed set-up and checks.


def client(port: int):
    import boto3
    from botocore.config import Config

    return boto3.client(
        "dynamodb",
        endpoint_url=f"http://{HOST}:{port}",
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key="bench-secret-not-real",
        config=Config(retries={"max_attempts": 1}, connect_timeout=2, read_timeout=30),
    )


def _item(pk: str, sk: int) -> dict:
    return {"pk": {"S": pk}, "sk": {"N": str(sk)}, "data": {"S": payload()}}


def create_and_load(ddb) -> dict:
    """Creates the table and pre-loads the GetItem and Query items with
    BatchWriteItem (25 items per call, unprocessed items retried, bounded)."""
    ddb.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                   {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "sk", "AttributeType": "N"}],
        BillingMode="PAY_PER_REQUEST",
    )
    for _ in range(100):  # DescribeTable answers ACTIVE at once on both servers; bounded anyway
        if ddb.describe_table(TableName=TABLE)["Table"]["TableStatus"] == "ACTIVE":
            break
        time.sleep(0.1)
    items = [_item(f"get-{i}", i) for i in range(GET_ITEMS)]
    items += [_item(QUERY_PARTITION, i) for i in range(QUERY_ITEMS)]
    calls = 0
    for start in range(0, len(items), 25):
        pending = [{"PutRequest": {"Item": item}} for item in items[start:start + 25]]
        for _ in range(20):
            calls += 1
            answer = ddb.batch_write_item(RequestItems={TABLE: pending})
            pending = answer.get("UnprocessedItems", {}).get(TABLE, [])
            if not pending:
                break
            time.sleep(0.05)
        if pending:
            raise RuntimeError(f"BatchWriteItem left {len(pending)} items unprocessed after 20 tries")
    return {"items": len(items), "batch_write_calls": calls}


def check(ddb) -> dict:
    """One boto3 call of each measured kind, with its answer checked, so the
    load numbers are known to be real answers. Not timed."""
    out = {}
    try:
        item = _item("check", 1)
        ddb.put_item(TableName=TABLE, Item=item)
        back = ddb.get_item(TableName=TABLE, Key={"pk": item["pk"], "sk": item["sk"]}).get("Item")
        out["PutItem"] = "ok (read back equal)" if back == item else f"error: read back {back!r}"
    except Exception as error:
        out["PutItem"] = f"error: {error}"
    try:
        i = GET_ITEMS - 1
        got = ddb.get_item(TableName=TABLE, Key={"pk": {"S": f"get-{i}"}, "sk": {"N": str(i)}}).get("Item")
        out["GetItem"] = ("ok (pre-loaded item found, equal)" if got == _item(f"get-{i}", i)
                          else f"error: got {got!r}")
    except Exception as error:
        out["GetItem"] = f"error: {error}"
    try:
        page = ddb.query(
            TableName=TABLE, KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": {"S": QUERY_PARTITION}}, Limit=QUERY_LIMIT,
        )
        sks = [int(x["sk"]["N"]) for x in page.get("Items", [])]
        wire = len(json.dumps(page["Items"], separators=(",", ":")))
        if page.get("Count") == QUERY_LIMIT and sks == list(range(QUERY_LIMIT)):
            out["Query"] = (f"ok ({page['Count']} items in sk order, {wire:,} bytes of items as JSON, "
                            f"LastEvaluatedKey {'present' if page.get('LastEvaluatedKey') else 'absent'})")
        else:
            out["Query"] = f"error: Count {page.get('Count')}, sk {sks[:5]}..."
    except Exception as error:
        out["Query"] = f"error: {error}"
    return out


def count_partition(ddb, pk: str, max_pages: int = 10_000) -> int:
    """Items in one partition (Select=COUNT, paginated, bounded)."""
    total, start = 0, None
    for _ in range(max_pages):
        kwargs = dict(TableName=TABLE, KeyConditionExpression="pk = :p",
                      ExpressionAttributeValues={":p": {"S": pk}}, Select="COUNT")
        if start:
            kwargs["ExclusiveStartKey"] = start
        page = ddb.query(**kwargs)
        total += page["Count"]
        start = page.get("LastEvaluatedKey")
        if not start:
            return total
    raise RuntimeError(f"partition {pk} still paginating after {max_pages} pages")
