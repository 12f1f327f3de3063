-- Shared by gci.lua and mixed.lua: the STS request parts. The summary that
-- bench.py parses (done()) comes from summary.lua.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "summary.lua")

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
