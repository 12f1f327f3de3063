//! Key pairs: created (RSA or ED25519, PEM or PPK) or imported from an
//! OpenSSH public key; EC2 keeps only the public half and a fingerprint.

use stratus_core::{AwsError, RequestContext};
use stratus_protocol::Timestamp;

use super::{dry_run, invalid, spec_tags, wire_tags};
use crate::Ec2;
use crate::filters::{Filterable, matches};
use crate::generated::*;
use crate::keys;
use crate::state::{KeyPairRec, RegionState, Tags, new_id};

impl Filterable for KeyPairRec {
    fn values(&self, name: &str) -> Option<Vec<String>> {
        Some(match name {
            "key-pair-id" => vec![self.id.clone()],
            "key-name" => vec![self.name.clone()],
            "fingerprint" => vec![self.fingerprint.clone()],
            "key-type" => vec![self.key_type.clone()],
            _ => return None,
        })
    }

    fn tags(&self) -> &Tags {
        &self.tags
    }
}

fn missing(name: &str) -> AwsError {
    AwsError::bad_request(
        "InvalidKeyPair.NotFound",
        format!("The key pair '{name}' does not exist"),
    )
}

/// AWS's rules for key names: present, ASCII, at most 255 characters.
pub fn check_name(name: &str) -> Result<(), AwsError> {
    if name.is_empty() {
        return Err(AwsError::bad_request(
            "MissingParameter",
            "The request must contain the parameter KeyName",
        ));
    }
    if !name.is_ascii() {
        return Err(invalid(format!(
            "Value ({name}) for parameter KeyName is invalid. Character sets beyond ASCII are not supported."
        )));
    }
    if name.len() > 255 {
        return Err(invalid(format!(
            "Value ({name}) for parameter KeyName is invalid. Length exceeds maximum of 255."
        )));
    }
    Ok(())
}

fn duplicate_check(s: &RegionState, name: &str) -> Result<(), AwsError> {
    if s.key_pairs.values().any(|k| k.name == name) {
        return Err(AwsError::bad_request(
            "InvalidKeyPair.Duplicate",
            format!("The keypair '{name}' already exists."),
        ));
    }
    Ok(())
}

/// A key pair of this region by name (RunInstances' `KeyName`).
pub fn by_name<'a>(s: &'a RegionState, name: &str) -> Result<&'a KeyPairRec, AwsError> {
    s.key_pairs
        .values()
        .find(|k| k.name == name)
        .ok_or_else(|| missing(name))
}

pub fn create(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: CreateKeyPairRequest,
) -> Result<KeyPair, AwsError> {
    check_name(&i.key_name)?;
    let key_type = i.key_type.as_deref().unwrap_or("rsa");
    if key_type != "rsa" && key_type != "ed25519" {
        return Err(invalid(format!(
            "Value ({key_type}) for parameter keyType is invalid. Valid values are: rsa, ed25519"
        )));
    }
    let format = i.key_format.as_deref().unwrap_or("pem");
    if format != "pem" && format != "ppk" {
        return Err(invalid(format!(
            "Value ({format}) for parameter keyFormat is invalid. Valid values are: pem, ppk"
        )));
    }
    let tags = spec_tags(&i.tag_specifications, "key-pair")?;
    {
        let region = ec2.regions.get(ctx.account_id(), &ctx.region);
        duplicate_check(&region.lock(), &i.key_name)?;
    }
    dry_run(i.dry_run)?;
    // Generation takes a moment: outside the region's lock.
    let ppk = format == "ppk";
    let g = if key_type == "rsa" {
        keys::generate_rsa(ppk.then_some(i.key_name.as_str())).map_err(AwsError::internal)?
    } else {
        keys::generate_ed25519(&i.key_name, ppk)
    };
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    duplicate_check(&s, &i.key_name)?;
    let rec = KeyPairRec {
        id: new_id("key"),
        name: i.key_name.clone(),
        key_type: key_type.to_string(),
        fingerprint: g.fingerprint.clone(),
        public_key: g.public_key,
        created_ms: ec2.now(),
        tags,
    };
    let res = KeyPair {
        key_pair_id: Some(rec.id.clone()),
        tags: wire_tags(&rec.tags),
        key_name: Some(rec.name.clone()),
        key_fingerprint: Some(g.fingerprint),
        key_material: Some(g.private_key),
    };
    s.key_pairs.insert(rec.id.clone(), rec);
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)?;
    Ok(res)
}

pub fn import(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: ImportKeyPairRequest,
) -> Result<ImportKeyPairResult, AwsError> {
    check_name(&i.key_name)?;
    let key = keys::import(&i.public_key_material.0).ok_or_else(|| {
        AwsError::bad_request(
            "InvalidKey.Format",
            "Key is not in valid OpenSSH public key format",
        )
    })?;
    let tags = spec_tags(&i.tag_specifications, "key-pair")?;
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    duplicate_check(&s, &i.key_name)?;
    dry_run(i.dry_run)?;
    let rec = KeyPairRec {
        id: new_id("key"),
        name: i.key_name.clone(),
        key_type: key.key_type.to_string(),
        fingerprint: key.fingerprint,
        public_key: key.public_key,
        created_ms: ec2.now(),
        tags,
    };
    let res = ImportKeyPairResult {
        key_fingerprint: Some(rec.fingerprint.clone()),
        key_name: Some(rec.name.clone()),
        key_pair_id: Some(rec.id.clone()),
        tags: wire_tags(&rec.tags),
    };
    s.key_pairs.insert(rec.id.clone(), rec);
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)?;
    Ok(res)
}

pub fn describe(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: DescribeKeyPairsRequest,
) -> Result<DescribeKeyPairsResult, AwsError> {
    dry_run(i.dry_run)?;
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let s = region.lock();
    for name in i.key_names.iter().flatten() {
        by_name(&s, name)?;
    }
    for id in i.key_pair_ids.iter().flatten() {
        if !s.key_pairs.contains_key(id) {
            return Err(missing(id));
        }
    }
    let filters = i.filters.clone().unwrap_or_default();
    let with_public = i.include_public_key == Some(true);
    let mut res = Vec::new();
    for k in s.key_pairs.values() {
        if i.key_names.as_ref().is_some_and(|n| !n.contains(&k.name))
            || i.key_pair_ids.as_ref().is_some_and(|n| !n.contains(&k.id))
            || !matches(k, &filters)?
        {
            continue;
        }
        res.push(KeyPairInfo {
            key_pair_id: Some(k.id.clone()),
            key_type: Some(k.key_type.clone()),
            tags: Some(wire_tags(&k.tags).unwrap_or_default()),
            public_key: with_public.then(|| format!("{} {}\n", k.public_key, k.name)),
            create_time: Some(Timestamp(k.created_ms)),
            key_name: Some(k.name.clone()),
            key_fingerprint: Some(k.fingerprint.clone()),
        });
    }
    res.sort_by(|a, b| a.key_name.cmp(&b.key_name));
    Ok(DescribeKeyPairsResult {
        key_pairs: Some(res),
    })
}

/// Deleting a key pair that does not exist succeeds, as on AWS.
pub fn delete(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: DeleteKeyPairRequest,
) -> Result<DeleteKeyPairResult, AwsError> {
    if i.key_name.is_none() && i.key_pair_id.is_none() {
        return Err(AwsError::bad_request(
            "MissingParameter",
            "The request must contain the parameter KeyName or KeyPairId",
        ));
    }
    dry_run(i.dry_run)?;
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    let id = match (&i.key_pair_id, &i.key_name) {
        (Some(id), _) => s.key_pairs.contains_key(id).then(|| id.clone()),
        (None, Some(name)) => by_name(&s, name).ok().map(|k| k.id.clone()),
        (None, None) => None,
    };
    if let Some(id) = &id {
        s.key_pairs.remove(id);
        ec2.regions.save(ctx.account_id(), &ctx.region, &s)?;
    }
    Ok(DeleteKeyPairResult {
        r#return: Some(true),
        key_pair_id: id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_names() {
        assert!(check_name("lab").is_ok());
        assert!(check_name(&"a".repeat(255)).is_ok());
        assert_eq!(check_name("").unwrap_err().code, "MissingParameter");
        assert_eq!(
            check_name(&"a".repeat(256)).unwrap_err().code,
            "InvalidParameterValue"
        );
        assert_eq!(check_name("clé").unwrap_err().code, "InvalidParameterValue");
    }
}
