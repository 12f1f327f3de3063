//! An AWS error as a handler raises it; the protocol layer encodes it per wire format.

use std::collections::BTreeMap;
use std::fmt;

/// Who AWS blames for an error: the `Type` element of query errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    Sender,
    Receiver,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AwsError {
    pub code: String,
    pub message: String,
    pub status: u16,
    pub fault: Fault,
    /// Extra members of the error shape (e.g. `CancellationReasons`), already
    /// in their wire names; encoded beside code and message.
    pub fields: BTreeMap<String, String>,
    /// Headers some errors carry (e.g. `x-amz-bucket-region`).
    pub headers: Vec<(String, String)>,
    /// Structured members (e.g. DynamoDB's `CancellationReasons`) as JSON
    /// text; JSON and CBOR encoders embed them as values.
    pub json_fields: Vec<(String, String)>,
}

impl AwsError {
    pub fn new(status: u16, code: impl Into<String>, message: impl Into<String>) -> Self {
        let fault = if status >= 500 {
            Fault::Receiver
        } else {
            Fault::Sender
        };
        AwsError {
            code: code.into(),
            message: message.into(),
            status,
            fault,
            fields: BTreeMap::new(),
            headers: Vec::new(),
            json_fields: Vec::new(),
        }
    }

    pub fn bad_request(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(400, code, message)
    }

    pub fn not_found(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(404, code, message)
    }

    pub fn access_denied(message: impl Into<String>) -> Self {
        Self::new(403, "AccessDenied", message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(500, "InternalFailure", message)
    }

    /// The answer for a modelled operation that Stratus does not implement.
    pub fn not_implemented(service: &str, operation: &str) -> Self {
        Self::new(
            501,
            "NotImplemented",
            format!("The operation {service}:{operation} is not implemented by Stratus"),
        )
    }

    pub fn with_field(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.fields.insert(name.into(), value.into());
        self
    }

    pub fn with_json_field(mut self, name: impl Into<String>, json: impl Into<String>) -> Self {
        self.json_fields.push((name.into(), json.into()));
        self
    }

    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
}

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}", self.code, self.status, self.message)
    }
}

impl std::error::Error for AwsError {}
