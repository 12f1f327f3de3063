//! Access keys, login profiles with the account password policy, and
//! virtual MFA devices.

use sha2::{Digest, Sha256};
use stratus_core::{AwsError, IdentityKind, RequestContext, ids};
use stratus_protocol::Blob;

use super::common::*;
use super::users::user_out;
use crate::Iam;
use crate::generated::{self as g, *};
use crate::state::{self, Account, PasswordPolicy, Tags};
use crate::{png, qr, totp};

const KEYS_PER_USER: usize = 2;

fn key_missing(id: &str) -> AwsError {
    state::no_such(format!("The Access Key with id {id} cannot be found."))
}

/// The user named, or the caller; root has no keys of its own here.
fn user_for(ctx: &RequestContext, given: Option<String>) -> Result<String, AwsError> {
    self_user(ctx, given)?
        .ok_or_else(|| validation("Must specify userName when calling with non-User credentials"))
}

pub fn create_access_key(
    iam: &Iam,
    ctx: &RequestContext,
    i: CreateAccessKeyRequest,
) -> Result<CreateAccessKeyResponse, AwsError> {
    let name = user_for(ctx, i.user_name)?;
    let now = now(ctx);
    let account = ctx.account_id().to_string();
    let (user, key) = iam.state.write(&account, |a| {
        let u = a.user_mut(&name)?;
        if u.access_keys.len() >= KEYS_PER_USER {
            return Err(limit(format!(
                "Cannot exceed quota for AccessKeysPerUser: {KEYS_PER_USER}"
            )));
        }
        let k = state::AccessKey {
            id: ids::key_id("AKIA", 16),
            secret: ids::secret(40),
            active: true,
            created_ms: now,
            last_used: None,
        };
        u.access_keys.push(k.clone());
        Ok((u.clone(), k))
    })?;
    iam.register_keys(&account, &user);
    Ok(CreateAccessKeyResponse {
        access_key: AccessKey {
            user_name: user.name,
            access_key_id: key.id,
            status: "Active".into(),
            secret_access_key: key.secret,
            create_date: Some(ts(key.created_ms)),
        },
    })
}

pub fn update_access_key(
    iam: &Iam,
    ctx: &RequestContext,
    i: UpdateAccessKeyRequest,
) -> Result<(), AwsError> {
    let name = user_for(ctx, i.user_name)?;
    iam.state.write(ctx.account_id(), |a| {
        let u = a.user_mut(&name)?;
        let k = u
            .access_keys
            .iter_mut()
            .find(|k| k.id == i.access_key_id)
            .ok_or_else(|| key_missing(&i.access_key_id))?;
        k.active = i.status == "Active";
        Ok(())
    })
}

pub fn delete_access_key(
    iam: &Iam,
    ctx: &RequestContext,
    i: DeleteAccessKeyRequest,
) -> Result<(), AwsError> {
    let name = user_for(ctx, i.user_name)?;
    let account = ctx.account_id().to_string();
    let arn = iam.state.write(&account, |a| {
        let u = a.user_mut(&name)?;
        let before = u.access_keys.len();
        u.access_keys.retain(|k| k.id != i.access_key_id);
        if u.access_keys.len() == before {
            return Err(key_missing(&i.access_key_id));
        }
        let arn = u.arn.clone();
        a.retired_keys.insert(i.access_key_id.clone(), arn.clone());
        Ok(arn)
    })?;
    iam.retire_key(&account, &i.access_key_id, &arn);
    Ok(())
}

pub fn list_access_keys(
    iam: &Iam,
    ctx: &RequestContext,
    i: ListAccessKeysRequest,
) -> Result<ListAccessKeysResponse, AwsError> {
    let name = user_for(ctx, i.user_name)?;
    let keys = iam.state.read(ctx.account_id(), |a| {
        let u = a.user(&name)?;
        Ok::<_, AwsError>(
            u.access_keys
                .iter()
                .map(|k| AccessKeyMetadata {
                    user_name: Some(u.name.clone()),
                    access_key_id: Some(k.id.clone()),
                    status: Some(if k.active { "Active" } else { "Inactive" }.into()),
                    create_date: Some(ts(k.created_ms)),
                })
                .collect::<Vec<_>>(),
        )
    })?;
    let p = paginate(keys, i.marker, i.max_items)?;
    Ok(ListAccessKeysResponse {
        is_truncated: p.truncated(),
        marker: p.marker,
        access_key_metadata: p.items,
    })
}

pub fn get_access_key_last_used(
    iam: &Iam,
    ctx: &RequestContext,
    i: GetAccessKeyLastUsedRequest,
) -> Result<GetAccessKeyLastUsedResponse, AwsError> {
    let found = iam.state.read(ctx.account_id(), |a| {
        a.key_owner(&i.access_key_id).map(|u| {
            let k = u
                .access_keys
                .iter()
                .find(|k| k.id == i.access_key_id)
                .cloned();
            (u.name.clone(), k)
        })
    });
    let Some((user, Some(k))) = found else {
        return Err(AwsError::access_denied(format!(
            "User: {} is not authorized to perform: iam:GetAccessKeyLastUsed on resource: access key {}",
            ctx.identity.arn, i.access_key_id
        )));
    };
    let last = k.last_used;
    Ok(GetAccessKeyLastUsedResponse {
        user_name: Some(user),
        access_key_last_used: Some(match last {
            Some(l) => AccessKeyLastUsed {
                last_used_date: Some(ts(l.at_ms)),
                service_name: l.service,
                region: l.region,
            },
            None => AccessKeyLastUsed {
                last_used_date: None,
                service_name: "N/A".into(),
                region: "N/A".into(),
            },
        }),
    })
}

fn hash(salt: &str, password: &str) -> String {
    hex::encode(Sha256::digest(format!("{salt}:{password}").as_bytes()))
}

const SYMBOLS: &str = "!@#$%^&*()_+-=[]{}|'";

/// Checks a password against the account policy (or AWS's default policy),
/// with the reason AWS gives.
fn check_password(
    a: &Account,
    password: &str,
    previous: &[String],
    salt: &str,
) -> Result<(), AwsError> {
    let violation = |m: &str| AwsError::bad_request("PasswordPolicyViolation", m);
    let Some(p) = &a.password_policy else {
        let kinds = [
            password.chars().any(|c| c.is_ascii_uppercase()),
            password.chars().any(|c| c.is_ascii_lowercase()),
            password.chars().any(|c| c.is_ascii_digit()),
            password.chars().any(|c| SYMBOLS.contains(c)),
        ];
        if password.chars().count() < 8 || kinds.iter().filter(|k| **k).count() < 3 {
            return Err(violation(
                "Password does not conform to the account password policy.",
            ));
        }
        return Ok(());
    };
    if (password.chars().count() as i32) < p.minimum_length {
        return Err(violation(&format!(
            "Password should have a minimum length of {}",
            p.minimum_length
        )));
    }
    if p.require_uppercase && !password.chars().any(|c| c.is_ascii_uppercase()) {
        return Err(violation(
            "Password should have at least one uppercase letter",
        ));
    }
    if p.require_lowercase && !password.chars().any(|c| c.is_ascii_lowercase()) {
        return Err(violation(
            "Password should have at least one lowercase letter",
        ));
    }
    if p.require_numbers && !password.chars().any(|c| c.is_ascii_digit()) {
        return Err(violation("Password should have at least one number"));
    }
    if p.require_symbols && !password.chars().any(|c| SYMBOLS.contains(c)) {
        return Err(violation("Password should have at least one symbol"));
    }
    if let Some(n) = p.reuse_prevention {
        let h = hash(salt, password);
        if previous
            .iter()
            .rev()
            .take(n.max(0) as usize)
            .any(|x| *x == h)
        {
            return Err(violation(
                "Password was used previously and cannot be reused",
            ));
        }
    }
    Ok(())
}

fn login_missing(user: &str) -> AwsError {
    state::no_such(format!("Login Profile for User {user} cannot be found."))
}

fn login_out(user: &str, l: &state::LoginProfile) -> LoginProfile {
    LoginProfile {
        user_name: user.to_string(),
        create_date: ts(l.created_ms),
        password_reset_required: Some(l.reset_required),
    }
}

pub fn create_login_profile(
    iam: &Iam,
    ctx: &RequestContext,
    i: CreateLoginProfileRequest,
) -> Result<CreateLoginProfileResponse, AwsError> {
    let name = user_for(ctx, i.user_name)?;
    let password = i
        .password
        .ok_or_else(|| validation("Password is required"))?;
    let now = now(ctx);
    iam.state.write(ctx.account_id(), |a| {
        a.user(&name)?;
        let salt = ids::hex(16);
        check_password(a, &password, &[], &salt)?;
        let u = a.user_mut(&name)?;
        if u.login.is_some() {
            return Err(exists(format!(
                "Login Profile for user {} already exists.",
                u.name
            )));
        }
        let h = hash(&salt, &password);
        let l = state::LoginProfile {
            password_hash: h.clone(),
            salt,
            created_ms: now,
            reset_required: i.password_reset_required.unwrap_or(false),
            history: vec![h],
            changed_ms: now,
        };
        let out = login_out(&u.name, &l);
        u.login = Some(l);
        Ok(CreateLoginProfileResponse { login_profile: out })
    })
}

pub fn get_login_profile(
    iam: &Iam,
    ctx: &RequestContext,
    i: GetLoginProfileRequest,
) -> Result<GetLoginProfileResponse, AwsError> {
    let name = user_for(ctx, i.user_name)?;
    iam.state.read(ctx.account_id(), |a| {
        let u = a.user(&name)?;
        let l = u.login.as_ref().ok_or_else(|| login_missing(&u.name))?;
        Ok(GetLoginProfileResponse {
            login_profile: login_out(&u.name, l),
        })
    })
}

fn set_password(a: &mut Account, name: &str, password: &str, now: i64) -> Result<(), AwsError> {
    let (history, salt) = {
        let u = a.user(name)?;
        let l = u.login.as_ref().ok_or_else(|| login_missing(&u.name))?;
        (l.history.clone(), l.salt.clone())
    };
    check_password(a, password, &history, &salt)?;
    let u = a.user_mut(name)?;
    if let Some(l) = u.login.as_mut() {
        l.password_hash = hash(&l.salt, password);
        l.history.push(l.password_hash.clone());
        if l.history.len() > 24 {
            l.history.remove(0);
        }
        l.changed_ms = now;
    }
    Ok(())
}

pub fn update_login_profile(
    iam: &Iam,
    ctx: &RequestContext,
    i: UpdateLoginProfileRequest,
) -> Result<(), AwsError> {
    let now = now(ctx);
    iam.state.write(ctx.account_id(), |a| {
        if let Some(p) = &i.password {
            set_password(a, &i.user_name, p, now)?;
        }
        let u = a.user_mut(&i.user_name)?;
        let name = u.name.clone();
        let l = u.login.as_mut().ok_or_else(|| login_missing(&name))?;
        if let Some(r) = i.password_reset_required {
            l.reset_required = r;
        }
        Ok(())
    })
}

pub fn delete_login_profile(
    iam: &Iam,
    ctx: &RequestContext,
    i: DeleteLoginProfileRequest,
) -> Result<(), AwsError> {
    let name = user_for(ctx, i.user_name)?;
    iam.state.write(ctx.account_id(), |a| {
        let u = a.user_mut(&name)?;
        if u.login.take().is_none() {
            return Err(login_missing(&u.name));
        }
        Ok(())
    })
}

pub fn change_password(
    iam: &Iam,
    ctx: &RequestContext,
    i: ChangePasswordRequest,
) -> Result<(), AwsError> {
    if ctx.identity.kind != IdentityKind::User {
        return Err(AwsError::bad_request(
            "InvalidUserType",
            "Only IAM users can change their own password.",
        ));
    }
    let name = user_for(ctx, None)?;
    let now = now(ctx);
    iam.state.write(ctx.account_id(), |a| {
        let u = a.user(&name)?;
        let l = u.login.as_ref().ok_or_else(|| login_missing(&u.name))?;
        if hash(&l.salt, &i.old_password) != l.password_hash {
            return Err(AwsError::access_denied("The old password is incorrect."));
        }
        set_password(a, &name, &i.new_password, now)?;
        if let Some(l) = a.user_mut(&name)?.login.as_mut() {
            l.reset_required = false;
        }
        Ok(())
    })
}

pub fn update_account_password_policy(
    iam: &Iam,
    ctx: &RequestContext,
    i: UpdateAccountPasswordPolicyRequest,
) -> Result<(), AwsError> {
    iam.state.write(ctx.account_id(), |a| {
        a.password_policy = Some(PasswordPolicy {
            minimum_length: i.minimum_password_length.unwrap_or(6),
            require_symbols: i.require_symbols.unwrap_or(false),
            require_numbers: i.require_numbers.unwrap_or(false),
            require_uppercase: i.require_uppercase_characters.unwrap_or(false),
            require_lowercase: i.require_lowercase_characters.unwrap_or(false),
            allow_users_to_change: i.allow_users_to_change_password.unwrap_or(false),
            max_age: i.max_password_age.filter(|v| *v > 0),
            reuse_prevention: i.password_reuse_prevention.filter(|v| *v > 0),
            hard_expiry: i.hard_expiry.unwrap_or(false),
        });
        Ok(())
    })
}

fn no_policy(account: &str) -> AwsError {
    state::no_such(format!(
        "The Password Policy with domain name {account} cannot be found."
    ))
}

pub fn get_account_password_policy(
    iam: &Iam,
    ctx: &RequestContext,
) -> Result<GetAccountPasswordPolicyResponse, AwsError> {
    iam.state.read(ctx.account_id(), |a| {
        let p = a
            .password_policy
            .as_ref()
            .ok_or_else(|| no_policy(ctx.account_id()))?;
        Ok(GetAccountPasswordPolicyResponse {
            password_policy: g::PasswordPolicy {
                minimum_password_length: Some(p.minimum_length),
                require_symbols: Some(p.require_symbols),
                require_numbers: Some(p.require_numbers),
                require_uppercase_characters: Some(p.require_uppercase),
                require_lowercase_characters: Some(p.require_lowercase),
                allow_users_to_change_password: Some(p.allow_users_to_change),
                expire_passwords: Some(p.max_age.is_some()),
                max_password_age: p.max_age,
                password_reuse_prevention: p.reuse_prevention,
                hard_expiry: Some(p.hard_expiry),
            },
        })
    })
}

pub fn delete_account_password_policy(iam: &Iam, ctx: &RequestContext) -> Result<(), AwsError> {
    iam.state.write(ctx.account_id(), |a| {
        a.password_policy
            .take()
            .map(|_| ())
            .ok_or_else(|| no_policy(ctx.account_id()))
    })
}

fn device_missing(serial: &str) -> AwsError {
    state::no_such(format!(
        "VirtualMFADevice with serial number {serial} doesn't exist."
    ))
}

/// The QR code AWS hands out: `otpauth://totp/NAME@ACCOUNT?secret=SEED`.
fn qr_code(a: &Account, account: &str, d: &state::MfaDevice) -> Vec<u8> {
    let holder = a.alias.as_deref().unwrap_or(account);
    let uri = format!("otpauth://totp/{}@{holder}?secret={}", d.name, d.seed);
    qr::png(&uri).unwrap_or_else(|| png::blank(41))
}

fn device_out(a: &Account, d: &state::MfaDevice, with_seed: bool) -> VirtualMFADevice {
    let account = d.serial.split(':').nth(4).unwrap_or("");
    VirtualMFADevice {
        serial_number: d.serial.clone(),
        base32_string_seed: with_seed.then(|| Blob(d.seed.clone().into_bytes())),
        qr_code_png: with_seed.then(|| Blob(qr_code(a, account, d))),
        user: d
            .user
            .as_deref()
            .and_then(|u| a.user(u).ok())
            .map(|u| user_out(u, false)),
        enable_date: d.enabled_ms.map(ts),
        tags: tags_opt(&d.tags),
    }
}

pub fn create_virtual_mfa_device(
    iam: &Iam,
    ctx: &RequestContext,
    i: CreateVirtualMFADeviceRequest,
) -> Result<CreateVirtualMFADeviceResponse, AwsError> {
    let account = ctx.account_id().to_string();
    iam.state.write(&account, |a| {
        let path = path_or_root(i.path);
        let serial = arn(&account, "mfa", &path, &i.virtual_mfa_device_name);
        if a.mfa_devices.contains_key(&serial) {
            return Err(exists(
                "MFADevice entity at the same path and name already exists.",
            ));
        }
        let mut tags = Tags::default();
        tag(&mut tags, i.tags.unwrap_or_default())?;
        let d = state::MfaDevice {
            serial: serial.clone(),
            path,
            name: i.virtual_mfa_device_name,
            seed: totp::base32_encode(&ids::random_bytes(40)),
            user: None,
            enabled_ms: None,
            tags,
            last_step: 0,
        };
        let out = device_out(a, &d, true);
        a.mfa_devices.insert(serial, d);
        Ok(CreateVirtualMFADeviceResponse {
            virtual_mfa_device: out,
        })
    })
}

fn auth_code_invalid() -> AwsError {
    AwsError::new(
        403,
        "InvalidAuthenticationCode",
        "Authentication code for device is not valid.",
    )
}

pub fn enable_mfa_device(
    iam: &Iam,
    ctx: &RequestContext,
    i: EnableMFADeviceRequest,
) -> Result<(), AwsError> {
    let now = now(ctx);
    iam.state.write(ctx.account_id(), |a| {
        let uname = a.user(&i.user_name)?.name.clone();
        let d = a
            .mfa_devices
            .get_mut(&i.serial_number)
            .ok_or_else(|| device_missing(&i.serial_number))?;
        if d.user.is_some() {
            return Err(exists("MFA Device is already in use."));
        }
        let seed = totp::base32_decode(&d.seed).unwrap_or_default();
        let step = totp::consecutive_step(
            &seed,
            now / 1000,
            &i.authentication_code1,
            &i.authentication_code2,
        )
        .ok_or_else(auth_code_invalid)?;
        d.user = Some(uname.clone());
        d.enabled_ms = Some(now);
        d.last_step = step + 1;
        a.user_mut(&uname)?.mfa.push(i.serial_number);
        Ok(())
    })
}

pub fn deactivate_mfa_device(
    iam: &Iam,
    ctx: &RequestContext,
    i: DeactivateMFADeviceRequest,
) -> Result<(), AwsError> {
    let name = user_for(ctx, i.user_name)?;
    iam.state.write(ctx.account_id(), |a| {
        let u = a.user_mut(&name)?;
        let before = u.mfa.len();
        u.mfa.retain(|s| *s != i.serial_number);
        if u.mfa.len() == before {
            return Err(state::no_such(format!(
                "MFA Device with serial number {} does not exist.",
                i.serial_number
            )));
        }
        if let Some(d) = a.mfa_devices.get_mut(&i.serial_number) {
            d.user = None;
            d.enabled_ms = None;
        }
        Ok(())
    })
}

pub fn delete_virtual_mfa_device(
    iam: &Iam,
    ctx: &RequestContext,
    i: DeleteVirtualMFADeviceRequest,
) -> Result<(), AwsError> {
    iam.state.write(ctx.account_id(), |a| {
        let d = a
            .mfa_devices
            .get(&i.serial_number)
            .ok_or_else(|| device_missing(&i.serial_number))?;
        if d.user.is_some() {
            return Err(conflict(
                "MFA VirtualMFADevice entity at the same path and name already exists.",
            ));
        }
        a.mfa_devices.remove(&i.serial_number);
        Ok(())
    })
}

pub fn list_virtual_mfa_devices(
    iam: &Iam,
    ctx: &RequestContext,
    i: ListVirtualMFADevicesRequest,
) -> Result<ListVirtualMFADevicesResponse, AwsError> {
    let status = i.assignment_status.clone().unwrap_or_else(|| "Any".into());
    let items = iam.state.read(ctx.account_id(), |a| {
        a.mfa_devices
            .values()
            .filter(|d| match status.as_str() {
                "Assigned" => d.user.is_some(),
                "Unassigned" => d.user.is_none(),
                _ => true,
            })
            .map(|d| device_out(a, d, false))
            .collect::<Vec<_>>()
    });
    let p = paginate(items, i.marker, i.max_items)?;
    Ok(ListVirtualMFADevicesResponse {
        is_truncated: p.truncated(),
        marker: p.marker,
        virtual_mfa_devices: p.items,
    })
}

pub fn list_mfa_devices(
    iam: &Iam,
    ctx: &RequestContext,
    i: ListMFADevicesRequest,
) -> Result<ListMFADevicesResponse, AwsError> {
    let name = user_for(ctx, i.user_name)?;
    let items = iam.state.read(ctx.account_id(), |a| {
        let u = a.user(&name)?;
        Ok::<_, AwsError>(
            u.mfa
                .iter()
                .filter_map(|s| a.mfa_devices.get(s))
                .map(|d| MFADevice {
                    user_name: u.name.clone(),
                    serial_number: d.serial.clone(),
                    enable_date: ts(d.enabled_ms.unwrap_or(0)),
                })
                .collect::<Vec<_>>(),
        )
    })?;
    let p = paginate(items, i.marker, i.max_items)?;
    Ok(ListMFADevicesResponse {
        is_truncated: p.truncated(),
        marker: p.marker,
        mfa_devices: p.items,
    })
}

/// Checks a code from an MFA device the caller's account holds (for STS).
pub fn verify_mfa(
    iam: &Iam,
    account: &str,
    serial: &str,
    code: &str,
    now_ms: i64,
) -> Result<(), AwsError> {
    let denied = || {
        AwsError::access_denied(
            "MultiFactorAuthentication failed with invalid MFA one time pass code.",
        )
    };
    iam.state.write(account, |a| {
        let d = a
            .mfa_devices
            .get_mut(serial)
            .filter(|d| d.user.is_some())
            .ok_or_else(denied)?;
        let seed = totp::base32_decode(&d.seed).unwrap_or_default();
        let step = totp::current(&seed, now_ms / 1000, code).ok_or_else(denied)?;
        if step <= d.last_step {
            return Err(denied());
        }
        d.last_step = step;
        Ok(())
    })
}

pub fn resync_mfa_device(
    iam: &Iam,
    ctx: &RequestContext,
    i: ResyncMFADeviceRequest,
) -> Result<(), AwsError> {
    let now = now(ctx);
    iam.state.write(ctx.account_id(), |a| {
        let uname = a.user(&i.user_name)?.name.clone();
        let d = a
            .mfa_devices
            .get_mut(&i.serial_number)
            .filter(|d| d.user.as_deref() == Some(uname.as_str()))
            .ok_or_else(|| device_missing(&i.serial_number))?;
        let seed = totp::base32_decode(&d.seed).unwrap_or_default();
        let step = totp::consecutive_step(
            &seed,
            now / 1000,
            &i.authentication_code1,
            &i.authentication_code2,
        )
        .ok_or_else(auth_code_invalid)?;
        d.last_step = step + 1;
        Ok(())
    })
}

fn device_mut<'a>(a: &'a mut Account, serial: &str) -> Result<&'a mut state::MfaDevice, AwsError> {
    a.mfa_devices
        .get_mut(serial)
        .ok_or_else(|| device_missing(serial))
}

pub fn tag_mfa_device(
    iam: &Iam,
    ctx: &RequestContext,
    i: TagMFADeviceRequest,
) -> Result<(), AwsError> {
    iam.state.write(ctx.account_id(), |a| {
        tag(&mut device_mut(a, &i.serial_number)?.tags, i.tags)
    })
}

pub fn untag_mfa_device(
    iam: &Iam,
    ctx: &RequestContext,
    i: UntagMFADeviceRequest,
) -> Result<(), AwsError> {
    iam.state.write(ctx.account_id(), |a| {
        untag(&mut device_mut(a, &i.serial_number)?.tags, &i.tag_keys);
        Ok(())
    })
}

pub fn list_mfa_device_tags(
    iam: &Iam,
    ctx: &RequestContext,
    i: ListMFADeviceTagsRequest,
) -> Result<ListMFADeviceTagsResponse, AwsError> {
    let tags = iam.state.read(ctx.account_id(), |a| {
        a.mfa_devices
            .get(&i.serial_number)
            .map(|d| tags_out(&d.tags))
            .ok_or_else(|| device_missing(&i.serial_number))
    })?;
    let p = paginate(tags, i.marker, i.max_items)?;
    Ok(ListMFADeviceTagsResponse {
        is_truncated: p.truncated(),
        marker: p.marker,
        tags: p.items,
    })
}
