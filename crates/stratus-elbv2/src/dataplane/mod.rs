//! The application load balancer's data plane: requests reach it by the
//! load balancer's DNS name on Stratus's own port (see [`claim`]) or on a
//! listener's own port; it picks the listener, runs the rules, and answers
//! itself or forwards to a target through the [`Network`], counting the
//! traffic for CloudWatch.

pub mod access_log;
pub mod checks;
pub mod claim;
mod headers;
mod pick;
mod proxy;
mod respond;
pub mod rules;
pub mod traffic;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use stratus_core::Clock;
use stratus_core::compute::Instances;
use stratus_core::link::Link;
use stratus_core::network::Network;
use stratus_protocol::Body;

use crate::metrics::dimension;
use crate::routing::{self, Routing};
use crate::state::{
    ActionRec, ForwardRec, ListenerRec, State, TargetGroupRec, TargetRec, TargetWeight,
};
use access_log::{AccessLogs, Destination, Outcome};
use pick::Picker;
use proxy::Dest;
use respond::Origin;
use rules::RequestView;
use traffic::{Answer, Traffic};

pub struct DataPlane {
    state: Arc<State>,
    instances: Link<dyn Instances>,
    clock: Clock,
    network: Arc<dyn Network>,
    picker: Picker,
    pool: Arc<proxy::Pool>,
    traffic: Arc<Traffic>,
    access_logs: Arc<AccessLogs>,
}

/// What the access log says of how a request was answered, besides the
/// status: by which rule, with which action, through which target.
#[derive(Default)]
struct Handled {
    rule_priority: i32,
    action: &'static str,
    target: Option<(String, u16, f64)>,
    redirect_url: Option<String>,
}

/// The bytes of a response's head and of its body, when it says.
fn sent_bytes<B>(resp: &http::Response<B>) -> u64 {
    let h = resp.headers();
    // `HTTP/1.1 200 OK` and its CRLF, each header line, the blank line.
    let head = 17
        + h.iter()
            .map(|(k, v)| k.as_str().len() + v.len() + 4)
            .sum::<usize>()
        + 2;
    let body = h
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
        .unwrap_or(0);
    head as u64 + body
}

/// The Host header's name and port.
fn split_host(h: &str) -> (&str, Option<u16>) {
    if h.starts_with('[') {
        return match h.split_once("]:") {
            Some((n, p)) => (&n[1..], p.parse().ok()),
            None => (h.trim_start_matches('[').trim_end_matches(']'), None),
        };
    }
    match h.rsplit_once(':') {
        Some((n, p)) if p.chars().all(|c| c.is_ascii_digit()) => (n, p.parse().ok()),
        _ => (h, None),
    }
}

/// The listener a request on Stratus's port goes to: the one on the Host
/// header's port, else port 80, else the lowest HTTP or HTTPS one.
fn listener_for(routing: &Routing, port: Option<u16>) -> Option<usize> {
    let on = |p: u16| {
        routing
            .listeners
            .iter()
            .position(|(l, _)| l.port == Some(i32::from(p)))
    };
    port.and_then(on).or_else(|| on(80)).or_else(|| {
        routing
            .listeners
            .iter()
            .position(|(l, _)| matches!(l.protocol.as_deref(), Some("HTTP") | Some("HTTPS")))
    })
}

/// The terminal action of a list: forward, redirect or fixed-response.
/// Authentication actions before it are not enforced.
fn terminal(actions: &[ActionRec]) -> Option<&ActionRec> {
    let mut sorted: Vec<&ActionRec> = actions.iter().collect();
    sorted.sort_by_key(|a| a.order.unwrap_or(i32::MAX));
    sorted
        .into_iter()
        .find(|a| matches!(a.kind.as_str(), "forward" | "redirect" | "fixed-response"))
}

fn idle_timeout(routing: &Routing) -> Duration {
    let secs = routing
        .load_balancer
        .attributes
        .get("idle_timeout.timeout_seconds")
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(60);
    Duration::from_secs(secs.max(1))
}

impl DataPlane {
    pub(crate) fn new(
        state: Arc<State>,
        instances: Link<dyn Instances>,
        clock: Clock,
        network: Arc<dyn Network>,
        traffic: Arc<Traffic>,
        access_logs: Arc<AccessLogs>,
    ) -> Self {
        DataPlane {
            state,
            instances,
            clock,
            network,
            picker: Picker::default(),
            pool: Arc::default(),
            traffic,
            access_logs,
        }
    }

    /// Whether `host` (without a port) names an application load balancer.
    pub fn serves_host(&self, host: &str) -> bool {
        host.to_ascii_lowercase().ends_with(".elb.localhost")
            && routing::is_alb_host(&self.state.read(), host)
    }

    /// The ports of the HTTP listeners of every application load balancer.
    pub fn listener_ports(&self) -> Vec<u16> {
        routing::http_ports(&self.state.read())
    }

    pub fn reset(&self) {
        self.picker.reset();
        self.pool.clear();
        self.traffic.reset();
        self.access_logs.reset();
    }

    /// Answers one request from `client`, which arrived on Stratus's port
    /// (`own_port` None) or on a listener's own port.
    pub async fn serve(
        &self,
        req: http::Request<Body>,
        client: Option<IpAddr>,
        own_port: Option<u16>,
    ) -> http::Response<Body> {
        let host_header = req
            .headers()
            .get(http::header::HOST)
            .and_then(|v| v.to_str().ok())
            .or_else(|| req.uri().authority().map(|a| a.as_str()))
            .unwrap_or("")
            .to_string();
        let (host, host_port) = split_host(&host_header);
        let found = {
            let inner = self.state.read();
            match own_port {
                Some(p) => routing::for_port(&inner, p, host),
                None => routing::for_host(&inner, host),
            }
        };
        let Some(routing) = found else {
            return respond::error(503);
        };
        let lb = &routing.load_balancer;
        let lb_dim = dimension(&lb.arn, "loadbalancer").unwrap_or_default();
        let now = self.clock.now_millis();
        let index = match own_port {
            Some(p) => listener_for(&routing, Some(p)),
            None => listener_for(&routing, host_port),
        };
        // A load balancer without a listener refuses connections on AWS;
        // here the name still reaches Stratus, which answers 503.
        let Some(index) = index else {
            self.traffic.record(
                now,
                &lb.account,
                &lb.region,
                &lb_dim,
                None,
                Answer::Elb(503),
            );
            return respond::error(503);
        };
        let (listener, _) = &routing.listeners[index];
        let lport = listener
            .port
            .and_then(|p| u16::try_from(p).ok())
            .unwrap_or(80);
        let proto = listener.protocol.as_deref().unwrap_or("HTTP");
        let mut req = req;
        let logged = Destination::of(lb).map(|dest| {
            // The trace id the target sees is the one the log shows.
            if !req.headers().contains_key("x-amzn-trace-id")
                && let Ok(v) = http::HeaderValue::from_str(&headers::trace_id(now))
            {
                req.headers_mut().insert("x-amzn-trace-id", v);
            }
            (
                dest,
                access_log::Request::of(&req, client, proto, lport, now),
            )
        });
        let query_raw = req.uri().query().unwrap_or("").to_string();
        let (resp, tg, answer, handled) = self
            .answer(&routing, index, req, client, host, &query_raw, now)
            .await;
        let tg_dim = tg.and_then(|arn| dimension(arn, "targetgroup"));
        self.traffic.record(
            now,
            &lb.account,
            &lb.region,
            &lb_dim,
            tg_dim.as_deref(),
            answer,
        );
        if let Some((dest, request)) = logged {
            let elb_status = match answer {
                Answer::Target(status, _) => status,
                Answer::Elb(s) | Answer::Fixed(s) | Answer::Redirect(s) => s,
            };
            let ended = self.clock.now_millis();
            let outcome = Outcome {
                elb_status,
                target: handled.target,
                target_group: tg,
                rule_priority: handled.rule_priority,
                action: handled.action,
                redirect_url: handled.redirect_url,
                sent_bytes: sent_bytes(&resp),
                ended_ms: ended,
            };
            let line = access_log::line(&lb_dim, &request, &outcome);
            self.access_logs.record(lb, &lb_dim, &dest, ended, line);
        }
        resp
    }

    /// Runs the listener's rules on a request and answers it: itself, or
    /// through a target of the group it forwards to.
    #[allow(clippy::too_many_arguments)]
    async fn answer<'r>(
        &self,
        routing: &'r Routing,
        index: usize,
        req: http::Request<Body>,
        client: Option<IpAddr>,
        host: &str,
        query_raw: &str,
        now: i64,
    ) -> (http::Response<Body>, Option<&'r str>, Answer, Handled) {
        let (listener, rules) = &routing.listeners[index];
        let view = RequestView {
            method: req.method().as_str().to_string(),
            host: host.to_string(),
            path: req.uri().path().to_string(),
            query: rules::parse_query(query_raw),
            headers: req
                .headers()
                .iter()
                .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
                .collect(),
            source_ip: client,
        };
        let (rule_priority, actions) = rules::choose(listener, rules, &view);
        let mut handled = Handled {
            rule_priority,
            ..Default::default()
        };
        let Some(action) = terminal(actions) else {
            return (respond::error(503), None, Answer::Elb(503), handled);
        };
        let lport = listener
            .port
            .and_then(|p| u16::try_from(p).ok())
            .unwrap_or(80);
        let proto = listener.protocol.as_deref().unwrap_or("HTTP");
        match action.kind.as_str() {
            "redirect" => {
                handled.action = "redirect";
                let Some(r) = &action.redirect else {
                    return (respond::error(503), None, Answer::Elb(503), handled);
                };
                let origin = Origin {
                    protocol: proto,
                    host,
                    port: lport,
                    path: &view.path,
                    query: query_raw,
                };
                let resp = respond::redirect(r, &origin);
                handled.redirect_url = resp
                    .headers()
                    .get(http::header::LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string);
                let status = resp.status().as_u16();
                (resp, None, Answer::Redirect(status), handled)
            }
            "fixed-response" => {
                handled.action = "fixed-response";
                let Some(f) = &action.fixed_response else {
                    return (respond::error(503), None, Answer::Elb(503), handled);
                };
                let resp = respond::fixed(f);
                let status = resp.status().as_u16();
                (resp, None, Answer::Fixed(status), handled)
            }
            _ => {
                handled.action = "forward";
                let single;
                let fwd = match &action.forward {
                    Some(f) if !f.groups.is_empty() => f,
                    _ => {
                        single = ForwardRec {
                            groups: vec![TargetWeight {
                                arn: action.target_group_arn.clone().unwrap_or_default(),
                                weight: None,
                            }],
                            stickiness: None,
                        };
                        &single
                    }
                };
                let Some(tg) = self
                    .picker
                    .pick_group(fwd, req.headers())
                    .and_then(|arn| routing.target_groups.get(arn))
                else {
                    return (respond::error(503), None, Answer::Elb(503), handled);
                };
                let (resp, answer, target) = self
                    .forward(routing, listener, tg, fwd, req, client, now)
                    .await;
                if let (Some(addr), Answer::Target(status, secs)) = (target, answer) {
                    handled.target = Some((addr, status, secs));
                }
                (resp, Some(tg.arn.as_str()), answer, handled)
            }
        }
    }

    /// Where a target is, if something real can answer there.
    fn dest(&self, tg: &TargetGroupRec, t: &TargetRec) -> Option<Dest> {
        let port = u16::try_from(t.port.or(tg.port)?).ok()?;
        let (vpc, addr) = match tg.target_type.as_str() {
            "ip" => (tg.vpc_id.clone(), t.id.parse::<IpAddr>().ok()?),
            "instance" => {
                let ec2 = self.instances.get()?;
                let v = ec2
                    .describe(&tg.account, &tg.region, std::slice::from_ref(&t.id))
                    .into_iter()
                    .next()?;
                if v.state != "running" {
                    return None;
                }
                (v.vpc_id.clone(), v.private_ip.as_deref()?.parse().ok()?)
            }
            _ => return None,
        };
        self.network
            .reachable(vpc.as_deref(), addr)
            .then_some(Dest { vpc, addr, port })
    }

    #[allow(clippy::too_many_arguments)]
    async fn forward(
        &self,
        routing: &Routing,
        listener: &ListenerRec,
        tg: &TargetGroupRec,
        fwd: &ForwardRec,
        req: http::Request<Body>,
        client: Option<IpAddr>,
        now: i64,
    ) -> (http::Response<Body>, Answer, Option<String>) {
        let failed = |status: u16| (respond::error(status), Answer::Elb(status), None);
        let cands = pick::candidates(tg);
        let Some(target) = pick::sticky_target(tg, &cands, req.headers())
            .or_else(|| self.picker.pick(tg, &cands, now))
        else {
            return failed(503);
        };
        // Nothing answers for a simulated target: as a target that refuses.
        let Some(dest) = self.dest(tg, target) else {
            return failed(502);
        };
        let addr = match dest.addr {
            IpAddr::V6(v6) => format!("[{v6}]:{}", dest.port),
            v4 => format!("{v4}:{}", dest.port),
        };
        let lport = listener
            .port
            .and_then(|p| u16::try_from(p).ok())
            .unwrap_or(80);
        let proto = listener.protocol.as_deref().unwrap_or("HTTP");
        let (mut parts, body) = req.into_parts();
        headers::strip_hop_by_hop(&mut parts.headers);
        headers::add_forwarded(&mut parts.headers, client, proto, lport, now);
        let out = http::Request::from_parts(parts, body);
        let in_flight = self.picker.begin(tg, target);
        let sent = proxy::send(
            &self.pool,
            self.network.clone(),
            dest,
            out,
            idle_timeout(routing),
        )
        .await;
        drop(in_flight);
        match sent {
            Err(f) => failed(f.status()),
            Ok((mut resp, secs)) => {
                let status = resp.status().as_u16();
                headers::strip_hop_by_hop(resp.headers_mut());
                self.stick(tg, target, fwd, &mut resp, now);
                (resp, Answer::Target(status, secs), Some(addr))
            }
        }
    }

    /// Sets the stickiness cookies of the group and of the forward action.
    fn stick(
        &self,
        tg: &TargetGroupRec,
        target: &TargetRec,
        fwd: &ForwardRec,
        resp: &mut http::Response<Body>,
        now: i64,
    ) {
        let mut cookies = Vec::new();
        match pick::stickiness(tg) {
            pick::Sticky::Lb(secs) => cookies.extend(headers::sticky_cookies(
                pick::LB_COOKIE,
                &pick::target_token(tg, target),
                now + secs * 1000,
            )),
            pick::Sticky::App(name, secs)
                if !name.is_empty() && headers::sets_cookie(resp.headers(), &name) =>
            {
                cookies.extend(headers::sticky_cookies(
                    pick::APP_COOKIE,
                    &pick::target_token(tg, target),
                    now + secs * 1000,
                ))
            }
            _ => {}
        }
        if let Some((true, secs)) = fwd.stickiness
            && fwd.groups.len() > 1
        {
            cookies.extend(headers::sticky_cookies(
                pick::GROUP_COOKIE,
                &headers::token(&[&tg.arn]),
                now + i64::from(secs.unwrap_or(3600)) * 1000,
            ));
        }
        for c in cookies {
            if let Ok(v) = http::HeaderValue::from_str(&c) {
                resp.headers_mut().append(http::header::SET_COOKIE, v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_headers_split_into_name_and_port() {
        assert_eq!(
            split_host("web-1.us-east-1.elb.localhost:4566"),
            ("web-1.us-east-1.elb.localhost", Some(4566))
        );
        assert_eq!(split_host("web"), ("web", None));
        assert_eq!(split_host("[::1]:80"), ("::1", Some(80)));
    }

    #[test]
    fn listeners_by_host_port_then_80_then_lowest() {
        let l = |port: i32, proto: &str| {
            (
                ListenerRec {
                    port: Some(port),
                    protocol: Some(proto.into()),
                    ..Default::default()
                },
                Vec::new(),
            )
        };
        let mut r = Routing {
            load_balancer: Default::default(),
            listeners: vec![l(80, "HTTP"), l(8080, "HTTP")],
            target_groups: Default::default(),
        };
        assert_eq!(listener_for(&r, Some(8080)), Some(1));
        assert_eq!(listener_for(&r, Some(4566)), Some(0));
        assert_eq!(listener_for(&r, None), Some(0));
        r.listeners = vec![l(443, "HTTPS"), l(8080, "HTTP")];
        assert_eq!(listener_for(&r, None), Some(0));
        r.listeners.clear();
        assert_eq!(listener_for(&r, None), None);
    }
}
