//! The resources an EC2 request acts on, as IAM authorizes them
//! (`arn:aws:ec2:REGION:ACCOUNT:instance/i-...`, following the Service
//! Authorization Reference). Describe operations support no resource-level
//! permissions and are authorized on `*`; other operations name the
//! resources whose ids they carry, and creating operations the new
//! resource's type (`volume/*`).

use stratus_core::Identity;
use stratus_protocol::Value;

/// The resource type an id's prefix names.
fn kind_of(id: &str) -> Option<&'static str> {
    const PREFIXES: &[(&str, &str)] = &[
        ("i-", "instance"),
        ("vol-", "volume"),
        ("sg-", "security-group"),
        ("subnet-", "subnet"),
        ("vpc-", "vpc"),
        ("ami-", "image"),
        ("snap-", "snapshot"),
        ("eni-", "network-interface"),
        ("igw-", "internet-gateway"),
        ("eigw-", "egress-only-internet-gateway"),
        ("rtb-", "route-table"),
        ("acl-", "network-acl"),
        ("eipalloc-", "elastic-ip"),
        ("nat-", "natgateway"),
        ("lt-", "launch-template"),
        ("key-", "key-pair"),
        ("dopt-", "dhcp-options"),
        ("vpce-", "vpc-endpoint"),
        ("pcx-", "vpc-peering-connection"),
        ("pl-", "prefix-list"),
        ("fl-", "vpc-flow-log"),
    ];
    PREFIXES
        .iter()
        .find(|(p, _)| id.starts_with(p) && id.len() > p.len())
        .map(|(_, k)| *k)
}

/// What a creating operation makes, authorized as `TYPE/*`.
fn created(op: &str) -> &'static [&'static str] {
    match op {
        "RunInstances" => &["instance", "volume", "network-interface"],
        "CreateVolume" => &["volume"],
        "CreateSnapshot" | "CopySnapshot" => &["snapshot"],
        "CreateImage" | "CopyImage" | "RegisterImage" => &["image"],
        "CreateSecurityGroup" => &["security-group"],
        "CreateSubnet" => &["subnet"],
        "CreateVpc" => &["vpc"],
        "CreateInternetGateway" => &["internet-gateway"],
        "CreateEgressOnlyInternetGateway" => &["egress-only-internet-gateway"],
        "CreateRouteTable" => &["route-table"],
        "CreateNetworkAcl" => &["network-acl"],
        "CreateNetworkInterface" => &["network-interface"],
        "CreateNatGateway" => &["natgateway"],
        "CreateLaunchTemplate" => &["launch-template"],
        "CreateDhcpOptions" => &["dhcp-options"],
        "CreateVpcEndpoint" => &["vpc-endpoint"],
        "CreateVpcPeeringConnection" => &["vpc-peering-connection"],
        "CreateManagedPrefixList" => &["prefix-list"],
        "CreateFlowLogs" => &["vpc-flow-log"],
        "AllocateAddress" => &["elastic-ip"],
        _ => &[],
    }
}

pub fn for_operation(caller: &Identity, region: &str, op: &str, input: &Value) -> Vec<String> {
    if op.starts_with("Describe") || (op.starts_with("Get") && op != "GetConsoleOutput") {
        return Vec::new();
    }
    let account = caller.account_id.as_str();
    let arn = |kind: &str, id: &str| {
        // Images and snapshots are named without an account.
        let owner = if matches!(kind, "image" | "snapshot") {
            ""
        } else {
            account
        };
        format!("arn:aws:ec2:{region}:{owner}:{kind}/{id}")
    };
    let mut arns: Vec<String> = created(op).iter().map(|k| arn(k, "*")).collect();
    let mut add = |id: &str| {
        if let Some(kind) = kind_of(id) {
            let a = arn(kind, id);
            if !arns.contains(&a) {
                arns.push(a);
            }
        }
    };
    if let Value::Map(m) = input {
        for (name, v) in m {
            let ids = name.ends_with("Id") || name.ends_with("Ids") || name == "Resources";
            match v {
                Value::String(id) if ids => add(id),
                Value::List(items) if ids => {
                    items.iter().filter_map(Value::as_str).for_each(&mut add);
                }
                _ => {}
            }
        }
    }
    if let Some(key) = input.str_member("KeyName") {
        let a = arn("key-pair", key);
        if !arns.contains(&a) {
            arns.push(a);
        }
    }
    arns
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Value {
        Value::String(v.to_string())
    }

    fn list(items: &[&str]) -> Value {
        Value::List(items.iter().map(|i| s(i)).collect())
    }

    fn map(pairs: Vec<(&str, Value)>) -> Value {
        let mut v = Value::map();
        for (k, x) in pairs {
            v.insert(k, x);
        }
        v
    }

    #[test]
    fn operations_name_their_resources() {
        let caller = Identity::root("111122223333", "AKIAEXAMPLE");
        let r = |kind: &str, id: &str| format!("arn:aws:ec2:us-east-1:111122223333:{kind}/{id}");
        let cases: Vec<(&str, Value, Vec<String>)> = vec![
            (
                "DescribeInstances",
                map(vec![("InstanceIds", list(&["i-0abc"]))]),
                vec![],
            ),
            (
                "TerminateInstances",
                map(vec![("InstanceIds", list(&["i-0abc", "i-0def"]))]),
                vec![r("instance", "i-0abc"), r("instance", "i-0def")],
            ),
            (
                "StopInstances",
                map(vec![
                    ("InstanceIds", list(&["i-0abc"])),
                    ("Force", Value::Bool(true)),
                ]),
                vec![r("instance", "i-0abc")],
            ),
            (
                "RunInstances",
                map(vec![
                    ("ImageId", s("ami-0123")),
                    ("SubnetId", s("subnet-01")),
                    ("SecurityGroupIds", list(&["sg-01", "sg-02"])),
                    ("KeyName", s("dev")),
                ]),
                vec![
                    r("instance", "*"),
                    r("volume", "*"),
                    r("network-interface", "*"),
                    "arn:aws:ec2:us-east-1::image/ami-0123".into(),
                    r("security-group", "sg-01"),
                    r("security-group", "sg-02"),
                    r("subnet", "subnet-01"),
                    r("key-pair", "dev"),
                ],
            ),
            (
                "AttachVolume",
                map(vec![
                    ("VolumeId", s("vol-01")),
                    ("InstanceId", s("i-01")),
                    ("Device", s("/dev/sdf")),
                ]),
                vec![r("instance", "i-01"), r("volume", "vol-01")],
            ),
            (
                "CreateSecurityGroup",
                map(vec![("GroupName", s("web")), ("VpcId", s("vpc-01"))]),
                vec![r("security-group", "*"), r("vpc", "vpc-01")],
            ),
            (
                "AuthorizeSecurityGroupIngress",
                map(vec![("GroupId", s("sg-01"))]),
                vec![r("security-group", "sg-01")],
            ),
            (
                "DeleteSubnet",
                map(vec![("SubnetId", s("subnet-01"))]),
                vec![r("subnet", "subnet-01")],
            ),
            (
                "CreateSnapshot",
                map(vec![("VolumeId", s("vol-01"))]),
                vec![
                    "arn:aws:ec2:us-east-1::snapshot/*".into(),
                    r("volume", "vol-01"),
                ],
            ),
            (
                "CreateTags",
                map(vec![("Resources", list(&["i-01", "vpc-01"]))]),
                vec![r("instance", "i-01"), r("vpc", "vpc-01")],
            ),
            (
                "DeleteKeyPair",
                map(vec![("KeyName", s("dev"))]),
                vec![r("key-pair", "dev")],
            ),
            (
                "GetConsoleOutput",
                map(vec![("InstanceId", s("i-01"))]),
                vec![r("instance", "i-01")],
            ),
            ("GetEbsEncryptionByDefault", Value::map(), vec![]),
        ];
        for (op, inp, want) in cases {
            assert_eq!(for_operation(&caller, "us-east-1", op, &inp), want, "{op}");
        }
    }
}
