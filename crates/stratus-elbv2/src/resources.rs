//! The load balancers, target groups, listeners and rules an ELBv2 request
//! acts on, as IAM authorizes them: the ARNs it carries, and for creation
//! the new resource's ARN with `*` for its id. Describe operations support
//! no resource-level permissions.

use stratus_core::Identity;
use stratus_protocol::Value;

pub fn for_operation(caller: &Identity, region: &str, op: &str, input: &Value) -> Vec<String> {
    if op.starts_with("Describe") {
        return Vec::new();
    }
    let account = caller.account_id.as_str();
    let mut arns = Vec::new();
    let base = format!("arn:aws:elasticloadbalancing:{region}:{account}");
    match (op, input.str_member("Name")) {
        ("CreateLoadBalancer", Some(name)) => {
            let kind = match input.str_member("Type") {
                Some("network") => "net",
                Some("gateway") => "gwy",
                _ => "app",
            };
            arns.push(format!("{base}:loadbalancer/{kind}/{name}/*"));
        }
        ("CreateTargetGroup", Some(name)) => arns.push(format!("{base}:targetgroup/{name}/*")),
        _ => {}
    }
    if let Value::Map(m) = input {
        for (name, v) in m {
            match v {
                Value::String(a) if name.ends_with("Arn") => arns.push(a.clone()),
                Value::List(items) if name.ends_with("Arns") => {
                    arns.extend(items.iter().filter_map(Value::as_str).map(str::to_string));
                }
                _ => {}
            }
        }
    }
    arns.dedup();
    arns
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Value {
        Value::String(v.to_string())
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
        let b = "arn:aws:elasticloadbalancing:us-east-1:111122223333";
        let lb = format!("{b}:loadbalancer/app/web/50dc6c495c0c9188");
        let tg = format!("{b}:targetgroup/web/73e2d6bc24d8a067");
        let ls = format!("{b}:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2");
        let cases: Vec<(&str, Value, Vec<String>)> = vec![
            (
                "CreateLoadBalancer",
                map(vec![("Name", s("web"))]),
                vec![format!("{b}:loadbalancer/app/web/*")],
            ),
            (
                "CreateLoadBalancer",
                map(vec![("Name", s("nlb")), ("Type", s("network"))]),
                vec![format!("{b}:loadbalancer/net/nlb/*")],
            ),
            (
                "CreateTargetGroup",
                map(vec![("Name", s("web"))]),
                vec![format!("{b}:targetgroup/web/*")],
            ),
            (
                "DeleteLoadBalancer",
                map(vec![("LoadBalancerArn", s(&lb))]),
                vec![lb.clone()],
            ),
            (
                "RegisterTargets",
                map(vec![("TargetGroupArn", s(&tg))]),
                vec![tg.clone()],
            ),
            (
                "CreateListener",
                map(vec![("LoadBalancerArn", s(&lb))]),
                vec![lb.clone()],
            ),
            (
                "ModifyListener",
                map(vec![("ListenerArn", s(&ls))]),
                vec![ls.clone()],
            ),
            (
                "AddTags",
                map(vec![("ResourceArns", Value::List(vec![s(&lb), s(&tg)]))]),
                vec![lb.clone(), tg.clone()],
            ),
            (
                "DescribeTargetHealth",
                map(vec![("TargetGroupArn", s(&tg))]),
                vec![],
            ),
        ];
        for (op, inp, want) in cases {
            assert_eq!(for_operation(&caller, "us-east-1", op, &inp), want, "{op}");
        }
    }
}
