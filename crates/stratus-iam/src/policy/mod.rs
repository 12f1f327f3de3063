//! The policy engine: documents, their validation, and AWS's evaluation logic.
//! Pure functions of a policy set and a request; nothing here touches state.

pub mod conditions;
#[cfg(test)]
mod doc_examples;
pub mod document;
pub mod evaluate;
pub mod glob;
pub mod positions;
pub mod variables;

pub use document::{PolicyDocument, PolicyKind};
pub use evaluate::{Decision, DenySource, EvalRequest, PolicySet, Principal, evaluate};
pub use variables::Context;
