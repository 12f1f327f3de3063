-- GetObject of the 1 KiB object S3_KEY, the same request replayed.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "s3_common.lua")

wrk.method = "GET"
wrk.path = "/" .. s3.bucket .. "/" .. (os.getenv("S3_KEY") or "small")
for k, v in pairs(s3.headers) do wrk.headers[k] = v end
