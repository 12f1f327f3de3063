//! ARNs, endpoint addresses and resource ids.

pub fn arn(region: &str, account: &str, kind: &str, id: &str) -> String {
    format!("arn:aws:rds:{region}:{account}:{kind}:{id}")
}

/// The resource an RDS ARN names: (region, account, kind, id).
pub fn parse_arn(arn: &str) -> Option<(&str, &str, &str, &str)> {
    let rest = arn.strip_prefix("arn:")?;
    let mut it = rest.splitn(6, ':');
    let _partition = it.next()?;
    if it.next()? != "rds" {
        return None;
    }
    let region = it.next()?;
    let account = it.next()?;
    let kind = it.next()?;
    let id = it.next()?;
    Some((region, account, kind, id))
}

/// The 12 lower-case letters and digits AWS puts between an instance's
/// identifier and its region: fixed per account and region.
pub fn endpoint_label(account: &str, region: &str) -> String {
    // FNV-1a, stretched over two rounds for 12 base-36 digits.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in account.bytes().chain([b'/']).chain(region.bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut out = String::with_capacity(12);
    let mut x = h;
    for i in 0..12 {
        if i == 6 {
            x = h.rotate_left(29).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
        out.push(ALPHABET[(x % 36) as usize] as char);
        x /= 36;
    }
    // AWS's labels begin with a letter.
    if out.as_bytes()[0].is_ascii_digit() {
        out.replace_range(0..1, "c");
    }
    out
}

pub fn endpoint_address(id: &str, account: &str, region: &str) -> String {
    format!(
        "{}.{}.{region}.rds.localhost",
        id.to_ascii_lowercase(),
        endpoint_label(account, region)
    )
}

/// An Aurora cluster's endpoint (`ID.cluster-LABEL.REGION.rds.localhost`)
/// or, with `reader`, its reader endpoint (`ID.cluster-ro-LABEL...`).
pub fn cluster_endpoint(id: &str, account: &str, region: &str, reader: bool) -> String {
    format!(
        "{}.cluster-{}{}.{region}.rds.localhost",
        id.to_ascii_lowercase(),
        if reader { "ro-" } else { "" },
        endpoint_label(account, region)
    )
}

/// `cluster-` followed by 26 upper-case letters and digits.
pub fn cluster_resource_id() -> String {
    resource_id().replacen("db-", "cluster-", 1)
}

/// `db-` followed by 26 upper-case letters and digits.
pub fn resource_id() -> String {
    const UPPER: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let bytes = stratus_core::ids::random_bytes(26);
    let s: String = bytes
        .iter()
        .map(|b| UPPER[(*b as usize) % UPPER.len()] as char)
        .collect();
    format!("db-{s}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_endpoints_name_the_writer_and_the_readers() {
        let label = endpoint_label("123456789012", "us-east-1");
        assert_eq!(
            cluster_endpoint("Web", "123456789012", "us-east-1", false),
            format!("web.cluster-{label}.us-east-1.rds.localhost")
        );
        assert_eq!(
            cluster_endpoint("web", "123456789012", "us-east-1", true),
            format!("web.cluster-ro-{label}.us-east-1.rds.localhost")
        );
        let rid = cluster_resource_id();
        assert!(rid.starts_with("cluster-") && rid.len() == 34, "{rid}");
    }

    #[test]
    fn endpoint_labels_are_stable_per_account_and_region() {
        let a = endpoint_label("123456789012", "us-east-1");
        assert_eq!(a.len(), 12);
        assert!(
            a.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        );
        assert!(a.as_bytes()[0].is_ascii_lowercase());
        assert_eq!(a, endpoint_label("123456789012", "us-east-1"));
        assert_ne!(a, endpoint_label("123456789012", "eu-west-1"));
        assert_eq!(
            endpoint_address("MyDb", "123456789012", "us-east-1"),
            format!("mydb.{a}.us-east-1.rds.localhost")
        );
    }

    #[test]
    fn arns_round_trip() {
        let a = arn("us-east-1", "123456789012", "db", "mydb");
        assert_eq!(a, "arn:aws:rds:us-east-1:123456789012:db:mydb");
        assert_eq!(
            parse_arn(&a),
            Some(("us-east-1", "123456789012", "db", "mydb"))
        );
        assert_eq!(parse_arn("arn:aws:s3:::bucket"), None);
    }

    #[test]
    fn resource_ids_look_like_aws() {
        let r = resource_id();
        assert!(r.starts_with("db-"));
        assert_eq!(r.len(), 29);
        assert!(
            r[3..]
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        );
    }
}
