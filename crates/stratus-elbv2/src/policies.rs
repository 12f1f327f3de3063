//! Predefined TLS security policies (DescribeSSLPolicies) and the account's
//! default quotas (DescribeAccountLimits), as AWS lists them.

/// The policy HTTPS and TLS listeners get when none is named.
pub const DEFAULT_SSL_POLICY: &str = "ELBSecurityPolicy-TLS13-1-2-2021-06";

const TLS13: &[&str] = &[
    "TLS_AES_128_GCM_SHA256",
    "TLS_AES_256_GCM_SHA384",
    "TLS_CHACHA20_POLY1305_SHA256",
];

const ECDHE_GCM: &[&str] = &[
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-RSA-AES256-GCM-SHA384",
];

const ECDHE_SHA2: &[&str] = &[
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES128-SHA256",
    "ECDHE-RSA-AES128-SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-AES256-SHA384",
    "ECDHE-RSA-AES256-SHA384",
];

const ECDHE_ALL: &[&str] = &[
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES128-SHA256",
    "ECDHE-RSA-AES128-SHA256",
    "ECDHE-ECDSA-AES128-SHA",
    "ECDHE-RSA-AES128-SHA",
    "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-AES256-SHA384",
    "ECDHE-RSA-AES256-SHA384",
    "ECDHE-RSA-AES256-SHA",
    "ECDHE-ECDSA-AES256-SHA",
];

const RSA_SHA2: &[&str] = &[
    "AES128-GCM-SHA256",
    "AES128-SHA256",
    "AES256-GCM-SHA384",
    "AES256-SHA256",
];

const RSA_ALL: &[&str] = &[
    "AES128-GCM-SHA256",
    "AES128-SHA256",
    "AES128-SHA",
    "AES256-GCM-SHA384",
    "AES256-SHA256",
    "AES256-SHA",
];

pub struct Policy {
    pub name: &'static str,
    pub protocols: &'static [&'static str],
    pub ciphers: Vec<&'static str>,
}

fn p(name: &'static str, protocols: &'static [&'static str], parts: &[&[&'static str]]) -> Policy {
    Policy {
        name,
        protocols,
        ciphers: parts.iter().flat_map(|c| c.iter().copied()).collect(),
    }
}

/// Every predefined policy, newest first as the console lists them.
pub fn ssl_policies() -> Vec<Policy> {
    const T10: &[&str] = &["TLSv1", "TLSv1.1", "TLSv1.2"];
    const T11: &[&str] = &["TLSv1.1", "TLSv1.2"];
    const T12: &[&str] = &["TLSv1.2"];
    const T13_10: &[&str] = &["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"];
    const T13_11: &[&str] = &["TLSv1.1", "TLSv1.2", "TLSv1.3"];
    const T13_12: &[&str] = &["TLSv1.2", "TLSv1.3"];
    const T13: &[&str] = &["TLSv1.3"];
    vec![
        p(
            "ELBSecurityPolicy-TLS13-1-2-2021-06",
            T13_12,
            &[TLS13, ECDHE_SHA2],
        ),
        p(
            "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
            T13_12,
            &[TLS13, ECDHE_GCM],
        ),
        p(
            "ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06",
            T13_12,
            &[TLS13, ECDHE_SHA2, RSA_SHA2],
        ),
        p(
            "ELBSecurityPolicy-TLS13-1-2-Ext2-2021-06",
            T13_12,
            &[TLS13, ECDHE_ALL, RSA_ALL],
        ),
        p(
            "ELBSecurityPolicy-TLS13-1-1-2021-06",
            T13_11,
            &[TLS13, ECDHE_ALL, RSA_ALL],
        ),
        p(
            "ELBSecurityPolicy-TLS13-1-0-2021-06",
            T13_10,
            &[TLS13, ECDHE_ALL, RSA_ALL],
        ),
        p("ELBSecurityPolicy-TLS13-1-3-2021-06", T13, &[TLS13]),
        p(
            "ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04",
            T13_12,
            &[&TLS13[..2], ECDHE_SHA2],
        ),
        p("ELBSecurityPolicy-2016-08", T10, &[ECDHE_ALL, RSA_ALL]),
        p(
            "ELBSecurityPolicy-TLS-1-0-2015-04",
            T10,
            &[ECDHE_ALL, RSA_ALL, &["DES-CBC3-SHA"]],
        ),
        p(
            "ELBSecurityPolicy-TLS-1-1-2017-01",
            T11,
            &[ECDHE_ALL, RSA_ALL],
        ),
        p(
            "ELBSecurityPolicy-TLS-1-2-2017-01",
            T12,
            &[ECDHE_SHA2, RSA_SHA2],
        ),
        p(
            "ELBSecurityPolicy-TLS-1-2-Ext-2018-06",
            T12,
            &[ECDHE_ALL, RSA_ALL],
        ),
        p("ELBSecurityPolicy-FS-2018-06", T10, &[ECDHE_ALL]),
        p("ELBSecurityPolicy-FS-1-1-2019-08", T11, &[ECDHE_ALL]),
        p("ELBSecurityPolicy-FS-1-2-2019-08", T12, &[ECDHE_ALL]),
        p("ELBSecurityPolicy-FS-1-2-Res-2019-08", T12, &[ECDHE_SHA2]),
        p("ELBSecurityPolicy-FS-1-2-Res-2020-10", T12, &[ECDHE_GCM]),
        p("ELBSecurityPolicy-2015-05", T10, &[ECDHE_ALL, RSA_ALL]),
    ]
}

pub fn ssl_policy_exists(name: &str) -> bool {
    ssl_policies().iter().any(|p| p.name == name)
}

/// DescribeAccountLimits: AWS's default quotas, in its order.
pub const LIMITS: &[(&str, &str)] = &[
    ("application-load-balancers", "50"),
    ("listeners-per-application-load-balancer", "50"),
    ("listeners-per-network-load-balancer", "50"),
    ("network-load-balancers", "50"),
    ("rules-per-application-load-balancer", "100"),
    ("target-groups", "3000"),
    ("targets-per-application-load-balancer", "1000"),
    (
        "targets-per-availability-zone-per-network-load-balancer",
        "500",
    ),
    ("targets-per-network-load-balancer", "3000"),
    ("target-groups-per-application-load-balancer", "100"),
    ("target-groups-per-action-on-application-load-balancer", "5"),
    ("target-groups-per-action-on-network-load-balancer", "1"),
    ("certificates-per-application-load-balancer", "25"),
    ("certificates-per-network-load-balancer", "25"),
    ("condition-values-per-alb-rule", "5"),
    ("condition-wildcards-per-alb-rule", "5"),
    ("gateway-load-balancers", "100"),
    ("gateway-load-balancers-per-vpc", "100"),
    ("geneve-target-groups", "100"),
    (
        "targets-per-availability-zone-per-gateway-load-balancer",
        "300",
    ),
];

pub fn limit(name: &str) -> usize {
    LIMITS
        .iter()
        .find(|(n, _)| *n == name)
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(usize::MAX)
}
