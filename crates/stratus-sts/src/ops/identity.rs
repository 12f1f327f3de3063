//! GetCallerIdentity and GetAccessKeyInfo: answers about keys, no state change.

use stratus_core::RequestContext;

use crate::Sts;
use crate::generated::*;

pub fn caller_identity(ctx: &RequestContext) -> GetCallerIdentityResponse {
    let id = &ctx.identity;
    GetCallerIdentityResponse {
        user_id: Some(id.user_id.clone()),
        account: Some(id.account_id.clone()),
        arn: Some(id.arn.clone()),
    }
}

/// The account a key belongs to: the issuing account for keys Stratus
/// issued, else the account the key id names (or the default account).
pub fn access_key_info(sts: &Sts, input: GetAccessKeyInfoRequest) -> GetAccessKeyInfoResponse {
    let account = sts.identities.resolve(&input.access_key_id).account_id;
    GetAccessKeyInfoResponse {
        account: Some(account),
    }
}
