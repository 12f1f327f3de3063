//! The protocol-neutral value every codec decodes into and encodes from.

use std::collections::BTreeMap;

use stratus_core::AwsError;

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    String(String),
    Blob(Vec<u8>),
    /// Epoch milliseconds.
    Timestamp(i64),
    List(Vec<Value>),
    /// Structures and maps alike: member (or key) to value.
    Map(BTreeMap<String, Value>),
    /// A free-form document (JSON value), for `document` shapes.
    Document(serde_json::Value),
}

impl Value {
    pub fn map() -> Value {
        Value::Map(BTreeMap::new())
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Map(m) => m.get(key),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// A string member of a structure.
    pub fn str_member(&self, key: &str) -> Option<&str> {
        self.get(key)?.as_str()
    }

    /// The items of a list member of a structure (none when absent).
    pub fn list_member(&self, key: &str) -> &[Value] {
        match self.get(key) {
            Some(Value::List(items)) => items,
            _ => &[],
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// Inserts into a map value; a no-op on other kinds.
    pub fn insert(&mut self, key: impl Into<String>, v: Value) {
        if let Value::Map(m) = self {
            m.insert(key.into(), v);
        }
    }
}

/// Conversion from the decoded value into a generated input type.
pub trait FromValue: Sized {
    fn from_value(v: Value) -> Result<Self, AwsError>;
}

/// Conversion from a generated output type into the value a codec encodes.
pub trait ToValue {
    fn to_value(self) -> Value;
}

fn type_error(expected: &str, got: &Value) -> AwsError {
    AwsError::bad_request(
        "SerializationException",
        format!("Expected {expected}, got {}", kind_name(got)),
    )
}

fn kind_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Int(_) => "integer",
        Value::Float(_) => "float",
        Value::String(_) => "string",
        Value::Blob(_) => "blob",
        Value::Timestamp(_) => "timestamp",
        Value::List(_) => "list",
        Value::Map(_) => "structure",
        Value::Document(_) => "document",
    }
}

impl FromValue for String {
    fn from_value(v: Value) -> Result<Self, AwsError> {
        match v {
            Value::String(s) => Ok(s),
            other => Err(type_error("string", &other)),
        }
    }
}

impl FromValue for bool {
    fn from_value(v: Value) -> Result<Self, AwsError> {
        match v {
            Value::Bool(b) => Ok(b),
            other => Err(type_error("boolean", &other)),
        }
    }
}

impl FromValue for i64 {
    fn from_value(v: Value) -> Result<Self, AwsError> {
        match v {
            Value::Int(i) => Ok(i),
            other => Err(type_error("integer", &other)),
        }
    }
}

impl FromValue for i32 {
    fn from_value(v: Value) -> Result<Self, AwsError> {
        match v {
            Value::Int(i) => i32::try_from(i).map_err(|_| type_error("integer", &Value::Int(i))),
            other => Err(type_error("integer", &other)),
        }
    }
}

impl FromValue for f64 {
    fn from_value(v: Value) -> Result<Self, AwsError> {
        match v {
            Value::Float(f) => Ok(f),
            Value::Int(i) => Ok(i as f64),
            other => Err(type_error("number", &other)),
        }
    }
}

/// Bytes of a blob member.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Blob(pub Vec<u8>);

impl FromValue for Blob {
    fn from_value(v: Value) -> Result<Self, AwsError> {
        match v {
            Value::Blob(b) => Ok(Blob(b)),
            other => Err(type_error("blob", &other)),
        }
    }
}

/// A timestamp member, in epoch milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Timestamp(pub i64);

impl FromValue for Timestamp {
    fn from_value(v: Value) -> Result<Self, AwsError> {
        match v {
            Value::Timestamp(t) => Ok(Timestamp(t)),
            other => Err(type_error("timestamp", &other)),
        }
    }
}

impl FromValue for serde_json::Value {
    fn from_value(v: Value) -> Result<Self, AwsError> {
        match v {
            Value::Document(d) => Ok(d),
            other => Err(type_error("document", &other)),
        }
    }
}

impl<T: FromValue> FromValue for Vec<T> {
    fn from_value(v: Value) -> Result<Self, AwsError> {
        match v {
            Value::List(items) => items.into_iter().map(T::from_value).collect(),
            other => Err(type_error("list", &other)),
        }
    }
}

impl<T: FromValue> FromValue for BTreeMap<String, T> {
    fn from_value(v: Value) -> Result<Self, AwsError> {
        match v {
            Value::Map(m) => m
                .into_iter()
                .map(|(k, v)| Ok((k, T::from_value(v)?)))
                .collect(),
            other => Err(type_error("map", &other)),
        }
    }
}

impl ToValue for String {
    fn to_value(self) -> Value {
        Value::String(self)
    }
}
impl ToValue for bool {
    fn to_value(self) -> Value {
        Value::Bool(self)
    }
}
impl ToValue for i64 {
    fn to_value(self) -> Value {
        Value::Int(self)
    }
}
impl ToValue for i32 {
    fn to_value(self) -> Value {
        Value::Int(self as i64)
    }
}
impl ToValue for f64 {
    fn to_value(self) -> Value {
        Value::Float(self)
    }
}
impl ToValue for Blob {
    fn to_value(self) -> Value {
        Value::Blob(self.0)
    }
}
impl ToValue for Timestamp {
    fn to_value(self) -> Value {
        Value::Timestamp(self.0)
    }
}
impl ToValue for serde_json::Value {
    fn to_value(self) -> Value {
        Value::Document(self)
    }
}
impl<T: ToValue> ToValue for Vec<T> {
    fn to_value(self) -> Value {
        Value::List(self.into_iter().map(ToValue::to_value).collect())
    }
}
impl<T: ToValue> ToValue for BTreeMap<String, T> {
    fn to_value(self) -> Value {
        Value::Map(self.into_iter().map(|(k, v)| (k, v.to_value())).collect())
    }
}

/// Takes a member out of a decoded structure for a generated `from_value`.
pub fn take<T: FromValue>(
    m: &mut BTreeMap<String, Value>,
    name: &str,
) -> Result<Option<T>, AwsError> {
    match m.remove(name) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => T::from_value(v).map(Some),
    }
}

/// Puts an optional member into a structure for a generated `to_value`.
pub fn put<T: ToValue>(m: &mut BTreeMap<String, Value>, name: &str, v: Option<T>) {
    if let Some(v) = v {
        m.insert(name.to_string(), v.to_value());
    }
}

/// The members of a structure value, for a generated `from_value`.
pub fn members(v: Value) -> Result<BTreeMap<String, Value>, AwsError> {
    match v {
        Value::Map(m) => Ok(m),
        Value::Null => Ok(BTreeMap::new()),
        other => Err(type_error("structure", &other)),
    }
}

/// Takes a required member; validation has already refused inputs without
/// it, so a miss here is a handler bug or an output built wrong.
pub fn required<T: FromValue + Default>(
    m: &mut BTreeMap<String, Value>,
    name: &str,
) -> Result<T, AwsError> {
    Ok(take(m, name)?.unwrap_or_default())
}

impl FromValue for () {
    fn from_value(_: Value) -> Result<Self, AwsError> {
        Ok(())
    }
}

impl ToValue for () {
    fn to_value(self) -> Value {
        Value::map()
    }
}

impl<T: FromValue> FromValue for Box<T> {
    fn from_value(v: Value) -> Result<Self, AwsError> {
        T::from_value(v).map(Box::new)
    }
}

impl<T: ToValue> ToValue for Box<T> {
    fn to_value(self) -> Value {
        (*self).to_value()
    }
}
