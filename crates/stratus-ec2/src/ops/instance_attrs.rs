//! What can be read and changed on an instance after launch: attributes,
//! metadata options, monitoring, status checks, console output and
//! additional network interfaces.

use base64::Engine as _;
use stratus_core::{AwsError, RequestContext};
use stratus_protocol::Timestamp;

use super::instances::{
    View, apply_metadata, check_instances, instance_or_err, metadata_out, state_of,
};
use super::{check_id, dry_run, invalid, page};
use crate::Ec2;
use crate::compute::{InstanceRec, PENDING_MS};
use crate::filters::{Filterable, matches};
use crate::generated::*;
use crate::runtime::Health;
use crate::state::{EniAttachment, RegionState, new_id};

fn text(v: impl Into<String>) -> Option<AttributeValue> {
    Some(AttributeValue {
        value: Some(v.into()),
    })
}

fn flag(v: bool) -> Option<AttributeBooleanValue> {
    Some(AttributeBooleanValue { value: Some(v) })
}

pub fn describe_attribute(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: DescribeInstanceAttributeRequest,
) -> Result<InstanceAttribute, AwsError> {
    let owner = ctx.account_id();
    let region = ec2.regions.get(owner, &ctx.region);
    let s = region.lock();
    let x = instance_or_err(&s, &i.instance_id)?;
    dry_run(i.dry_run)?;
    let primary = s.instance_eni(&x.id, 0);
    let mut out = InstanceAttribute {
        instance_id: Some(x.id.clone()),
        ..Default::default()
    };
    match i.attribute.as_str() {
        "instanceType" => out.instance_type = text(&x.instance_type),
        "kernel" => out.kernel_id = Some(AttributeValue::default()),
        "ramdisk" => out.ramdisk_id = Some(AttributeValue::default()),
        "userData" => {
            out.user_data = Some(AttributeValue {
                value: x.user_data.clone(),
            })
        }
        "disableApiTermination" => out.disable_api_termination = flag(x.disable_api_termination),
        "disableApiStop" => out.disable_api_stop = flag(x.disable_api_stop),
        "instanceInitiatedShutdownBehavior" => {
            out.instance_initiated_shutdown_behavior = text(&x.shutdown_behavior)
        }
        "rootDeviceName" => out.root_device_name = text(&x.root_device),
        "blockDeviceMapping" => {
            let view = View::new(&s, owner, &ctx.region);
            out.block_device_mappings = view.instance(x).block_device_mappings;
        }
        "productCodes" => out.product_codes = Some(vec![]),
        "sourceDestCheck" => {
            out.source_dest_check = flag(primary.is_none_or(|e| e.source_dest_check))
        }
        "groupSet" => {
            out.groups = Some(
                primary
                    .map(|e| {
                        e.groups
                            .iter()
                            .map(|g| GroupIdentifier {
                                group_id: Some(g.clone()),
                                group_name: s.sgs.get(g).map(|x| x.name.clone()),
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
            )
        }
        "ebsOptimized" => out.ebs_optimized = flag(x.ebs_optimized),
        "sriovNetSupport" => out.sriov_net_support = Some(AttributeValue::default()),
        "enaSupport" => out.ena_support = flag(x.ena_support),
        "enclaveOptions" => {
            out.enclave_options = Some(EnclaveOptions {
                enabled: Some(false),
            })
        }
        other => {
            return Err(invalid(format!(
                "Value ({other}) for parameter attribute is invalid. Unknown attribute."
            )));
        }
    }
    Ok(out)
}

fn must_be_stopped(x: &InstanceRec) -> Result<(), AwsError> {
    if x.state != "stopped" {
        return Err(AwsError::bad_request(
            "IncorrectInstanceState",
            format!("The instance '{}' is not in the 'stopped' state.", x.id),
        ));
    }
    Ok(())
}

pub fn modify_attribute(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: ModifyInstanceAttributeRequest,
) -> Result<(), AwsError> {
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    let x = instance_or_err(&s, &i.instance_id)?.clone();
    if x.state == "terminated" || x.state == "shutting-down" {
        return Err(AwsError::bad_request(
            "IncorrectInstanceState",
            format!(
                "The instance '{}' is not in a state from which it can be modified.",
                x.id
            ),
        ));
    }
    // The `Attribute` + `Value` form names one attribute by its API name.
    let mut i = i;
    if let (Some(attr), Some(value)) = (i.attribute.clone(), i.value.clone()) {
        let b = || {
            value
                .parse::<bool>()
                .map_err(|_| invalid(format!("Value ({value}) for parameter value is invalid.")))
        };
        match attr.as_str() {
            "instanceType" => i.instance_type = text(value.clone()),
            "disableApiTermination" => i.disable_api_termination = flag(b()?),
            "disableApiStop" => i.disable_api_stop = flag(b()?),
            "sourceDestCheck" => i.source_dest_check = flag(b()?),
            "ebsOptimized" => i.ebs_optimized = flag(b()?),
            "instanceInitiatedShutdownBehavior" => {
                i.instance_initiated_shutdown_behavior = text(value.clone())
            }
            "userData" => {
                i.user_data = Some(SecureBlobAttributeValue {
                    value: Some(stratus_protocol::Blob(value.clone().into_bytes())),
                })
            }
            other => {
                return Err(invalid(format!(
                    "Value ({other}) for parameter attribute is invalid. Unknown attribute."
                )));
            }
        }
    }
    if let Some(t) = i.instance_type.as_ref().and_then(|v| v.value.clone()) {
        must_be_stopped(&x)?;
        super::launch::check_type(&t, &x.architecture)?;
    }
    if i.user_data.is_some() {
        must_be_stopped(&x)?;
    }
    if i.ebs_optimized.is_some() || i.ena_support.is_some() {
        must_be_stopped(&x)?;
    }
    if let Some(b) = i
        .instance_initiated_shutdown_behavior
        .as_ref()
        .and_then(|v| v.value.as_deref())
    {
        if b != "stop" && b != "terminate" {
            return Err(invalid(format!(
                "Value ({b}) for parameter instanceInitiatedShutdownBehavior is invalid."
            )));
        }
    }
    let vpc = x.vpc.clone();
    if let Some(groups) = &i.groups {
        if groups.is_empty() {
            return Err(AwsError::bad_request(
                "MissingParameter",
                "The request must contain the parameter groupId",
            ));
        }
        for g in groups {
            let rec = super::security::group_or_err(&s, g)?;
            if rec.vpc != vpc {
                return Err(invalid(format!(
                    "Security group {g} and instance {} belong to different networks.",
                    x.id
                )));
            }
        }
    }
    for m in i.block_device_mappings.iter().flatten() {
        let dev = m.device_name.clone().unwrap_or_default();
        if !x.blocks.iter().any(|b| b.device == dev) {
            return Err(invalid(format!(
                "The device '{dev}' is not attached to instance '{}'",
                x.id
            )));
        }
    }
    dry_run(i.dry_run)?;
    if let Some(groups) = i.groups.clone() {
        if let Some(e) = s.instance_eni_mut(&x.id, 0) {
            e.groups = groups;
        }
    }
    if let Some(v) = i.source_dest_check.as_ref().and_then(|v| v.value) {
        if let Some(e) = s.instance_eni_mut(&x.id, 0) {
            e.source_dest_check = v;
        }
    }
    let mut dot = Vec::new();
    {
        let rec = s.instances.get_mut(&x.id).expect("checked above");
        if let Some(t) = i.instance_type.and_then(|v| v.value) {
            rec.instance_type = t;
        }
        if let Some(u) = i.user_data.and_then(|v| v.value) {
            rec.user_data =
                (!u.0.is_empty()).then(|| base64::engine::general_purpose::STANDARD.encode(&u.0));
        }
        if let Some(v) = i.disable_api_termination.and_then(|v| v.value) {
            rec.disable_api_termination = v;
        }
        if let Some(v) = i.disable_api_stop.and_then(|v| v.value) {
            rec.disable_api_stop = v;
        }
        if let Some(v) = i.ebs_optimized.and_then(|v| v.value) {
            rec.ebs_optimized = v;
        }
        if let Some(v) = i.ena_support.and_then(|v| v.value) {
            rec.ena_support = v;
        }
        if let Some(v) = i.instance_initiated_shutdown_behavior.and_then(|v| v.value) {
            rec.shutdown_behavior = v;
        }
        for m in i.block_device_mappings.iter().flatten() {
            let dev = m.device_name.clone().unwrap_or_default();
            if let Some(d) = m.ebs.as_ref().and_then(|e| e.delete_on_termination) {
                for b in rec.blocks.iter_mut().filter(|b| b.device == dev) {
                    b.delete_on_termination = d;
                    dot.push((b.volume.clone(), d));
                }
            }
        }
    }
    for (vol, d) in dot {
        if let Some(a) = s.volumes.get_mut(&vol).and_then(|v| v.attachment.as_mut()) {
            a.delete_on_termination = d;
        }
    }
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)
}

pub fn reset_attribute(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: ResetInstanceAttributeRequest,
) -> Result<(), AwsError> {
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    let x = instance_or_err(&s, &i.instance_id)?.clone();
    match i.attribute.as_str() {
        "sourceDestCheck" => {}
        "kernel" | "ramdisk" => must_be_stopped(&x)?,
        other => {
            return Err(invalid(format!(
                "Value ({other}) for parameter attribute is invalid. Only kernel, ramdisk and sourceDestCheck can be reset."
            )));
        }
    }
    dry_run(i.dry_run)?;
    if i.attribute == "sourceDestCheck" {
        if let Some(e) = s.instance_eni_mut(&x.id, 0) {
            e.source_dest_check = true;
        }
    }
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)
}

/// The boot log an instance's serial console shows, once it has booted.
fn console_log(x: &InstanceRec, region: &str, s: &RegionState) -> String {
    let ip = s
        .instance_eni(&x.id, 0)
        .map(|e| e.private_ip.clone())
        .unwrap_or_default();
    let host = super::instances::private_dns(&ip, region);
    let mut out = String::new();
    for boot in 0..x.boots {
        let t = x.launch_ms / 1000 + i64::from(boot);
        out.push_str(&format!(
            "[    0.000000] Linux version 6.1.115-126.197.amzn2023.{arch} (mockbuild@ip-10-0-0-1) #1 SMP\r\n\
             [    0.000000] Command line: BOOT_IMAGE=/boot/vmlinuz root=UUID=00000000 ro console=tty0 console=ttyS0,115200n8\r\n\
             [    1.234567] EXT4-fs ({root}): mounted filesystem with ordered data mode\r\n\
             cloud-init[1234]: Cloud-init v. 22.2.2 running 'init' at {t}. Up 5.00 seconds.\r\n\
             cloud-init[1234]: ci-info: | eth0 | True | {ip} | 255.255.255.0 | global |\r\n\
             cloud-init[1501]: Cloud-init v. 22.2.2 running 'modules:final' at {t}. Up 9.00 seconds.\r\n\
             cloud-init[1501]: Cloud-init v. 22.2.2 finished at {t}. Datasource DataSourceEc2Local. Up 9.50 seconds\r\n\
             \r\n{host} login: \r\n",
            arch = x.architecture,
            root = x.root_device.trim_start_matches("/dev/"),
        ));
    }
    out
}

pub fn console_output(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: GetConsoleOutputRequest,
) -> Result<GetConsoleOutputResult, AwsError> {
    let now = ec2.now();
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let s = region.lock();
    let x = instance_or_err(&s, &i.instance_id)?;
    dry_run(i.dry_run)?;
    let mut log = console_log(x, &ctx.region, &s);
    if let Some(real) = ec2.runtime.get().and_then(|r| r.console(&x.id)) {
        log.push_str(&real);
    }
    // AWS keeps the most recent 64 KB.
    const MAX: usize = 64 * 1024;
    if log.len() > MAX {
        let mut cut = log.len() - MAX;
        while !log.is_char_boundary(cut) {
            cut += 1;
        }
        log.drain(..cut);
    }
    Ok(GetConsoleOutputResult {
        instance_id: Some(x.id.clone()),
        timestamp: Some(Timestamp(now)),
        output: (!log.is_empty()).then(|| base64::engine::general_purpose::STANDARD.encode(log)),
    })
}

pub fn metadata_options(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: ModifyInstanceMetadataOptionsRequest,
) -> Result<ModifyInstanceMetadataOptionsResult, AwsError> {
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    let x = instance_or_err(&s, &i.instance_id)?;
    if x.state == "terminated" {
        return Err(AwsError::bad_request(
            "IncorrectInstanceState",
            format!(
                "The instance '{}' is not in a valid state for this operation.",
                x.id
            ),
        ));
    }
    let mut m = x.metadata.clone();
    apply_metadata(
        &mut m,
        &InstanceMetadataOptionsRequest {
            http_tokens: i.http_tokens.clone(),
            http_put_response_hop_limit: i.http_put_response_hop_limit,
            http_endpoint: i.http_endpoint.clone(),
            http_protocol_ipv6: i.http_protocol_ipv6.clone(),
            instance_metadata_tags: i.instance_metadata_tags.clone(),
        },
    )?;
    dry_run(i.dry_run)?;
    let out = metadata_out(&m, "pending");
    if let Some(rec) = s.instances.get_mut(&i.instance_id) {
        rec.metadata = m;
    }
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)?;
    Ok(ModifyInstanceMetadataOptionsResult {
        instance_id: Some(i.instance_id),
        instance_metadata_options: Some(out),
    })
}

/// Monitor/UnmonitorInstances: detailed monitoring on or off.
pub fn monitoring(
    ec2: &Ec2,
    ctx: &RequestContext,
    ids: &[String],
    on: bool,
    dry: Option<bool>,
) -> Result<Vec<InstanceMonitoring>, AwsError> {
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    check_instances(&s, ids)?;
    dry_run(dry)?;
    let mut out = Vec::new();
    for id in ids {
        if let Some(x) = s.instances.get_mut(id) {
            x.monitoring = on;
        }
        out.push(InstanceMonitoring {
            instance_id: Some(id.clone()),
            monitoring: Some(Monitoring {
                state: Some(if on { "pending" } else { "disabling" }.into()),
                ..Default::default()
            }),
        });
    }
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)?;
    Ok(out)
}

/// One status check's outcome: its status, its reachability detail and
/// since when it has failed.
#[derive(Clone, Copy)]
struct Check {
    status: &'static str,
    reach: &'static str,
    since: Option<i64>,
}

impl Check {
    const OK: Check = Check::new("ok", "passed");
    const fn new(status: &'static str, reach: &'static str) -> Check {
        Check {
            status,
            reach,
            since: None,
        }
    }
    fn failed(since: i64) -> Check {
        Check {
            status: "impaired",
            reach: "failed",
            since: Some(since),
        }
    }
}

/// An instance with its status checks, as DescribeInstanceStatus filters it.
struct Checked<'a> {
    x: &'a InstanceRec,
    instance: Check,
    system: Check,
}

impl Filterable for Checked<'_> {
    fn values(&self, name: &str) -> Option<Vec<String>> {
        let x = self.x;
        Some(match name {
            "availability-zone" => vec![x.az.clone()],
            "instance-state-name" => vec![x.state.clone()],
            "instance-state-code" => vec![crate::compute::state_code(&x.state).to_string()],
            "instance-status.status" => vec![self.instance.status.to_string()],
            "system-status.status" => vec![self.system.status.to_string()],
            "instance-status.reachability" => vec![self.instance.reach.to_string()],
            "system-status.reachability" => vec![self.system.reach.to_string()],
            "event.code" | "event.description" => vec![],
            _ => return None,
        })
    }

    fn tags(&self) -> &crate::state::Tags {
        &self.x.tags
    }
}

fn checks(c: Check) -> Option<InstanceStatusSummary> {
    Some(InstanceStatusSummary {
        details: Some(vec![InstanceStatusDetails {
            name: Some("reachability".into()),
            status: Some(c.reach.into()),
            impaired_since: c.since.map(Timestamp),
        }]),
        status: Some(c.status.into()),
    })
}

pub fn status(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: DescribeInstanceStatusRequest,
) -> Result<DescribeInstanceStatusResult, AwsError> {
    dry_run(i.dry_run)?;
    let now = ec2.now();
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let s = region.lock();
    if let Some(ids) = &i.instance_ids {
        check_instances(&s, ids)?;
    }
    let all = i.include_all_instances == Some(true);
    let mut out = Vec::new();
    for x in s.instances.values() {
        if i.instance_ids
            .as_ref()
            .is_some_and(|ids| !ids.contains(&x.id))
        {
            continue;
        }
        if !all && x.state != "running" {
            continue;
        }
        // Status checks pass a short while after the instance is running,
        // unless the instance runtime found its processes dead (the
        // instance check) or could not run it (the system check).
        let health = match x.state.as_str() {
            "running" => ec2
                .runtime
                .get()
                .and_then(|r| r.health(ctx.account_id(), &ctx.region, &x.id)),
            _ => None,
        };
        let (instance, system) = match (x.state.as_str(), health) {
            ("running", Some(Health::Died(at))) => (Check::failed(at), Check::OK),
            ("running", Some(Health::NotBooted(at))) => (
                Check::new("insufficient-data", "insufficient-data"),
                Check::failed(at),
            ),
            ("running", _) if now >= x.state_ms + PENDING_MS => (Check::OK, Check::OK),
            ("running", _) => {
                let c = Check::new("initializing", "initializing");
                (c, c)
            }
            _ => {
                let c = Check::new("not-applicable", "not-applicable");
                (c, c)
            }
        };
        let zone_id = crate::state::zone_id(&ctx.region, &x.az);
        let item = InstanceStatus {
            availability_zone: Some(x.az.clone()),
            availability_zone_id: zone_id,
            events: Some(vec![]),
            instance_id: Some(x.id.clone()),
            instance_state: Some(state_of(&x.state)),
            instance_status: checks(instance),
            system_status: checks(system),
            ..Default::default()
        };
        let seen = Checked {
            x,
            instance,
            system,
        };
        if matches(&seen, i.filters.as_deref().unwrap_or_default())? {
            out.push(item);
        }
    }
    let (list, next_token) = page(out, i.max_results, i.next_token.as_deref())?;
    Ok(DescribeInstanceStatusResult {
        instance_statuses: Some(list),
        next_token,
    })
}

pub fn attach_interface(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: AttachNetworkInterfaceRequest,
) -> Result<AttachNetworkInterfaceResult, AwsError> {
    let now = ec2.now();
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    let x = instance_or_err(&s, &i.instance_id)?.clone();
    check_id(
        &i.network_interface_id,
        "eni",
        "InvalidNetworkInterfaceID.Malformed",
    )?;
    let e = s.enis.get(&i.network_interface_id).ok_or_else(|| {
        AwsError::bad_request(
            "InvalidNetworkInterfaceID.NotFound",
            format!(
                "The networkInterface ID '{}' does not exist",
                i.network_interface_id
            ),
        )
    })?;
    if e.attachment.is_some() {
        return Err(AwsError::bad_request(
            "InvalidNetworkInterface.InUse",
            format!("Interface: [{}] in use.", e.id),
        ));
    }
    if e.az != x.az {
        return Err(invalid(format!(
            "Instance '{}' and network interface '{}' are not in the same availability zone.",
            x.id, e.id
        )));
    }
    if !["running", "stopped"].contains(&x.state.as_str()) {
        return Err(AwsError::bad_request(
            "IncorrectInstanceState",
            format!(
                "The instance '{}' is not in a valid state for this operation.",
                x.id
            ),
        ));
    }
    if s.instance_eni(&x.id, i.device_index).is_some() {
        return Err(invalid(format!(
            "Instance '{}' already has an interface attached at device index '{}'.",
            x.id, i.device_index
        )));
    }
    if i.device_index < 1 {
        return Err(invalid(format!(
            "Value ({}) for parameter deviceIndex is invalid.",
            i.device_index
        )));
    }
    dry_run(i.dry_run)?;
    let id = new_id("eni-attach");
    if let Some(e) = s.enis.get_mut(&i.network_interface_id) {
        e.attachment = Some(EniAttachment {
            id: id.clone(),
            instance: x.id.clone(),
            device_index: i.device_index,
            delete_on_termination: false,
            attached_at: now,
        });
    }
    s.eni_moved(&i.network_interface_id, None);
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)?;
    Ok(AttachNetworkInterfaceResult {
        attachment_id: Some(id),
        network_card_index: Some(0),
    })
}

pub fn detach_interface(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: DetachNetworkInterfaceRequest,
) -> Result<(), AwsError> {
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    check_id(
        &i.attachment_id,
        "eni-attach",
        "InvalidAttachmentID.Malformed",
    )?;
    let e = s
        .enis
        .values()
        .find(|e| {
            e.attachment
                .as_ref()
                .is_some_and(|a| a.id == i.attachment_id)
        })
        .ok_or_else(|| {
            AwsError::bad_request(
                "InvalidAttachmentID.NotFound",
                format!("Interface attachment '{}' does not exist", i.attachment_id),
            )
        })?;
    if e.attachment.as_ref().is_some_and(|a| a.device_index == 0) {
        return Err(AwsError::bad_request(
            "OperationNotPermitted",
            format!("The network interface at device index 0 cannot be detached."),
        ));
    }
    let id = e.id.clone();
    dry_run(i.dry_run)?;
    let was = s.enis.get_mut(&id).and_then(|e| e.attachment.take());
    s.eni_moved(&id, was.as_ref().map(|a| a.instance.as_str()));
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)
}
