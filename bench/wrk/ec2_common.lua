-- Shared by the EC2 scripts: query-protocol form posts with a dummy
-- signature whose credential scope names ec2.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "sts_common.lua")

ec2 = {}
ec2.authorization = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250101/us-east-1/ec2/aws4_request, "
  .. "SignedHeaders=host, Signature=0"

function ec2.request(body)
  wrk.method = "POST"
  wrk.path = "/"
  wrk.body = body .. "&Version=2016-11-15"
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8"
  wrk.headers["Authorization"] = ec2.authorization
end
