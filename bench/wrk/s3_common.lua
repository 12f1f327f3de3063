-- Shared by the S3 scripts: path-style requests with a dummy signature whose
-- credential scope names s3 (Stratus accepts any credentials, moto too).
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "summary.lua")

s3 = {}
s3.bucket = os.getenv("S3_BUCKET") or "bench"
-- S3 refuses a request dated more than 15 minutes off (RequestTimeTooSkewed),
-- so the date is the run's own.
local now = os.date("!%Y%m%dT%H%M%SZ")
s3.headers = {
  ["Authorization"] = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/" .. now:sub(1, 8) .. "/us-east-1/s3/aws4_request, "
    .. "SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=0",
  ["x-amz-content-sha256"] = "UNSIGNED-PAYLOAD",
  ["x-amz-date"] = now,
}
