-- STS GetCallerIdentity only. No request() function on purpose: wrk then
-- formats the request once and replays the bytes, so the client spends as
-- little of the 2 shared cores as possible.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "sts_common.lua")

wrk.method = "POST"
wrk.path = "/"
wrk.body = sts.get_caller_identity
for name, value in pairs(sts.headers()) do
  wrk.headers[name] = value
end
