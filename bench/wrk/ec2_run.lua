-- RunInstances of one instance into EC2_SUBNET from EC2_AMI.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "ec2_common.lua")
ec2.request("Action=RunInstances&MinCount=1&MaxCount=1&InstanceType=t3.micro&ImageId="
  .. (os.getenv("EC2_AMI") or "") .. "&SubnetId=" .. (os.getenv("EC2_SUBNET") or ""))
