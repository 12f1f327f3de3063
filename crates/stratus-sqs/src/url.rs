//! Queue URLs: `http://sqs.REGION.localhost:PORT/ACCOUNT/NAME` handed out,
//! and any URL whose path is `/ACCOUNT/NAME` accepted.

use stratus_core::ids::is_account_id;

/// The URL of a queue, on the port the caller reached us on.
pub fn queue_url(host: &str, region: &str, account: &str, name: &str) -> String {
    let port = host
        .rsplit_once(':')
        .map(|(_, p)| p)
        .filter(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        .unwrap_or("4566");
    format!("http://sqs.{region}.localhost:{port}/{account}/{name}")
}

/// The owning account and queue name a URL names, whatever its host.
pub fn parse(url: &str) -> Option<(String, String)> {
    let rest = match url.split_once("://") {
        Some((_, r)) => r.split_once('/').map(|(_, p)| p).unwrap_or(""),
        None => url.trim_start_matches('/'),
    };
    let rest = rest.split(['?', '#']).next().unwrap_or("");
    let mut parts = rest.trim_end_matches('/').split('/');
    let account = parts.next()?;
    let name = parts.next()?;
    if parts.next().is_some() || !is_account_id(account) || name.is_empty() {
        return None;
    }
    Some((account.to_string(), name.to_string()))
}

/// `arn:aws:sqs:REGION:ACCOUNT:NAME` -> (region, account, name).
pub fn parse_arn(arn: &str) -> Option<(String, String, String)> {
    let mut p = arn.splitn(6, ':');
    let (arn_, _partition, svc) = (p.next()?, p.next()?, p.next()?);
    let (region, account, name) = (p.next()?, p.next()?, p.next()?);
    if arn_ != "arn" || svc != "sqs" || name.is_empty() {
        return None;
    }
    Some((region.to_string(), account.to_string(), name.to_string()))
}

pub fn arn(region: &str, account: &str, name: &str) -> String {
    format!("arn:aws:sqs:{region}:{account}:{name}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_keep_the_port_and_parse_from_any_host() {
        let u = queue_url("localhost:4599", "eu-west-1", "000000000000", "q1");
        assert_eq!(u, "http://sqs.eu-west-1.localhost:4599/000000000000/q1");
        assert_eq!(parse(&u), Some(("000000000000".into(), "q1".into())));
        assert_eq!(
            parse("http://127.0.0.1:4566/123456789012/jobs.fifo"),
            Some(("123456789012".into(), "jobs.fifo".into()))
        );
        assert_eq!(parse("http://127.0.0.1:4566/nope/q"), None);
        assert_eq!(parse("q"), None);
        assert_eq!(
            parse_arn("arn:aws:sqs:us-east-1:000000000000:dlq"),
            Some(("us-east-1".into(), "000000000000".into(), "dlq".into()))
        );
    }
}
