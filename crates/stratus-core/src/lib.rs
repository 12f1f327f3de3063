//! Types every layer of Stratus shares: the request context, AWS errors,
//! identifiers, time formats, the injectable clock and the background runner.

pub mod authz;
pub mod balancing;
pub mod clock;
pub mod compute;
pub mod context;
pub mod delivery;
pub mod error;
pub mod identity;
pub mod ids;
pub mod link;
pub mod metrics;
pub mod network;
pub mod tasks;
pub mod time;

pub use authz::{
    AccessRequest, AssumeRequest, Authorizer, Denial, InstanceRoles, RoleDirectory, RoleSession,
    ServiceAccess, SessionGrant, WebIdentity, action_name,
};
pub use clock::Clock;
pub use context::RequestContext;
pub use error::{AwsError, Fault};
pub use identity::{Identities, Identity, IdentityKind};
pub use link::Link;

/// The account that unknown access keys belong to, unless configured otherwise.
pub const DEFAULT_ACCOUNT: &str = "000000000000";
/// The region used when a request does not name one.
pub const DEFAULT_REGION: &str = "us-east-1";
