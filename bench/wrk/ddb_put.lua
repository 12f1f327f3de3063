-- PutItem, every request a new key. Each thread writes its own partition
-- pk = "put-<run>-<thread id>" with sk = 1, 2, 3, ... from a per-thread
-- counter, so no two requests of a run (nor of two runs) share a key, and the
-- harness can count afterwards how many items each partition really holds.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "ddb_common.lua")

local threads = {}

function setup(thread)
  -- Runs in the setup environment, before the thread's init().
  table.insert(threads, thread)
  thread:set("id", #threads)
end

local headers, prefix, suffix
n = 0 -- global, so done() can read it with thread:get("n")

function init(args)
  local p = ddb.params(args)
  headers = ddb.headers("PutItem")
  prefix = '{"TableName":"' .. p.table .. '","Item":{"pk":{"S":"put-' .. p.run .. "-" .. id
    .. '"},"sk":{"N":"'
  suffix = '"},"data":{"S":"' .. ddb.payload(p.payload) .. '"}}}'
end

function request()
  n = n + 1
  return wrk.format("POST", "/", headers, prefix .. string.format("%d", n) .. suffix)
end

function done(summary, latency, requests)
  -- Requests built per thread (wrk builds one before the run to check the
  -- script, and the last ones may be in flight when the run ends).
  local built = {}
  for i, thread in ipairs(threads) do
    built[i] = string.format("%d", thread:get("n") or 0)
  end
  wrk_json(summary, latency, ',"built":[' .. table.concat(built, ",") .. "]")
end
