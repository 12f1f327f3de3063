//! The resource ARNs an IAM request acts on, as IAM authorizes them (users,
//! groups, roles, policies, instance profiles, MFA devices).

use stratus_core::{Identity, IdentityKind};
use stratus_protocol::Value;

use crate::Iam;

fn member<'a>(input: &'a Value, name: &str) -> Option<&'a str> {
    match input {
        Value::Map(m) => match m.get(name) {
            Some(Value::String(s)) => Some(s.as_str()),
            _ => None,
        },
        _ => None,
    }
}

/// Operations whose UserName defaults to the calling user.
const SELF_DEFAULTING: &[&str] = &[
    "GetUser",
    "CreateAccessKey",
    "DeleteAccessKey",
    "UpdateAccessKey",
    "ListAccessKeys",
    "CreateLoginProfile",
    "GetLoginProfile",
    "DeleteLoginProfile",
    "ChangePassword",
    "ListMFADevices",
    "DeactivateMFADevice",
];

pub fn for_operation(iam: &Iam, caller: &Identity, op: &str, input: &Value) -> Vec<String> {
    let account = caller.account_id.as_str();
    if SELF_DEFAULTING.contains(&op)
        && member(input, "UserName").is_none()
        && caller.kind == IdentityKind::User
    {
        return vec![caller.arn.clone()];
    }
    let arn =
        |kind: &str, path: &str, name: &str| format!("arn:aws:iam::{account}:{kind}{path}{name}");
    let path = member(input, "Path").unwrap_or("/");
    // Existing entities are named with their real path.
    let existing = |kind: &str, name: &str| -> String {
        iam.state.read(account, |a| {
            let found = match kind {
                "user" => a.users.get(&name.to_lowercase()).map(|u| u.arn.clone()),
                "group" => a.groups.get(&name.to_lowercase()).map(|g| g.arn.clone()),
                "role" => a.roles.get(&name.to_lowercase()).map(|r| r.arn.clone()),
                "instance-profile" => a
                    .instance_profiles
                    .get(&name.to_lowercase())
                    .map(|p| p.arn.clone()),
                _ => None,
            };
            found.unwrap_or_else(|| {
                arn(
                    kind,
                    if op.starts_with("Create") { path } else { "/" },
                    name,
                )
            })
        })
    };
    let mut out = Vec::new();
    match op {
        "ListUsers" => out.push(arn("user", "/", "")),
        "ListGroups" => out.push(arn("group", "/", "")),
        "ListRoles" => out.push(arn("role", "/", "")),
        "ListInstanceProfiles" => out.push(arn("instance-profile", "/", "")),
        "ListPolicies" => out.push(arn("policy", "/", "")),
        "CreateVirtualMFADevice" => {
            if let Some(n) = member(input, "VirtualMFADeviceName") {
                out.push(arn("mfa", path, n));
            }
        }
        "CreatePolicy" => {
            if let Some(n) = member(input, "PolicyName") {
                out.push(arn("policy", path, n));
            }
        }
        _ => {}
    }
    if !out.is_empty() {
        return out;
    }
    // Group membership is authorized on the group.
    if let Some(g) = member(input, "GroupName") {
        out.push(existing("group", g));
    } else if let Some(r) = member(input, "RoleName") {
        out.push(existing("role", r));
    } else if let Some(u) = member(input, "UserName") {
        out.push(existing("user", u));
    } else if let Some(p) = member(input, "InstanceProfileName") {
        out.push(existing("instance-profile", p));
    } else if let Some(p) = member(input, "PolicyArn") {
        out.push(p.to_string());
    } else if let Some(p) = member(input, "SAMLProviderArn") {
        out.push(p.to_string());
    } else if let Some(p) = member(input, "OpenIDConnectProviderArn") {
        out.push(p.to_string());
    } else if let Some(s) = member(input, "SerialNumber") {
        out.push(s.to_string());
    } else if let Some(s) = member(input, "PolicySourceArn") {
        out.push(s.to_string());
    }
    out
}
