//! Access logs: with `access_logs.s3.enabled`, each request an application
//! load balancer answers becomes a line in AWS's format, and every five
//! minutes of the clock the lines of the interval that ended go to the
//! bucket as one gzip file under AWS's key layout.

use std::collections::BTreeMap;
use std::io::Write;
use std::net::IpAddr;
use std::sync::Arc;

use parking_lot::Mutex;
use stratus_core::delivery::ObjectSink;
use stratus_core::link::Link;
use stratus_core::tasks::Task;
use stratus_core::time;

use crate::state::LoadBalancerRec;

/// AWS delivers a load balancer's access logs every five minutes.
pub const INTERVAL_MS: i64 = 300_000;
/// The address of the load balancer node in file names.
const NODE_IP: &str = "127.0.0.1";

/// Where a load balancer's logs go, when they are enabled.
#[derive(Debug, Clone, PartialEq)]
pub struct Destination {
    pub bucket: String,
    pub prefix: String,
}

impl Destination {
    pub fn of(lb: &LoadBalancerRec) -> Option<Destination> {
        let a = &lb.attributes;
        if a.get("access_logs.s3.enabled").map(String::as_str) != Some("true") {
            return None;
        }
        Some(Destination {
            bucket: a.get("access_logs.s3.bucket")?.clone(),
            prefix: a.get("access_logs.s3.prefix").cloned().unwrap_or_default(),
        })
    }

    /// `prefix/AWSLogs/ACCOUNT/`, or without the prefix when it is empty.
    fn root(&self, account: &str) -> String {
        let prefix = self.prefix.trim_matches('/');
        if prefix.is_empty() {
            format!("AWSLogs/{account}/")
        } else {
            format!("{prefix}/AWSLogs/{account}/")
        }
    }

    /// The file AWS writes when logging is turned on.
    pub fn test_file_key(&self, account: &str) -> String {
        format!("{}ELBAccessLogTestFile", self.root(account))
    }
}

/// What is known of a request when it arrives.
pub struct Request {
    pub received_ms: i64,
    pub client: Option<IpAddr>,
    /// `GET http://host:80/path?query HTTP/1.1`
    pub line: String,
    pub user_agent: String,
    pub domain: String,
    pub received_bytes: u64,
    pub trace_id: String,
}

impl Request {
    pub fn of<B>(
        req: &http::Request<B>,
        client: Option<IpAddr>,
        proto: &str,
        port: u16,
        now_ms: i64,
    ) -> Request {
        let h = req.headers();
        let header = |name: http::header::HeaderName| {
            h.get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string()
        };
        let host = header(http::header::HOST);
        let domain = host.split(':').next().unwrap_or("").to_string();
        let target = req
            .uri()
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_string();
        let version = match req.version() {
            http::Version::HTTP_10 => "HTTP/1.0",
            http::Version::HTTP_2 => "HTTP/2.0",
            _ => "HTTP/1.1",
        };
        let line = format!(
            "{} {}://{domain}:{port}{target} {version}",
            req.method(),
            proto.to_ascii_lowercase()
        );
        // The request line and each header line as they came, with CRLFs.
        let head = req.method().as_str().len()
            + target.len()
            + version.len()
            + 4
            + h.iter()
                .map(|(k, v)| k.as_str().len() + v.len() + 4)
                .sum::<usize>()
            + 2;
        let body = header(http::header::CONTENT_LENGTH)
            .parse::<u64>()
            .unwrap_or(0);
        Request {
            received_ms: now_ms,
            client,
            line,
            user_agent: header(http::header::USER_AGENT),
            domain,
            received_bytes: head as u64 + body,
            trace_id: h
                .get("x-amzn-trace-id")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string(),
        }
    }
}

/// How a request ended.
pub struct Outcome<'a> {
    pub elb_status: u16,
    /// The target's `ip:port`, its status and its processing time in seconds.
    pub target: Option<(String, u16, f64)>,
    pub target_group: Option<&'a str>,
    /// 0 for the listener's default actions.
    pub rule_priority: i32,
    /// `forward`, `fixed-response` or `redirect`; empty when none ran.
    pub action: &'a str,
    pub redirect_url: Option<String>,
    pub sent_bytes: u64,
    pub ended_ms: i64,
}

fn quoted(s: &str) -> String {
    if s.is_empty() {
        return "\"-\"".into();
    }
    format!("\"{}\"", s.replace('"', "\\\""))
}

fn dash(s: Option<String>) -> String {
    s.filter(|v| !v.is_empty()).unwrap_or_else(|| "-".into())
}

/// AWS's timestamps in access logs carry microseconds.
fn micros(ms: i64) -> String {
    let t = time::iso8601_millis(ms);
    format!("{}000Z", t.trim_end_matches('Z'))
}

/// One access log line in AWS's field order.
pub fn line(lb_dim: &str, r: &Request, o: &Outcome) -> String {
    let client = r.client.map_or("-".to_string(), |ip| match ip {
        IpAddr::V4(v4) => format!("{v4}:0"),
        IpAddr::V6(v6) => format!("[{v6}]:0"),
    });
    let (target, target_status, processing) = match &o.target {
        Some((addr, status, secs)) => (addr.clone(), status.to_string(), format!("{secs:.3}")),
        None => ("-".into(), "-".into(), "-1".into()),
    };
    let dispatched = o.target.is_some();
    let fields = [
        "http".to_string(),
        micros(o.ended_ms),
        lb_dim.to_string(),
        client,
        target.clone(),
        if dispatched { "0.000" } else { "-1" }.to_string(),
        processing,
        if dispatched { "0.000" } else { "-1" }.to_string(),
        o.elb_status.to_string(),
        target_status.clone(),
        r.received_bytes.to_string(),
        o.sent_bytes.to_string(),
        quoted(&r.line),
        quoted(&r.user_agent),
        "-".into(),
        "-".into(),
        dash(o.target_group.map(str::to_string)),
        quoted(&r.trace_id),
        quoted(&r.domain),
        quoted(""),
        o.rule_priority.to_string(),
        micros(r.received_ms),
        quoted(o.action),
        quoted(o.redirect_url.as_deref().unwrap_or("")),
        quoted(""),
        quoted(if dispatched { &target } else { "" }),
        quoted(if dispatched { &target_status } else { "" }),
        quoted(""),
        quoted(""),
        "-".into(),
    ];
    fields.join(" ")
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Key {
    /// The interval the lines belong to (epoch ms / INTERVAL_MS).
    interval: i64,
    account: String,
    region: String,
    /// `app/NAME/ID`.
    lb: String,
    bucket: String,
    prefix: String,
}

/// Lines waiting for their interval to end.
#[derive(Default)]
pub struct AccessLogs {
    pending: Mutex<BTreeMap<Key, Vec<String>>>,
    /// Test files to write (account, destination), from turning logs on.
    tests: Mutex<Vec<(String, Destination)>>,
}

impl AccessLogs {
    pub fn record(
        &self,
        lb: &LoadBalancerRec,
        lb_dim: &str,
        dest: &Destination,
        at_ms: i64,
        line: String,
    ) {
        let key = Key {
            interval: at_ms.div_euclid(INTERVAL_MS),
            account: lb.account.clone(),
            region: lb.region.clone(),
            lb: lb_dim.to_string(),
            bucket: dest.bucket.clone(),
            prefix: dest.prefix.clone(),
        };
        self.pending.lock().entry(key).or_default().push(line);
    }

    pub fn write_test_file(&self, account: &str, dest: Destination) {
        self.tests.lock().push((account.to_string(), dest));
    }

    pub fn reset(&self) {
        self.pending.lock().clear();
        self.tests.lock().clear();
    }

    /// Writes the files of every interval that ended by `now_ms` (of
    /// every interval with `all`, when Stratus stops), and the pending test
    /// files; lines whose bucket refuses them are dropped, as AWS drops
    /// logs it cannot deliver.
    pub fn deliver(&self, objects: &dyn ObjectSink, now_ms: i64, all: bool) {
        for (account, dest) in std::mem::take(&mut *self.tests.lock()) {
            let body = b"Enable AccessLog for ELB: test file\n".to_vec();
            if let Err(e) = objects.put(
                &account,
                &dest.bucket,
                &dest.test_file_key(&account),
                body,
                "text/plain",
                now_ms,
            ) {
                tracing::warn!(bucket = %dest.bucket, error = %e.message, "access log test file not written");
            }
        }
        let current = if all {
            i64::MAX
        } else {
            now_ms.div_euclid(INTERVAL_MS)
        };
        let due: Vec<(Key, Vec<String>)> = {
            let mut pending = self.pending.lock();
            let later = pending.split_off(&Key {
                interval: current,
                account: String::new(),
                region: String::new(),
                lb: String::new(),
                bucket: String::new(),
                prefix: String::new(),
            });
            std::mem::replace(&mut *pending, later)
                .into_iter()
                .collect()
        };
        for (key, lines) in due {
            let end_ms = (key.interval + 1) * INTERVAL_MS;
            let object = file_key(&key, end_ms);
            let Some(body) = gzip(&lines) else { continue };
            if let Err(e) = objects.put(
                &key.account,
                &key.bucket,
                &object,
                body,
                "application/x-gzip",
                now_ms,
            ) {
                tracing::warn!(bucket = %key.bucket, error = %e.message, "access log not delivered");
            }
        }
    }
}

/// `prefix/AWSLogs/ACCOUNT/elasticloadbalancing/REGION/yyyy/mm/dd/
/// ACCOUNT_elasticloadbalancing_REGION_app.NAME.ID_END_IP_RANDOM.log.gz`
fn file_key(key: &Key, end_ms: i64) -> String {
    let dest = Destination {
        bucket: key.bucket.clone(),
        prefix: key.prefix.clone(),
    };
    // The interval's day: the end of 23:55-24:00 is the next day's 00:00.
    let day = time::iso8601(end_ms - 1);
    let (y, m, d) = (&day[0..4], &day[5..7], &day[8..10]);
    let end = &time::amz_date(end_ms)[..13];
    format!(
        "{}elasticloadbalancing/{}/{y}/{m}/{d}/{}_elasticloadbalancing_{}_{}_{end}Z_{NODE_IP}_{}.log.gz",
        dest.root(&key.account),
        key.region,
        key.account,
        key.region,
        key.lb.replace('/', "."),
        stratus_core::ids::alnum(8).to_ascii_lowercase(),
    )
}

fn gzip(lines: &[String]) -> Option<Vec<u8>> {
    let mut z = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    for l in lines {
        z.write_all(l.as_bytes()).ok()?;
        z.write_all(b"\n").ok()?;
    }
    z.finish().ok()
}

/// Delivers the access logs whose interval ended.
pub struct DeliveryTask {
    pub logs: Arc<AccessLogs>,
    pub objects: Link<dyn ObjectSink>,
}

impl Task for DeliveryTask {
    fn name(&self) -> &str {
        "elbv2-access-logs"
    }

    fn tick(&self, now_ms: i64) {
        if let Some(objects) = self.objects.get() {
            self.logs.deliver(objects.as_ref(), now_ms, false);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> Request {
        Request {
            received_ms: 1_530_570_168_364,
            client: Some("192.168.131.39".parse().unwrap()),
            line: "GET http://www.example.com:80/ HTTP/1.1".into(),
            user_agent: "curl/7.46.0".into(),
            domain: "www.example.com".into(),
            received_bytes: 34,
            trace_id: "Root=1-58337262-36d228ad5d99923122bbe354".into(),
        }
    }

    #[test]
    fn a_forwarded_request_has_every_field_in_order() {
        let o = Outcome {
            elb_status: 200,
            target: Some(("10.0.0.1:80".into(), 200, 0.001)),
            target_group: Some(
                "arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067",
            ),
            rule_priority: 0,
            action: "forward",
            redirect_url: None,
            sent_bytes: 366,
            ended_ms: 1_530_570_180_186,
        };
        assert_eq!(
            line("app/my-loadbalancer/50dc6c495c0c9188", &request(), &o),
            "http 2018-07-02T22:23:00.186000Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:0 \
             10.0.0.1:80 0.000 0.001 0.000 200 200 34 366 \"GET http://www.example.com:80/ HTTP/1.1\" \
             \"curl/7.46.0\" - - arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 \
             \"Root=1-58337262-36d228ad5d99923122bbe354\" \"www.example.com\" \"-\" 0 2018-07-02T22:22:48.364000Z \
             \"forward\" \"-\" \"-\" \"10.0.0.1:80\" \"200\" \"-\" \"-\" -"
        );
    }

    #[test]
    fn an_answer_of_the_load_balancer_itself_has_no_target() {
        let o = Outcome {
            elb_status: 301,
            target: None,
            target_group: None,
            rule_priority: 3,
            action: "redirect",
            redirect_url: Some("https://www.example.com:443/".into()),
            sent_bytes: 100,
            ended_ms: 1_530_570_180_186,
        };
        let l = line("app/web/1", &request(), &o);
        let f: Vec<&str> = l.split(' ').collect();
        assert_eq!(&f[4..10], ["-", "-1", "-1", "-1", "301", "-"]);
        assert!(l.contains(
            " 3 2018-07-02T22:22:48.364000Z \"redirect\" \"https://www.example.com:443/\" "
        ));
    }

    #[test]
    fn files_are_named_by_the_end_of_their_interval() {
        let key = Key {
            interval: 1_392_507_600_000 / INTERVAL_MS,
            account: "123456789012".into(),
            region: "us-east-2".into(),
            lb: "app/my-loadbalancer/1234567890abcdef".into(),
            bucket: "logs".into(),
            prefix: "my-app/".into(),
        };
        let k = file_key(&key, (key.interval + 1) * INTERVAL_MS);
        let expected = "my-app/AWSLogs/123456789012/elasticloadbalancing/us-east-2/2014/02/15/\
                        123456789012_elasticloadbalancing_us-east-2_app.my-loadbalancer.1234567890abcdef_20140215T2345Z_127.0.0.1_";
        assert!(k.starts_with(expected), "{k}");
        assert!(k.ends_with(".log.gz"));
        let last = Key {
            interval: (1_392_508_800_000 - 1) / INTERVAL_MS,
            prefix: String::new(),
            ..key
        };
        let k = file_key(&last, (last.interval + 1) * INTERVAL_MS);
        assert!(
            k.starts_with("AWSLogs/123456789012/elasticloadbalancing/us-east-2/2014/02/15/"),
            "{k}"
        );
        assert!(k.contains("_20140216T0000Z_"), "{k}");
    }
}
