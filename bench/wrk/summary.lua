-- The summary every bench script prints, as one JSON line that bench.py
-- parses, so the harness never scrapes wrk's human-readable text (whose units
-- change with magnitude). Loaded by sts_common.lua and ddb_common.lua.

-- `extra` is appended inside the JSON object: "" or ',"name":value...'.
function wrk_json(summary, latency, extra)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_us":%d,"bytes":%d,'
      .. '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},'
      .. '"latency_us":{"p50":%d,"p90":%d,"p99":%d,"max":%d,"mean":%.1f}%s}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean, extra or ""))
end

function done(summary, latency, requests)
  wrk_json(summary, latency, "")
end
