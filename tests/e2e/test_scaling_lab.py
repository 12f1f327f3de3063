"""The course's load-balancing and auto scaling lab, typed as a learner types
it with the aws CLI: an Application Load Balancer in two zones with two web
instances registered and healthy; an Auto Scaling group of two on a launch
template in the same target group; a target-tracking policy whose CloudWatch
alarms scale the group out under CPU load and back in after it, with every
launch and termination announced through SNS into an SQS queue; and the
teardown, first tried in the wrong order."""

from __future__ import annotations

import json
import time

import pytest
from conftest import AwsCliError
from helpers import advance_until as until

CPU_TAG = "stratus:cpu-utilization"


def refused(aws, code: str, *args) -> None:
    with pytest.raises(AwsCliError) as e:
        aws(*args)
    assert code in e.value.stderr, e.value.stderr


def group(asg, name):
    return asg.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"][0]


def in_service(asg, name):
    return sorted(i["InstanceId"] for i in group(asg, name)["Instances"] if i["LifecycleState"] == "InService")


def health(elbv2, tg):
    return {t["Target"]["Id"]: t["TargetHealth"]["State"]
            for t in elbv2.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]}


def drain(sqs, url):
    events = []
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
        if not got:
            return events
        for m in got:
            body = json.loads(m["Body"])
            events.append(json.loads(body["Message"]) if "Message" in body else body)
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])


def announced(sqs, url, event: str, count: int):
    """The `event` notifications in the queue, waiting up to 10 s for `count`
    of them: Auto Scaling announces an activity after it has finished it, so
    a notification may land just after the group already shows the change."""
    seen = []
    deadline = time.time() + 10
    while len(seen) < count and time.time() < deadline:
        seen += [e for e in drain(sqs, url) if e.get("Event") == event]
        if len(seen) < count:
            time.sleep(0.1)
    return seen + [e for e in drain(sqs, url) if e.get("Event") == event]


def test_alb_and_auto_scaling_lab(server, aws):
    ec2, elbv2, asg = server.client("ec2"), server.client("elbv2"), server.client("autoscaling")
    sqs = server.client("sqs")
    # --- network: a VPC with public subnets in two zones
    vpc = aws("ec2", "create-vpc", "--cidr-block", "10.2.0.0/16")["Vpc"]["VpcId"]
    zones = [z["ZoneName"] for z in aws("ec2", "describe-availability-zones")["AvailabilityZones"]][:2]
    subnets = [aws("ec2", "create-subnet", "--vpc-id", vpc, "--cidr-block", f"10.2.{n}.0/24",
                   "--availability-zone", az)["Subnet"]["SubnetId"] for n, az in ((1, zones[0]), (2, zones[1]))]
    igw = aws("ec2", "create-internet-gateway")["InternetGateway"]["InternetGatewayId"]
    aws("ec2", "attach-internet-gateway", "--internet-gateway-id", igw, "--vpc-id", vpc)
    lb_sg = aws("ec2", "create-security-group", "--group-name", "lab-alb", "--description", "ALB",
                "--vpc-id", vpc)["GroupId"]
    aws("ec2", "authorize-security-group-ingress", "--group-id", lb_sg, "--protocol", "tcp", "--port", "80",
        "--cidr", "0.0.0.0/0")
    web_sg = aws("ec2", "create-security-group", "--group-name", "lab-web", "--description", "web",
                 "--vpc-id", vpc)["GroupId"]
    aws("ec2", "authorize-security-group-ingress", "--group-id", web_sg, "--protocol", "tcp", "--port", "80",
        "--source-group", lb_sg)
    ami = aws("ec2", "describe-images", "--owners", "amazon", "--filters",
              "Name=name,Values=al2023-ami-2023*-x86_64", "--query", "Images[0].ImageId")
    web = [aws("ec2", "run-instances", "--image-id", ami, "--instance-type", "t3.micro", "--subnet-id", s,
               "--security-group-ids", web_sg)["Instances"][0]["InstanceId"] for s in subnets]
    aws("ec2", "wait", "instance-running", "--instance-ids", *web)

    # --- the load balancer
    lb = aws("elbv2", "create-load-balancer", "--name", "lab-alb", "--subnets", *subnets,
             "--security-groups", lb_sg)["LoadBalancers"][0]
    assert lb["DNSName"].startswith("lab-alb-") and lb["State"]["Code"] == "provisioning"
    aws("elbv2", "wait", "load-balancer-available", "--load-balancer-arns", lb["LoadBalancerArn"])
    tg = aws("elbv2", "create-target-group", "--name", "lab-web", "--protocol", "HTTP", "--port", "80",
             "--vpc-id", vpc, "--health-check-path", "/", "--health-check-interval-seconds", "10",
             "--healthy-threshold-count", "2")["TargetGroups"][0]["TargetGroupArn"]
    aws("elbv2", "create-listener", "--load-balancer-arn", lb["LoadBalancerArn"], "--protocol", "HTTP",
        "--port", "80", "--default-actions", f"Type=forward,TargetGroupArn={tg}")
    aws("elbv2", "register-targets", "--target-group-arn", tg, "--targets", *[f"Id={i}" for i in web])
    until(server, lambda: health(elbv2, tg) == {i: "healthy" for i in web}, "both web instances healthy", 10)
    shown = aws("elbv2", "describe-target-health", "--target-group-arn", tg)["TargetHealthDescriptions"]
    assert sorted(t["Target"]["Id"] for t in shown) == sorted(web)

    # --- notifications: an SNS topic delivering into an SQS queue
    topic = aws("sns", "create-topic", "--name", "lab-scaling")["TopicArn"]
    queue = aws("sqs", "create-queue", "--queue-name", "lab-scaling")["QueueUrl"]
    queue_arn = aws("sqs", "get-queue-attributes", "--queue-url", queue, "--attribute-names",
                    "QueueArn")["Attributes"]["QueueArn"]
    aws("sns", "subscribe", "--topic-arn", topic, "--protocol", "sqs", "--notification-endpoint", queue_arn,
        "--attributes", "RawMessageDelivery=false")

    # --- the Auto Scaling group on a launch template, in the target group
    lt_data = json.dumps({"ImageId": ami, "InstanceType": "t3.micro", "SecurityGroupIds": [web_sg]})
    aws("ec2", "create-launch-template", "--launch-template-name", "lab-web", "--launch-template-data", lt_data)
    aws("autoscaling", "create-auto-scaling-group", "--auto-scaling-group-name", "lab-asg",
        "--launch-template", "LaunchTemplateName=lab-web,Version=$Latest", "--min-size", "2", "--max-size", "4",
        "--desired-capacity", "2", "--vpc-zone-identifier", ",".join(subnets), "--target-group-arns", tg,
        "--health-check-type", "ELB", "--health-check-grace-period", "60")
    aws("autoscaling", "put-notification-configuration", "--auto-scaling-group-name", "lab-asg",
        "--topic-arn", topic, "--notification-types", "autoscaling:EC2_INSTANCE_LAUNCH",
        "autoscaling:EC2_INSTANCE_TERMINATE")
    members = until(server, lambda: len(in_service(asg, "lab-asg")) == 2 and in_service(asg, "lab-asg"),
                    "two instances in service", 10)
    described = ec2.describe_instances(InstanceIds=members)["Reservations"]
    placed = [i for r in described for i in r["Instances"]]
    assert sorted(i["Placement"]["AvailabilityZone"] for i in placed) == sorted(zones)
    assert all({"Key": "aws:autoscaling:groupName", "Value": "lab-asg"} in i["Tags"] for i in placed)
    until(server, lambda: all(health(elbv2, tg).get(i) == "healthy" for i in members),
          "the group's instances healthy in the target group", 10)
    assert len(health(elbv2, tg)) == 4

    # --- target tracking: the policy creates and owns its two alarms
    policy = aws("autoscaling", "put-scaling-policy", "--auto-scaling-group-name", "lab-asg",
                 "--policy-name", "cpu50", "--policy-type", "TargetTrackingScaling",
                 "--target-tracking-configuration",
                 json.dumps({"PredefinedMetricSpecification": {"PredefinedMetricType": "ASGAverageCPUUtilization"},
                             "TargetValue": 50.0}))
    alarm_names = sorted(a["AlarmName"] for a in policy["Alarms"])
    assert len(alarm_names) == 2
    assert alarm_names[0].startswith("TargetTracking-lab-asg-AlarmHigh-")
    assert alarm_names[1].startswith("TargetTracking-lab-asg-AlarmLow-")
    alarms = aws("cloudwatch", "describe-alarms", "--alarm-names", *alarm_names)["MetricAlarms"]
    high = next(a for a in alarms if "AlarmHigh" in a["AlarmName"])
    assert high["MetricName"] == "CPUUtilization" and high["Namespace"] == "AWS/EC2"
    assert high["Dimensions"] == [{"Name": "AutoScalingGroupName", "Value": "lab-asg"}]
    assert high["Threshold"] == 50.0 and high["ComparisonOperator"] == "GreaterThanThreshold"
    assert high["AlarmActions"] == [policy["PolicyARN"]]

    # --- load: the group's instances run hot; the high alarm fires and the group grows to its max
    drain(sqs, queue)
    aws("ec2", "create-tags", "--resources", *members, "--tags", f"Key={CPU_TAG},Value=90")
    until(server, lambda: group(asg, "lab-asg")["DesiredCapacity"] == 4, "scale-out to 4")
    state = aws("cloudwatch", "describe-alarms", "--alarm-names", high["AlarmName"])["MetricAlarms"][0]
    assert state["StateValue"] == "ALARM"
    grown = until(server, lambda: len(in_service(asg, "lab-asg")) == 4 and in_service(asg, "lab-asg"),
                  "four instances in service", 10)
    activities = aws("autoscaling", "describe-scaling-activities", "--auto-scaling-group-name",
                     "lab-asg")["Activities"]
    assert any(high["AlarmName"] in a["Cause"] and "changing the desired capacity from 2 to 4" in a["Cause"]
               for a in activities), [a["Cause"] for a in activities]
    until(server, lambda: all(health(elbv2, tg).get(i) == "healthy" for i in grown),
          "new instances healthy in the target group", 10)
    launches = announced(sqs, queue, "autoscaling:EC2_INSTANCE_LAUNCH", 2)
    assert sorted(e["EC2InstanceId"] for e in launches) == sorted(set(grown) - set(members))
    assert all(e["AutoScalingGroupName"] == "lab-asg" for e in launches)

    # --- the load stops: the low alarm fires and the group shrinks back to its minimum
    aws("ec2", "delete-tags", "--resources", *members, "--tags", f"Key={CPU_TAG}")
    until(server, lambda: group(asg, "lab-asg")["DesiredCapacity"] == 2, "scale-in to 2", rounds=60)
    until(server, lambda: len(group(asg, "lab-asg")["Instances"]) == 2, "two instances left", 10, rounds=60)
    terminations = announced(sqs, queue, "autoscaling:EC2_INSTANCE_TERMINATE", 2)
    assert len(terminations) == 2
    left = [i["InstanceId"] for i in group(asg, "lab-asg")["Instances"]]
    zones_left = {i["AvailabilityZone"] for i in group(asg, "lab-asg")["Instances"]}
    assert zones_left == set(zones), "the default termination policy keeps the zones balanced"
    gone = set(grown) - set(left)
    until(server, lambda: not gone & set(health(elbv2, tg)), "terminated instances leave the target group", 60)

    # --- teardown, first in the wrong order
    refused(aws, "ResourceInUse", "elbv2", "delete-target-group", "--target-group-arn", tg)
    refused(aws, "ResourceInUse", "autoscaling", "delete-auto-scaling-group", "--auto-scaling-group-name",
            "lab-asg")
    aws("autoscaling", "delete-auto-scaling-group", "--auto-scaling-group-name", "lab-asg", "--force-delete")
    until(server, lambda: not asg.describe_auto_scaling_groups(AutoScalingGroupNames=["lab-asg"])
          ["AutoScalingGroups"], "the group gone", 10)
    assert not aws("cloudwatch", "describe-alarms", "--alarm-names", *alarm_names)["MetricAlarms"]
    listeners = aws("elbv2", "describe-listeners", "--load-balancer-arn", lb["LoadBalancerArn"])["Listeners"]
    aws("elbv2", "delete-listener", "--listener-arn", listeners[0]["ListenerArn"])
    aws("elbv2", "delete-target-group", "--target-group-arn", tg)
    aws("elbv2", "delete-load-balancer", "--load-balancer-arn", lb["LoadBalancerArn"])
    aws("ec2", "terminate-instances", "--instance-ids", *web)
    aws("ec2", "wait", "instance-terminated", "--instance-ids", *web)


def test_an_alarm_set_by_hand_and_one_fed_by_samples_run_a_simple_policy(server):
    ec2, asg, cw = server.client("ec2"), server.client("autoscaling"), server.client("cloudwatch")
    ami = ec2.describe_images(Owners=["amazon"], Filters=[
        {"Name": "name", "Values": ["al2023-ami-2023*-x86_64"]}])["Images"][0]["ImageId"]
    ec2.create_launch_template(LaunchTemplateName="queue-workers",
                               LaunchTemplateData={"ImageId": ami, "InstanceType": "t3.micro"})
    subnets = [s["SubnetId"] for s in ec2.describe_subnets(Filters=[
        {"Name": "default-for-az", "Values": ["true"]}])["Subnets"]][:2]
    asg.create_auto_scaling_group(AutoScalingGroupName="workers", MinSize=1, MaxSize=3, DesiredCapacity=1,
                                  LaunchTemplate={"LaunchTemplateName": "queue-workers"},
                                  VPCZoneIdentifier=",".join(subnets))
    until(server, lambda: len(in_service(asg, "workers")) == 1, "one worker in service", 10)
    server.advance(300)  # the group's default cooldown after its first launch
    up = asg.put_scaling_policy(AutoScalingGroupName="workers", PolicyName="add-one",
                                PolicyType="SimpleScaling", AdjustmentType="ChangeInCapacity",
                                ScalingAdjustment=1, Cooldown=60)["PolicyARN"]
    cw.put_metric_alarm(AlarmName="backlog-high", Namespace="Lab", MetricName="Backlog", Statistic="Maximum",
                        Period=60, EvaluationPeriods=1, Threshold=100.0,
                        ComparisonOperator="GreaterThanThreshold", AlarmActions=[up])

    # By hand: one run of the policy.
    cw.set_alarm_state(AlarmName="backlog-high", StateValue="ALARM", StateReason="testing the policy")
    until(server, lambda: group(asg, "workers")["DesiredCapacity"] == 2, "desired 2", 10)

    def caused_by_alarm():
        acts = asg.describe_scaling_activities(AutoScalingGroupName="workers")["Activities"]
        return any("monitor alarm backlog-high in state ALARM triggered policy add-one changing the desired "
                   "capacity from 1 to 2" in a["Cause"] for a in acts)

    until(server, caused_by_alarm, "an activity naming the alarm and the policy", 10)
    history = cw.describe_alarm_history(AlarmName="backlog-high", HistoryItemType="Action")["AlarmHistoryItems"]
    assert any("add-one" in h["HistorySummary"] for h in history), history

    # Fed by samples: the alarm stays in ALARM and the policy runs again after its cooldown, up to the max.
    def breach():
        cw.put_metric_data(Namespace="Lab", MetricData=[{"MetricName": "Backlog", "Value": 500.0,
                                                         "Timestamp": server.now()}])
        return group(asg, "workers")["DesiredCapacity"] == 3

    until(server, breach, "desired 3 (the max)", 30)
    for _ in range(4):
        breach()
        server.advance(60)
    assert group(asg, "workers")["DesiredCapacity"] == 3
    until(server, lambda: len(in_service(asg, "workers")) == 3, "three workers in service", 10)
