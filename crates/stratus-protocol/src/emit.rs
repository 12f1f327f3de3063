//! Typed outputs walked straight into a wire format.
//!
//! A handler's output is a generated struct. The general path converts it
//! into a [`Value`] tree (a map of member names per structure) that a codec
//! then walks by name. For large answers (a thousand instances of
//! DescribeInstances) building, walking and dropping that tree cost more
//! than everything else, so generated output types also implement [`Emit`]:
//! they announce each present member by its index in the model's member
//! order, and an [`Emitter`] (the XML one in `codec::xmlplan`) turns the
//! calls into bytes with the names and traits it resolved once per shape.
//! Generated code stays protocol-neutral; the wire format stays in the codecs.

use std::collections::BTreeMap;

use crate::value::{Blob, Timestamp, ToValue, Value};

/// Receives a typed output's structure, member by member, in model order.
pub trait Emitter {
    fn begin_structure(&mut self);
    /// Announces member `index` (its position among the shape's members)
    /// as the next value; `false` means the format leaves it out and the
    /// value must not be emitted.
    fn member(&mut self, index: usize) -> bool;
    fn end_structure(&mut self);
    fn begin_list(&mut self, len: usize);
    /// Announces the next list item.
    fn item(&mut self);
    fn end_list(&mut self);
    fn begin_map(&mut self, len: usize);
    /// Writes an entry's key; its value follows.
    fn key(&mut self, key: &str);
    /// Closes the entry whose value was just emitted.
    fn end_entry(&mut self);
    fn end_map(&mut self);
    fn string(&mut self, v: &str);
    fn boolean(&mut self, v: bool);
    fn integer(&mut self, v: i64);
    fn float(&mut self, v: f64);
    fn blob(&mut self, v: &[u8]);
    fn timestamp(&mut self, epoch_ms: i64);
    fn document(&mut self, v: &serde_json::Value);
}

/// A typed value that can walk itself into an [`Emitter`].
pub trait Emit {
    fn emit(&self, e: &mut dyn Emitter);
}

/// What a handler answers: walked by a fast codec, or turned into a
/// [`Value`] for the others.
pub trait Reply: Send {
    fn emit(&self, e: &mut dyn Emitter);
    fn into_value(self: Box<Self>) -> Value;
}

impl<T: Emit + ToValue + Send> Reply for T {
    fn emit(&self, e: &mut dyn Emitter) {
        Emit::emit(self, e)
    }
    fn into_value(self: Box<Self>) -> Value {
        (*self).to_value()
    }
}

/// Emits an optional member of a generated structure.
#[inline]
pub fn member<T: Emit>(e: &mut dyn Emitter, index: usize, v: &Option<T>) {
    if let Some(v) = v {
        if e.member(index) {
            v.emit(e);
        }
    }
}

/// Emits a required member of a generated structure.
#[inline]
pub fn required<T: Emit>(e: &mut dyn Emitter, index: usize, v: &T) {
    if e.member(index) {
        v.emit(e);
    }
}

impl Emit for String {
    fn emit(&self, e: &mut dyn Emitter) {
        e.string(self)
    }
}
impl Emit for bool {
    fn emit(&self, e: &mut dyn Emitter) {
        e.boolean(*self)
    }
}
impl Emit for i64 {
    fn emit(&self, e: &mut dyn Emitter) {
        e.integer(*self)
    }
}
impl Emit for i32 {
    fn emit(&self, e: &mut dyn Emitter) {
        e.integer(*self as i64)
    }
}
impl Emit for f64 {
    fn emit(&self, e: &mut dyn Emitter) {
        e.float(*self)
    }
}
impl Emit for Blob {
    fn emit(&self, e: &mut dyn Emitter) {
        e.blob(&self.0)
    }
}
impl Emit for Timestamp {
    fn emit(&self, e: &mut dyn Emitter) {
        e.timestamp(self.0)
    }
}
impl Emit for serde_json::Value {
    fn emit(&self, e: &mut dyn Emitter) {
        e.document(self)
    }
}
impl<T: Emit> Emit for Box<T> {
    fn emit(&self, e: &mut dyn Emitter) {
        (**self).emit(e)
    }
}
impl<T: Emit> Emit for Vec<T> {
    fn emit(&self, e: &mut dyn Emitter) {
        e.begin_list(self.len());
        for v in self {
            e.item();
            v.emit(e);
        }
        e.end_list();
    }
}
impl<T: Emit> Emit for BTreeMap<String, T> {
    fn emit(&self, e: &mut dyn Emitter) {
        e.begin_map(self.len());
        for (k, v) in self {
            e.key(k);
            v.emit(e);
            e.end_entry();
        }
        e.end_map();
    }
}
/// Operations without output answer an empty structure.
impl Emit for () {
    fn emit(&self, e: &mut dyn Emitter) {
        e.begin_structure();
        e.end_structure();
    }
}
