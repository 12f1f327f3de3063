//! `stratus hosts`: /etc/hosts lines that send a bucket's host names to
//! Stratus, for clients that do not resolve `*.localhost` to loopback on
//! their own (glibc without systemd-resolved, some HTTP libraries).
//! Without bucket names, every bucket of the running server is listed, each
//! under its own region.

use std::io::{Read, Write};

use clap::Args;

#[derive(Args)]
pub struct HostsArgs {
    /// Buckets to print host names for; none: every bucket of the server
    /// at --endpoint.
    buckets: Vec<String>,
    /// Region of the website and regional REST names of buckets named here.
    #[arg(long, default_value = "us-east-1")]
    region: String,
    /// The running server to ask for its buckets.
    #[arg(
        long,
        env = "STRATUS_ENDPOINT",
        default_value = "http://127.0.0.1:4566"
    )]
    endpoint: String,
    /// The address Stratus listens on.
    #[arg(long, default_value = "127.0.0.1")]
    address: String,
    /// Also AWS's own names (`BUCKET.s3-website-REGION.amazonaws.com`, ...),
    /// for users who point AWS's domains at Stratus.
    #[arg(long)]
    aws_names: bool,
}

/// The lines for the buckets named, or else for the server's buckets.
pub fn run(args: &HostsArgs) -> Result<Vec<String>, String> {
    if !args.buckets.is_empty() {
        let named: Vec<(String, String)> = args
            .buckets
            .iter()
            .map(|b| (b.clone(), args.region.clone()))
            .collect();
        return Ok(lines(args, &named));
    }
    let buckets = server_buckets(&args.endpoint)?;
    Ok(lines(args, &buckets))
}

/// `(name, region)` of every bucket, from `GET /_stratus/s3/buckets`.
fn server_buckets(endpoint: &str) -> Result<Vec<(String, String)>, String> {
    let authority = endpoint
        .strip_prefix("http://")
        .ok_or_else(|| format!("{endpoint}: only http:// endpoints are supported"))?
        .trim_end_matches('/');
    let mut conn = std::net::TcpStream::connect(authority)
        .map_err(|e| format!("cannot reach Stratus at {endpoint}: {e}"))?;
    let request = format!(
        "GET /_stratus/s3/buckets HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n"
    );
    conn.write_all(request.as_bytes())
        .map_err(|e| format!("{endpoint}: {e}"))?;
    let mut answer = Vec::new();
    conn.read_to_end(&mut answer)
        .map_err(|e| format!("{endpoint}: {e}"))?;
    parse_buckets(&answer).ok_or_else(|| format!("{endpoint} did not answer with its buckets"))
}

fn parse_buckets(answer: &[u8]) -> Option<Vec<(String, String)>> {
    let split = answer.windows(4).position(|w| w == b"\r\n\r\n")?;
    let status_ok = answer.starts_with(b"HTTP/1.1 200") || answer.starts_with(b"HTTP/1.0 200");
    if !status_ok {
        return None;
    }
    let v: serde_json::Value = serde_json::from_slice(&answer[split + 4..]).ok()?;
    v.get("buckets")?
        .as_array()?
        .iter()
        .map(|b| {
            Some((
                b.get("name")?.as_str()?.to_string(),
                b.get("region")?.as_str()?.to_string(),
            ))
        })
        .collect()
}

/// One line per bucket: its REST and website names under `localhost`, and
/// under `amazonaws.com` when asked.
pub fn lines(args: &HostsArgs, buckets: &[(String, String)]) -> Vec<String> {
    buckets
        .iter()
        .map(|(b, r)| {
            let mut names = vec![
                format!("{b}.s3.localhost"),
                format!("{b}.s3.{r}.localhost"),
                format!("{b}.s3-website-{r}.localhost"),
                format!("{b}.s3-website.{r}.localhost"),
            ];
            if args.aws_names {
                names.extend([
                    format!("{b}.s3.{r}.amazonaws.com"),
                    format!("{b}.s3-website-{r}.amazonaws.com"),
                    format!("{b}.s3-website.{r}.amazonaws.com"),
                ]);
            }
            format!("{} {}", args.address, names.join(" "))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_per_bucket_with_website_and_rest_names() {
        let args = HostsArgs {
            buckets: vec!["site".into(), "logs".into()],
            region: "eu-west-1".into(),
            endpoint: String::new(),
            address: "127.0.0.1".into(),
            aws_names: false,
        };
        let out = run(&args).unwrap();
        assert_eq!(out.len(), 2);
        assert_eq!(
            out[0],
            "127.0.0.1 site.s3.localhost site.s3.eu-west-1.localhost \
             site.s3-website-eu-west-1.localhost site.s3-website.eu-west-1.localhost"
        );
        assert!(!out[1].contains("amazonaws.com"));
    }

    #[test]
    fn aws_names_on_request() {
        let args = HostsArgs {
            buckets: vec!["site".into()],
            region: "us-east-1".into(),
            endpoint: String::new(),
            address: "127.0.0.1".into(),
            aws_names: true,
        };
        assert!(run(&args).unwrap()[0].ends_with("site.s3-website.us-east-1.amazonaws.com"));
    }

    #[test]
    fn server_answer_gives_each_bucket_its_region() {
        let answer = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n\
            {\"buckets\":[{\"name\":\"a\",\"region\":\"eu-west-1\"},{\"name\":\"b\",\"region\":\"us-east-1\"}]}";
        assert_eq!(
            parse_buckets(answer).unwrap(),
            vec![
                ("a".to_string(), "eu-west-1".to_string()),
                ("b".to_string(), "us-east-1".to_string())
            ]
        );
        assert!(parse_buckets(b"HTTP/1.1 404 Not Found\r\n\r\n{}").is_none());
    }
}
