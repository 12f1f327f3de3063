-- Shared by the SQS scripts: JSON 1.0 requests with a dummy signature whose
-- credential scope names sqs, and the summary line bench/sqs.py parses.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "sts_common.lua")

sqs = {}
sqs.queue_url = os.getenv("SQS_QUEUE_URL") or ""
sqs.authorization = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250101/us-east-1/sqs/aws4_request, "
  .. "SignedHeaders=host, Signature=0"

function sqs.headers(operation)
  return {
    ["Content-Type"] = "application/x-amz-json-1.0",
    ["X-Amz-Target"] = "AmazonSQS." .. operation,
    ["Authorization"] = sqs.authorization,
  }
end
