//! Which service and operation a request is for, on the one shared port:
//! by `smithy-protocol` path, `X-Amz-Target`, form `Action`/`Version`, or
//! REST path, narrowed by the SigV4 credential scope and the Host name.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use stratus_core::AwsError;

use crate::codec::rest::{match_uri, specificity};
use crate::codec::{Protocol, Request, query};
use crate::model::{self, IndexEntry, ServiceModel};
use crate::sigv4;

/// Where a request goes.
pub struct Route {
    pub model: Arc<ServiceModel>,
    pub protocol: Protocol,
    /// `None` when the service is known but the operation is not one of its own.
    pub operation: Option<String>,
    /// The name the client asked for, for the error when the operation is unknown.
    pub requested: String,
}

/// What the request says about its caller: from the credential scope.
#[derive(Debug, Clone, Default)]
pub struct Caller {
    pub access_key: Option<String>,
    pub region: Option<String>,
    pub signing_service: Option<String>,
}

pub fn caller(req: &Request) -> Caller {
    caller_from(&req.headers, &req.query)
}

/// The caller as the request head shows it (header or presigned query).
pub fn caller_from(headers: &http::HeaderMap, query: &str) -> Caller {
    let cred = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(sigv4::credential_scope_from_header)
        .or_else(|| {
            if !query.contains("X-Amz-Credential") {
                return None;
            }
            sigv4::parse_presigned_query(&crate::codec::parse_form(query.as_bytes()))
                .ok()
                .flatten()
                .map(|s| s.credential)
        });
    match cred {
        Some(c) => Caller {
            access_key: Some(c.access_key),
            region: Some(c.region),
            signing_service: Some(c.service),
        },
        None => Caller::default(),
    }
}

/// `(endpoint prefix, region)` from Host names such as
/// `sqs.us-east-1.localhost:4566` or `sts.amazonaws.com`.
pub fn host_hint(host: &str) -> (Option<String>, Option<String>) {
    let host = host.rsplit_once(':').map_or(host, |(h, p)| {
        if p.bytes().all(|b| b.is_ascii_digit()) {
            h
        } else {
            host
        }
    });
    let base = ["localhost.localstack.cloud", "localhost", "amazonaws.com"]
        .iter()
        .find_map(|sfx| host.strip_suffix(sfx)?.strip_suffix('.'));
    let Some(base) = base else {
        return (None, None);
    };
    let parts: Vec<&str> = base.split('.').collect();
    let is_region =
        |s: &str| s.split('-').count() >= 3 && s.ends_with(|c: char| c.is_ascii_digit());
    match parts.as_slice() {
        [svc, region] if is_region(region) => (Some(svc.to_string()), Some(region.to_string())),
        [.., svc, region] if is_region(region) => (Some(svc.to_string()), Some(region.to_string())),
        [svc] => (Some(svc.to_string()), None),
        _ => (None, None),
    }
}

fn unroutable() -> AwsError {
    AwsError::bad_request(
        "UnrecognizedClientException",
        "Stratus could not tell which AWS service this request is for: sign it with SigV4 or use the service's host name",
    )
}

type Entries = Vec<(&'static String, &'static IndexEntry)>;

/// The index's entries by signing name and by endpoint prefix, each list
/// in index order: a signed request finds its service without comparing
/// names against every model.
fn by_name() -> &'static (
    HashMap<&'static str, Entries>,
    HashMap<&'static str, Entries>,
) {
    static BY: OnceLock<(
        HashMap<&'static str, Entries>,
        HashMap<&'static str, Entries>,
    )> = OnceLock::new();
    BY.get_or_init(|| {
        let (mut signing, mut prefix): (HashMap<_, Entries>, HashMap<_, Entries>) =
            Default::default();
        for (name, e) in model::index() {
            signing.entry(e.signing_name()).or_default().push((name, e));
            prefix
                .entry(e.endpoint_prefix.as_str())
                .or_default()
                .push((name, e));
        }
        (signing, prefix)
    })
}

fn candidates(caller: &Caller, host_prefix: Option<&str>, speaks: &[&str]) -> Entries {
    let idx = model::index();
    // A legacy model stands in only where its service's current model does
    // not speak the protocol at all.
    let usable = |e: &IndexEntry| match e.legacy_of.as_deref().and_then(|s| idx.get(s)) {
        Some(current) => !speaks.iter().any(|p| current.speaks(p)),
        None => true,
    };
    let fits = |e: &IndexEntry| speaks.iter().any(|p| e.speaks(p)) && usable(e);
    let among = |list: Option<&Entries>| -> Entries {
        list.into_iter()
            .flatten()
            .filter(|(_, e)| fits(e))
            .copied()
            .collect()
    };
    if let Some(svc) = &caller.signing_service {
        let (signing, prefix) = by_name();
        let c = among(signing.get(svc.as_str()));
        if !c.is_empty() {
            return c;
        }
        let c = among(prefix.get(svc.as_str()));
        if !c.is_empty() {
            return c;
        }
    }
    if let Some(h) = host_prefix {
        return idx
            .iter()
            .filter(|(_, e)| fits(e) && (e.endpoint_prefix == h || e.signing_name() == h))
            .collect();
    }
    Vec::new()
}

pub fn route(req: &Request, caller: &Caller) -> Result<Route, AwsError> {
    let (host_prefix, _) = host_hint(req.header("host").unwrap_or(""));
    let host_prefix = host_prefix.as_deref();

    // smithy-rpc-v2-cbor: /service/{ServiceName}/operation/{Operation}
    if req.header("smithy-protocol").is_some() || req.path.starts_with("/service/") {
        let mut it = req.path.trim_start_matches('/').split('/');
        if let (Some("service"), Some(svc), Some("operation"), Some(op)) =
            (it.next(), it.next(), it.next(), it.next())
        {
            let svc_name = svc.rsplit('.').next().unwrap_or(svc);
            let found = model::index().iter().find(|(_, e)| {
                e.target_prefix.as_deref() == Some(svc_name) && e.speaks("smithy-rpc-v2-cbor")
            });
            if let Some((name, _)) = found {
                return finish(name, Protocol::Cbor, op);
            }
        }
    }

    if let Some(target) = req.header("x-amz-target") {
        let (prefix, op) = target.rsplit_once('.').unwrap_or(("", target));
        let idx = model::index();
        let mut matches: Vec<_> = idx
            .iter()
            .filter(|(_, e)| e.target_prefix.as_deref() == Some(prefix) && e.speaks("json"))
            .collect();
        if matches.len() > 1 {
            if let Some(svc) = &caller.signing_service {
                matches.retain(|(_, e)| e.signing_name() == svc);
            }
        }
        if let Some((name, _)) = matches.first() {
            return finish(name, Protocol::Json, op);
        }
        return Err(AwsError::bad_request(
            "UnknownOperationException",
            format!("Unknown target: {target}"),
        ));
    }

    let form = query::form_params(req);
    if let Some(action) = form.get("Action") {
        let version = form.get("Version").map(String::as_str).unwrap_or("");
        let mut c = candidates(caller, host_prefix, &["query", "ec2"]);
        if c.is_empty() {
            // Unsigned calls (e.g. AssumeRoleWithWebIdentity): find the API by version.
            c = model::index()
                .iter()
                .filter(|(_, e)| (e.speaks("query") || e.speaks("ec2")) && e.api_version == version)
                .collect();
            if c.len() > 1 {
                c.retain(|(n, _)| model::load(n).is_some_and(|m| m.operation(action).is_some()));
            }
        }
        // RDS, Neptune and DocumentDB share a signing name and an API
        // version: the model named like the signing service wins.
        let same_version: Vec<_> = c.iter().filter(|(_, e)| e.api_version == version).collect();
        let chosen = same_version
            .iter()
            .find(|(n, _)| caller.signing_service.as_deref() == Some(n.as_str()))
            .or(same_version.first())
            .copied()
            .or(c.first())
            .copied();
        if let Some((name, e)) = chosen {
            let protocol = if e.speaks("ec2") {
                Protocol::Ec2
            } else {
                Protocol::Query
            };
            return finish(name, protocol, action);
        }
        return Err(unroutable());
    }

    // REST: the operation whose URI template fits best among the candidates.
    let c = candidates(caller, host_prefix, &["rest-json", "rest-xml"]);
    if c.is_empty() {
        return Err(unroutable());
    }
    let qp = req.query_pairs();
    let mut best: Option<((usize, usize, usize), Arc<ServiceModel>, String)> = None;
    let mut first_model = None;
    for (name, _) in c {
        let Some(m) = model::load(name) else { continue };
        for (op_name, op) in &m.operations {
            if !op.http.method.eq_ignore_ascii_case(&req.method) {
                continue;
            }
            if match_uri(&op.http.request_uri, &req.path, &qp).is_some() {
                let spec = specificity(&op.http.request_uri);
                if best.as_ref().is_none_or(|(s, _, _)| spec > *s) {
                    best = Some((spec, m.clone(), op_name.clone()));
                }
            }
        }
        first_model.get_or_insert(m);
    }
    if let Some((_, m, op)) = best {
        let protocol = rest_protocol(&m);
        return Ok(Route {
            model: m,
            protocol,
            operation: Some(op.clone()),
            requested: op,
        });
    }
    let m = first_model.ok_or_else(unroutable)?;
    let protocol = rest_protocol(&m);
    Ok(Route {
        model: m,
        protocol,
        operation: None,
        requested: format!("{} {}", req.method, req.path),
    })
}

fn rest_protocol(m: &ServiceModel) -> Protocol {
    if m.metadata.all_protocols().contains(&"rest-xml") {
        Protocol::RestXml
    } else {
        Protocol::RestJson
    }
}

fn finish(name: &str, protocol: Protocol, op: &str) -> Result<Route, AwsError> {
    let m = model::load(name)
        .ok_or_else(|| AwsError::internal(format!("model {name} failed to load")))?;
    let operation = m.operation(op).map(|o| o.name.clone());
    Ok(Route {
        model: m,
        protocol,
        operation,
        requested: op.to_string(),
    })
}

/// AWS's answer for an operation name the service does not have.
pub fn unknown_operation(route: &Route) -> AwsError {
    match route.protocol {
        Protocol::Query | Protocol::Ec2 => AwsError::bad_request(
            "InvalidAction",
            format!(
                "The action {} is not valid for this web service.",
                route.requested
            ),
        ),
        Protocol::RestJson | Protocol::RestXml => AwsError::not_found(
            "UnknownOperationException",
            format!("No operation matches {}", route.requested),
        ),
        _ => AwsError::bad_request(
            "UnknownOperationException",
            format!("Unknown operation {}", route.requested),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_hints() {
        assert_eq!(
            host_hint("sqs.us-east-1.localhost:4566"),
            (Some("sqs".into()), Some("us-east-1".into()))
        );
        assert_eq!(host_hint("sts.amazonaws.com"), (Some("sts".into()), None));
        assert_eq!(
            host_hint("ec2.eu-west-2.amazonaws.com"),
            (Some("ec2".into()), Some("eu-west-2".into()))
        );
        assert_eq!(host_hint("127.0.0.1:4566"), (None, None));
    }
}

#[cfg(test)]
mod shared_signing_names {
    use super::*;

    fn req(method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Request {
        let mut h = http::HeaderMap::new();
        for (k, v) in headers {
            h.insert(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                http::HeaderValue::from_str(v).unwrap(),
            );
        }
        let (path, query) = path.split_once('?').unwrap_or((path, ""));
        Request {
            method: method.into(),
            path: path.into(),
            query: query.into(),
            headers: h,
            body: body.to_string().into(),
        }
    }

    fn auth(service: &str) -> String {
        format!(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250101/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=0"
        )
    }

    fn routed(r: &Request) -> (String, Option<String>) {
        let c = caller(r);
        let route = route(r, &c).unwrap_or_else(|e| panic!("{e}"));
        (route.model.name.clone(), route.operation)
    }

    const FORM: (&str, &str) = ("content-type", "application/x-www-form-urlencoded");

    #[test]
    fn rds_wins_over_the_services_sharing_its_signing_name() {
        let a = auth("rds");
        let r = req(
            "POST",
            "/",
            &[("authorization", &a), FORM],
            "Action=CreateDBInstance&Version=2014-10-31",
        );
        assert_eq!(routed(&r), ("rds".into(), Some("CreateDBInstance".into())));
    }

    #[test]
    fn elb_versions_by_api_version() {
        let a = auth("elasticloadbalancing");
        let v1 = req(
            "POST",
            "/",
            &[("authorization", &a), FORM],
            "Action=DescribeLoadBalancers&Version=2012-06-01",
        );
        let v2 = req(
            "POST",
            "/",
            &[("authorization", &a), FORM],
            "Action=DescribeLoadBalancers&Version=2015-12-01",
        );
        assert_eq!(
            routed(&v1),
            ("elb".into(), Some("DescribeLoadBalancers".into()))
        );
        assert_eq!(
            routed(&v2),
            ("elbv2".into(), Some("DescribeLoadBalancers".into()))
        );
    }

    #[test]
    fn ses_versions_by_protocol_and_path() {
        let a = auth("ses");
        let v1 = req(
            "POST",
            "/",
            &[("authorization", &a), FORM],
            "Action=ListIdentities&Version=2010-12-01",
        );
        let v2 = req("GET", "/v2/email/account", &[("authorization", &a)], "");
        assert_eq!(routed(&v1), ("ses".into(), Some("ListIdentities".into())));
        assert_eq!(routed(&v2), ("sesv2".into(), Some("GetAccount".into())));
    }

    #[test]
    fn api_gateway_versions_by_path() {
        let a = auth("apigateway");
        let v1 = req("GET", "/restapis", &[("authorization", &a)], "");
        let v2 = req("GET", "/v2/apis", &[("authorization", &a)], "");
        assert_eq!(
            routed(&v1),
            ("apigateway".into(), Some("GetRestApis".into()))
        );
        assert_eq!(routed(&v2), ("apigatewayv2".into(), Some("GetApis".into())));
    }

    #[test]
    fn json_cbor_and_host_routing() {
        let t = req(
            "POST",
            "/",
            &[("x-amz-target", "DynamoDB_20120810.ListTables")],
            "{}",
        );
        assert_eq!(routed(&t), ("dynamodb".into(), Some("ListTables".into())));
        let c = req(
            "POST",
            "/service/GraniteServiceVersion20100801/operation/ListMetrics",
            &[("smithy-protocol", "rpc-v2-cbor")],
            "",
        );
        assert_eq!(
            routed(&c),
            ("cloudwatch".into(), Some("ListMetrics".into()))
        );
        let h = req(
            "GET",
            "/2015-03-31/functions/",
            &[("host", "lambda.us-east-1.localhost:4566")],
            "",
        );
        assert_eq!(routed(&h), ("lambda".into(), Some("ListFunctions".into())));
        let unsigned = req(
            "POST",
            "/",
            &[FORM],
            "Action=AssumeRoleWithWebIdentity&Version=2011-06-15",
        );
        assert_eq!(
            routed(&unsigned),
            ("sts".into(), Some("AssumeRoleWithWebIdentity".into()))
        );
    }

    #[test]
    fn legacy_query_model_serves_form_requests_of_json_services() {
        let a = auth("sqs");
        let form = req(
            "POST",
            "/",
            &[FORM, ("authorization", &a)],
            "Action=ListQueues&Version=2012-11-05",
        );
        let r = route(&form, &caller(&form)).unwrap();
        assert_eq!(r.model.name, "sqs-query");
        assert_eq!(r.protocol, Protocol::Query);
        assert_eq!(r.model.serves(), "sqs");
        let json = req(
            "POST",
            "/",
            &[
                ("x-amz-target", "AmazonSQS.ListQueues"),
                ("authorization", &a),
            ],
            "{}",
        );
        assert_eq!(routed(&json), ("sqs".into(), Some("ListQueues".into())));
        // Services whose current model speaks query never use a legacy one.
        let sts = req(
            "POST",
            "/",
            &[FORM, ("authorization", &auth("sts"))],
            "Action=GetCallerIdentity&Version=2011-06-15",
        );
        assert_eq!(routed(&sts).0, "sts");
    }

    #[test]
    fn unknown_action_is_known_service_without_operation() {
        let a = auth("sts");
        let r = req(
            "POST",
            "/",
            &[("authorization", &a), FORM],
            "Action=NoSuchThing&Version=2011-06-15",
        );
        let route = route(&r, &caller(&r)).unwrap();
        assert_eq!(route.model.name, "sts");
        assert!(route.operation.is_none());
        assert_eq!(unknown_operation(&route).code, "InvalidAction");
    }
}
