//! Instance profile credentials for the metadata service: IAM names the
//! profile's role, STS issues a session of it named after the instance,
//! as EC2 gets one on an instance's behalf.

use std::sync::Arc;

use stratus_core::{Clock, InstanceRoles, RequestContext, RoleSession};
use stratus_iam::Iam;
use stratus_sts::Sts;

/// How long instance credentials last (AWS rotates them well before).
const SESSION_SECONDS: i64 = 6 * 3600;

pub struct ProfileRoles {
    pub iam: Arc<Iam>,
    pub sts: Arc<Sts>,
    pub clock: Clock,
}

impl InstanceRoles for ProfileRoles {
    fn session(
        &self,
        account: &str,
        region: &str,
        profile: &str,
        instance_id: &str,
    ) -> Option<RoleSession> {
        let (role_arn, role_id) = self.iam.profile_role(account, profile)?;
        let ctx = RequestContext::on_behalf("sts", "AssumeRole", account, region, &self.clock);
        let creds = self
            .sts
            .service_session(&ctx, &role_arn, Some(role_id), instance_id, SESSION_SECONDS)
            .ok()?;
        Some(RoleSession {
            role_name: role_arn.rsplit('/').next().unwrap_or_default().to_string(),
            access_key_id: creds.access_key_id,
            secret_access_key: creds.secret_access_key,
            session_token: creds.session_token,
            expires_ms: creds.expiration.0,
        })
    }
}
