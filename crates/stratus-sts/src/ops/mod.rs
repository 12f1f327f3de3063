//! The STS operations, one module per concern; the trait impl only routes.

mod credentials;

pub use credentials::service_session;
mod identity;
mod saml;

use stratus_core::{AwsError, RequestContext};

use crate::Sts;
use crate::generated::*;

impl Handlers for Sts {
    async fn assume_role(
        &self,
        ctx: &RequestContext,
        input: AssumeRoleRequest,
    ) -> Result<AssumeRoleResponse, AwsError> {
        credentials::assume_role(self, ctx, input)
    }

    async fn assume_role_with_web_identity(
        &self,
        ctx: &RequestContext,
        input: AssumeRoleWithWebIdentityRequest,
    ) -> Result<AssumeRoleWithWebIdentityResponse, AwsError> {
        credentials::assume_role_with_web_identity(self, ctx, input)
    }

    async fn assume_role_with_saml(
        &self,
        ctx: &RequestContext,
        input: AssumeRoleWithSAMLRequest,
    ) -> Result<AssumeRoleWithSAMLResponse, AwsError> {
        saml::assume_role_with_saml(self, ctx, input)
    }

    async fn get_access_key_info(
        &self,
        _ctx: &RequestContext,
        input: GetAccessKeyInfoRequest,
    ) -> Result<GetAccessKeyInfoResponse, AwsError> {
        Ok(identity::access_key_info(self, input))
    }

    async fn get_caller_identity(
        &self,
        ctx: &RequestContext,
        _input: GetCallerIdentityRequest,
    ) -> Result<GetCallerIdentityResponse, AwsError> {
        Ok(identity::caller_identity(ctx))
    }

    async fn get_federation_token(
        &self,
        ctx: &RequestContext,
        input: GetFederationTokenRequest,
    ) -> Result<GetFederationTokenResponse, AwsError> {
        credentials::federation_token(self, ctx, input)
    }

    async fn get_session_token(
        &self,
        ctx: &RequestContext,
        input: GetSessionTokenRequest,
    ) -> Result<GetSessionTokenResponse, AwsError> {
        credentials::session_token(self, ctx, input)
    }
}
