//! What SNS sent where it cannot deliver from here: email (to a local
//! mailbox) and SMS. Users read it at `GET /_stratus/sns/outbox`, optionally
//! filtered by `protocol` and `endpoint`.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use stratus_core::{AwsError, RequestContext};
use stratus_protocol::router::Caller;
use stratus_protocol::{Body, HttpFuture, HttpHandler};
use stratus_store::{Batch, Store};

const TABLE: &str = "sns.outbox";
pub const PATH: &str = "/_stratus/sns/outbox";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Entry {
    pub protocol: String,
    pub endpoint: String,
    pub topic_arn: Option<String>,
    pub message_id: String,
    pub subject: Option<String>,
    pub body: String,
    pub timestamp: String,
}

pub struct Outbox {
    store: Store,
    entries: Mutex<Vec<Entry>>,
}

impl Outbox {
    pub fn load(store: Store) -> Result<Outbox, AwsError> {
        let entries = store
            .scan_json::<Entry>(TABLE, b"")
            .map_err(|e| AwsError::internal(e.to_string()))?;
        Ok(Outbox {
            store,
            entries: Mutex::new(entries),
        })
    }

    pub fn record(&self, entry: Entry) {
        let mut entries = self.entries.lock();
        let mut b = Batch::new();
        let key = format!("{:012}", entries.len()).into_bytes();
        if b.put_json(TABLE, key, &entry).is_ok() {
            if let Err(e) = self.store.commit(b) {
                tracing::warn!(error = %e, "could not store an outbox entry");
            }
        }
        entries.push(entry);
    }

    pub fn list(&self, protocol: Option<&str>, endpoint: Option<&str>) -> Vec<Entry> {
        self.entries
            .lock()
            .iter()
            .filter(|e| protocol.is_none_or(|p| e.protocol == p))
            .filter(|e| endpoint.is_none_or(|x| e.endpoint == x))
            .cloned()
            .collect()
    }

    pub fn clear(&self) -> Result<(), AwsError> {
        let mut entries = self.entries.lock();
        self.store
            .clear(TABLE)
            .map_err(|e| AwsError::internal(e.to_string()))?;
        entries.clear();
        Ok(())
    }
}

/// Serves the outbox over HTTP; named after SNS so a reset of SNS clears it.
pub struct OutboxHandler(pub std::sync::Arc<Outbox>);

impl HttpHandler for OutboxHandler {
    fn name(&self) -> &'static str {
        "sns"
    }

    fn claims(&self, head: &http::request::Parts, _caller: &Caller) -> bool {
        head.method == http::Method::GET && head.uri.path() == PATH
    }

    fn handle<'a>(&'a self, _ctx: RequestContext, req: http::Request<Body>) -> HttpFuture<'a> {
        Box::pin(async move {
            let query = req.uri().query().unwrap_or("");
            let pairs = stratus_protocol::codec::parse_form(query.as_bytes());
            let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
            let entries = self.list(get("protocol"), get("endpoint"));
            let body = serde_json::json!({ "messages": entries }).to_string();
            let full: Body = Full::new(Bytes::from(body))
                .map_err(|never| match never {})
                .boxed_unsync();
            let mut resp = http::Response::new(full);
            resp.headers_mut().insert(
                http::header::CONTENT_TYPE,
                http::HeaderValue::from_static("application/json"),
            );
            resp
        })
    }

    fn reset(&self) -> Result<(), AwsError> {
        self.0.clear()
    }
}

impl std::ops::Deref for OutboxHandler {
    type Target = Outbox;
    fn deref(&self) -> &Outbox {
        &self.0
    }
}
