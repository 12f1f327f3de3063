-- Alternates GetCallerIdentity and AssumeRole 1:1 on every connection.
-- AssumeRole makes the server mint and (in moto) remember credentials, so
-- this is the load that shows whether memory grows with traffic.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "sts_common.lua")

local pair = {}
local n = 0

function init(args)
  -- Pre-formatted once per thread; request() then only picks one.
  pair[1] = wrk.format("POST", "/", sts.headers(), sts.get_caller_identity)
  pair[2] = wrk.format("POST", "/", sts.headers(), sts.assume_role)
end

function request()
  n = n + 1
  return pair[(n % 2) + 1]
end
