//! Shape-driven XML for typed outputs, from a plan compiled once per shape.
//!
//! [`super::xmlser::write_element`] walks a [`Value`](crate::Value) tree and
//! looks every shape up by name as it goes. This module resolves the same
//! rules once per output shape into an [`XmlPlan`]: element names, the
//! namespace attribute text, flattening, timestamp formats, with members
//! addressed by their index in the model. An [`XmlEmitter`] then writes a
//! typed output ([`Emit`](crate::emit::Emit)) into one buffer with no lookups
//! and no intermediate tree. Both paths must give the same bytes; the tests
//! below hold them to it. Shapes with XML attributes (never in query or ec2
//! outputs) have no plan and keep the general path.

use std::collections::HashMap;
use std::fmt::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use parking_lot::RwLock;

use super::TsFormat;
use super::xmlser::{float_text, member_key};
use crate::emit::Emitter;
use crate::model::{ServiceModel, ShapeRef, XmlNamespace};
use crate::xml::escape;

/// How one value is written: as the element `name`, with the shape at
/// `shape` in the plan and the traits of the reference that led to it.
#[derive(Debug)]
struct Elem {
    name: Box<str>,
    shape: usize,
    flattened: bool,
    /// ` xmlns="..."` for structures and lists (the reference's, else the shape's).
    ns: Box<str>,
    /// ` xmlns="..."` for scalars (the reference's only).
    scalar_ns: Box<str>,
    ts: TsFormat,
}

#[derive(Debug)]
enum ShapePlan {
    /// Members in model order; `None` for members not written in the body.
    Structure(Vec<Option<Elem>>),
    /// `named`: the member reference names its items (a flattened list then
    /// repeats that name rather than the structure member's).
    List {
        item: Elem,
        named: bool,
    },
    Map {
        key: Elem,
        value: Elem,
    },
    Scalar,
}

/// The compiled XML rules of one output shape and everything it reaches.
#[derive(Debug)]
pub struct XmlPlan {
    shapes: Vec<ShapePlan>,
    /// The size of the last body written, to size the next buffer at once.
    last_len: AtomicUsize,
}

/// Plans by output shape name, per model; `None` where a shape needs the
/// general path.
#[derive(Debug, Default)]
pub struct Plans(RwLock<HashMap<String, Option<Arc<XmlPlan>>>>);

impl Plans {
    pub fn get(&self, model: &ServiceModel, shape: &str) -> Option<Arc<XmlPlan>> {
        if let Some(p) = self.0.read().get(shape) {
            return p.clone();
        }
        let plan = XmlPlan::compile(model, shape).map(Arc::new);
        self.0.write().insert(shape.to_string(), plan.clone());
        plan
    }
}

fn ns_text(ns: Option<&XmlNamespace>) -> Box<str> {
    let Some(ns) = ns else {
        return "".into();
    };
    let (prefix, uri) = match ns {
        XmlNamespace::Uri(u) => (None, u.as_str()),
        XmlNamespace::Full { prefix, uri } => (prefix.as_deref(), uri.as_str()),
    };
    let mut out = match prefix {
        Some(p) => format!(" xmlns:{p}=\""),
        None => " xmlns=\"".to_string(),
    };
    escape(uri, &mut out);
    out.push('"');
    out.into()
}

struct Compiler<'m> {
    model: &'m ServiceModel,
    index: HashMap<&'m str, usize>,
    shapes: Vec<ShapePlan>,
    has_attributes: bool,
}

impl<'m> Compiler<'m> {
    fn elem(&mut self, name: &str, r: &'m ShapeRef) -> Elem {
        let s = self.model.shape(&r.shape);
        Elem {
            name: name.into(),
            shape: self.shape(&r.shape),
            flattened: r.flattened.unwrap_or(s.flattened),
            ns: ns_text(r.xml_namespace.as_ref().or(s.xml_namespace.as_ref())),
            scalar_ns: ns_text(r.xml_namespace.as_ref()),
            ts: TsFormat::from_trait(
                r.timestamp_format
                    .as_deref()
                    .or(s.timestamp_format.as_deref()),
            )
            .unwrap_or(TsFormat::Iso8601),
        }
    }

    fn shape(&mut self, name: &'m str) -> usize {
        if let Some(&i) = self.index.get(name) {
            return i;
        }
        // Reserved before its members compile, so recursive shapes end.
        let at = self.shapes.len();
        self.index.insert(name, at);
        self.shapes.push(ShapePlan::Scalar);
        let s = self.model.shape(name);
        let plan = match s.kind.as_str() {
            "structure" if !s.document => {
                let mut members = Vec::with_capacity(s.members.len());
                for (mname, mr) in &s.members {
                    if mr.xml_attribute {
                        self.has_attributes = true;
                    }
                    // As `xmlser::write_members`: in responses only headers
                    // and the status code live outside the body.
                    let in_body = !matches!(
                        mr.location.as_deref(),
                        Some("header" | "headers" | "statusCode")
                    );
                    members.push(
                        (in_body && !mr.xml_attribute)
                            .then(|| self.elem(member_key(mname, mr), mr)),
                    );
                }
                ShapePlan::Structure(members)
            }
            "list" => {
                let mr = s.member.as_deref().unwrap_or(default_ref());
                let item = self.elem(mr.location_name.as_deref().unwrap_or("member"), mr);
                ShapePlan::List {
                    item,
                    named: mr.location_name.is_some(),
                }
            }
            "map" => {
                let kr = s.key.as_deref().unwrap_or(default_ref());
                let vr = s.value.as_deref().unwrap_or(default_ref());
                ShapePlan::Map {
                    key: self.elem(kr.location_name.as_deref().unwrap_or("key"), kr),
                    value: self.elem(vr.location_name.as_deref().unwrap_or("value"), vr),
                }
            }
            _ => ShapePlan::Scalar,
        };
        self.shapes[at] = plan;
        at
    }
}

fn default_ref() -> &'static ShapeRef {
    static DEFAULT: std::sync::OnceLock<ShapeRef> = std::sync::OnceLock::new();
    DEFAULT.get_or_init(ShapeRef::default)
}

impl XmlPlan {
    /// The plan of structure `shape` (its members are written bare, as the
    /// protocols' envelopes want), or `None` if a shape it reaches has XML
    /// attributes.
    pub fn compile(model: &ServiceModel, shape: &str) -> Option<XmlPlan> {
        let mut c = Compiler {
            model,
            index: HashMap::new(),
            shapes: Vec::new(),
            has_attributes: false,
        };
        c.shape(shape);
        if c.has_attributes {
            return None;
        }
        Some(XmlPlan {
            shapes: c.shapes,
            last_len: AtomicUsize::new(0),
        })
    }

    /// A buffer sized for a body like the last one.
    pub fn buffer(&self, extra: usize) -> String {
        String::with_capacity(self.last_len.load(Ordering::Relaxed) + extra)
    }

    /// Writes the members of a typed output structure into `out`; `emit`
    /// walks the output into the emitter it is given.
    pub fn write(&self, emit: impl FnOnce(&mut dyn Emitter), out: &mut String) {
        let start = out.len();
        let mut e = XmlEmitter {
            plan: self,
            out,
            pending: None,
            stack: Vec::with_capacity(8),
        };
        emit(&mut e);
        let written = out.len() - start;
        self.last_len.store(written, Ordering::Relaxed);
    }
}

enum Frame<'p> {
    Structure {
        members: &'p [Option<Elem>],
        close: Option<&'p str>,
    },
    List {
        item: &'p Elem,
        item_name: &'p str,
        close: Option<&'p str>,
    },
    Map {
        key: &'p Elem,
        value: &'p Elem,
        entry: &'p str,
        close: Option<&'p str>,
    },
}

/// Writes a typed output as XML by its plan.
pub struct XmlEmitter<'p> {
    plan: &'p XmlPlan,
    out: &'p mut String,
    /// The element the next value is written as (none for the top structure).
    pending: Option<(&'p Elem, &'p str)>,
    stack: Vec<Frame<'p>>,
}

impl<'p> XmlEmitter<'p> {
    fn open(&mut self, name: &str, ns: &str) {
        self.out.push('<');
        self.out.push_str(name);
        self.out.push_str(ns);
        self.out.push('>');
    }

    fn close(&mut self, name: &str) {
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
    }

    /// Writes `<name>text</name>` for the pending scalar, `text` writing
    /// the escaped content.
    fn scalar(&mut self, text: impl FnOnce(&mut String, TsFormat)) {
        let Some((el, name)) = self.pending.take() else {
            return;
        };
        self.open(name, &el.scalar_ns);
        text(self.out, el.ts);
        self.close(name);
    }
}

impl<'p> Emitter for XmlEmitter<'p> {
    fn begin_structure(&mut self) {
        let (shape, close) = match self.pending.take() {
            Some((el, name)) => {
                self.open(name, &el.ns);
                (el.shape, Some(name))
            }
            None if self.stack.is_empty() => (0, None),
            None => {
                // A structure where no element is due (never from generated
                // types): its members have nowhere to go.
                self.stack.push(Frame::Structure {
                    members: &[],
                    close: None,
                });
                return;
            }
        };
        let plan: &'p XmlPlan = self.plan;
        let members = match &plan.shapes[shape] {
            ShapePlan::Structure(m) => m.as_slice(),
            _ => &[],
        };
        self.stack.push(Frame::Structure { members, close });
    }

    fn member(&mut self, index: usize) -> bool {
        if let Some(&Frame::Structure { members, .. }) = self.stack.last() {
            if let Some(Some(el)) = members.get(index) {
                self.pending = Some((el, &el.name));
                return true;
            }
        }
        false
    }

    fn end_structure(&mut self) {
        if let Some(Frame::Structure {
            close: Some(name), ..
        }) = self.stack.pop()
        {
            self.close(name);
        }
    }

    fn begin_list(&mut self, _len: usize) {
        let Some((el, name)) = self.pending.take() else {
            self.stack.push(Frame::Structure {
                members: &[],
                close: None,
            });
            return;
        };
        let plan: &'p XmlPlan = self.plan;
        let ShapePlan::List { item, named } = &plan.shapes[el.shape] else {
            self.stack.push(Frame::Structure {
                members: &[],
                close: None,
            });
            return;
        };
        if el.flattened {
            let item_name = if *named { &*item.name } else { name };
            self.stack.push(Frame::List {
                item,
                item_name,
                close: None,
            });
        } else {
            self.open(name, &el.ns);
            self.stack.push(Frame::List {
                item,
                item_name: &item.name,
                close: Some(name),
            });
        }
    }

    fn item(&mut self) {
        if let Some(&Frame::List {
            item, item_name, ..
        }) = self.stack.last()
        {
            self.pending = Some((item, item_name));
        }
    }

    fn end_list(&mut self) {
        match self.stack.pop() {
            Some(Frame::List {
                close: Some(name), ..
            }) => self.close(name),
            _ => {}
        }
    }

    fn begin_map(&mut self, _len: usize) {
        let Some((el, name)) = self.pending.take() else {
            self.stack.push(Frame::Structure {
                members: &[],
                close: None,
            });
            return;
        };
        let plan: &'p XmlPlan = self.plan;
        let ShapePlan::Map { key, value } = &plan.shapes[el.shape] else {
            self.stack.push(Frame::Structure {
                members: &[],
                close: None,
            });
            return;
        };
        if el.flattened {
            self.stack.push(Frame::Map {
                key,
                value,
                entry: name,
                close: None,
            });
        } else {
            self.open(name, "");
            self.stack.push(Frame::Map {
                key,
                value,
                entry: "entry",
                close: Some(name),
            });
        }
    }

    fn key(&mut self, k: &str) {
        let Some(&Frame::Map {
            key, value, entry, ..
        }) = self.stack.last()
        else {
            return;
        };
        self.open(entry, "");
        self.open(&key.name, &key.scalar_ns);
        escape(k, self.out);
        self.close(&key.name);
        self.pending = Some((value, &value.name));
    }

    fn end_entry(&mut self) {
        if let Some(&Frame::Map { entry, .. }) = self.stack.last() {
            self.pending = None;
            self.close(entry);
        }
    }

    fn end_map(&mut self) {
        match self.stack.pop() {
            Some(Frame::Map {
                close: Some(name), ..
            }) => self.close(name),
            _ => {}
        }
    }

    fn string(&mut self, v: &str) {
        self.scalar(|out, _| escape(v, out));
    }

    fn boolean(&mut self, v: bool) {
        self.scalar(|out, _| out.push_str(if v { "true" } else { "false" }));
    }

    fn integer(&mut self, v: i64) {
        self.scalar(|out, _| {
            let _ = write!(out, "{v}");
        });
    }

    fn float(&mut self, v: f64) {
        self.scalar(|out, _| escape(&float_text(v), out));
    }

    fn blob(&mut self, v: &[u8]) {
        self.scalar(|out, _| escape(&B64.encode(v), out));
    }

    fn timestamp(&mut self, epoch_ms: i64) {
        self.scalar(|out, ts| match ts {
            // Digits and `-:.TZ` only: nothing to escape.
            TsFormat::Iso8601 => stratus_core::time::write_iso8601(out, epoch_ms),
            _ => escape(&ts.format(epoch_ms), out),
        });
    }

    fn document(&mut self, v: &serde_json::Value) {
        self.scalar(|out, _| escape(&v.to_string(), out));
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::codec::xmlser::write_members;
    use crate::model::load;
    use crate::value::Value;

    /// Walks a value the way generated `Emit` code walks a typed output:
    /// present members by their index in the model's member order.
    fn walk(model: &ServiceModel, shape: &str, v: &Value, e: &mut dyn Emitter) {
        let s = model.shape(shape);
        match (s.kind.as_str(), v) {
            ("structure", Value::Map(m)) if !s.document => {
                e.begin_structure();
                for (i, (name, r)) in s.members.iter().enumerate() {
                    if let Some(x) = m.get(name).filter(|x| !x.is_null()) {
                        if e.member(i) {
                            walk(model, &r.shape, x, e);
                        }
                    }
                }
                e.end_structure();
            }
            ("list", Value::List(items)) => {
                let item = &s.member.as_ref().unwrap().shape;
                e.begin_list(items.len());
                for x in items {
                    e.item();
                    walk(model, item, x, e);
                }
                e.end_list();
            }
            ("map", Value::Map(m)) => {
                let value = &s.value.as_ref().unwrap().shape;
                e.begin_map(m.len());
                for (k, x) in m {
                    e.key(k);
                    walk(model, value, x, e);
                    e.end_entry();
                }
                e.end_map();
            }
            (_, Value::String(x)) => e.string(x),
            (_, Value::Bool(x)) => e.boolean(*x),
            (_, Value::Int(x)) => e.integer(*x),
            (_, Value::Float(x)) => e.float(*x),
            (_, Value::Blob(x)) => e.blob(x),
            (_, Value::Timestamp(x)) => e.timestamp(*x),
            (_, Value::Document(x)) => e.document(x),
            (kind, other) => panic!("{shape}: {kind} given {other:?}"),
        }
    }

    /// A value with every member of `shape` filled in, to `depth` levels;
    /// lists at the last level are empty.
    fn sample(model: &ServiceModel, shape: &str, depth: usize) -> Value {
        let s = model.shape(shape);
        match s.kind.as_str() {
            "structure" if s.document => Value::Document(serde_json::json!({"a": [1, "<b>"]})),
            "structure" => {
                let mut m = BTreeMap::new();
                if depth > 0 {
                    for (name, r) in &s.members {
                        m.insert(name.clone(), sample(model, &r.shape, depth - 1));
                    }
                }
                Value::Map(m)
            }
            "list" if depth == 0 => Value::List(vec![]),
            "list" => {
                let item = &s.member.as_ref().unwrap().shape;
                Value::List(vec![
                    sample(model, item, depth - 1),
                    sample(model, item, depth - 1),
                ])
            }
            "map" => {
                let value = &s.value.as_ref().unwrap().shape;
                let mut m = BTreeMap::new();
                if depth > 0 {
                    m.insert("k1".to_string(), sample(model, value, depth - 1));
                    m.insert("k&2".to_string(), sample(model, value, depth - 1));
                }
                Value::Map(m)
            }
            "boolean" => Value::Bool(depth % 2 == 0),
            "integer" | "long" | "short" | "byte" => Value::Int(-42),
            "float" | "double" => Value::Float(1.25),
            "blob" => Value::Blob(b"bytes\x00\xff".to_vec()),
            "timestamp" => Value::Timestamp(1_700_000_000_123),
            _ => Value::String("a<b>&'c'\n".to_string()),
        }
    }

    fn both(model: &ServiceModel, shape: &str, v: &Value) -> (String, String) {
        let Value::Map(m) = v else {
            panic!("{shape} is not a structure")
        };
        let mut general = String::new();
        write_members(model, model.shape(shape), m, &mut general);
        let plan = XmlPlan::compile(model, shape).expect("a plan");
        let mut planned = String::new();
        plan.write(|e| walk(model, shape, v, e), &mut planned);
        (general, planned)
    }

    /// Every operation output of the query and ec2 services gives the same
    /// bytes through its plan as through the general writer.
    #[test]
    fn plans_write_what_the_general_writer_writes() {
        let mut compared = 0;
        for name in [
            "ec2",
            "sqs-query",
            "sns",
            "iam",
            "sts",
            "elbv2",
            "elb",
            "autoscaling",
            "rds",
            "cloudwatch",
        ] {
            let model = load(name).unwrap_or_else(|| panic!("{name} is embedded"));
            for op in model.operations.values() {
                let Some(r) = &op.output else { continue };
                for depth in [1, 4] {
                    let v = sample(&model, &r.shape, depth);
                    let (general, planned) = both(&model, &r.shape, &v);
                    assert_eq!(general, planned, "{name} {} at depth {depth}", op.name);
                    compared += 1;
                }
            }
        }
        assert!(compared > 2000, "{compared}");
    }

    #[test]
    fn ec2_lists_are_item_sets_and_timestamps_iso8601() {
        let model = load("ec2").unwrap();
        let mut inst = BTreeMap::new();
        inst.insert("InstanceId".to_string(), Value::String("i-1".into()));
        inst.insert(
            "LaunchTime".to_string(),
            Value::Timestamp(1_700_000_000_123),
        );
        inst.insert("ProductCodes".to_string(), Value::List(vec![]));
        let mut res = BTreeMap::new();
        res.insert("ReservationId".to_string(), Value::String("r-1".into()));
        res.insert("Instances".to_string(), Value::List(vec![Value::Map(inst)]));
        let mut out = BTreeMap::new();
        out.insert(
            "Reservations".to_string(),
            Value::List(vec![Value::Map(res)]),
        );
        let (general, planned) = both(&model, "DescribeInstancesResult", &Value::Map(out));
        assert_eq!(
            planned,
            "<reservationSet><item><reservationId>r-1</reservationId><instancesSet><item>\
             <instanceId>i-1</instanceId><productCodes></productCodes>\
             <launchTime>2023-11-14T22:13:20.123Z</launchTime></item></instancesSet></item>\
             </reservationSet>"
        );
        assert_eq!(general, planned);
    }

    #[test]
    fn flattened_lists_and_maps_repeat_their_names() {
        let model = load("sqs-query").unwrap();
        let mut out = BTreeMap::new();
        out.insert(
            "QueueUrls".to_string(),
            Value::List(vec![
                Value::String("u1".into()),
                Value::String("u&2".into()),
            ]),
        );
        let (general, planned) = both(&model, "ListQueuesResult", &Value::Map(out));
        assert_eq!(
            planned,
            "<QueueUrl>u1</QueueUrl><QueueUrl>u&amp;2</QueueUrl>"
        );
        assert_eq!(general, planned);
        // An empty flattened list leaves no element at all.
        let mut out = BTreeMap::new();
        out.insert("QueueUrls".to_string(), Value::List(vec![]));
        let (general, planned) = both(&model, "ListQueuesResult", &Value::Map(out));
        assert_eq!(planned, "");
        assert_eq!(general, planned);

        let mut attrs = BTreeMap::new();
        attrs.insert("VisibilityTimeout".to_string(), Value::String("30".into()));
        let mut out = BTreeMap::new();
        out.insert("Attributes".to_string(), Value::Map(attrs));
        let (general, planned) = both(&model, "GetQueueAttributesResult", &Value::Map(out));
        assert_eq!(
            planned,
            "<Attribute><Name>VisibilityTimeout</Name><Value>30</Value></Attribute>"
        );
        assert_eq!(general, planned);
    }

    #[test]
    fn blobs_are_base64() {
        let model = load("kms").unwrap();
        // KMS speaks JSON, but its shapes still exercise the XML rules.
        let mut out = BTreeMap::new();
        out.insert("Plaintext".to_string(), Value::Blob(b"hi".to_vec()));
        let (general, planned) = both(&model, "DecryptResponse", &Value::Map(out));
        assert_eq!(planned, "<Plaintext>aGk=</Plaintext>");
        assert_eq!(general, planned);
    }

    #[test]
    fn shapes_with_attributes_have_no_plan() {
        let s3 = load("s3").unwrap();
        assert!(XmlPlan::compile(&s3, "GetObjectAclOutput").is_none());
        let ec2 = load("ec2").unwrap();
        assert!(XmlPlan::compile(&ec2, "DescribeInstancesResult").is_some());
    }
}
