-- Shared by gci.lua and mixed.lua: the STS request parts and the summary that
-- bench.py parses. The summary goes out as one JSON line so the harness never
-- has to scrape wrk's human-readable text (whose units change with magnitude).

sts = {}
sts.content_type = "application/x-www-form-urlencoded"
-- Stratus reads only the credential scope (service "sts") unless started with
-- --verify-signatures, and moto routes on the same scope, so a fixed dummy
-- signature is enough and keeps the client's per-request cost at zero.
sts.authorization = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250101/us-east-1/sts/aws4_request, "
  .. "SignedHeaders=host, Signature=0"
sts.get_caller_identity = "Action=GetCallerIdentity&Version=2011-06-15"
sts.assume_role = "Action=AssumeRole&Version=2011-06-15"
  .. "&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fbench&RoleSessionName=s1"

function sts.headers()
  return { ["Content-Type"] = sts.content_type, ["Authorization"] = sts.authorization }
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_us":%d,"bytes":%d,'
      .. '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},'
      .. '"latency_us":{"p50":%d,"p90":%d,"p99":%d,"max":%d,"mean":%.1f}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean))
end
