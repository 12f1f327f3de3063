-- DescribeInstances of every instance (EC2_FILTER adds a query string, e.g. a filter).
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "ec2_common.lua")
ec2.request("Action=DescribeInstances" .. (os.getenv("EC2_FILTER") or ""))
