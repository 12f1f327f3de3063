-- GetItem of a random pre-loaded item: pk = "get-<i>", sk = i, i in [0, items).
-- All requests are formatted once per thread in init(); request() only picks
-- one, so the client spends little of the shared cores.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "ddb_common.lua")

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end

local requests = {}
local count = 0

function init(args)
  local p = ddb.params(args)
  local headers = ddb.headers("GetItem")
  count = p.items
  for i = 0, count - 1 do
    local body = string.format(
      '{"TableName":"%s","Key":{"pk":{"S":"get-%d"},"sk":{"N":"%d"}}}', p.table, i, i)
    requests[i + 1] = wrk.format("POST", "/", headers, body)
  end
  math.randomseed(id or 1) -- a different, repeatable key sequence per thread
end

function request()
  return requests[math.random(count)]
end
