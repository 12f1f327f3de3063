//! IAM: users, groups, roles, policies and the policy engine.

pub mod policy;
