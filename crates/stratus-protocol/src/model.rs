//! AWS service models in botocore's JSON form, loaded lazily from the
//! embedded, stripped copies (see `cargo xtask models`).

use std::collections::HashMap;
use std::io::Read;
use std::sync::{Arc, OnceLock};

use indexmap::IndexMap;
use parking_lot::RwLock;
use serde::Deserialize;

use crate::embedded;

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct Metadata {
    pub api_version: String,
    pub endpoint_prefix: String,
    pub signing_name: Option<String>,
    pub target_prefix: Option<String>,
    pub json_version: Option<String>,
    pub service_id: String,
    pub protocol: String,
    pub protocols: Vec<String>,
    pub xml_namespace: Option<String>,
    pub global_endpoint: Option<String>,
    pub aws_query_compatible: Option<serde_json::Value>,
}

impl Metadata {
    pub fn signing_name(&self) -> &str {
        self.signing_name
            .as_deref()
            .unwrap_or(&self.endpoint_prefix)
    }

    /// Every protocol the service speaks, preferred first.
    pub fn all_protocols(&self) -> Vec<&str> {
        if self.protocols.is_empty() {
            vec![self.protocol.as_str()]
        } else {
            self.protocols.iter().map(String::as_str).collect()
        }
    }

    pub fn query_compatible(&self) -> bool {
        self.aws_query_compatible.is_some()
    }
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct Http {
    pub method: String,
    pub request_uri: String,
    pub response_code: Option<u16>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct Operation {
    pub name: String,
    pub http: Http,
    pub input: Option<ShapeRef>,
    pub output: Option<ShapeRef>,
    pub errors: Vec<ShapeRef>,
    pub deprecated: bool,
}

/// A reference to a shape plus the serialisation traits set at the reference.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ShapeRef {
    pub shape: String,
    pub location: Option<String>,
    pub location_name: Option<String>,
    pub query_name: Option<String>,
    pub flattened: Option<bool>,
    pub xml_attribute: bool,
    pub xml_namespace: Option<XmlNamespace>,
    pub timestamp_format: Option<String>,
    #[serde(alias = "jsonvalue")]
    pub json_value: bool,
    pub idempotency_token: bool,
    pub host_label: bool,
    pub result_wrapper: Option<String>,
    /// Legacy models name the payload member on the operation's reference.
    pub payload: Option<String>,
    pub event_stream: bool,
    pub streaming: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum XmlNamespace {
    Uri(String),
    Full {
        #[serde(default)]
        prefix: Option<String>,
        uri: String,
    },
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ErrorTrait {
    pub code: Option<String>,
    pub http_status_code: Option<u16>,
    pub sender_fault: bool,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct Shape {
    #[serde(rename = "type")]
    pub kind: String,
    pub members: IndexMap<String, ShapeRef>,
    pub required: Vec<String>,
    pub member: Option<Box<ShapeRef>>,
    pub key: Option<Box<ShapeRef>>,
    pub value: Option<Box<ShapeRef>>,
    pub flattened: bool,
    pub location_name: Option<String>,
    pub xml_namespace: Option<XmlNamespace>,
    #[serde(rename = "enum")]
    pub enum_values: Vec<String>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub pattern: Option<String>,
    pub timestamp_format: Option<String>,
    pub payload: Option<String>,
    pub exception: bool,
    pub fault: bool,
    pub error: Option<ErrorTrait>,
    pub streaming: bool,
    pub event_stream: bool,
    pub union: bool,
    pub document: bool,
    pub sensitive: bool,
    pub media_type: Option<String>,
}

#[derive(Debug, Deserialize)]
struct RawModel {
    metadata: Metadata,
    #[serde(default)]
    operations: IndexMap<String, Operation>,
    #[serde(default)]
    shapes: HashMap<String, Shape>,
}

/// One service's model: its metadata, operations and shapes.
#[derive(Debug)]
pub struct ServiceModel {
    /// botocore's folder name, e.g. `sts`, `elbv2`.
    pub name: String,
    pub metadata: Metadata,
    pub operations: IndexMap<String, Operation>,
    pub shapes: HashMap<String, Shape>,
    /// Compiled XML plans of output shapes, made on first use.
    xml_plans: crate::codec::xmlplan::Plans,
}

static EMPTY_SHAPE: OnceLock<Shape> = OnceLock::new();

impl ServiceModel {
    pub fn from_json(name: &str, json: &[u8]) -> Result<ServiceModel, String> {
        let raw: RawModel = serde_json::from_slice(json).map_err(|e| e.to_string())?;
        Ok(Self::from_parts(
            name,
            raw.metadata,
            raw.operations,
            raw.shapes,
        ))
    }

    pub fn from_parts(
        name: &str,
        metadata: Metadata,
        mut operations: IndexMap<String, Operation>,
        shapes: HashMap<String, Shape>,
    ) -> ServiceModel {
        for (k, op) in operations.iter_mut() {
            if op.name.is_empty() {
                op.name = k.clone();
            }
        }
        ServiceModel {
            name: name.to_string(),
            metadata,
            operations,
            shapes,
            xml_plans: Default::default(),
        }
    }

    /// The compiled XML plan of an output structure (see `codec::xmlplan`).
    pub fn xml_plan(&self, shape: &str) -> Option<Arc<crate::codec::xmlplan::XmlPlan>> {
        self.xml_plans.get(self, shape)
    }

    /// A shape by name; a missing shape reads as an empty structure, so a
    /// broken model can never make a codec panic.
    pub fn shape(&self, name: &str) -> &Shape {
        self.shapes
            .get(name)
            .unwrap_or_else(|| EMPTY_SHAPE.get_or_init(Shape::default))
    }

    pub fn operation(&self, name: &str) -> Option<&Operation> {
        self.operations.get(name)
    }

    /// The service whose handlers answer this model's operations: its own
    /// name, or for a legacy model the service it is an older form of.
    pub fn serves(&self) -> &str {
        index()
            .get(&self.name)
            .and_then(|e| e.legacy_of.as_deref())
            .unwrap_or(&self.name)
    }

    /// The code query clients know an error by: the `error.code` of its
    /// shape here, else of the same shape in a legacy model of this service
    /// (current models of query-compatible services may no longer carry it).
    pub fn query_code(&self, code: &str) -> Option<String> {
        let own = self.error_shape(code);
        if let Some(c) = own.and_then(|(_, s)| s.error.as_ref()?.code.clone()) {
            return Some(c);
        }
        let shape_name = own.map_or(code, |(n, _)| n);
        index()
            .iter()
            .filter(|(_, e)| e.legacy_of.as_deref() == Some(self.name.as_str()))
            .filter_map(|(n, _)| load(n))
            .find_map(|m| {
                let (_, s) = m.error_shape(shape_name)?;
                s.error.as_ref()?.code.clone()
            })
    }

    /// The error shape (and its trait) a code names, if the model has one.
    pub fn error_shape(&self, code: &str) -> Option<(&str, &Shape)> {
        self.shapes.iter().find_map(|(n, s)| {
            if !s.exception {
                return None;
            }
            let c = s
                .error
                .as_ref()
                .and_then(|e| e.code.as_deref())
                .unwrap_or(n);
            (c == code || n == code).then_some((n.as_str(), s))
        })
    }
}

/// The compact routing metadata of every embedded service.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct IndexEntry {
    pub api_version: String,
    pub endpoint_prefix: String,
    pub signing_name: Option<String>,
    pub target_prefix: Option<String>,
    pub json_version: Option<String>,
    pub service_id: String,
    pub protocol: String,
    pub protocols: Vec<String>,
    pub global_endpoint: Option<String>,
    /// For an older model kept for clients of a protocol the current model
    /// dropped (`sqs-query`): the service whose handlers serve it.
    pub legacy_of: Option<String>,
}

impl IndexEntry {
    pub fn signing_name(&self) -> &str {
        self.signing_name
            .as_deref()
            .unwrap_or(&self.endpoint_prefix)
    }
    pub fn speaks(&self, protocol: &str) -> bool {
        self.protocol == protocol || self.protocols.iter().any(|p| p == protocol)
    }
}

pub fn index() -> &'static IndexMap<String, IndexEntry> {
    static INDEX: OnceLock<IndexMap<String, IndexEntry>> = OnceLock::new();
    INDEX.get_or_init(|| serde_json::from_str(embedded::INDEX).unwrap_or_default())
}

/// The model of an embedded service, decompressed and parsed on first use.
pub fn load(service: &str) -> Option<Arc<ServiceModel>> {
    static CACHE: OnceLock<RwLock<HashMap<String, Arc<ServiceModel>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(m) = cache.read().get(service) {
        return Some(m.clone());
    }
    let (_, gz) = embedded::MODELS.iter().find(|(n, _)| *n == service)?;
    let mut json = Vec::new();
    flate2::read::GzDecoder::new(*gz)
        .read_to_end(&mut json)
        .ok()?;
    let model = Arc::new(ServiceModel::from_json(service, &json).ok()?);
    cache.write().insert(service.to_string(), model.clone());
    Some(model)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sts_model_loads() {
        let m = load("sts").expect("sts model");
        assert_eq!(m.metadata.protocol, "query");
        assert!(m.operation("AssumeRole").is_some());
        let input = m.operation("AssumeRole").unwrap().input.as_ref().unwrap();
        assert!(
            m.shape(&input.shape)
                .required
                .contains(&"RoleArn".to_string())
        );
    }

    #[test]
    fn every_embedded_model_parses() {
        for (name, _) in embedded::MODELS {
            let m = load(name).unwrap_or_else(|| panic!("model {name} does not load"));
            assert!(!m.operations.is_empty() || m.shapes.is_empty(), "{name}");
        }
        assert!(index().len() >= 400);
    }

    #[test]
    fn legacy_models_serve_their_service_and_name_query_codes() {
        let legacy = load("sqs-query").expect("sqs-query is embedded");
        assert_eq!(legacy.metadata.protocol, "query");
        assert_eq!(legacy.serves(), "sqs");
        let current = load("sqs").expect("sqs is embedded");
        assert_eq!(current.serves(), "sqs");
        // The current JSON model has no legacy codes; the old one supplies them.
        assert_eq!(
            current.query_code("QueueDoesNotExist").as_deref(),
            Some("AWS.SimpleQueueService.NonExistentQueue")
        );
        assert_eq!(
            legacy.query_code("QueueNameExists").as_deref(),
            Some("QueueAlreadyExists")
        );
        assert_eq!(current.query_code("InvalidParameterValue"), None);
    }
}
