//! What a Host header says about an S3 request: the REST API (path or
//! virtual-host style) or a bucket's website endpoint.

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostKind {
    /// `s3.localhost`, `BUCKET.s3.REGION.amazonaws.com`, ...
    Api {
        bucket: Option<String>,
        region: Option<String>,
    },
    /// `BUCKET.s3-website-REGION.localhost`, `BUCKET.s3-website.REGION.amazonaws.com`.
    Website {
        bucket: String,
        region: Option<String>,
    },
    /// Not an S3 host name (`localhost:4566`, `127.0.0.1`, another service's host).
    Other,
}

const BASES: [&str; 3] = ["localhost.localstack.cloud", "localhost", "amazonaws.com"];

pub fn strip_port(host: &str) -> &str {
    match host.rsplit_once(':') {
        Some((h, p)) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host,
    }
}

fn is_region(s: &str) -> bool {
    s.split('-').count() >= 3 && s.ends_with(|c: char| c.is_ascii_digit())
}

pub fn classify(host: &str) -> HostKind {
    let host = strip_port(host).trim_end_matches('.').to_ascii_lowercase();
    let Some(rest) = BASES
        .iter()
        .find_map(|b| host.strip_suffix(b).and_then(|r| r.strip_suffix('.')))
    else {
        return HostKind::Other;
    };
    let labels: Vec<&str> = rest.split('.').collect();
    // The service label sits near the end; bucket names may hold dots and
    // even the word "s3", so look from the right.
    for i in (0..labels.len()).rev() {
        let label = labels[i];
        let after = &labels[i + 1..];
        let bucket = labels[..i].join(".");
        let region = after
            .first()
            .filter(|r| is_region(r))
            .map(|r| r.to_string());
        if label == "s3" && after.len() <= 1 && (after.is_empty() || region.is_some()) {
            return HostKind::Api {
                bucket: (!bucket.is_empty()).then_some(bucket),
                region,
            };
        }
        if let Some(r) = label.strip_prefix("s3-website-").filter(|r| is_region(r)) {
            if after.is_empty() && !bucket.is_empty() {
                return HostKind::Website {
                    bucket,
                    region: Some(r.to_string()),
                };
            }
        }
        if label == "s3-website" && after.len() == 1 && region.is_some() && !bucket.is_empty() {
            return HostKind::Website { bucket, region };
        }
        // Legacy dash-region REST endpoints: `s3-us-west-2.amazonaws.com`.
        if let Some(r) = label
            .strip_prefix("s3-")
            .filter(|r| is_region(r) && !r.starts_with("website"))
        {
            if after.is_empty() {
                return HostKind::Api {
                    bucket: (!bucket.is_empty()).then_some(bucket),
                    region: Some(r.to_string()),
                };
            }
        }
    }
    HostKind::Other
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(b: Option<&str>, r: Option<&str>) -> HostKind {
        HostKind::Api {
            bucket: b.map(String::from),
            region: r.map(String::from),
        }
    }

    #[test]
    fn rest_hosts() {
        assert_eq!(classify("s3.localhost:4566"), api(None, None));
        assert_eq!(classify("bkt.s3.localhost:4566"), api(Some("bkt"), None));
        assert_eq!(
            classify("bkt.s3.eu-west-1.localhost:4566"),
            api(Some("bkt"), Some("eu-west-1"))
        );
        assert_eq!(
            classify("my.dotted.bkt.s3.localhost.localstack.cloud:4566"),
            api(Some("my.dotted.bkt"), None)
        );
        assert_eq!(
            classify("bkt.s3.us-west-2.amazonaws.com"),
            api(Some("bkt"), Some("us-west-2"))
        );
        assert_eq!(
            classify("s3.us-west-2.amazonaws.com"),
            api(None, Some("us-west-2"))
        );
        assert_eq!(classify("s3.amazonaws.com"), api(None, None));
        assert_eq!(
            classify("s3-us-west-2.amazonaws.com"),
            api(None, Some("us-west-2"))
        );
        assert_eq!(classify("S3.LOCALHOST"), api(None, None));
    }

    #[test]
    fn website_hosts() {
        let site = |b: &str, r: &str| HostKind::Website {
            bucket: b.into(),
            region: Some(r.into()),
        };
        assert_eq!(
            classify("site.s3-website-us-east-1.localhost:4566"),
            site("site", "us-east-1")
        );
        assert_eq!(
            classify("site.s3-website.eu-west-1.localhost:4566"),
            site("site", "eu-west-1")
        );
        assert_eq!(
            classify("www.example.com.s3-website-us-east-1.amazonaws.com"),
            site("www.example.com", "us-east-1")
        );
        assert_eq!(
            classify("site.s3-website.eu-west-1.amazonaws.com"),
            site("site", "eu-west-1")
        );
    }

    #[test]
    fn other_hosts() {
        assert_eq!(classify("localhost:4566"), HostKind::Other);
        assert_eq!(classify("127.0.0.1:4566"), HostKind::Other);
        assert_eq!(classify("sqs.us-east-1.localhost:4566"), HostKind::Other);
        assert_eq!(classify("sts.amazonaws.com"), HostKind::Other);
        assert_eq!(classify("example.com"), HostKind::Other);
        assert_eq!(classify("s3-website-us-east-1.localhost"), HostKind::Other);
    }
}
