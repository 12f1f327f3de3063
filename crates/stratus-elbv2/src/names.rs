//! ARNs, names, DNS names and hosted zone ids, shaped as AWS shapes them.

use stratus_core::{AwsError, ids};

use crate::errors::validation;

pub const SERVICE: &str = "elasticloadbalancing";

/// The ARN path segment of a load balancer type.
pub fn type_segment(kind: &str) -> &'static str {
    match kind {
        "network" => "net",
        "gateway" => "gwy",
        _ => "app",
    }
}

fn prefix(region: &str, account: &str) -> String {
    format!("arn:aws:{SERVICE}:{region}:{account}")
}

pub fn lb_arn(region: &str, account: &str, kind: &str, name: &str) -> String {
    format!(
        "{}:loadbalancer/{}/{name}/{}",
        prefix(region, account),
        type_segment(kind),
        ids::hex(16)
    )
}

pub fn tg_arn(region: &str, account: &str, name: &str) -> String {
    format!(
        "{}:targetgroup/{name}/{}",
        prefix(region, account),
        ids::hex(16)
    )
}

/// `listener/app/NAME/LBID/ID`, from the load balancer's ARN.
pub fn listener_arn(lb_arn: &str) -> String {
    format!(
        "{}/{}",
        lb_arn.replacen(":loadbalancer/", ":listener/", 1),
        ids::hex(16)
    )
}

/// `listener-rule/app/NAME/LBID/LISTENERID/ID`, from the listener's ARN.
pub fn rule_arn(listener_arn: &str) -> String {
    format!(
        "{}/{}",
        listener_arn.replacen(":listener/", ":listener-rule/", 1),
        ids::hex(16)
    )
}

/// The resource kind an ELBv2 ARN names (`loadbalancer`, `targetgroup`,
/// `listener`, `listener-rule`), or None when it is not one.
pub fn arn_kind(arn: &str) -> Option<&str> {
    let mut parts = arn.splitn(6, ':');
    let (Some("arn"), Some(_), Some(SERVICE), Some(_), Some(_), Some(res)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return None;
    };
    res.split_once('/').map(|(k, _)| k)
}

pub fn check_arn(arn: &str, kind: &str, what: &str) -> Result<(), AwsError> {
    if arn_kind(arn) == Some(kind) {
        Ok(())
    } else {
        Err(validation(format!("'{arn}' is not a valid {what} ARN")))
    }
}

/// The DNS name: `NAME-ID.REGION.elb.localhost`, `internal-` first for
/// internal schemes. Application load balancers get a decimal id as on
/// AWS, the others sixteen hex digits.
pub fn dns_name(name: &str, kind: &str, scheme: &str, region: &str) -> String {
    let id = if kind == "application" {
        let n = u64::from_str_radix(&ids::hex(8), 16).unwrap_or(1);
        (n % 9_000_000_000 + 1_000_000_000).to_string()
    } else {
        ids::hex(16)
    };
    let internal = if scheme == "internal" {
        "internal-"
    } else {
        ""
    };
    format!("{internal}{name}-{id}.{region}.elb.localhost")
}

/// Route 53 hosted zone ids of load balancers, per region and type, as AWS
/// publishes them; unknown regions get the us-east-1 ones.
pub fn hosted_zone_id(region: &str, kind: &str) -> &'static str {
    const ALB: &[(&str, &str)] = &[
        ("us-east-1", "Z35SXDOTRQ7X7K"),
        ("us-east-2", "Z3AADJGX6KTTL2"),
        ("us-west-1", "Z368ELLRRE2KJ0"),
        ("us-west-2", "Z1H1FL5HABSF5"),
        ("ca-central-1", "ZQSVJUPU6J1EY"),
        ("eu-central-1", "Z215JYRZR1TBD5"),
        ("eu-west-1", "Z32O12XQLNTSW2"),
        ("eu-west-2", "ZHURV8PSTC4K8"),
        ("eu-west-3", "Z3Q77PNBQS71R4"),
        ("eu-north-1", "Z23TAZ6LKFMNIO"),
        ("eu-south-1", "Z3ULH7SSC9OV64"),
        ("ap-northeast-1", "Z14GRHDCWA56QT"),
        ("ap-northeast-2", "ZWKZPGTI48KDX"),
        ("ap-northeast-3", "Z5LXEXXYW11ES"),
        ("ap-southeast-1", "Z1LMS91P8CMLE5"),
        ("ap-southeast-2", "Z1GM3OXH4ZPM65"),
        ("ap-south-1", "ZP97RAFLXTNZK"),
        ("ap-east-1", "Z3DQVH9N71FHZ0"),
        ("sa-east-1", "Z2P70J7HTTTPLU"),
        ("me-south-1", "ZS929ML54UICD"),
        ("af-south-1", "Z268VQBMOI5EKX"),
    ];
    const NLB: &[(&str, &str)] = &[
        ("us-east-1", "Z26RNL4JYFTOTI"),
        ("us-east-2", "ZLMOA37VPKANP"),
        ("us-west-1", "Z24FKFUX50B4VW"),
        ("us-west-2", "Z18D5FSROUN65G"),
        ("ca-central-1", "Z2EPGBW3API2WT"),
        ("eu-central-1", "Z3F0SRJ5LGBH90"),
        ("eu-west-1", "Z2IFOLAFXWLO4F"),
        ("eu-west-2", "ZD4D7Y8KGAS4G"),
        ("eu-west-3", "Z1CMS0P5QUZ6D5"),
        ("eu-north-1", "Z1UDT6IFJ4EJM"),
        ("eu-south-1", "Z23146JA1KNAFP"),
        ("ap-east-1", "Z12Y7K3UBGUAD1"),
        ("ap-northeast-3", "Z1GWIQ4HH19I5X"),
        ("me-south-1", "Z3QSRYVP46NYYV"),
        ("af-south-1", "Z203XCE67M25HM"),
        ("ap-northeast-1", "Z31USIVHYNEOWT"),
        ("ap-northeast-2", "ZIBE1TIR4HY56"),
        ("ap-southeast-1", "ZKVM4W9LS7TM"),
        ("ap-southeast-2", "ZCT6FZBF4DROD"),
        ("ap-south-1", "ZVDDRBQ08TROA"),
        ("sa-east-1", "ZTK26PT1VY4CU"),
    ];
    let table = if kind == "application" { ALB } else { NLB };
    table
        .iter()
        .find(|(r, _)| *r == region)
        .unwrap_or(&table[0])
        .1
}

/// Load balancer and target group names: up to 32 alphanumerics and
/// hyphens, no hyphen at either end.
pub fn check_name(what: &str, name: &str) -> Result<(), AwsError> {
    if name.chars().count() > 32 {
        return Err(validation(format!(
            "{what} name '{name}' cannot be longer than '32' characters"
        )));
    }
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(validation(format!(
            "{what} name '{name}' can only contain characters that are alphanumeric characters or hyphens(-)"
        )));
    }
    if name.starts_with('-') || name.ends_with('-') {
        return Err(validation(format!(
            "{what} name '{name}' cannot begin or end with '-' character"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_names_have_aws_shape_under_elb_localhost() {
        let d = dns_name("web", "application", "internet-facing", "us-east-1");
        let (host, rest) = d.split_once('.').unwrap();
        assert_eq!(rest, "us-east-1.elb.localhost");
        let (name, id) = host.rsplit_once('-').unwrap();
        assert_eq!(name, "web");
        assert_eq!(id.len(), 10);
        assert!(id.chars().all(|c| c.is_ascii_digit()));

        let d = dns_name("my-nlb", "network", "internal", "eu-west-1");
        assert!(d.starts_with("internal-my-nlb-"), "{d}");
        assert!(d.ends_with(".eu-west-1.elb.localhost"), "{d}");
        let id = d.split('.').next().unwrap().rsplit('-').next().unwrap();
        assert_eq!(id.len(), 16);
        assert!(id.chars().all(|c| c.is_ascii_hexdigit()));
    }

    #[test]
    fn arns_nest_listener_and_rule_under_their_load_balancer() {
        let lb = lb_arn("us-east-1", "123456789012", "application", "web");
        assert!(lb.starts_with(
            "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/"
        ));
        let l = listener_arn(&lb);
        assert!(l.starts_with(&lb.replace(":loadbalancer/", ":listener/")));
        assert_eq!(arn_kind(&l), Some("listener"));
        let r = rule_arn(&l);
        assert_eq!(arn_kind(&r), Some("listener-rule"));
        assert_eq!(r.split('/').count(), 6);
        assert_eq!(arn_kind("not-a/real/arn"), None);
        assert_eq!(
            arn_kind(&tg_arn("us-east-1", "123456789012", "tg")),
            Some("targetgroup")
        );
    }

    #[test]
    fn names_follow_aws_rules() {
        assert!(check_name("Target group", "web-1").is_ok());
        assert!(check_name("Target group", &"a".repeat(33)).is_err());
        assert!(check_name("Target group", "a.b").is_err());
        assert!(check_name("Load balancer", "-a").is_err());
        assert_eq!(hosted_zone_id("us-east-1", "application"), "Z35SXDOTRQ7X7K");
        assert_eq!(hosted_zone_id("us-east-1", "network"), "Z26RNL4JYFTOTI");
    }
}
