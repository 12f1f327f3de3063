//! Account-wide views: alias, summary, credential report and the full
//! authorization details.

use std::collections::BTreeMap;

use stratus_core::{AwsError, RequestContext};
use stratus_protocol::Blob;

use super::common::*;
use super::groups::group_out;
use super::policies::{default_document, policy_name, policy_out};
use super::roles::role_out;
use crate::Iam;
use crate::generated::*;
use crate::managed;
use crate::state::Account;

pub fn create_account_alias(
    iam: &Iam,
    ctx: &RequestContext,
    i: CreateAccountAliasRequest,
) -> Result<(), AwsError> {
    iam.state.write(ctx.account_id(), |a| {
        a.alias = Some(i.account_alias);
        Ok(())
    })
}

pub fn delete_account_alias(
    iam: &Iam,
    ctx: &RequestContext,
    i: DeleteAccountAliasRequest,
) -> Result<(), AwsError> {
    iam.state.write(ctx.account_id(), |a| {
        if a.alias.as_deref() != Some(i.account_alias.as_str()) {
            return Err(crate::state::no_such(format!(
                "The account alias {} cannot be found.",
                i.account_alias
            )));
        }
        a.alias = None;
        Ok(())
    })
}

pub fn list_account_aliases(
    iam: &Iam,
    ctx: &RequestContext,
    i: ListAccountAliasesRequest,
) -> Result<ListAccountAliasesResponse, AwsError> {
    let aliases: Vec<String> = iam
        .state
        .read(ctx.account_id(), |a| a.alias.iter().cloned().collect());
    let p = paginate(aliases, i.marker, i.max_items)?;
    Ok(ListAccountAliasesResponse {
        is_truncated: p.truncated(),
        marker: p.marker,
        account_aliases: p.items,
    })
}

pub fn get_account_summary(
    iam: &Iam,
    ctx: &RequestContext,
) -> Result<GetAccountSummaryResponse, AwsError> {
    let m = iam.state.read(ctx.account_id(), |a| {
        let n = |x: usize| x as i32;
        let versions: usize = a.policies.values().map(|p| p.versions.len()).sum();
        let mut m = BTreeMap::new();
        for (k, v) in [
            ("Users", n(a.users.len())),
            ("UsersQuota", 5000),
            ("Groups", n(a.groups.len())),
            ("GroupsQuota", 300),
            ("Roles", n(a.roles.len())),
            ("RolesQuota", 1000),
            ("Policies", n(a.policies.len())),
            ("PoliciesQuota", 1500),
            ("InstanceProfiles", n(a.instance_profiles.len())),
            ("InstanceProfilesQuota", 1000),
            ("ServerCertificates", 0),
            ("ServerCertificatesQuota", 20),
            ("MFADevices", n(a.mfa_devices.len())),
            (
                "MFADevicesInUse",
                n(a.mfa_devices.values().filter(|d| d.user.is_some()).count()),
            ),
            ("AccountMFAEnabled", 0),
            ("AccountAccessKeysPresent", 0),
            ("AccountSigningCertificatesPresent", 0),
            ("AttachedPoliciesPerGroupQuota", 10),
            ("AttachedPoliciesPerRoleQuota", 10),
            ("AttachedPoliciesPerUserQuota", 10),
            ("GroupsPerUserQuota", 10),
            ("PolicySizeQuota", 6144),
            ("PolicyVersionsInUse", n(versions)),
            ("PolicyVersionsInUseQuota", 10000),
            ("VersionsPerPolicyQuota", 5),
            ("AssumeRolePolicySizeQuota", 2048),
            ("UserPolicySizeQuota", 2048),
            ("GroupPolicySizeQuota", 5120),
            ("RolePolicySizeQuota", 10240),
            ("AccessKeysPerUserQuota", 2),
            ("SigningCertificatesPerUserQuota", 2),
            ("GlobalEndpointTokenVersion", 1),
            ("Providers", 0),
        ] {
            m.insert(k.to_string(), v);
        }
        m
    });
    Ok(GetAccountSummaryResponse {
        summary_map: Some(m),
    })
}

pub fn generate_credential_report(
    iam: &Iam,
    ctx: &RequestContext,
) -> Result<GenerateCredentialReportResponse, AwsError> {
    let now = now(ctx);
    let first = iam.state.write(ctx.account_id(), |a| {
        let first = a.credential_report_ms.is_none();
        a.credential_report_ms = Some(now);
        Ok(first)
    })?;
    Ok(if first {
        GenerateCredentialReportResponse {
            state: Some("STARTED".into()),
            description: Some("No report exists. Starting a new report generation task".into()),
        }
    } else {
        GenerateCredentialReportResponse {
            state: Some("COMPLETE".into()),
            description: None,
        }
    })
}

/// Dates as the credential report writes them.
fn report_time(ms: i64) -> String {
    let s = stratus_core::time::iso8601(ms);
    match s.strip_suffix('Z') {
        Some(base) => format!("{}+00:00", base.split('.').next().unwrap_or(base)),
        None => s,
    }
}

const REPORT_HEADER: &str = "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated";

pub fn credential_report(account: &str, a: &Account) -> String {
    let mut out = vec![REPORT_HEADER.to_string()];
    out.push(format!(
        "<root_account>,arn:aws:iam::{account}:root,{},not_supported,no_information,not_supported,not_supported,false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A",
        report_time(managed::CREATED_MS)
    ));
    let max_age = a.password_policy.as_ref().and_then(|p| p.max_age);
    for u in a.users.values() {
        let mut row = vec![u.name.clone(), u.arn.clone(), report_time(u.created_ms)];
        match &u.login {
            Some(l) => {
                row.push("true".into());
                row.push(
                    u.password_last_used_ms
                        .map_or("no_information".into(), report_time),
                );
                row.push(report_time(l.changed_ms.max(l.created_ms)));
                row.push(max_age.map_or("N/A".into(), |d| {
                    report_time(l.changed_ms.max(l.created_ms) + d as i64 * 86_400_000)
                }));
            }
            None => {
                row.extend(["false", "N/A", "N/A", "N/A"].map(String::from));
            }
        }
        row.push((!u.mfa.is_empty()).to_string());
        for n in 0..2 {
            match u.access_keys.get(n) {
                Some(k) => {
                    let last = k.last_used.clone();
                    row.push(k.active.to_string());
                    row.push(report_time(k.created_ms));
                    match last {
                        Some(l) => {
                            row.push(report_time(l.at_ms));
                            row.push(l.region);
                            row.push(l.service);
                        }
                        None => row.extend(["N/A", "N/A", "N/A"].map(String::from)),
                    }
                }
                None => row.extend(["false", "N/A", "N/A", "N/A", "N/A"].map(String::from)),
            }
        }
        row.extend(["false", "N/A", "false", "N/A"].map(String::from));
        out.push(row.join(","));
    }
    out.join("\n")
}

pub fn get_credential_report(
    iam: &Iam,
    ctx: &RequestContext,
) -> Result<GetCredentialReportResponse, AwsError> {
    let account = ctx.account_id();
    let (generated, csv) = iam.state.read(account, |a| {
        a.credential_report_ms
            .map(|t| (t, credential_report(account, a)))
            .ok_or_else(|| AwsError::new(410, "ReportNotPresent", "Credential report does not exist. Use GenerateCredentialReport to generate a report."))
    })?;
    Ok(GetCredentialReportResponse {
        content: Some(Blob(csv.into_bytes())),
        report_format: Some("text/csv".into()),
        generated_time: Some(ts(generated)),
    })
}

fn details(map: &BTreeMap<String, String>) -> Vec<PolicyDetail> {
    map.iter()
        .map(|(k, v)| PolicyDetail {
            policy_name: Some(k.clone()),
            policy_document: Some(doc_out(v)),
        })
        .collect()
}

fn attached(a: &Account, arns: &[String]) -> Vec<AttachedPolicy> {
    arns.iter()
        .map(|arn| AttachedPolicy {
            policy_name: Some(policy_name(a, arn)),
            policy_arn: Some(arn.clone()),
        })
        .collect()
}

pub fn get_account_authorization_details(
    iam: &Iam,
    ctx: &RequestContext,
    i: GetAccountAuthorizationDetailsRequest,
) -> Result<GetAccountAuthorizationDetailsResponse, AwsError> {
    let filter = i.filter.clone().unwrap_or_default();
    let want = |k: &str| filter.is_empty() || filter.iter().any(|f| f == k);
    iam.state.read(ctx.account_id(), |a| {
        let users: Vec<UserDetail> = if want("User") {
            a.users
                .values()
                .map(|u| UserDetail {
                    path: Some(u.path.clone()),
                    user_name: Some(u.name.clone()),
                    user_id: Some(u.id.clone()),
                    arn: Some(u.arn.clone()),
                    create_date: Some(ts(u.created_ms)),
                    user_policy_list: Some(details(&u.inline)),
                    group_list: Some(u.groups.clone()),
                    attached_managed_policies: Some(attached(a, &u.attached)),
                    permissions_boundary: boundary_out(&u.boundary),
                    tags: tags_opt(&u.tags),
                })
                .collect()
        } else {
            Vec::new()
        };
        let groups: Vec<GroupDetail> = if want("Group") {
            a.groups
                .values()
                .map(|gr| {
                    let o = group_out(gr);
                    GroupDetail {
                        path: Some(o.path),
                        group_name: Some(o.group_name),
                        group_id: Some(o.group_id),
                        arn: Some(o.arn),
                        create_date: Some(o.create_date),
                        group_policy_list: Some(details(&gr.inline)),
                        attached_managed_policies: Some(attached(a, &gr.attached)),
                    }
                })
                .collect()
        } else {
            Vec::new()
        };
        let roles: Vec<RoleDetail> = if want("Role") {
            a.roles
                .values()
                .map(|r| {
                    let o = role_out(r, true);
                    let profiles = a
                        .instance_profiles
                        .values()
                        .filter(|p| p.roles.iter().any(|x| x.eq_ignore_ascii_case(&r.name)))
                        .map(|p| InstanceProfile {
                            path: p.path.clone(),
                            instance_profile_name: p.name.clone(),
                            instance_profile_id: p.id.clone(),
                            arn: p.arn.clone(),
                            create_date: ts(p.created_ms),
                            roles: vec![role_out(r, false)],
                            tags: tags_opt(&p.tags),
                        })
                        .collect();
                    RoleDetail {
                        path: Some(o.path),
                        role_name: Some(o.role_name),
                        role_id: Some(o.role_id),
                        arn: Some(o.arn),
                        create_date: Some(o.create_date),
                        assume_role_policy_document: o.assume_role_policy_document,
                        instance_profile_list: Some(profiles),
                        role_policy_list: Some(details(&r.inline)),
                        attached_managed_policies: Some(attached(a, &r.attached)),
                        permissions_boundary: o.permissions_boundary,
                        tags: o.tags,
                        role_last_used: o.role_last_used,
                    }
                })
                .collect()
        } else {
            Vec::new()
        };
        let mut policies: Vec<ManagedPolicyDetail> = Vec::new();
        let mut push = |arn: &str| {
            if let Some(p) = policy_out(a, arn, true) {
                let versions = match a.policies.get(arn) {
                    Some(lp) => lp
                        .versions
                        .iter()
                        .map(|v| PolicyVersion {
                            document: Some(doc_out(&v.document)),
                            version_id: Some(v.id.clone()),
                            is_default_version: Some(v.id == lp.default_version),
                            create_date: Some(ts(v.created_ms)),
                        })
                        .collect(),
                    None => vec![PolicyVersion {
                        document: default_document(a, arn).map(|d| doc_out(&d)),
                        version_id: p.default_version_id.clone(),
                        is_default_version: Some(true),
                        create_date: p.create_date,
                    }],
                };
                policies.push(ManagedPolicyDetail {
                    policy_name: p.policy_name,
                    policy_id: p.policy_id,
                    arn: p.arn,
                    path: p.path,
                    default_version_id: p.default_version_id,
                    attachment_count: p.attachment_count,
                    permissions_boundary_usage_count: p.permissions_boundary_usage_count,
                    is_attachable: p.is_attachable,
                    description: p.description,
                    create_date: p.create_date,
                    update_date: p.update_date,
                    policy_version_list: Some(versions),
                });
            }
        };
        if want("LocalManagedPolicy") {
            for arn in a.policies.keys() {
                push(arn);
            }
        }
        if want("AWSManagedPolicy") {
            for p in managed::POLICIES {
                let arn = p.arn();
                let (n, b) = a.attachment_count(&arn);
                if n + b > 0 {
                    push(&arn);
                }
            }
        }
        // One page runs across the four lists, in this order.
        enum Entry {
            U(UserDetail),
            G(GroupDetail),
            R(RoleDetail),
            P(ManagedPolicyDetail),
        }
        let all: Vec<Entry> = users
            .into_iter()
            .map(Entry::U)
            .chain(groups.into_iter().map(Entry::G))
            .chain(roles.into_iter().map(Entry::R))
            .chain(policies.into_iter().map(Entry::P))
            .collect();
        let page = paginate(all, i.marker.clone(), i.max_items)?;
        let mut out = GetAccountAuthorizationDetailsResponse {
            user_detail_list: Some(Vec::new()),
            group_detail_list: Some(Vec::new()),
            role_detail_list: Some(Vec::new()),
            policies: Some(Vec::new()),
            is_truncated: Some(page.truncated),
            marker: page.marker,
        };
        for e in page.items {
            match e {
                Entry::U(u) => out.user_detail_list.get_or_insert_default().push(u),
                Entry::G(g) => out.group_detail_list.get_or_insert_default().push(g),
                Entry::R(r) => out.role_detail_list.get_or_insert_default().push(r),
                Entry::P(p) => out.policies.get_or_insert_default().push(p),
            }
        }
        Ok(out)
    })
}
