-- GET / with an optional Host header (the load balancer's DNS name), for
-- bench/alb.py: `wrk ... -s alb_get.lua URL -- HOST PATH`.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "summary.lua")

local host, path = nil, "/"

function init(args)
  if args[1] and args[1] ~= "" then host = args[1] end
  if args[2] then path = args[2] end
end

function request()
  local headers = {}
  if host then headers["Host"] = host end
  return wrk.format("GET", path, headers)
end
