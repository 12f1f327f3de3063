-- Query of one pre-loaded partition (pk = "query"), Limit 100: every answer
-- is a full page of 100 items. The same request every time.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "ddb_common.lua")

local req

function init(args)
  local p = ddb.params(args)
  local body = string.format(
    '{"TableName":"%s","KeyConditionExpression":"pk = :p",'
      .. '"ExpressionAttributeValues":{":p":{"S":"%s"}},"Limit":%d}',
    p.table, p.partition, p.limit)
  req = wrk.format("POST", "/", ddb.headers("Query"), body)
end

function request()
  return req
end
