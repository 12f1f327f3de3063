-- ReceiveMessage (one message, no wait) then DeleteMessage of what came back,
-- so two requests consume one message. Handles are kept per wrk thread.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "sqs_common.lua")

local handles = {}
local receive_body = '{"QueueUrl":"' .. sqs.queue_url .. '","MaxNumberOfMessages":1}'

request = function()
  local handle = table.remove(handles)
  if handle then
    return wrk.format("POST", "/", sqs.headers("DeleteMessage"),
      '{"QueueUrl":"' .. sqs.queue_url .. '","ReceiptHandle":"' .. handle .. '"}')
  end
  return wrk.format("POST", "/", sqs.headers("ReceiveMessage"), receive_body)
end

response = function(status, headers, body)
  local handle = body:match('"ReceiptHandle"%s*:%s*"([^"]+)"')
  if handle then
    table.insert(handles, (handle:gsub("\\/", "/")))
  end
end
