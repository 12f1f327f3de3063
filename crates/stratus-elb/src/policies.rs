//! The policy types Classic ELB knows, with their attributes, and the
//! predefined SSL negotiation policies DescribeLoadBalancerPolicies lists
//! when no load balancer is named.

/// (attribute, type, cardinality, default, description)
pub type AttributeType = (
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static str,
);

pub struct PolicyType {
    pub name: &'static str,
    pub description: &'static str,
    pub attributes: &'static [AttributeType],
    /// SSL negotiation policies also take any cipher name as an attribute.
    pub open: bool,
}

pub const SSL_NEGOTIATION: &str = "SSLNegotiationPolicyType";
pub const LB_COOKIE: &str = "LBCookieStickinessPolicyType";
pub const APP_COOKIE: &str = "AppCookieStickinessPolicyType";
pub const PROXY_PROTOCOL: &str = "ProxyProtocolPolicyType";
pub const BACKEND_AUTH: &str = "BackendServerAuthenticationPolicyType";
pub const PUBLIC_KEY: &str = "PublicKeyPolicyType";

/// The default policy an HTTPS or SSL listener gets.
pub const DEFAULT_SECURITY_POLICY: &str = "ELBSecurityPolicy-2016-08";

pub const TYPES: &[PolicyType] = &[
    PolicyType {
        name: SSL_NEGOTIATION,
        description: "Listener policy that defines the ciphers and protocols that will be accepted by the load balancer. This policy can be associated only with HTTPS/SSL listeners.",
        attributes: &[
            (
                "Reference-Security-Policy",
                "String",
                "ZERO_OR_ONE",
                None,
                "The name of a predefined security policy to use.",
            ),
            (
                "Protocol-TLSv1",
                "Boolean",
                "ZERO_OR_ONE",
                Some("false"),
                "",
            ),
            (
                "Protocol-TLSv1.1",
                "Boolean",
                "ZERO_OR_ONE",
                Some("false"),
                "",
            ),
            (
                "Protocol-TLSv1.2",
                "Boolean",
                "ZERO_OR_ONE",
                Some("true"),
                "",
            ),
            (
                "Server-Defined-Cipher-Order",
                "Boolean",
                "ZERO_OR_ONE",
                Some("true"),
                "",
            ),
        ],
        open: true,
    },
    PolicyType {
        name: LB_COOKIE,
        description: "Stickiness policy with session lifetimes controlled by the browser (user-agent) or a specified expiration period. This policy can be associated only with HTTP/HTTPS listeners.",
        attributes: &[(
            "CookieExpirationPeriod",
            "Long",
            "ZERO_OR_ONE",
            Some("0"),
            "",
        )],
        open: false,
    },
    PolicyType {
        name: APP_COOKIE,
        description: "Stickiness policy with session lifetimes controlled by the lifetime of the application-generated cookie. This policy can be associated only with HTTP/HTTPS listeners.",
        attributes: &[("CookieName", "String", "ONE", None, "")],
        open: false,
    },
    PolicyType {
        name: PROXY_PROTOCOL,
        description: "Policy that controls whether to include the IP address and port of the originating request for TCP messages. This policy operates on TCP/SSL listeners only",
        attributes: &[("ProxyProtocol", "Boolean", "ONE", None, "")],
        open: false,
    },
    PolicyType {
        name: BACKEND_AUTH,
        description: "Policy that controls authentication to back-end server(s) and contains one or more policies, such as an instance of a PublicKeyPolicyType. This policy can be associated only with back-end servers that are using HTTPS/SSL.",
        attributes: &[("PublicKeyPolicyName", "PolicyName", "ONE_OR_MORE", None, "")],
        open: false,
    },
    PolicyType {
        name: PUBLIC_KEY,
        description: "Policy containing a list of public keys to accept when authenticating the back-end server(s). This policy cannot be applied directly to back-end servers or listeners but must be part of a BackendServerAuthenticationPolicyType.",
        attributes: &[("PublicKey", "String", "ONE", None, "")],
        open: false,
    },
];

pub fn policy_type(name: &str) -> Option<&'static PolicyType> {
    TYPES.iter().find(|t| t.name == name)
}

/// The predefined SSL negotiation policies: (name, enabled protocols).
pub const PREDEFINED: &[(&str, &[&str])] = &[
    (
        "ELBSecurityPolicy-2016-08",
        &["Protocol-TLSv1", "Protocol-TLSv1.1", "Protocol-TLSv1.2"],
    ),
    ("ELBSecurityPolicy-TLS-1-2-2017-01", &["Protocol-TLSv1.2"]),
    (
        "ELBSecurityPolicy-TLS-1-1-2017-01",
        &["Protocol-TLSv1.1", "Protocol-TLSv1.2"],
    ),
    (
        "ELBSecurityPolicy-2015-05",
        &["Protocol-TLSv1", "Protocol-TLSv1.1", "Protocol-TLSv1.2"],
    ),
    (
        "ELBSample-ELBDefaultNegotiationPolicy",
        &["Protocol-TLSv1", "Protocol-TLSv1.1", "Protocol-TLSv1.2"],
    ),
];

/// A predefined policy's attributes as DescribeLoadBalancerPolicies lists
/// them: every protocol with true or false, and the cipher order.
pub fn predefined_attributes(name: &str) -> Option<Vec<(String, String)>> {
    let (_, enabled) = PREDEFINED.iter().find(|(n, _)| *n == name)?;
    let mut out: Vec<(String, String)> = ["Protocol-TLSv1", "Protocol-TLSv1.1", "Protocol-TLSv1.2"]
        .iter()
        .map(|p| (p.to_string(), enabled.contains(p).to_string()))
        .collect();
    out.push(("Server-Defined-Cipher-Order".into(), "true".into()));
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_security_policy_is_predefined_with_tls_1_2() {
        let attrs = predefined_attributes(DEFAULT_SECURITY_POLICY).unwrap();
        assert!(attrs.contains(&("Protocol-TLSv1.2".into(), "true".into())));
        let strict = predefined_attributes("ELBSecurityPolicy-TLS-1-2-2017-01").unwrap();
        assert!(strict.contains(&("Protocol-TLSv1".into(), "false".into())));
        assert!(predefined_attributes("nope").is_none());
        assert!(policy_type(PROXY_PROTOCOL).is_some());
        assert!(policy_type("Nope").is_none());
    }
}
