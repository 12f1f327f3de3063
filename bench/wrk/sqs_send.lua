-- SendMessage of a 100-byte body to SQS_QUEUE_URL, the same bytes replayed.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "sqs_common.lua")

wrk.method = "POST"
wrk.path = "/"
wrk.body = '{"QueueUrl":"' .. sqs.queue_url .. '","MessageBody":"' .. string.rep("x", 100) .. '"}'
for name, value in pairs(sqs.headers("SendMessage")) do
  wrk.headers[name] = value
end
