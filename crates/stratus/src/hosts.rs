//! `stratus hosts`: /etc/hosts lines that send a bucket's host names to
//! Stratus, for clients that do not resolve `*.localhost` to loopback on
//! their own (glibc without systemd-resolved, some HTTP libraries).

use clap::Args;

#[derive(Args)]
pub struct HostsArgs {
    /// Buckets to print host names for.
    #[arg(required = true)]
    buckets: Vec<String>,
    /// Region of the website and regional REST names.
    #[arg(long, default_value = "us-east-1")]
    region: String,
    /// The address Stratus listens on.
    #[arg(long, default_value = "127.0.0.1")]
    address: String,
    /// Also AWS's own names (`BUCKET.s3-website-REGION.amazonaws.com`, ...),
    /// for users who point AWS's domains at Stratus.
    #[arg(long)]
    aws_names: bool,
}

/// One line per bucket: its REST and website names under `localhost`, and
/// under `amazonaws.com` when asked.
pub fn lines(args: &HostsArgs) -> Vec<String> {
    let r = &args.region;
    args.buckets
        .iter()
        .map(|b| {
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
            address: "127.0.0.1".into(),
            aws_names: false,
        };
        let out = lines(&args);
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
            address: "127.0.0.1".into(),
            aws_names: true,
        };
        assert!(lines(&args)[0].ends_with("site.s3-website.us-east-1.amazonaws.com"));
    }
}
