-- PutObject of 1 KiB, each request to a new key (thread id and a counter).
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "s3_common.lua")

local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

local body = string.rep("x", 1024)
local n = 0

function request()
  n = n + 1
  local h = {}
  for k, v in pairs(s3.headers) do h[k] = v end
  h["Content-Type"] = "application/octet-stream"
  return wrk.format("PUT", "/" .. s3.bucket .. "/put/" .. tostring(tid) .. "-" .. n, h, body)
end
