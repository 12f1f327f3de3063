//! Prefix lists: AWS's own for the gateway endpoint services (S3,
//! DynamoDB), with stable per-region ids, and customer-managed lists with
//! versioned entries.

use sha2::{Digest, Sha256};
use stratus_core::{AwsError, RequestContext};

use super::{check_id, dry_run, invalid, not_found, page, spec_tags, wire_tags};
use crate::Ec2;
use crate::cidr::Cidr;
use crate::filters::{Filterable, matches};
use crate::generated::*;
use crate::state::{PrefixEntry, PrefixListRec, RegionState, Tags, new_id};

/// The services with AWS-managed prefix lists, and the address ranges they list.
const AWS_LISTS: &[(&str, &[&str])] = &[
    (
        "dynamodb",
        &[
            "3.218.180.0/22",
            "3.218.184.0/22",
            "52.94.0.0/22",
            "52.119.224.0/20",
        ],
    ),
    (
        "s3",
        &[
            "3.5.0.0/19",
            "16.15.176.0/20",
            "16.182.0.0/16",
            "18.34.0.0/19",
            "18.34.232.0/21",
            "52.216.0.0/15",
            "54.231.0.0/16",
        ],
    ),
];

/// An AWS-managed prefix list of a region.
pub struct AwsList {
    pub id: String,
    pub name: String,
    pub cidrs: &'static [&'static str],
}

/// `pl-` and eight hex digits derived from region and service, so the same
/// region always shows the same ids.
fn aws_list_id(region: &str, service: &str) -> String {
    let h = Sha256::digest(format!("{region}/{service}").as_bytes());
    format!("pl-{:02x}{:02x}{:02x}{:02x}", h[0], h[1], h[2], h[3])
}

pub fn aws_lists(region: &str) -> Vec<AwsList> {
    AWS_LISTS
        .iter()
        .map(|(svc, cidrs)| AwsList {
            id: aws_list_id(region, svc),
            name: format!("com.amazonaws.{region}.{svc}"),
            cidrs,
        })
        .collect()
}

/// The AWS-managed list for a gateway service name (`com.amazonaws.REGION.s3`).
pub fn aws_list_for(region: &str, service_name: &str) -> Option<AwsList> {
    aws_lists(region)
        .into_iter()
        .find(|l| l.name == service_name)
}

/// Whether a prefix list id names a list of this region (AWS's or the account's).
pub fn exists(s: &RegionState, region: &str, id: &str) -> bool {
    s.prefix_lists.contains_key(id) || aws_lists(region).iter().any(|l| l.id == id)
}

fn pl_not_found(id: &str) -> AwsError {
    not_found("InvalidPrefixListID.NotFound", "prefix list", id)
}

fn check(id: &str) -> Result<(), AwsError> {
    check_id(id, "pl", "InvalidPrefixListId.Malformed")
}

static NO_TAGS: Tags = Tags::new();

/// One row of DescribeManagedPrefixLists, whoever owns it.
struct Row {
    id: String,
    name: String,
    owner: String,
    family: String,
    max_entries: Option<i32>,
    version: i64,
    tags: Tags,
}

impl Filterable for Row {
    fn values(&self, name: &str) -> Option<Vec<String>> {
        Some(match name {
            "prefix-list-id" => vec![self.id.clone()],
            "prefix-list-name" => vec![self.name.clone()],
            "owner-id" => vec![self.owner.clone()],
            _ => return None,
        })
    }

    fn tags(&self) -> &Tags {
        &self.tags
    }
}

impl Filterable for AwsList {
    fn values(&self, name: &str) -> Option<Vec<String>> {
        Some(match name {
            "prefix-list-id" => vec![self.id.clone()],
            "prefix-list-name" => vec![self.name.clone()],
            _ => return None,
        })
    }

    fn tags(&self) -> &Tags {
        &NO_TAGS
    }
}

fn rows(s: &RegionState, region: &str, owner: &str) -> Vec<Row> {
    let mut out: Vec<Row> = aws_lists(region)
        .into_iter()
        .map(|l| Row {
            id: l.id,
            name: l.name,
            owner: "AWS".into(),
            family: "IPv4".into(),
            max_entries: None,
            version: 1,
            tags: Tags::new(),
        })
        .collect();
    out.extend(s.prefix_lists.values().map(|p| Row {
        id: p.id.clone(),
        name: p.name.clone(),
        owner: owner.to_string(),
        family: p.family.clone(),
        max_entries: Some(p.max_entries),
        version: p.version,
        tags: p.tags.clone(),
    }));
    out
}

fn managed_out(r: &Row, region: &str, state: &str) -> ManagedPrefixList {
    let arn_owner = if r.owner == "AWS" { "aws" } else { &r.owner };
    ManagedPrefixList {
        prefix_list_id: Some(r.id.clone()),
        address_family: Some(r.family.clone()),
        state: Some(state.into()),
        prefix_list_arn: Some(format!(
            "arn:aws:ec2:{region}:{arn_owner}:prefix-list/{}",
            r.id
        )),
        prefix_list_name: Some(r.name.clone()),
        max_entries: r.max_entries,
        version: Some(r.version),
        tags: Some(wire_tags(&r.tags).unwrap_or_default()),
        owner_id: Some(r.owner.clone()),
        ..Default::default()
    }
}

fn rec_row(p: &PrefixListRec, owner: &str) -> Row {
    Row {
        id: p.id.clone(),
        name: p.name.clone(),
        owner: owner.to_string(),
        family: p.family.clone(),
        max_entries: Some(p.max_entries),
        version: p.version,
        tags: p.tags.clone(),
    }
}

pub fn describe_prefix_lists(
    _ec2: &Ec2,
    ctx: &RequestContext,
    i: DescribePrefixListsRequest,
) -> Result<DescribePrefixListsResult, AwsError> {
    dry_run(i.dry_run)?;
    let lists = aws_lists(&ctx.region);
    for id in i.prefix_list_ids.iter().flatten() {
        check(id)?;
        if !lists.iter().any(|l| &l.id == id) {
            return Err(pl_not_found(id));
        }
    }
    let filters = i.filters.clone().unwrap_or_default();
    let mut res = Vec::new();
    for l in &lists {
        if i.prefix_list_ids
            .as_ref()
            .is_some_and(|ids| !ids.contains(&l.id))
        {
            continue;
        }
        if matches(l, &filters)? {
            res.push(PrefixList {
                cidrs: Some(l.cidrs.iter().map(|c| c.to_string()).collect()),
                prefix_list_id: Some(l.id.clone()),
                prefix_list_name: Some(l.name.clone()),
            });
        }
    }
    let (prefix_lists, next_token) = page(res, i.max_results, i.next_token.as_deref())?;
    Ok(DescribePrefixListsResult {
        next_token,
        prefix_lists: Some(prefix_lists),
    })
}

pub fn describe_managed(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: DescribeManagedPrefixListsRequest,
) -> Result<DescribeManagedPrefixListsResult, AwsError> {
    dry_run(i.dry_run)?;
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let s = region.lock();
    for id in i.prefix_list_ids.iter().flatten() {
        check(id)?;
        if !exists(&s, &ctx.region, id) {
            return Err(pl_not_found(id));
        }
    }
    let filters = i.filters.clone().unwrap_or_default();
    let mut res = Vec::new();
    for r in rows(&s, &ctx.region, ctx.account_id()) {
        if i.prefix_list_ids
            .as_ref()
            .is_some_and(|ids| !ids.contains(&r.id))
        {
            continue;
        }
        if matches(&r, &filters)? {
            let state = if r.version > 1 {
                "modify-complete"
            } else {
                "create-complete"
            };
            res.push(managed_out(&r, &ctx.region, state));
        }
    }
    let (prefix_lists, next_token) = page(res, i.max_results, i.next_token.as_deref())?;
    Ok(DescribeManagedPrefixListsResult {
        next_token,
        prefix_lists: Some(prefix_lists),
    })
}

pub fn get_entries(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: GetManagedPrefixListEntriesRequest,
) -> Result<GetManagedPrefixListEntriesResult, AwsError> {
    check(&i.prefix_list_id)?;
    dry_run(i.dry_run)?;
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let s = region.lock();
    let entries: Vec<PrefixEntry> = if let Some(p) = s.prefix_lists.get(&i.prefix_list_id) {
        match i.target_version {
            None => p.entries.clone(),
            Some(v) if v == p.version => p.entries.clone(),
            Some(v) => p
                .history
                .iter()
                .find(|(n, _)| *n == v)
                .map(|(_, e)| e.clone())
                .ok_or_else(|| {
                    invalid(format!(
                        "The prefix list {} does not have version {v}.",
                        p.id
                    ))
                })?,
        }
    } else if let Some(l) = aws_lists(&ctx.region)
        .into_iter()
        .find(|l| l.id == i.prefix_list_id)
    {
        l.cidrs
            .iter()
            .map(|c| PrefixEntry {
                cidr: c.to_string(),
                description: None,
            })
            .collect()
    } else {
        return Err(pl_not_found(&i.prefix_list_id));
    };
    let start = match &i.next_token {
        Some(t) => t
            .parse::<usize>()
            .map_err(|_| invalid(format!("Invalid value '{t}' for nextToken")))?,
        None => 0,
    };
    let max = match i.max_results {
        Some(m) if !(1..=100).contains(&m) => {
            return Err(invalid(format!(
                "Value ( {m} ) for parameter maxResults is invalid. Expecting a value between 1 and 100."
            )));
        }
        Some(m) => m as usize,
        None => 100,
    };
    let end = (start + max).min(entries.len());
    let page: Vec<PrefixListEntry> = entries
        .iter()
        .skip(start)
        .take(end.saturating_sub(start))
        .map(|e| PrefixListEntry {
            cidr: Some(e.cidr.clone()),
            description: e.description.clone(),
        })
        .collect();
    Ok(GetManagedPrefixListEntriesResult {
        entries: Some(page),
        next_token: (end < entries.len()).then(|| end.to_string()),
    })
}

/// A CIDR of the list's family, normalised.
fn entry_cidr(cidr: &str, family: &str) -> Result<String, AwsError> {
    let bad = || {
        invalid(format!(
            "The CIDR {cidr} is not valid for the address family {family}."
        ))
    };
    if family == "IPv4" {
        return Cidr::parse(cidr).map(|c| c.to_string()).ok_or_else(bad);
    }
    let (ip, len) = cidr.split_once('/').ok_or_else(bad)?;
    let ok = ip.parse::<std::net::Ipv6Addr>().is_ok() && len.parse::<u8>().is_ok_and(|l| l <= 128);
    ok.then(|| cidr.to_lowercase()).ok_or_else(bad)
}

/// Applies additions and removals to a list's entries.
pub fn apply(
    entries: &[PrefixEntry],
    family: &str,
    add: &[AddPrefixListEntry],
    remove: &[RemovePrefixListEntry],
) -> Result<Vec<PrefixEntry>, AwsError> {
    let mut out = entries.to_vec();
    for r in remove {
        let c = entry_cidr(&r.cidr, family)?;
        let before = out.len();
        out.retain(|e| e.cidr != c);
        if out.len() == before {
            return Err(invalid(format!(
                "The prefix list entry {} does not exist.",
                r.cidr
            )));
        }
    }
    for a in add {
        let c = entry_cidr(&a.cidr, family)?;
        match out.iter_mut().find(|e| e.cidr == c) {
            Some(e) => e.description = a.description.clone(),
            None => out.push(PrefixEntry {
                cidr: c,
                description: a.description.clone(),
            }),
        }
    }
    Ok(out)
}

fn too_many(max: i32) -> AwsError {
    AwsError::bad_request(
        "PrefixListMaxEntriesExceeded",
        format!("The prefix list has exceeded its maximum number of entries ({max})."),
    )
}

pub fn create(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: CreateManagedPrefixListRequest,
) -> Result<CreateManagedPrefixListResult, AwsError> {
    let tags = spec_tags(&i.tag_specifications, "prefix-list")?;
    if i.address_family != "IPv4" && i.address_family != "IPv6" {
        return Err(invalid(format!(
            "Value ({}) for parameter addressFamily is invalid. Valid values: IPv4, IPv6",
            i.address_family
        )));
    }
    if !(1..=1000).contains(&i.max_entries) {
        return Err(invalid(format!(
            "Value ({}) for parameter maxEntries is invalid. Expecting a value between 1 and 1000.",
            i.max_entries
        )));
    }
    if i.prefix_list_name
        .to_lowercase()
        .starts_with("com.amazonaws")
    {
        return Err(invalid(format!(
            "The prefix list name '{}' is invalid. Names that begin with 'com.amazonaws' are reserved.",
            i.prefix_list_name
        )));
    }
    let entries = apply(
        &[],
        &i.address_family,
        i.entries.as_deref().unwrap_or_default(),
        &[],
    )?;
    if entries.len() > i.max_entries as usize {
        return Err(too_many(i.max_entries));
    }
    dry_run(i.dry_run)?;
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    let p = PrefixListRec {
        id: new_id("pl"),
        name: i.prefix_list_name.clone(),
        family: i.address_family.clone(),
        max_entries: i.max_entries,
        version: 1,
        entries,
        history: vec![],
        tags,
    };
    let res = managed_out(
        &rec_row(&p, ctx.account_id()),
        &ctx.region,
        "create-in-progress",
    );
    s.prefix_lists.insert(p.id.clone(), p);
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)?;
    Ok(CreateManagedPrefixListResult {
        prefix_list: Some(res),
    })
}

fn aws_owned(id: &str) -> AwsError {
    AwsError::bad_request(
        "InvalidPrefixListModification",
        format!("The prefix list {id} is managed by AWS and cannot be changed."),
    )
}

fn own_or_err<'a>(
    s: &'a RegionState,
    region: &str,
    id: &str,
) -> Result<&'a PrefixListRec, AwsError> {
    check(id)?;
    if let Some(p) = s.prefix_lists.get(id) {
        return Ok(p);
    }
    if aws_lists(region).iter().any(|l| l.id == id) {
        return Err(aws_owned(id));
    }
    Err(pl_not_found(id))
}

pub fn modify(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: ModifyManagedPrefixListRequest,
) -> Result<ModifyManagedPrefixListResult, AwsError> {
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    let p = own_or_err(&s, &ctx.region, &i.prefix_list_id)?;
    let add = i.add_entries.clone().unwrap_or_default();
    let remove = i.remove_entries.clone().unwrap_or_default();
    let changes_entries = !add.is_empty() || !remove.is_empty();
    if changes_entries && i.max_entries.is_some() {
        return Err(AwsError::bad_request(
            "InvalidParameterCombination",
            "You cannot modify the entries of a prefix list and modify the size of a prefix list at the same time.",
        ));
    }
    if changes_entries {
        match i.current_version {
            None => {
                return Err(AwsError::bad_request(
                    "MissingParameter",
                    "The request must contain the parameter currentVersion",
                ));
            }
            Some(v) if v != p.version => {
                return Err(AwsError::bad_request(
                    "PrefixListVersionMismatch",
                    "The prefix list has the incorrect version number.",
                ));
            }
            _ => {}
        }
    }
    let entries = apply(&p.entries, &p.family, &add, &remove)?;
    let max = i.max_entries.unwrap_or(p.max_entries);
    if !(1..=1000).contains(&max) {
        return Err(invalid(format!(
            "Value ({max}) for parameter maxEntries is invalid. Expecting a value between 1 and 1000."
        )));
    }
    if i.max_entries
        .is_some_and(|m| (m as usize) < p.entries.len())
    {
        return Err(invalid(format!(
            "The maximum number of entries ({max}) is smaller than the number of entries in the prefix list ({}).",
            p.entries.len()
        )));
    }
    if entries.len() > max as usize {
        return Err(too_many(max));
    }
    dry_run(i.dry_run)?;
    let Some(p) = s.prefix_lists.get_mut(&i.prefix_list_id) else {
        return Err(pl_not_found(&i.prefix_list_id));
    };
    if changes_entries {
        let old = std::mem::replace(&mut p.entries, entries);
        p.history.push((p.version, old));
        p.version += 1;
    }
    p.max_entries = max;
    if let Some(n) = &i.prefix_list_name {
        p.name = n.clone();
    }
    let res = managed_out(
        &rec_row(p, ctx.account_id()),
        &ctx.region,
        "modify-in-progress",
    );
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)?;
    Ok(ModifyManagedPrefixListResult {
        prefix_list: Some(res),
    })
}

pub fn delete(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: DeleteManagedPrefixListRequest,
) -> Result<DeleteManagedPrefixListResult, AwsError> {
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    let p = own_or_err(&s, &ctx.region, &i.prefix_list_id)?;
    let id = p.id.clone();
    let in_use = s.sgs.values().any(|g| {
        g.ingress
            .iter()
            .chain(&g.egress)
            .any(|r| r.prefix_list.as_deref() == Some(id.as_str()))
    }) || s
        .rtbs
        .values()
        .any(|r| r.routes.iter().any(|x| x.dest == id));
    if in_use {
        return Err(AwsError::bad_request(
            "PrefixListInUse",
            format!("The prefix list {id} is in use and cannot be deleted."),
        ));
    }
    dry_run(i.dry_run)?;
    let res = managed_out(
        &rec_row(p, ctx.account_id()),
        &ctx.region,
        "delete-in-progress",
    );
    s.prefix_lists.remove(&id);
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)?;
    Ok(DeleteManagedPrefixListResult {
        prefix_list: Some(res),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_lists_are_stable_per_region() {
        let a = aws_lists("us-east-1");
        let b = aws_lists("us-east-1");
        let c = aws_lists("eu-west-1");
        assert_eq!(a[0].id, b[0].id);
        assert_ne!(a[0].id, c[0].id);
        assert_ne!(a[0].id, a[1].id);
        assert!(a[0].id.starts_with("pl-") && a[0].id.len() == 11);
        assert_eq!(
            aws_list_for("us-east-1", "com.amazonaws.us-east-1.s3")
                .unwrap()
                .id,
            a[1].id
        );
    }

    #[test]
    fn entries_add_remove_and_normalise() {
        let add = |c: &str| AddPrefixListEntry {
            cidr: c.into(),
            description: Some("d".into()),
        };
        let e = apply(&[], "IPv4", &[add("10.0.0.0/16"), add("10.1.0.0/16")], &[]).unwrap();
        assert_eq!(e.len(), 2);
        let e = apply(
            &e,
            "IPv4",
            &[],
            &[RemovePrefixListEntry {
                cidr: "10.0.0.0/16".into(),
            }],
        )
        .unwrap();
        assert_eq!(e[0].cidr, "10.1.0.0/16");
        assert!(apply(&e, "IPv4", &[add("10.0.0.1/16")], &[]).is_err());
        assert!(apply(&e, "IPv6", &[add("2001:db8::/32")], &[]).is_ok());
        assert!(
            apply(
                &e,
                "IPv4",
                &[],
                &[RemovePrefixListEntry {
                    cidr: "10.9.0.0/16".into()
                }]
            )
            .is_err()
        );
    }
}
