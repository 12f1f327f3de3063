"""EC2 Auto Scaling through boto3 and the aws CLI: groups on a launch template
in two AZs launching real EC2 instances, desired capacity and termination
policies, simple/step/target tracking policies, notifications to SQS through
SNS, scheduled actions on the clock, lifecycle hooks, the refusals for the
wrong order of deletes, and persistence across a restart."""

from __future__ import annotations

import json
import re
import time

import pytest
from botocore.exceptions import ClientError

from helpers import DEFAULT_ACCOUNT, error_of, until

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def network(srv):
    """A VPC with two subnets in two AZs and a launch template."""
    ec2 = srv.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    a = ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    b = ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.2.0/24", AvailabilityZone="us-east-1b")["Subnet"]["SubnetId"]
    ami = ec2.describe_images(
        Owners=["amazon"], Filters=[{"Name": "name", "Values": ["al2023-ami-2023*-x86_64"]}]
    )["Images"][0]["ImageId"]
    lt = ec2.create_launch_template(
        LaunchTemplateName="web",
        LaunchTemplateData={"ImageId": ami, "InstanceType": "t3.micro"},
    )["LaunchTemplate"]["LaunchTemplateId"]
    return {"vpc": vpc, "a": a, "b": b, "ami": ami, "lt": lt, "ec2": ec2}


def group(asg, name):
    groups = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"]
    return groups[0] if groups else None


def in_service(asg, name, n):
    def check():
        g = group(asg, name)
        live = [i for i in g["Instances"] if i["LifecycleState"] == "InService"]
        return g["Instances"] if len(live) == n and len(g["Instances"]) == n else None

    return until(check, what=f"{n} InService instances in {name}")


def make_group(asg, net, name="web", desired=2, **kw):
    args = dict(
        AutoScalingGroupName=name,
        LaunchTemplate={"LaunchTemplateId": net["lt"], "Version": "$Latest"},
        MinSize=kw.pop("MinSize", 1),
        MaxSize=kw.pop("MaxSize", 4),
        DesiredCapacity=desired,
        VPCZoneIdentifier=f"{net['a']},{net['b']}",
    )
    args.update(kw)
    asg.create_auto_scaling_group(**args)


def refused(fn, code, message=None, **kw):
    with pytest.raises(ClientError) as e:
        fn(**kw)
    got_code, got_message, _ = error_of(e.value)
    assert got_code == code, (got_code, got_message)
    if message is not None:
        assert got_message == message, got_message
    return got_message


def server_now(asg):
    """The server's clock (test mode may have moved it), read off a new resource."""
    asg.create_launch_configuration(LaunchConfigurationName="clock-probe", ImageId="ami-12345678",
                                    InstanceType="t3.micro")
    lc = asg.describe_launch_configurations(LaunchConfigurationNames=["clock-probe"])["LaunchConfigurations"][0]
    asg.delete_launch_configuration(LaunchConfigurationName="clock-probe")
    return lc["CreatedTime"]


def test_group_launches_real_instances_over_two_zones(server):
    net = network(server)
    asg = server.client("autoscaling")
    make_group(asg, net, Tags=[
        {"Key": "team", "Value": "web", "PropagateAtLaunch": True},
        {"Key": "cost", "Value": "x", "PropagateAtLaunch": False},
    ])
    g = group(asg, "web")
    assert re.fullmatch(
        rf"arn:aws:autoscaling:us-east-1:{DEFAULT_ACCOUNT}:autoScalingGroup:{UUID}:autoScalingGroupName/web",
        g["AutoScalingGroupARN"])
    assert sorted(g["AvailabilityZones"]) == ["us-east-1a", "us-east-1b"]
    assert g["DefaultCooldown"] == 300 and g["HealthCheckType"] == "EC2"
    assert g["TerminationPolicies"] == ["Default"]
    server.advance(5)
    instances = in_service(asg, "web", 2)
    assert {i["AvailabilityZone"] for i in instances} == {"us-east-1a", "us-east-1b"}
    assert all(i["HealthStatus"] == "Healthy" and i["ProtectedFromScaleIn"] is False for i in instances)
    assert all(i["LaunchTemplate"]["LaunchTemplateId"] == net["lt"] for i in instances)

    ec2 = net["ec2"]
    res = ec2.describe_instances(Filters=[{"Name": "tag:aws:autoscaling:groupName", "Values": ["web"]}])
    found = [i for r in res["Reservations"] for i in r["Instances"]]
    assert {i["InstanceId"] for i in found} == {i["InstanceId"] for i in instances}
    assert {i["SubnetId"] for i in found} == {net["a"], net["b"]}
    for i in found:
        tags = {t["Key"]: t["Value"] for t in i["Tags"]}
        assert tags["team"] == "web" and "cost" not in tags
        assert i["ImageId"] == net["ami"] and i["InstanceType"] == "t3.micro"

    acts = asg.describe_scaling_activities(AutoScalingGroupName="web")["Activities"]
    assert len(acts) == 2
    for a in acts:
        assert re.fullmatch(r"Launching a new EC2 instance: i-[0-9a-f]{17}", a["Description"])
        assert a["StatusCode"] == "Successful" and a["Progress"] == 100
        assert re.fullmatch(
            r"At \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ a user request created an AutoScalingGroup changing the desired "
            r"capacity from 0 to 2\.  At \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ an instance was started in response to a "
            r"difference between desired and actual capacity, increasing the capacity from 0 to 2\.", a["Cause"])
        assert json.loads(a["Details"])["Availability Zone"] in ("us-east-1a", "us-east-1b")

    details = asg.describe_auto_scaling_instances()["AutoScalingInstances"]
    assert {d["InstanceId"] for d in details} == {i["InstanceId"] for i in instances}
    assert all(d["LifecycleState"] == "InService" and d["HealthStatus"] == "HEALTHY" for d in details)
    assert all(d["AutoScalingGroupName"] == "web" for d in details)

    # An instance EC2 stops is replaced.
    victim = instances[0]["InstanceId"]
    ec2.stop_instances(InstanceIds=[victim])
    server.advance(5)

    def replaced():
        ids = {i["InstanceId"] for i in group(asg, "web")["Instances"] if i["LifecycleState"] == "InService"}
        return len(ids) == 2 and victim not in ids

    until(replaced, what="the stopped instance replaced")
    causes = [a["Cause"] for a in asg.describe_scaling_activities(AutoScalingGroupName="web")["Activities"]]
    assert any("in response to an EC2 health check indicating it has been terminated or stopped" in c for c in causes)


def test_desired_capacity_up_and_down_follows_the_termination_policy(server):
    net = network(server)
    asg = server.client("autoscaling")
    make_group(asg, net, desired=1, TerminationPolicies=["OldestInstance"])
    server.advance(5)
    first = in_service(asg, "web", 1)[0]["InstanceId"]
    server.advance(120)
    asg.set_desired_capacity(AutoScalingGroupName="web", DesiredCapacity=3)
    server.advance(5)
    in_service(asg, "web", 3)
    acts = asg.describe_scaling_activities(AutoScalingGroupName="web")["Activities"]
    assert "a user request explicitly set group desired capacity changing the desired capacity from 1 to 3." in acts[0]["Cause"]
    assert "increasing the capacity from 1 to 3." in acts[0]["Cause"]

    asg.set_desired_capacity(AutoScalingGroupName="web", DesiredCapacity=2)
    server.advance(5)
    left = in_service(asg, "web", 2)
    assert first not in {i["InstanceId"] for i in left}
    state = net["ec2"].describe_instances(InstanceIds=[first])["Reservations"][0]["Instances"][0]["State"]["Name"]
    assert state in ("shutting-down", "terminated")
    term = asg.describe_scaling_activities(AutoScalingGroupName="web")["Activities"][0]
    assert term["Description"] == f"Terminating EC2 instance: {first}"
    assert "shrinking the capacity from 3 to 2." in term["Cause"]
    assert f"instance {first} was selected for termination." in term["Cause"]

    refused(asg.set_desired_capacity, "ValidationError",
            "New SetDesiredCapacity value 9 is above max value 4 for the AutoScalingGroup.",
            AutoScalingGroupName="web", DesiredCapacity=9)
    refused(asg.set_desired_capacity, "ValidationError",
            "New SetDesiredCapacity value 0 is below min value 1 for the AutoScalingGroup.",
            AutoScalingGroupName="web", DesiredCapacity=0)

    # Protected instances are never chosen for scale-in.
    keep = left[0]["InstanceId"]
    asg.set_instance_protection(AutoScalingGroupName="web", InstanceIds=[keep], ProtectedFromScaleIn=True)
    asg.set_desired_capacity(AutoScalingGroupName="web", DesiredCapacity=1)
    server.advance(5)
    assert [i["InstanceId"] for i in in_service(asg, "web", 1)] == [keep]

    # Terminating with a decrement leaves the group smaller, without one a replacement comes.
    asg.update_auto_scaling_group(AutoScalingGroupName="web", MinSize=0, DesiredCapacity=2)
    server.advance(5)
    two = in_service(asg, "web", 2)
    other = next(i["InstanceId"] for i in two if i["InstanceId"] != keep)
    act = asg.terminate_instance_in_auto_scaling_group(InstanceId=other, ShouldDecrementDesiredCapacity=True)
    assert act["Activity"]["Description"] == f"Terminating EC2 instance: {other}"
    assert "was taken out of service in response to a user request, shrinking the capacity from 2 to 1." in act["Activity"]["Cause"]
    server.advance(5)
    in_service(asg, "web", 1)
    assert group(asg, "web")["DesiredCapacity"] == 1
    acts = asg.describe_scaling_activities(AutoScalingGroupName="web")["Activities"]
    assert "a user request update of AutoScalingGroup constraints to min: 0, max: 4, desired: 2 changing the desired capacity from 1 to 2." in acts[1]["Cause"]


def test_creation_and_update_validation(server):
    net = network(server)
    asg = server.client("autoscaling")
    base = dict(AutoScalingGroupName="bad", MinSize=1, MaxSize=2, VPCZoneIdentifier=net["a"])
    refused(asg.create_auto_scaling_group, "ValidationError",
            "Valid requests must contain either LaunchTemplate, LaunchConfigurationName, InstanceId or "
            "MixedInstancesPolicy parameter.", **base)
    refused(asg.create_auto_scaling_group, "ValidationError",
            "Valid requests must contain either LaunchTemplate, LaunchConfigurationName, InstanceId or "
            "MixedInstancesPolicy parameter.",
            LaunchConfigurationName="x", LaunchTemplate={"LaunchTemplateId": net["lt"]}, **base)
    refused(asg.create_auto_scaling_group, "ValidationError",
            "Valid requests must contain either launchTemplateId or LaunchTemplateName",
            LaunchTemplate={"LaunchTemplateId": net["lt"], "LaunchTemplateName": "web"}, **base)
    refused(asg.create_auto_scaling_group, "ValidationError",
            "Launch configuration name not found - Launch configuration nope not found",
            LaunchConfigurationName="nope", **base)
    refused(asg.create_auto_scaling_group, "ValidationError",
            "You must use a valid fully-formed launch template. The specified launch template, with template "
            "ID lt-0123456789abcdef0, does not exist.",
            LaunchTemplate={"LaunchTemplateId": "lt-0123456789abcdef0"}, **base)
    lt = {"LaunchTemplate": {"LaunchTemplateName": "web"}}
    refused(asg.create_auto_scaling_group, "ValidationError",
            "Max bound, 1, must be greater than or equal to min bound, 2",
            AutoScalingGroupName="bad", MinSize=2, MaxSize=1, VPCZoneIdentifier=net["a"], **lt)
    refused(asg.create_auto_scaling_group, "ValidationError",
            "Desired capacity:5 must be between the specified min size:1 and max size:2",
            DesiredCapacity=5, **base, **lt)
    refused(asg.create_auto_scaling_group, "ValidationError",
            "The subnet ID 'subnet-0000000000000000f' does not exist",
            AutoScalingGroupName="bad", MinSize=0, MaxSize=1, VPCZoneIdentifier="subnet-0000000000000000f", **lt)
    refused(asg.create_auto_scaling_group, "ValidationError",
            "At least one Availability Zone or VPC Subnet is required.",
            AutoScalingGroupName="bad", MinSize=0, MaxSize=1, **lt)
    refused(asg.create_auto_scaling_group, "ValidationError", None,
            TerminationPolicies=["Sometimes"], **base, **lt)

    asg.create_auto_scaling_group(MinSize=0, MaxSize=2, AutoScalingGroupName="ok",
                                  VPCZoneIdentifier=net["a"], **lt)
    refused(asg.create_auto_scaling_group, "AlreadyExists",
            "AutoScalingGroup by this name already exists - A group with the name ok already exists",
            MinSize=0, MaxSize=2, AutoScalingGroupName="ok", VPCZoneIdentifier=net["a"], **lt)
    g = group(asg, "ok")
    assert g["DesiredCapacity"] == 0 and g["LaunchTemplate"]["LaunchTemplateName"] == "web"
    assert g["LaunchTemplate"]["LaunchTemplateId"] == net["lt"]
    refused(asg.update_auto_scaling_group, "ValidationError",
            "Desired capacity:3 must be between the specified min size:0 and max size:2",
            AutoScalingGroupName="ok", DesiredCapacity=3)
    refused(asg.update_auto_scaling_group, "ValidationError",
            "AutoScalingGroup name not found - AutoScalingGroup 'ghost' not found",
            AutoScalingGroupName="ghost", MaxSize=3)
    asg.update_auto_scaling_group(AutoScalingGroupName="ok", MaxSize=5, HealthCheckType="ELB",
                                  HealthCheckGracePeriod=120, DefaultCooldown=60,
                                  NewInstancesProtectedFromScaleIn=True, CapacityRebalance=True,
                                  MaxInstanceLifetime=86400, VPCZoneIdentifier=f"{net['a']},{net['b']}")
    g = group(asg, "ok")
    assert (g["MaxSize"], g["HealthCheckType"], g["HealthCheckGracePeriod"], g["DefaultCooldown"]) == (5, "ELB", 120, 60)
    assert g["NewInstancesProtectedFromScaleIn"] and g["CapacityRebalance"] and g["MaxInstanceLifetime"] == 86400
    assert sorted(g["AvailabilityZones"]) == ["us-east-1a", "us-east-1b"]
    assert asg.describe_auto_scaling_groups(AutoScalingGroupNames=["ghost"])["AutoScalingGroups"] == []

    # Mixed instances policy with overrides.
    asg.create_auto_scaling_group(
        AutoScalingGroupName="mixed", MinSize=0, MaxSize=2, VPCZoneIdentifier=net["b"],
        MixedInstancesPolicy={
            "LaunchTemplate": {"LaunchTemplateSpecification": {"LaunchTemplateName": "web", "Version": "$Default"},
                               "Overrides": [{"InstanceType": "t3.small"}, {"InstanceType": "t3.medium"}]},
            "InstancesDistribution": {"OnDemandBaseCapacity": 1},
        })
    m = group(asg, "mixed")["MixedInstancesPolicy"]
    assert [o["InstanceType"] for o in m["LaunchTemplate"]["Overrides"]] == ["t3.small", "t3.medium"]
    asg.set_desired_capacity(AutoScalingGroupName="mixed", DesiredCapacity=1)
    server.advance(5)
    assert in_service(asg, "mixed", 1)[0]["InstanceType"] == "t3.small"

    # Pagination and tag filters.
    asg.create_or_update_tags(Tags=[{"ResourceId": "ok", "ResourceType": "auto-scaling-group", "Key": "env",
                                     "Value": "prod", "PropagateAtLaunch": False}])
    page1 = asg.describe_auto_scaling_groups(MaxRecords=1)
    assert len(page1["AutoScalingGroups"]) == 1 and "NextToken" in page1
    page2 = asg.describe_auto_scaling_groups(MaxRecords=1, NextToken=page1["NextToken"])
    assert page2["AutoScalingGroups"][0]["AutoScalingGroupName"] != page1["AutoScalingGroups"][0]["AutoScalingGroupName"]
    by_tag = asg.describe_auto_scaling_groups(Filters=[{"Name": "tag:env", "Values": ["prod"]}])["AutoScalingGroups"]
    assert [x["AutoScalingGroupName"] for x in by_tag] == ["ok"]
    by_key = asg.describe_auto_scaling_groups(Filters=[{"Name": "tag-key", "Values": ["env"]}])["AutoScalingGroups"]
    assert [x["AutoScalingGroupName"] for x in by_key] == ["ok"]
    tags = asg.describe_tags(Filters=[{"Name": "auto-scaling-group", "Values": ["ok"]}])["Tags"]
    assert tags == [{"ResourceId": "ok", "ResourceType": "auto-scaling-group", "Key": "env", "Value": "prod",
                     "PropagateAtLaunch": False}]
    asg.delete_tags(Tags=[{"ResourceId": "ok", "ResourceType": "auto-scaling-group", "Key": "env"}])
    assert asg.describe_tags()["Tags"] == []


def test_deletes_in_the_wrong_order_are_refused(server):
    net = network(server)
    asg = server.client("autoscaling")
    asg.create_launch_configuration(LaunchConfigurationName="web-lc", ImageId=net["ami"], InstanceType="t3.micro")
    refused(asg.create_launch_configuration, "AlreadyExists",
            "Launch Configuration by this name already exists - A launch configuration already exists with the name web-lc",
            LaunchConfigurationName="web-lc", ImageId=net["ami"], InstanceType="t3.micro")
    refused(asg.create_launch_configuration, "ValidationError",
            "Valid requests must contain either the InstanceID parameter or both the ImageId and InstanceType parameters.",
            LaunchConfigurationName="half", ImageId=net["ami"])
    asg.create_auto_scaling_group(AutoScalingGroupName="lc-group", LaunchConfigurationName="web-lc",
                                  MinSize=1, MaxSize=2, VPCZoneIdentifier=net["a"])
    server.advance(5)
    instance = in_service(asg, "lc-group", 1)[0]
    assert instance["LaunchConfigurationName"] == "web-lc"
    refused(asg.delete_launch_configuration, "ResourceInUse",
            "Cannot delete launch configuration web-lc because it is attached to AutoScalingGroup lc-group",
            LaunchConfigurationName="web-lc")
    refused(asg.delete_auto_scaling_group, "ResourceInUse",
            "You cannot delete an AutoScalingGroup while there are instances or pending Spot instance request(s) "
            "still in the group.", AutoScalingGroupName="lc-group")
    # Shrinking first: while the instance terminates, a scaling activity is in progress.
    asg.update_auto_scaling_group(AutoScalingGroupName="lc-group", MinSize=0, DesiredCapacity=0)
    refused(asg.delete_auto_scaling_group, "ScalingActivityInProgress",
            "You cannot delete an AutoScalingGroup while there are scaling activities in progress for that group.",
            AutoScalingGroupName="lc-group")
    server.advance(30)
    until(lambda: group(asg, "lc-group")["Instances"] == [], what="the group to empty")
    asg.delete_auto_scaling_group(AutoScalingGroupName="lc-group")
    asg.delete_launch_configuration(LaunchConfigurationName="web-lc")
    refused(asg.delete_launch_configuration, "ValidationError",
            "Launch configuration name not found - Launch configuration web-lc not found",
            LaunchConfigurationName="web-lc")
    refused(asg.delete_auto_scaling_group, "ValidationError",
            "AutoScalingGroup name not found - AutoScalingGroup 'lc-group' not found",
            AutoScalingGroupName="lc-group")
    # Deleted groups' activities only with IncludeDeletedGroups.
    assert asg.describe_scaling_activities(AutoScalingGroupName="lc-group")["Activities"] == []
    old = asg.describe_scaling_activities(AutoScalingGroupName="lc-group", IncludeDeletedGroups=True)["Activities"]
    assert old and all(a["AutoScalingGroupState"] == "Deleted" for a in old)

    # ForceDelete terminates the instances with the group.
    make_group(asg, net, name="forced", desired=2)
    server.advance(5)
    ids = [i["InstanceId"] for i in in_service(asg, "forced", 2)]
    asg.delete_auto_scaling_group(AutoScalingGroupName="forced", ForceDelete=True)
    assert group(asg, "forced") is None
    states = {i["State"]["Name"] for r in net["ec2"].describe_instances(InstanceIds=ids)["Reservations"]
              for i in r["Instances"]}
    assert states <= {"shutting-down", "terminated"}


def test_simple_and_step_policies(server):
    net = network(server)
    asg = server.client("autoscaling")
    make_group(asg, net, desired=1, MaxSize=6)
    server.advance(5)
    in_service(asg, "web", 1)
    simple = asg.put_scaling_policy(AutoScalingGroupName="web", PolicyName="add-one", PolicyType="SimpleScaling",
                                    AdjustmentType="ChangeInCapacity", ScalingAdjustment=1, Cooldown=120)
    assert re.fullmatch(rf"arn:aws:autoscaling:us-east-1:{DEFAULT_ACCOUNT}:scalingPolicy:{UUID}:"
                        r"autoScalingGroupName/web:policyName/add-one", simple["PolicyARN"])
    server.advance(400)
    asg.execute_policy(AutoScalingGroupName="web", PolicyName="add-one", HonorCooldown=True)
    assert group(asg, "web")["DesiredCapacity"] == 2
    refused(asg.execute_policy, "ScalingActivityInProgress", None,
            AutoScalingGroupName="web", PolicyName="add-one", HonorCooldown=True)
    # Without HonorCooldown the policy runs anyway.
    asg.execute_policy(AutoScalingGroupName="web", PolicyName=simple["PolicyARN"])
    assert group(asg, "web")["DesiredCapacity"] == 3
    server.advance(5)
    in_service(asg, "web", 3)
    acts = asg.describe_scaling_activities(AutoScalingGroupName="web")["Activities"]
    assert "a user request executed policy add-one changing the desired capacity from 2 to 3." in acts[0]["Cause"]

    refused(asg.put_scaling_policy, "ValidationError",
            "There must not be any gaps between step adjustment intervals",
            AutoScalingGroupName="web", PolicyName="gappy", PolicyType="StepScaling",
            AdjustmentType="ChangeInCapacity",
            StepAdjustments=[{"MetricIntervalLowerBound": 0, "MetricIntervalUpperBound": 10, "ScalingAdjustment": 1},
                             {"MetricIntervalLowerBound": 20, "ScalingAdjustment": 2}])
    refused(asg.put_scaling_policy, "ValidationError",
            "Step adjustment intervals must not overlap",
            AutoScalingGroupName="web", PolicyName="overlap", PolicyType="StepScaling",
            AdjustmentType="ChangeInCapacity",
            StepAdjustments=[{"MetricIntervalLowerBound": 0, "MetricIntervalUpperBound": 15, "ScalingAdjustment": 1},
                             {"MetricIntervalLowerBound": 10, "ScalingAdjustment": 2}])
    refused(asg.put_scaling_policy, "ValidationError",
            "There must be a StepAdjustment with an unspecified upper bound (i.e., upper bound is null) when one "
            "StepAdjustment has a positive upper bound",
            AutoScalingGroupName="web", PolicyName="capped", PolicyType="StepScaling",
            AdjustmentType="ChangeInCapacity",
            StepAdjustments=[{"MetricIntervalLowerBound": 1, "MetricIntervalUpperBound": 2, "ScalingAdjustment": 1}])
    asg.put_scaling_policy(
        AutoScalingGroupName="web", PolicyName="steps", PolicyType="StepScaling",
        AdjustmentType="ChangeInCapacity", EstimatedInstanceWarmup=0,
        StepAdjustments=[
            {"MetricIntervalUpperBound": -20, "ScalingAdjustment": -2},
            {"MetricIntervalLowerBound": -20, "MetricIntervalUpperBound": 0, "ScalingAdjustment": -1},
            {"MetricIntervalLowerBound": 0, "MetricIntervalUpperBound": 20, "ScalingAdjustment": 1},
            {"MetricIntervalLowerBound": 20, "ScalingAdjustment": 2},
        ])
    pol = asg.describe_policies(AutoScalingGroupName="web", PolicyNames=["steps"])["ScalingPolicies"][0]
    assert pol["PolicyType"] == "StepScaling" and pol["MetricAggregationType"] == "Average"
    assert len(pol["StepAdjustments"]) == 4
    refused(asg.execute_policy, "ValidationError", None, AutoScalingGroupName="web", PolicyName="steps")
    asg.execute_policy(AutoScalingGroupName="web", PolicyName="steps", MetricValue=35, BreachThreshold=10)
    assert group(asg, "web")["DesiredCapacity"] == 5
    asg.execute_policy(AutoScalingGroupName="web", PolicyName="steps", MetricValue=5, BreachThreshold=10)
    assert group(asg, "web")["DesiredCapacity"] == 4
    types = {p["PolicyType"] for p in asg.describe_policies(AutoScalingGroupName="web")["ScalingPolicies"]}
    assert types == {"SimpleScaling", "StepScaling"}
    asg.delete_policy(AutoScalingGroupName="web", PolicyName="steps")
    assert [p["PolicyName"] for p in asg.describe_policies(AutoScalingGroupName="web")["ScalingPolicies"]] == ["add-one"]


def test_target_tracking_creates_its_alarms(server):
    net = network(server)
    asg = server.client("autoscaling")
    make_group(asg, net, desired=1)
    out = asg.put_scaling_policy(
        AutoScalingGroupName="web", PolicyName="cpu50", PolicyType="TargetTrackingScaling",
        TargetTrackingConfiguration={"PredefinedMetricSpecification": {"PredefinedMetricType": "ASGAverageCPUUtilization"},
                                     "TargetValue": 50.0})
    names = sorted(a["AlarmName"] for a in out["Alarms"])
    assert len(names) == 2
    assert re.fullmatch(rf"TargetTracking-web-AlarmHigh-{UUID}", names[0])
    assert re.fullmatch(rf"TargetTracking-web-AlarmLow-{UUID}", names[1])
    for a in out["Alarms"]:
        assert a["AlarmARN"] == f"arn:aws:cloudwatch:us-east-1:{DEFAULT_ACCOUNT}:alarm:{a['AlarmName']}"
    pol = asg.describe_policies(AutoScalingGroupName="web")["ScalingPolicies"][0]
    assert sorted(a["AlarmName"] for a in pol["Alarms"]) == names
    assert pol["TargetTrackingConfiguration"]["TargetValue"] == 50.0
    assert pol["TargetTrackingConfiguration"]["PredefinedMetricSpecification"]["PredefinedMetricType"] == "ASGAverageCPUUtilization"
    # Updating keeps the alarm names; disabling scale-in drops the low alarm.
    again = asg.put_scaling_policy(
        AutoScalingGroupName="web", PolicyName="cpu50", PolicyType="TargetTrackingScaling",
        TargetTrackingConfiguration={"PredefinedMetricSpecification": {"PredefinedMetricType": "ASGAverageCPUUtilization"},
                                     "TargetValue": 60.0, "DisableScaleIn": True})
    assert [a["AlarmName"] for a in again["Alarms"]] == [names[0]]
    assert again["PolicyARN"] == out["PolicyARN"]
    refused(asg.execute_policy, "ValidationError", None, AutoScalingGroupName="web", PolicyName="cpu50")
    refused(asg.put_scaling_policy, "ValidationError", None,
            AutoScalingGroupName="web", PolicyName="alb", PolicyType="TargetTrackingScaling",
            TargetTrackingConfiguration={"PredefinedMetricSpecification": {"PredefinedMetricType": "ALBRequestCountPerTarget"},
                                         "TargetValue": 100.0})
    refused(asg.put_scaling_policy, "ValidationError", None,
            AutoScalingGroupName="web", PolicyName="tt-bad", PolicyType="TargetTrackingScaling",
            AdjustmentType="ChangeInCapacity",
            TargetTrackingConfiguration={"PredefinedMetricSpecification": {"PredefinedMetricType": "ASGAverageCPUUtilization"},
                                         "TargetValue": 10.0})
    asg.delete_policy(AutoScalingGroupName="web", PolicyName="cpu50")
    assert asg.describe_policies(AutoScalingGroupName="web")["ScalingPolicies"] == []


def test_notifications_reach_a_queue_through_a_topic(server):
    net = network(server)
    asg = server.client("autoscaling")
    sns, sqs = server.client("sns"), server.client("sqs")
    topic = sns.create_topic(Name="asg-events")["TopicArn"]
    url = sqs.create_queue(QueueName="asg-events")["QueueUrl"]
    qarn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn, Attributes={"RawMessageDelivery": "false"})
    make_group(asg, net, desired=0, MinSize=0)
    asg.put_notification_configuration(
        AutoScalingGroupName="web", TopicARN=topic,
        NotificationTypes=["autoscaling:EC2_INSTANCE_LAUNCH", "autoscaling:EC2_INSTANCE_TERMINATE"])
    confs = asg.describe_notification_configurations(AutoScalingGroupNames=["web"])["NotificationConfigurations"]
    assert [c["NotificationType"] for c in confs] == ["autoscaling:EC2_INSTANCE_LAUNCH",
                                                      "autoscaling:EC2_INSTANCE_TERMINATE"]
    refused(asg.put_notification_configuration, "ValidationError", None, AutoScalingGroupName="web",
            TopicARN=topic, NotificationTypes=["autoscaling:EC2_INSTANCE_EXPLODE"])

    def messages(n):
        got = []

        def poll():
            for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", []):
                got.append(json.loads(m["Body"]))
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
            return len(got) >= n

        until(poll, what=f"{n} notifications")
        return got

    test = messages(1)[0]
    assert test["Subject"] == 'Auto Scaling: test notification for group "web"'
    body = json.loads(test["Message"])
    assert body["Event"] == "autoscaling:TEST_NOTIFICATION" and body["AutoScalingGroupName"] == "web"

    asg.set_desired_capacity(AutoScalingGroupName="web", DesiredCapacity=1)
    server.advance(5)
    launch = messages(1)[0]
    assert launch["Subject"] == 'Auto Scaling: launch for group "web"'
    body = json.loads(launch["Message"])
    assert list(body) == ["Progress", "AccountId", "Description", "RequestId", "EndTime", "AutoScalingGroupARN",
                          "ActivityId", "StartTime", "Service", "Time", "EC2InstanceId", "StatusCode",
                          "StatusMessage", "Details", "AutoScalingGroupName", "Cause", "Event"]
    assert body["Event"] == "autoscaling:EC2_INSTANCE_LAUNCH" and body["Service"] == "AWS Auto Scaling"
    assert body["AccountId"] == DEFAULT_ACCOUNT and body["StatusCode"] == "Successful"
    assert body["Description"] == f"Launching a new EC2 instance: {body['EC2InstanceId']}"
    assert body["Details"]["Availability Zone"] in ("us-east-1a", "us-east-1b")

    asg.set_desired_capacity(AutoScalingGroupName="web", DesiredCapacity=0)
    server.advance(30)
    term = json.loads(messages(1)[0]["Message"])
    assert term["Event"] == "autoscaling:EC2_INSTANCE_TERMINATE"
    assert term["EC2InstanceId"] == body["EC2InstanceId"]
    asg.delete_notification_configuration(AutoScalingGroupName="web", TopicARN=topic)
    assert asg.describe_notification_configurations()["NotificationConfigurations"] == []


def test_scheduled_action_fires_when_the_clock_reaches_it(server):
    net = network(server)
    asg = server.client("autoscaling")
    make_group(asg, net, desired=0, MinSize=0)
    now = server_now(asg)
    start = now.replace(microsecond=0) + __import__("datetime").timedelta(hours=1)
    asg.put_scheduled_update_group_action(AutoScalingGroupName="web", ScheduledActionName="morning",
                                          StartTime=start, MinSize=1, MaxSize=3, DesiredCapacity=2)
    asg.put_scheduled_update_group_action(AutoScalingGroupName="web", ScheduledActionName="nightly",
                                          Recurrence="0 22 29 2 *", TimeZone="Europe/Berlin", DesiredCapacity=0,
                                          MinSize=0)
    refused(asg.put_scheduled_update_group_action, "ValidationError", None, AutoScalingGroupName="web",
            ScheduledActionName="bad-cron", Recurrence="0 25 * * *", DesiredCapacity=1)
    refused(asg.put_scheduled_update_group_action, "ValidationError", None, AutoScalingGroupName="web",
            ScheduledActionName="bad-tz", Recurrence="0 1 * * *", TimeZone="Mars/Olympus", DesiredCapacity=1)
    refused(asg.put_scheduled_update_group_action, "ValidationError", None, AutoScalingGroupName="web",
            ScheduledActionName="past", StartTime=now - __import__("datetime").timedelta(hours=1), DesiredCapacity=1)
    actions = {a["ScheduledActionName"]: a for a in
               asg.describe_scheduled_actions(AutoScalingGroupName="web")["ScheduledUpdateGroupActions"]}
    assert set(actions) == {"morning", "nightly"}
    assert actions["morning"]["StartTime"] == start
    assert actions["nightly"]["Recurrence"] == "0 22 29 2 *" and actions["nightly"]["TimeZone"] == "Europe/Berlin"
    assert re.fullmatch(rf"arn:aws:autoscaling:us-east-1:{DEFAULT_ACCOUNT}:scheduledUpdateGroupAction:{UUID}:"
                        r"autoScalingGroupName/web:scheduledActionName/morning", actions["morning"]["ScheduledActionARN"])
    server.advance(3605)
    until(lambda: group(asg, "web")["DesiredCapacity"] == 2, what="the scheduled action to run")
    g = group(asg, "web")
    assert (g["MinSize"], g["MaxSize"]) == (1, 3)
    in_service(asg, "web", 2)
    cause = asg.describe_scaling_activities(AutoScalingGroupName="web")["Activities"][0]["Cause"]
    assert "a scheduled action update of AutoScalingGroup constraints to min: 1, max: 3, desired: 2 changing the desired capacity from 0 to 2." in cause
    # One-time actions go once run.
    left = [a["ScheduledActionName"] for a in
            asg.describe_scheduled_actions(AutoScalingGroupName="web")["ScheduledUpdateGroupActions"]]
    assert left == ["nightly"]
    failed = asg.batch_put_scheduled_update_group_action(
        AutoScalingGroupName="web",
        ScheduledUpdateGroupActions=[{"ScheduledActionName": "a", "Recurrence": "*/30 * * * *", "DesiredCapacity": 1},
                                     {"ScheduledActionName": "b", "Recurrence": "nope", "DesiredCapacity": 1}])
    assert [f["ScheduledActionName"] for f in failed["FailedScheduledUpdateGroupActions"]] == ["b"]
    out = asg.batch_delete_scheduled_action(AutoScalingGroupName="web", ScheduledActionNames=["a", "zzz"])
    assert [f["ScheduledActionName"] for f in out["FailedScheduledActions"]] == ["zzz"]
    asg.delete_scheduled_action(AutoScalingGroupName="web", ScheduledActionName="nightly")
    refused(asg.delete_scheduled_action, "ValidationError", None, AutoScalingGroupName="web",
            ScheduledActionName="nightly")


def test_lifecycle_hooks_wait_for_completion(server):
    net = network(server)
    asg = server.client("autoscaling")
    sqs = server.client("sqs")
    url = sqs.create_queue(QueueName="hooks")["QueueUrl"]
    qarn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    make_group(asg, net, desired=0, MinSize=0)
    asg.put_lifecycle_hook(AutoScalingGroupName="web", LifecycleHookName="boot",
                           LifecycleTransition="autoscaling:EC2_INSTANCE_LAUNCHING", HeartbeatTimeout=300,
                           DefaultResult="ABANDON", NotificationTargetARN=qarn,
                           RoleARN=f"arn:aws:iam::{DEFAULT_ACCOUNT}:role/hooks", NotificationMetadata="hello")
    hook = asg.describe_lifecycle_hooks(AutoScalingGroupName="web")["LifecycleHooks"][0]
    assert (hook["HeartbeatTimeout"], hook["GlobalTimeout"], hook["DefaultResult"]) == (300, 30000, "ABANDON")
    msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert json.loads(msgs[0]["Body"])["Event"] == "autoscaling:TEST_NOTIFICATION"
    sqs.delete_message(QueueUrl=url, ReceiptHandle=msgs[0]["ReceiptHandle"])

    asg.set_desired_capacity(AutoScalingGroupName="web", DesiredCapacity=1)
    server.advance(5)
    until(lambda: [i for i in group(asg, "web")["Instances"] if i["LifecycleState"] == "Pending:Wait"],
          what="an instance waiting on the hook")

    def hook_message():
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1).get("Messages", [])
        return json.loads(got[0]["Body"]) if got else None

    msg = until(hook_message, what="the lifecycle message")
    assert msg["LifecycleTransition"] == "autoscaling:EC2_INSTANCE_LAUNCHING"
    assert msg["LifecycleHookName"] == "boot" and msg["NotificationMetadata"] == "hello"
    refused(asg.complete_lifecycle_action, "ValidationError", None, AutoScalingGroupName="web",
            LifecycleHookName="boot", LifecycleActionResult="CONTINUE", LifecycleActionToken=str(__import__("uuid").uuid4()))
    asg.record_lifecycle_action_heartbeat(AutoScalingGroupName="web", LifecycleHookName="boot",
                                          InstanceId=msg["EC2InstanceId"])
    asg.complete_lifecycle_action(AutoScalingGroupName="web", LifecycleHookName="boot",
                                  LifecycleActionResult="CONTINUE", LifecycleActionToken=msg["LifecycleActionToken"])
    assert in_service(asg, "web", 1)[0]["InstanceId"] == msg["EC2InstanceId"]

    # Without an answer the default result (ABANDON) applies after the heartbeat timeout.
    asg.set_desired_capacity(AutoScalingGroupName="web", DesiredCapacity=2)
    server.advance(5)
    waiting = until(lambda: [i["InstanceId"] for i in group(asg, "web")["Instances"]
                             if i["LifecycleState"] == "Pending:Wait"], what="a second waiting instance")
    server.advance(301)
    until(lambda: waiting[0] not in [i["InstanceId"] for i in group(asg, "web")["Instances"]
                                     if i["LifecycleState"] in ("Pending:Wait", "InService")],
          what="the abandoned instance to leave")
    asg.delete_lifecycle_hook(AutoScalingGroupName="web", LifecycleHookName="boot")
    assert asg.describe_lifecycle_hooks(AutoScalingGroupName="web")["LifecycleHooks"] == []


def test_processes_standby_and_catalogue(server):
    net = network(server)
    asg = server.client("autoscaling")
    make_group(asg, net, desired=1)
    server.advance(5)
    inst = in_service(asg, "web", 1)[0]["InstanceId"]
    asg.suspend_processes(AutoScalingGroupName="web", ScalingProcesses=["Launch"])
    g = group(asg, "web")
    assert [p["ProcessName"] for p in g["SuspendedProcesses"]] == ["Launch"]
    assert g["SuspendedProcesses"][0]["SuspensionReason"].startswith("User suspended at ")
    asg.set_desired_capacity(AutoScalingGroupName="web", DesiredCapacity=2)
    server.advance(5)
    time.sleep(1.0)
    assert len(group(asg, "web")["Instances"]) == 1
    asg.resume_processes(AutoScalingGroupName="web")
    server.advance(5)
    in_service(asg, "web", 2)
    refused(asg.suspend_processes, "ValidationError", None, AutoScalingGroupName="web", ScalingProcesses=["Nap"])

    out = asg.enter_standby(AutoScalingGroupName="web", InstanceIds=[inst], ShouldDecrementDesiredCapacity=True)
    assert out["Activities"][0]["Description"] == f"Moving EC2 instance to Standby: {inst}"
    g = group(asg, "web")
    assert g["DesiredCapacity"] == 1
    assert {i["InstanceId"]: i["LifecycleState"] for i in g["Instances"]}[inst] == "Standby"
    asg.exit_standby(AutoScalingGroupName="web", InstanceIds=[inst])
    server.advance(5)
    in_service(asg, "web", 2)
    detached = asg.detach_instances(AutoScalingGroupName="web", InstanceIds=[inst], ShouldDecrementDesiredCapacity=True)
    assert detached["Activities"][0]["Description"] == f"Detaching EC2 instance: {inst}"
    assert inst not in [i["InstanceId"] for i in group(asg, "web")["Instances"]]
    asg.attach_instances(AutoScalingGroupName="web", InstanceIds=[inst])
    assert group(asg, "web")["DesiredCapacity"] == 2
    in_service(asg, "web", 2)
    asg.set_instance_health(InstanceId=inst, HealthStatus="Unhealthy", ShouldRespectGracePeriod=False)
    server.advance(5)
    until(lambda: inst not in [i["InstanceId"] for i in group(asg, "web")["Instances"]], what="unhealthy replaced")
    in_service(asg, "web", 2)

    assert sorted(t["AdjustmentType"] for t in asg.describe_adjustment_types()["AdjustmentTypes"]) == [
        "ChangeInCapacity", "ExactCapacity", "PercentChangeInCapacity"]
    assert "OldestLaunchTemplate" in asg.describe_termination_policy_types()["TerminationPolicyTypes"]
    procs = [p["ProcessName"] for p in asg.describe_scaling_process_types()["Processes"]]
    assert "ReplaceUnhealthy" in procs and "InstanceRefresh" in procs
    assert asg.describe_lifecycle_hook_types()["LifecycleHookTypes"] == [
        "autoscaling:EC2_INSTANCE_LAUNCHING", "autoscaling:EC2_INSTANCE_TERMINATING"]
    assert "autoscaling:TEST_NOTIFICATION" in asg.describe_auto_scaling_notification_types()["AutoScalingNotificationTypes"]
    limits = asg.describe_account_limits()
    assert limits["NumberOfAutoScalingGroups"] == 1 and limits["MaxNumberOfAutoScalingGroups"] > 1

    asg.put_warm_pool(AutoScalingGroupName="web", MinSize=1, PoolState="Stopped")
    assert asg.describe_warm_pool(AutoScalingGroupName="web")["WarmPoolConfiguration"]["MinSize"] == 1
    asg.delete_warm_pool(AutoScalingGroupName="web")


def test_instance_refresh_replaces_instances(server):
    net = network(server)
    asg = server.client("autoscaling")
    make_group(asg, net, desired=2)
    server.advance(5)
    before = {i["InstanceId"] for i in in_service(asg, "web", 2)}
    rid = asg.start_instance_refresh(AutoScalingGroupName="web",
                                     Preferences={"MinHealthyPercentage": 50})["InstanceRefreshId"]
    refused(asg.start_instance_refresh, "InstanceRefreshInProgress", None, AutoScalingGroupName="web")

    def done():
        server.advance(5)
        r = asg.describe_instance_refreshes(AutoScalingGroupName="web")["InstanceRefreshes"][0]
        return r if r["Status"] == "Successful" else None

    r = until(done, timeout=30, what="the refresh to finish")
    assert r["InstanceRefreshId"] == rid and r["PercentageComplete"] == 100
    after = {i["InstanceId"] for i in in_service(asg, "web", 2)}
    assert not (before & after)
    refused(asg.cancel_instance_refresh, "ActiveInstanceRefreshNotFound", None, AutoScalingGroupName="web")


def test_state_survives_a_restart(server_factory):
    srv = server_factory(args=["--test-mode"])
    net = network(srv)
    asg = srv.client("autoscaling")
    asg.create_launch_configuration(LaunchConfigurationName="lc", ImageId=net["ami"], InstanceType="t3.micro")
    make_group(asg, net, desired=1, Tags=[{"Key": "team", "Value": "web", "PropagateAtLaunch": True}])
    asg.put_scaling_policy(AutoScalingGroupName="web", PolicyName="up", AdjustmentType="ChangeInCapacity",
                           ScalingAdjustment=1)
    asg.put_scheduled_update_group_action(AutoScalingGroupName="web", ScheduledActionName="daily",
                                          Recurrence="0 6 * * *", DesiredCapacity=1)
    asg.suspend_processes(AutoScalingGroupName="web", ScalingProcesses=["AZRebalance"])
    srv.advance(5)
    inst = in_service(asg, "web", 1)[0]["InstanceId"]
    before = group(asg, "web")

    srv.restart()

    asg = srv.client("autoscaling")
    after = group(asg, "web")
    assert after["AutoScalingGroupARN"] == before["AutoScalingGroupARN"]
    assert [i["InstanceId"] for i in after["Instances"]] == [inst]
    assert after["Instances"][0]["LifecycleState"] == "InService"
    assert after["Tags"] == before["Tags"] and after["SuspendedProcesses"] == before["SuspendedProcesses"]
    assert [p["PolicyName"] for p in asg.describe_policies()["ScalingPolicies"]] == ["up"]
    assert [a["ScheduledActionName"] for a in asg.describe_scheduled_actions()["ScheduledUpdateGroupActions"]] == ["daily"]
    assert [c["LaunchConfigurationName"] for c in asg.describe_launch_configurations()["LaunchConfigurations"]] == ["lc"]
    assert len(asg.describe_scaling_activities()["Activities"]) == 1
    # The reconciler carries on after the restart.
    asg.set_desired_capacity(AutoScalingGroupName="web", DesiredCapacity=2)
    srv.advance(5)
    in_service(asg, "web", 2)


def test_cli_as_a_user_types_it(server, aws):
    net = network(server)
    aws("autoscaling", "create-launch-configuration", "--launch-configuration-name", "cli-lc",
        "--image-id", net["ami"], "--instance-type", "t3.micro")
    aws("autoscaling", "create-auto-scaling-group", "--auto-scaling-group-name", "cli-asg",
        "--launch-template", "LaunchTemplateName=web,Version=$Latest",
        "--min-size", "1", "--max-size", "3", "--desired-capacity", "2",
        "--vpc-zone-identifier", f"{net['a']},{net['b']}",
        "--tags", "Key=Name,Value=cli-web,PropagateAtLaunch=true")
    server.advance(5)
    asg = server.client("autoscaling")
    in_service(asg, "cli-asg", 2)
    states = aws("autoscaling", "describe-auto-scaling-groups", "--auto-scaling-group-names", "cli-asg",
                 "--query", "AutoScalingGroups[0].Instances[].LifecycleState")
    assert states == ["InService", "InService"]
    # Just launched: the default cooldown holds a change that honours it.
    proc = aws("autoscaling", "set-desired-capacity", "--auto-scaling-group-name", "cli-asg", "--desired-capacity", "1",
               "--honor-cooldown", check=False)
    assert proc.returncode != 0 and "ScalingActivityInProgress" in proc.stderr
    out = aws("autoscaling", "put-scaling-policy", "--auto-scaling-group-name", "cli-asg",
              "--policy-name", "cpu", "--policy-type", "TargetTrackingScaling",
              "--target-tracking-configuration",
              '{"PredefinedMetricSpecification":{"PredefinedMetricType":"ASGAverageCPUUtilization"},"TargetValue":40}')
    assert len(out["Alarms"]) == 2
    assert "Default" in aws("autoscaling", "describe-termination-policy-types")["TerminationPolicyTypes"]
    acts = aws("autoscaling", "describe-scaling-activities", "--auto-scaling-group-name", "cli-asg",
               "--query", "Activities[].StatusCode")
    assert "Successful" in acts
    proc = aws("autoscaling", "delete-auto-scaling-group", "--auto-scaling-group-name", "cli-asg", check=False)
    assert proc.returncode != 0 and "ResourceInUse" in proc.stderr
    aws("autoscaling", "delete-auto-scaling-group", "--auto-scaling-group-name", "cli-asg", "--force-delete")
    assert aws("autoscaling", "describe-auto-scaling-groups")["AutoScalingGroups"] == []
    aws("autoscaling", "delete-launch-configuration", "--launch-configuration-name", "cli-lc")


def test_adding_a_zone_rebalances_the_group(server):
    net = network(server)
    asg = server.client("autoscaling")
    asg.create_auto_scaling_group(AutoScalingGroupName="web", LaunchTemplate={"LaunchTemplateName": "web"},
                                  MinSize=2, MaxSize=2, VPCZoneIdentifier=net["a"])
    server.advance(5)
    assert {i["AvailabilityZone"] for i in in_service(asg, "web", 2)} == {"us-east-1a"}
    asg.update_auto_scaling_group(AutoScalingGroupName="web", VPCZoneIdentifier=f"{net['a']},{net['b']}")

    def balanced():
        server.advance(5)
        g = group(asg, "web")
        zones = sorted(i["AvailabilityZone"] for i in g["Instances"] if i["LifecycleState"] == "InService")
        return zones == ["us-east-1a", "us-east-1b"] and len(g["Instances"]) == 2

    until(balanced, timeout=30, what="one instance in each zone")
    causes = [a["Cause"] for a in asg.describe_scaling_activities(AutoScalingGroupName="web")["Activities"]]
    assert any("an instance was launched to aid in balancing the group's zones." in c for c in causes)
    # Suspended, a lopsided group stays as it is.
    asg.suspend_processes(AutoScalingGroupName="web", ScalingProcesses=["AZRebalance"])
    assert [p["ProcessName"] for p in group(asg, "web")["SuspendedProcesses"]] == ["AZRebalance"]


def test_instances_register_in_the_groups_target_groups(server):
    net = network(server)
    asg = server.client("autoscaling")
    elb = server.client("elbv2")
    lb = elb.create_load_balancer(Name="web-alb", Subnets=[net["a"], net["b"]], Scheme="internal",
                                  Type="application")["LoadBalancers"][0]["LoadBalancerArn"]
    tg = elb.create_target_group(Name="web-tg", Protocol="HTTP", Port=80, VpcId=net["vpc"], TargetType="instance",
                                 HealthCheckIntervalSeconds=10, HealthyThresholdCount=2)["TargetGroups"][0]["TargetGroupArn"]
    elb.create_listener(LoadBalancerArn=lb, Protocol="HTTP", Port=80,
                        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
    missing = tg.replace("web-tg", "gone-tg")
    refused(asg.create_auto_scaling_group, "ValidationError", None, AutoScalingGroupName="web",
            LaunchTemplate={"LaunchTemplateName": "web"}, MinSize=1, MaxSize=4, DesiredCapacity=2,
            VPCZoneIdentifier=f"{net['a']},{net['b']}", TargetGroupARNs=[missing])
    make_group(asg, net, TargetGroupARNs=[tg], HealthCheckType="ELB", HealthCheckGracePeriod=60)
    server.advance(5)
    ids = {i["InstanceId"] for i in in_service(asg, "web", 2)}

    def states():
        return {d["Target"]["Id"]: d["TargetHealth"]["State"]
                for d in elb.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]}

    until(lambda: set(states()) == ids, what="both instances registered")
    for _ in range(4):
        server.advance(15)
    until(lambda: set(states().values()) == {"healthy"}, what="both targets healthy")
    assert asg.describe_load_balancer_target_groups(AutoScalingGroupName="web")["LoadBalancerTargetGroups"] == [
        {"LoadBalancerTargetGroupARN": tg, "State": "InService"}]
    sources = asg.describe_traffic_sources(AutoScalingGroupName="web")["TrafficSources"]
    assert [(s["Identifier"], s["Type"]) for s in sources] == [(tg, "elbv2")]

    # Scaling in deregisters the instance before terminating it.
    asg.set_desired_capacity(AutoScalingGroupName="web", DesiredCapacity=1)
    server.advance(5)
    left = {i["InstanceId"] for i in in_service(asg, "web", 1)}
    gone = (ids - left).pop()
    until(lambda: states().get(gone) in (None, "draining"), what="the terminated instance deregistered")
    assert states()[left.pop()] == "healthy"

    # Detaching the group deregisters what remains.
    asg.detach_load_balancer_target_groups(AutoScalingGroupName="web", TargetGroupARNs=[tg])
    assert asg.describe_load_balancer_target_groups(AutoScalingGroupName="web")["LoadBalancerTargetGroups"] == []
    until(lambda: set(states().values()) <= {"draining"}, what="the remaining instance draining")
    asg.attach_traffic_sources(AutoScalingGroupName="web", TrafficSources=[{"Identifier": tg, "Type": "elbv2"}])
    assert group(asg, "web")["TargetGroupARNs"] == [tg]
    assert {i["InstanceId"] for i in group(asg, "web")["Instances"]} <= set(states())
