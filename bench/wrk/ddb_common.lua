-- Shared by ddb_put.lua, ddb_get.lua and ddb_query.lua: DynamoDB JSON 1.0
-- request parts. The item layout must match bench/ddb_workload.py, which
-- creates and pre-loads the table; bench.py passes the parameters after "--":
--   wrk ... -s ddb_put.lua URL -- table=bench run=c16 items=1000 payload=185
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "summary.lua")

ddb = {}
-- Stratus reads only the credential scope (service "dynamodb") unless started
-- with --verify-signatures; moto accepts any signature.
ddb.authorization = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250101/us-east-1/dynamodb/aws4_request, "
  .. "SignedHeaders=host, Signature=0"

function ddb.headers(operation)
  return {
    ["Content-Type"] = "application/x-amz-json-1.0",
    ["X-Amz-Target"] = "DynamoDB_20120810." .. operation,
    ["Authorization"] = ddb.authorization,
  }
end

-- key=value arguments into a table (numbers where they look like numbers).
function ddb.params(args)
  local p = {}
  for _, arg in ipairs(args or {}) do
    local key, value = arg:match("^([%w_]+)=(.*)$")
    if key then
      p[key] = tonumber(value) or value
    end
  end
  assert(p.table, "ddb scripts need table=NAME after --")
  return p
end

-- The non-key "data" attribute: same rule as ddb_workload.payload().
function ddb.payload(length)
  local alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
  return string.rep(alphabet, math.floor(length / #alphabet) + 1):sub(1, length)
end
