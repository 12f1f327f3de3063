//! Instances: launching into a subnet with interfaces, addresses and EBS
//! volumes, the lifecycle the clock drives, and how AWS describes them.

use base64::Engine as _;
use stratus_core::{AwsError, RequestContext, ids};
use stratus_protocol::Timestamp;

use super::{check_id, dry_run, invalid, page, wire_tags};
use crate::Ec2;
use crate::compute::{BlockRec, InstanceRec, MetadataRec, VolumeAttachRec, VolumeRec, state_code};
use crate::filters::{Filterable, matches};
use crate::generated::*;
use crate::state::{EniAttachment, EniRec, PublicIpRec, RegionState, Tags, new_id};

/// User data AWS accepts, decoded.
const USER_DATA_MAX: usize = 16 * 1024;

pub fn not_found_ids(ids: &[&str]) -> AwsError {
    if ids.len() == 1 {
        AwsError::bad_request(
            "InvalidInstanceID.NotFound",
            format!("The instance ID '{}' does not exist", ids[0]),
        )
    } else {
        AwsError::bad_request(
            "InvalidInstanceID.NotFound",
            format!("The instance IDs '{}' do not exist", ids.join(", ")),
        )
    }
}

pub fn instance_or_err<'a>(s: &'a RegionState, id: &str) -> Result<&'a InstanceRec, AwsError> {
    check_id(id, "i", "InvalidInstanceID.Malformed")?;
    s.instances.get(id).ok_or_else(|| not_found_ids(&[id]))
}

/// Checks a list of instance ids, naming every unknown one as AWS does.
pub fn check_instances(s: &RegionState, ids: &[String]) -> Result<(), AwsError> {
    for id in ids {
        check_id(id, "i", "InvalidInstanceID.Malformed")?;
    }
    let missing: Vec<&str> = ids
        .iter()
        .filter(|id| !s.instances.contains_key(id.as_str()))
        .map(String::as_str)
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(not_found_ids(&missing))
    }
}

fn dashed(ip: &str) -> String {
    ip.replace('.', "-")
}

pub fn private_dns(ip: &str, region: &str) -> String {
    if region == "us-east-1" {
        format!("ip-{}.ec2.internal", dashed(ip))
    } else {
        format!("ip-{}.{region}.compute.internal", dashed(ip))
    }
}

pub fn public_dns(ip: &str, region: &str) -> String {
    if region == "us-east-1" {
        format!("ec2-{}.compute-1.amazonaws.com", dashed(ip))
    } else {
        format!("ec2-{}.{region}.compute.amazonaws.com", dashed(ip))
    }
}

pub fn state_of(name: &str) -> InstanceState {
    InstanceState {
        code: Some(state_code(name)),
        name: Some(name.to_string()),
    }
}

/// What describing instances needs besides the instance: the region's
/// interfaces, security groups and VPCs' DNS settings.
pub struct View<'a> {
    pub s: &'a RegionState,
    pub owner: &'a str,
    pub region: &'a str,
}

impl<'a> View<'a> {
    pub fn new(s: &'a RegionState, owner: &'a str, region: &'a str) -> View<'a> {
        View { s, owner, region }
    }

    pub fn enis(&self, instance: &str) -> Vec<&'a EniRec> {
        self.s.instance_enis(instance).collect()
    }

    fn public_names(&self, e: &EniRec) -> Option<(String, String)> {
        let ip = e.public_ip.as_ref()?.ip.clone();
        let hostnames = self.s.vpcs.get(&e.vpc).is_some_and(|v| v.dns_hostnames);
        let dns = if hostnames {
            public_dns(&ip, self.region)
        } else {
            String::new()
        };
        Some((ip, dns))
    }

    fn groups(&self, ids: &[String]) -> Vec<GroupIdentifier> {
        ids.iter()
            .map(|g| GroupIdentifier {
                group_id: Some(g.clone()),
                group_name: self.s.sgs.get(g).map(|x| x.name.clone()),
            })
            .collect()
    }

    fn interface(&self, e: &EniRec) -> InstanceNetworkInterface {
        let assoc = self
            .public_names(e)
            .map(|(ip, dns)| InstanceNetworkInterfaceAssociation {
                ip_owner_id: Some(
                    if e.public_ip.as_ref().is_some_and(|p| p.allocation.is_some()) {
                        self.owner.to_string()
                    } else {
                        "amazon".to_string()
                    },
                ),
                public_dns_name: Some(dns),
                public_ip: Some(ip),
                ..Default::default()
            });
        let dns = private_dns(&e.private_ip, self.region);
        let mut ips = vec![InstancePrivateIpAddress {
            association: assoc.clone(),
            primary: Some(true),
            private_dns_name: Some(dns.clone()),
            private_ip_address: Some(e.private_ip.clone()),
        }];
        ips.extend(e.secondary_ips.iter().map(|ip| InstancePrivateIpAddress {
            primary: Some(false),
            private_dns_name: Some(private_dns(ip, self.region)),
            private_ip_address: Some(ip.clone()),
            ..Default::default()
        }));
        InstanceNetworkInterface {
            association: assoc,
            attachment: e
                .attachment
                .as_ref()
                .map(|a| InstanceNetworkInterfaceAttachment {
                    attach_time: Some(Timestamp(a.attached_at)),
                    attachment_id: Some(a.id.clone()),
                    delete_on_termination: Some(a.delete_on_termination),
                    device_index: Some(a.device_index),
                    status: Some("attached".into()),
                    network_card_index: Some(0),
                    ..Default::default()
                }),
            description: Some(e.description.clone()),
            groups: Some(self.groups(&e.groups)),
            ipv6_addresses: Some(vec![]),
            mac_address: Some(e.mac.clone()),
            network_interface_id: Some(e.id.clone()),
            owner_id: Some(self.owner.to_string()),
            private_dns_name: Some(dns),
            private_ip_address: Some(e.private_ip.clone()),
            private_ip_addresses: Some(ips),
            source_dest_check: Some(e.source_dest_check),
            status: Some("in-use".into()),
            subnet_id: Some(e.subnet.clone()),
            vpc_id: Some(e.vpc.clone()),
            interface_type: Some(e.kind.clone()),
            ..Default::default()
        }
    }

    pub fn instance(&self, i: &InstanceRec) -> Instance {
        let enis = self.enis(&i.id);
        let primary = enis.first().copied();
        let terminated = i.state == "terminated";
        let (public_ip, public_dns) = match primary.and_then(|e| self.public_names(e)) {
            Some((ip, dns)) => (Some(ip), dns),
            None => (None, String::new()),
        };
        let blocks = i
            .blocks
            .iter()
            .map(|b| InstanceBlockDeviceMapping {
                device_name: Some(b.device.clone()),
                ebs: Some(EbsInstanceBlockDevice {
                    attach_time: Some(Timestamp(b.attached_ms)),
                    delete_on_termination: Some(b.delete_on_termination),
                    status: Some("attached".into()),
                    volume_id: Some(b.volume.clone()),
                    ..Default::default()
                }),
            })
            .collect();
        let private_ip = primary.map(|e| e.private_ip.clone());
        Instance {
            architecture: Some(i.architecture.clone()),
            block_device_mappings: Some(blocks),
            client_token: Some(i.client_token.clone().unwrap_or_default()),
            ebs_optimized: Some(i.ebs_optimized),
            ena_support: Some(i.ena_support),
            hypervisor: Some("xen".into()),
            iam_instance_profile: i.profile_arn.as_ref().map(|arn| IamInstanceProfile {
                arn: Some(arn.clone()),
                id: i.profile_id.clone(),
            }),
            network_interfaces: Some(enis.iter().map(|e| self.interface(e)).collect()),
            root_device_name: Some(i.root_device.clone()),
            root_device_type: Some("ebs".into()),
            security_groups: Some(primary.map(|e| self.groups(&e.groups)).unwrap_or_default()),
            source_dest_check: primary.map(|e| e.source_dest_check),
            state_reason: i.reason_code.as_ref().map(|c| StateReason {
                code: Some(c.clone()),
                message: i.reason_message.clone(),
            }),
            tags: wire_tags(&i.tags),
            virtualization_type: Some(i.virtualization.clone()),
            cpu_options: Some(CpuOptions {
                core_count: Some(1),
                threads_per_core: Some(2),
                ..Default::default()
            }),
            capacity_reservation_specification: Some(CapacityReservationSpecificationResponse {
                capacity_reservation_preference: Some("open".into()),
                ..Default::default()
            }),
            hibernation_options: Some(HibernationOptions {
                configured: Some(false),
            }),
            metadata_options: Some(metadata_out(&i.metadata, "applied")),
            enclave_options: Some(EnclaveOptions {
                enabled: Some(false),
            }),
            boot_mode: Some("uefi-preferred".into()),
            platform_details: Some(if i.platform.is_some() {
                "Windows".into()
            } else {
                "Linux/UNIX".into()
            }),
            usage_operation: Some(if i.platform.is_some() {
                "RunInstances:0002".into()
            } else {
                "RunInstances".into()
            }),
            usage_operation_update_time: Some(Timestamp(i.launch_ms)),
            private_dns_name_options: Some(PrivateDnsNameOptionsResponse {
                hostname_type: Some("ip-name".into()),
                enable_resource_name_dns_a_record: Some(false),
                enable_resource_name_dns_aaaa_record: Some(false),
            }),
            maintenance_options: Some(InstanceMaintenanceOptions {
                auto_recovery: Some("default".into()),
                ..Default::default()
            }),
            current_instance_boot_mode: Some("legacy-bios".into()),
            instance_id: Some(i.id.clone()),
            image_id: Some(i.image.clone()),
            state: Some(state_of(&i.state)),
            private_dns_name: Some(
                private_ip
                    .as_deref()
                    .filter(|_| !terminated)
                    .map(|ip| private_dns(ip, self.region))
                    .unwrap_or_default(),
            ),
            public_dns_name: Some(public_dns),
            state_transition_reason: Some(i.transition_reason.clone()),
            key_name: i.key_name.clone(),
            ami_launch_index: Some(i.launch_index),
            product_codes: Some(vec![]),
            instance_type: Some(i.instance_type.clone()),
            launch_time: Some(Timestamp(i.launch_ms)),
            placement: Some(Placement {
                availability_zone: Some(i.az.clone()),
                group_name: Some(String::new()),
                tenancy: Some(i.tenancy.clone()),
                ..Default::default()
            }),
            platform: i.platform.clone(),
            monitoring: Some(Monitoring {
                state: Some(if i.monitoring { "enabled" } else { "disabled" }.into()),
                ..Default::default()
            }),
            subnet_id: (!terminated).then(|| i.subnet.clone()),
            vpc_id: (!terminated).then(|| i.vpc.clone()),
            private_ip_address: private_ip,
            public_ip_address: public_ip,
            ..Default::default()
        }
    }
}

pub fn metadata_out(m: &MetadataRec, state: &str) -> InstanceMetadataOptionsResponse {
    InstanceMetadataOptionsResponse {
        state: Some(state.into()),
        http_tokens: Some(m.http_tokens.clone()),
        http_put_response_hop_limit: Some(m.hop_limit),
        http_endpoint: Some(m.endpoint.clone()),
        http_protocol_ipv6: Some(m.ipv6.clone()),
        instance_metadata_tags: Some(m.tags.clone()),
    }
}

impl Filterable for (&InstanceRec, &View<'_>) {
    fn values(&self, name: &str) -> Option<Vec<String>> {
        let (i, v) = self;
        let enis = || v.enis(&i.id);
        let primary = || v.s.instance_enis(&i.id).next();
        let all_groups = || -> Vec<String> {
            let mut g: Vec<String> = enis().iter().flat_map(|e| e.groups.clone()).collect();
            g.dedup();
            g
        };
        Some(match name {
            "instance-id" => vec![i.id.clone()],
            "instance-state-name" => vec![i.state.clone()],
            "instance-state-code" => vec![state_code(&i.state).to_string()],
            "instance-type" => vec![i.instance_type.clone()],
            "image-id" => vec![i.image.clone()],
            "vpc-id" | "network-interface.vpc-id" => vec![i.vpc.clone()],
            "subnet-id" | "network-interface.subnet-id" => vec![i.subnet.clone()],
            "availability-zone" => vec![i.az.clone()],
            "reservation-id" => vec![i.reservation.clone()],
            "key-name" => i.key_name.iter().cloned().collect(),
            "private-ip-address" | "network-interface.addresses.private-ip-address" => {
                enis().iter().map(|e| e.private_ip.clone()).collect()
            }
            "ip-address" | "network-interface.association.public-ip" => enis()
                .iter()
                .filter_map(|e| e.public_ip.as_ref().map(|p| p.ip.clone()))
                .collect(),
            "private-dns-name" => primary()
                .map(|e| private_dns(&e.private_ip, v.region))
                .into_iter()
                .collect(),
            "dns-name" => primary()
                .and_then(|e| v.public_names(e))
                .map(|(_, d)| d)
                .into_iter()
                .collect(),
            "instance.group-id" | "group-id" | "network-interface.group-id" => all_groups(),
            "instance.group-name" | "group-name" | "network-interface.group-name" => all_groups()
                .iter()
                .filter_map(|g| v.s.sgs.get(g).map(|x| x.name.clone()))
                .collect(),
            "network-interface.network-interface-id" => {
                enis().iter().map(|e| e.id.clone()).collect()
            }
            "architecture" => vec![i.architecture.clone()],
            "root-device-type" => vec!["ebs".into()],
            "root-device-name" => vec![i.root_device.clone()],
            "virtualization-type" => vec![i.virtualization.clone()],
            "hypervisor" => vec!["xen".into()],
            "tenancy" | "placement.tenancy" => vec![i.tenancy.clone()],
            "platform" => i.platform.iter().cloned().collect(),
            "platform-details" => vec![
                if i.platform.is_some() {
                    "Windows"
                } else {
                    "Linux/UNIX"
                }
                .into(),
            ],
            "owner-id" => vec![v.owner.to_string()],
            "launch-index" | "ami-launch-index" => vec![i.launch_index.to_string()],
            "launch-time" => vec![stratus_core::time::iso8601_millis(i.launch_ms)],
            "monitoring-state" => vec![if i.monitoring { "enabled" } else { "disabled" }.into()],
            "iam-instance-profile.arn" => i.profile_arn.iter().cloned().collect(),
            "client-token" => i.client_token.iter().cloned().collect(),
            "source-dest-check" => primary()
                .map(|e| e.source_dest_check.to_string())
                .into_iter()
                .collect(),
            "block-device-mapping.device-name" => {
                i.blocks.iter().map(|b| b.device.clone()).collect()
            }
            "block-device-mapping.volume-id" => i.blocks.iter().map(|b| b.volume.clone()).collect(),
            "block-device-mapping.delete-on-termination" => i
                .blocks
                .iter()
                .map(|b| b.delete_on_termination.to_string())
                .collect(),
            "block-device-mapping.status" => i.blocks.iter().map(|_| "attached".into()).collect(),
            "state-reason-code" => i.reason_code.iter().cloned().collect(),
            "metadata-options.http-tokens" => vec![i.metadata.http_tokens.clone()],
            "metadata-options.http-endpoint" => vec![i.metadata.endpoint.clone()],
            "metadata-options.http-put-response-hop-limit" => {
                vec![i.metadata.hop_limit.to_string()]
            }
            "metadata-options.instance-metadata-tags" => vec![i.metadata.tags.clone()],
            "network-interface.mac-address" => enis().iter().map(|e| e.mac.clone()).collect(),
            _ => return None,
        })
    }

    fn tags(&self) -> &Tags {
        &self.0.tags
    }
}

/// The parts of an image an instance inherits.
pub struct LaunchImage {
    pub architecture: String,
    pub root_device: String,
    pub platform: Option<String>,
    pub virtualization: String,
    pub ena_support: bool,
    /// (device, snapshot, size GiB, volume type, delete on termination, encrypted)
    pub blocks: Vec<ImageBlock>,
    pub layers: Vec<String>,
    pub root_dir: Option<String>,
}

#[derive(Clone)]
pub struct ImageBlock {
    pub device: String,
    pub snapshot: Option<String>,
    pub size: i32,
    pub volume_type: String,
    pub delete_on_termination: bool,
    pub encrypted: bool,
    pub iops: Option<i32>,
    pub throughput: Option<i32>,
}

/// A device a new instance gets: the image's mappings with the request's
/// overrides, `NoDevice` removing one.
fn merge_blocks(
    image: &[ImageBlock],
    asked: &[BlockDeviceMapping],
) -> Result<Vec<ImageBlock>, AwsError> {
    let mut out: Vec<ImageBlock> = image.to_vec();
    for m in asked {
        let device = m.device_name.clone().ok_or_else(|| {
            invalid("Missing required parameter in BlockDeviceMapping: DeviceName")
        })?;
        if m.no_device.is_some() {
            out.retain(|b| b.device != device);
            continue;
        }
        if m.virtual_name.is_some() {
            continue;
        }
        let Some(ebs) = &m.ebs else {
            continue;
        };
        let pos = out.iter().position(|b| b.device == device);
        let base = pos.map(|p| out[p].clone()).unwrap_or(ImageBlock {
            device: device.clone(),
            snapshot: None,
            size: 0,
            volume_type: "gp2".into(),
            delete_on_termination: false,
            encrypted: false,
            iops: None,
            throughput: None,
        });
        let b = ImageBlock {
            device: device.clone(),
            snapshot: ebs.snapshot_id.clone().or(base.snapshot),
            size: ebs.volume_size.unwrap_or(base.size),
            volume_type: ebs.volume_type.clone().unwrap_or(base.volume_type),
            delete_on_termination: ebs
                .delete_on_termination
                .unwrap_or(pos.is_some() && base.delete_on_termination),
            encrypted: ebs.encrypted.unwrap_or(base.encrypted),
            iops: ebs.iops.or(base.iops),
            throughput: ebs.throughput.or(base.throughput),
        };
        if b.size == 0 && b.snapshot.is_none() {
            return Err(invalid(format!(
                "The request must contain the parameter size or snapshotId for device {device}"
            )));
        }
        match pos {
            Some(p) => out[p] = b,
            None => out.push(b),
        }
    }
    Ok(out)
}

fn decode_user_data(ud: &str) -> Result<(), AwsError> {
    let raw = base64::engine::general_purpose::STANDARD
        .decode(ud.trim())
        .map_err(|_| invalid("Invalid BASE64 encoding of user data."))?;
    if raw.len() > USER_DATA_MAX {
        return Err(invalid(format!(
            "User data is limited to {USER_DATA_MAX} bytes"
        )));
    }
    Ok(())
}

/// The subnet an instance launches into: the one named (directly or on the
/// first interface), else the default subnet of the asked or first zone.
fn launch_subnet(s: &RegionState, i: &RunInstancesRequest) -> Result<String, AwsError> {
    let nic_subnet = i
        .network_interfaces
        .iter()
        .flatten()
        .find(|n| n.device_index.unwrap_or(0) == 0)
        .and_then(|n| {
            n.subnet_id.clone().or_else(|| {
                n.network_interface_id
                    .as_ref()
                    .and_then(|e| s.enis.get(e))
                    .map(|e| e.subnet.clone())
            })
        });
    if let Some(id) = i.subnet_id.clone().or(nic_subnet) {
        super::subnets::subnet_or_err(s, &id)?;
        if let Some(az) = i
            .placement
            .as_ref()
            .and_then(|p| p.availability_zone.as_ref())
        {
            let sn = &s.subnets[&id];
            if &sn.az != az {
                return Err(invalid(format!(
                    "The specified subnet '{id}' is not in the availability zone '{az}'."
                )));
            }
        }
        return Ok(id);
    }
    let az = i
        .placement
        .as_ref()
        .and_then(|p| p.availability_zone.clone());
    let mut defaults: Vec<_> = s.subnets.values().filter(|x| x.default_for_az).collect();
    defaults.sort_by(|a, b| a.az.cmp(&b.az));
    if defaults.is_empty() {
        return Err(AwsError::bad_request(
            "VPCIdNotSpecified",
            "No default VPC for this user. GroupName is only supported for EC2-Classic and default VPC.",
        ));
    }
    match az {
        Some(az) => defaults
            .iter()
            .find(|x| x.az == az)
            .map(|x| x.id.clone())
            .ok_or_else(|| invalid(format!("Invalid availability zone: [{az}]"))),
        None => Ok(defaults[0].id.clone()),
    }
}

/// Security groups by id or (in the launch VPC) by name; the VPC's default
/// group when none is named.
fn launch_groups(
    s: &RegionState,
    vpc: &str,
    ids: &[String],
    names: &[String],
) -> Result<Vec<String>, AwsError> {
    let mut out = Vec::new();
    for id in ids {
        let g = super::security::group_or_err(s, id)?;
        if g.vpc != vpc {
            return Err(invalid(format!(
                "Security group {id} and subnet belong to different networks."
            )));
        }
        out.push(id.clone());
    }
    for name in names {
        let g = s
            .sgs
            .values()
            .find(|g| g.vpc == vpc && &g.name == name)
            .ok_or_else(|| {
                AwsError::bad_request(
                    "InvalidGroup.NotFound",
                    format!("The security group '{name}' does not exist in VPC '{vpc}'"),
                )
            })?;
        out.push(g.id.clone());
    }
    if out.is_empty() {
        if let Some(g) = s.sgs.values().find(|g| g.vpc == vpc && g.name == "default") {
            out.push(g.id.clone());
        }
    }
    out.dedup();
    Ok(out)
}

fn metadata_from(m: Option<&InstanceMetadataOptionsRequest>) -> Result<MetadataRec, AwsError> {
    let mut out = MetadataRec {
        http_tokens: "required".into(),
        hop_limit: 2,
        endpoint: "enabled".into(),
        tags: "disabled".into(),
        ipv6: "disabled".into(),
    };
    if let Some(m) = m {
        apply_metadata(&mut out, m)?;
    }
    Ok(out)
}

/// Changes metadata options, checking each against AWS's allowed values.
pub fn apply_metadata(
    out: &mut MetadataRec,
    m: &InstanceMetadataOptionsRequest,
) -> Result<(), AwsError> {
    fn one_of(v: &Option<String>, name: &str, ok: &[&str]) -> Result<Option<String>, AwsError> {
        match v {
            Some(x) if !ok.contains(&x.as_str()) => Err(invalid(format!(
                "The {name} '{x}' is not valid. Valid values are: {}",
                ok.join(", ")
            ))),
            other => Ok(other.clone()),
        }
    }
    if let Some(v) = one_of(&m.http_tokens, "HttpTokens", &["optional", "required"])? {
        out.http_tokens = v;
    }
    if let Some(v) = one_of(&m.http_endpoint, "HttpEndpoint", &["enabled", "disabled"])? {
        out.endpoint = v;
    }
    if let Some(v) = one_of(
        &m.instance_metadata_tags,
        "InstanceMetadataTags",
        &["enabled", "disabled"],
    )? {
        out.tags = v;
    }
    if let Some(v) = one_of(
        &m.http_protocol_ipv6,
        "HttpProtocolIpv6",
        &["enabled", "disabled"],
    )? {
        out.ipv6 = v;
    }
    if let Some(h) = m.http_put_response_hop_limit {
        if !(1..=64).contains(&h) {
            return Err(invalid(format!(
                "The HttpPutResponseHopLimit '{h}' is not valid. Valid values are between 1 and 64."
            )));
        }
        out.hop_limit = h;
    }
    Ok(())
}

/// The resource types RunInstances tags.
const LAUNCH_TAGGED: &[&str] = &[
    "instance",
    "volume",
    "network-interface",
    "spot-instances-request",
];

fn tags_for(specs: &Option<Vec<TagSpecification>>, kind: &str) -> Result<Tags, AwsError> {
    super::tags_of(specs, LAUNCH_TAGGED, kind)
}

pub fn run(
    ec2: &Ec2,
    ctx: &RequestContext,
    mut i: RunInstancesRequest,
) -> Result<Reservation, AwsError> {
    let owner = ctx.account_id();
    let now = ec2.now();
    let region = ec2.regions.get(owner, &ctx.region);
    let mut s = region.lock();
    if let Some(token) = i.client_token.as_deref() {
        if let Some(prev) = s
            .instances
            .values()
            .find(|x| x.client_token.as_deref() == Some(token))
        {
            let r = prev.reservation.clone();
            return Ok(reservation(&s, owner, &ctx.region, &r));
        }
    }
    if let Some(lt) = i.launch_template.clone() {
        super::launch::apply_template(&s, &mut i, &lt)?;
    }
    if i.min_count < 1 {
        return Err(invalid(format!(
            "Value ({}) for parameter minCount is invalid. Expected a value greater than or equal to 1.",
            i.min_count
        )));
    }
    if i.max_count < i.min_count {
        return Err(invalid(format!(
            "Value ({}) for parameter maxCount is invalid. Expected a value greater than or equal to minCount ({}).",
            i.max_count, i.min_count
        )));
    }
    let image_id = i.image_id.clone().ok_or_else(|| {
        AwsError::bad_request(
            "MissingParameter",
            "The request must contain the parameter ImageId",
        )
    })?;
    let image = super::launch::image(ec2, ctx, &s, &image_id)?;
    let itype = i.instance_type.clone().unwrap_or_else(|| "m1.small".into());
    super::launch::check_type(&itype, &image.architecture)?;
    if let Some(k) = &i.key_name {
        super::launch::check_key(&s, k)?;
    }
    if let Some(ud) = &i.user_data {
        decode_user_data(ud)?;
    }
    let behavior = i
        .instance_initiated_shutdown_behavior
        .clone()
        .unwrap_or_else(|| "stop".into());
    if !["stop", "terminate"].contains(&behavior.as_str()) {
        return Err(invalid(format!(
            "Value ({behavior}) for parameter instanceInitiatedShutdownBehavior is invalid."
        )));
    }
    let metadata = metadata_from(i.metadata_options.as_ref())?;
    let instance_tags = tags_for(&i.tag_specifications, "instance")?;
    let volume_tags = tags_for(&i.tag_specifications, "volume")?;
    let eni_tags = tags_for(&i.tag_specifications, "network-interface")?;
    let subnet_id = launch_subnet(&s, &i)?;
    let subnet = s.subnets[&subnet_id].clone();
    let nic0 = i
        .network_interfaces
        .iter()
        .flatten()
        .find(|n| n.device_index.unwrap_or(0) == 0)
        .cloned();
    if nic0.is_some() && (i.subnet_id.is_some() || i.security_group_ids.is_some()) {
        return Err(AwsError::bad_request(
            "InvalidParameterCombination",
            "Network interfaces and an instance-level subnet ID may not be specified on the same request",
        ));
    }
    let group_ids = nic0
        .as_ref()
        .and_then(|n| n.groups.clone())
        .or_else(|| i.security_group_ids.clone())
        .unwrap_or_default();
    let groups = launch_groups(
        &s,
        &subnet.vpc,
        &group_ids,
        i.security_groups.as_deref().unwrap_or_default(),
    )?;
    let fixed_ip = nic0
        .as_ref()
        .and_then(|n| n.private_ip_address.clone())
        .or_else(|| i.private_ip_address.clone());
    if let Some(ip) = &fixed_ip {
        if i.max_count > 1 {
            return Err(invalid(
                "Private IP address can only be specified for a single instance.",
            ));
        }
        if !s.ip_usable(&subnet_id, ip) {
            let in_range = crate::cidr::Cidr::parse(&subnet.cidr).is_some_and(|c| {
                ip.parse::<std::net::Ipv4Addr>().is_ok_and(|a| {
                    c.contains(&crate::cidr::Cidr {
                        base: u32::from(a),
                        prefix: 32,
                    })
                })
            });
            return Err(if in_range {
                AwsError::bad_request("InvalidIPAddress.InUse", format!("Address {ip} is in use."))
            } else {
                invalid(format!(
                    "Address {ip} does not fall within the subnet's address range"
                ))
            });
        }
    }
    let existing_eni = nic0.as_ref().and_then(|n| n.network_interface_id.clone());
    if let Some(e) = &existing_eni {
        let rec = s.enis.get(e).ok_or_else(|| {
            AwsError::bad_request(
                "InvalidNetworkInterfaceID.NotFound",
                format!("The networkInterface ID '{e}' does not exist"),
            )
        })?;
        if rec.attachment.is_some() {
            return Err(AwsError::bad_request(
                "InvalidNetworkInterface.InUse",
                format!("Interface: [{e}] in use."),
            ));
        }
        if i.max_count > 1 {
            return Err(invalid(
                "A network interface can only be attached to a single instance.",
            ));
        }
    }
    let blocks = merge_blocks(
        &image.blocks,
        i.block_device_mappings.as_deref().unwrap_or_default(),
    )?;
    for b in &blocks {
        super::volumes::check_volume_shape(&b.volume_type, b.size, b.iops, b.throughput)?;
        // The image's own snapshots come with it; those the request names
        // must be the account's.
        let from_image = image
            .blocks
            .iter()
            .any(|x| x.device == b.device && x.snapshot == b.snapshot);
        if let Some(snap) = b.snapshot.as_ref().filter(|_| !from_image) {
            if !s.snapshots.contains_key(snap) {
                return Err(AwsError::bad_request(
                    "InvalidSnapshot.NotFound",
                    format!("The snapshot '{snap}' does not exist."),
                ));
            }
        }
    }
    let free = {
        let cidr = crate::cidr::Cidr::parse(&subnet.cidr).map_or(0, |c| c.usable() as i64);
        cidr - subnet.used as i64
    };
    if free < i.min_count as i64 {
        return Err(AwsError::bad_request(
            "InsufficientFreeAddressesInSubnet",
            format!(
                "There are not enough free addresses in subnet '{subnet_id}' to satisfy the requested number of instances."
            ),
        ));
    }
    let profile = i
        .iam_instance_profile
        .as_ref()
        .map(|p| super::launch::profile(owner, p))
        .transpose()?;
    dry_run(i.dry_run)?;

    let count = (i.max_count as i64).min(free) as i32;
    let reservation_id = new_id("r");
    let public = nic0
        .as_ref()
        .and_then(|n| n.associate_public_ip_address)
        .unwrap_or(subnet.map_public_ip);
    let tenancy = i
        .placement
        .as_ref()
        .and_then(|p| p.tenancy.clone())
        .unwrap_or_else(|| "default".into());
    for n in 0..count {
        let id = new_id("i");
        let eni_id = match &existing_eni {
            Some(e) => e.clone(),
            None => {
                let eni = EniRec {
                    subnet: subnet_id.clone(),
                    description: nic0
                        .as_ref()
                        .and_then(|x| x.description.clone())
                        .unwrap_or_default(),
                    kind: "interface".into(),
                    groups: groups.clone(),
                    source_dest_check: true,
                    tags: eni_tags.clone(),
                    ..Default::default()
                };
                s.add_eni(eni, fixed_ip.clone()).ok_or_else(|| {
                    AwsError::bad_request(
                        "InsufficientFreeAddressesInSubnet",
                        format!("There are not enough free addresses in subnet '{subnet_id}'."),
                    )
                })?
            }
        };
        let delete_eni = existing_eni.is_none()
            || nic0
                .as_ref()
                .and_then(|x| x.delete_on_termination)
                .unwrap_or(false);
        let public_ip = public.then(|| ec2.regions.public_ip());
        if let Some(e) = s.enis.get_mut(&eni_id) {
            e.attachment = Some(EniAttachment {
                id: new_id("eni-attach"),
                instance: id.clone(),
                device_index: 0,
                delete_on_termination: delete_eni,
                attached_at: now,
            });
            if let Some(ip) = public_ip {
                e.public_ip = Some(PublicIpRec {
                    ip,
                    allocation: None,
                    association: None,
                });
            }
        }
        s.eni_moved(&eni_id, None);
        let mut recs = Vec::new();
        let encrypt_all = s.ebs_encryption_by_default;
        for b in &blocks {
            let vol = new_id("vol");
            let size = match (&b.snapshot, b.size) {
                (Some(snap), 0) => s.snapshots.get(snap).map_or(8, |x| x.size),
                (_, size) => size,
            };
            s.volumes.insert(
                vol.clone(),
                VolumeRec {
                    id: vol.clone(),
                    size,
                    az: subnet.az.clone(),
                    volume_type: b.volume_type.clone(),
                    iops: super::volumes::default_iops(&b.volume_type, size, b.iops),
                    throughput: super::volumes::default_throughput(&b.volume_type, b.throughput),
                    encrypted: b.encrypted || encrypt_all,
                    snapshot: b.snapshot.clone(),
                    created_ms: now,
                    attachment: Some(VolumeAttachRec {
                        instance: id.clone(),
                        device: b.device.clone(),
                        attached_ms: now,
                        delete_on_termination: b.delete_on_termination,
                    }),
                    tags: volume_tags.clone(),
                    ..Default::default()
                },
            );
            recs.push(BlockRec {
                device: b.device.clone(),
                volume: vol,
                delete_on_termination: b.delete_on_termination,
                attached_ms: now,
            });
        }
        s.settled_until_ms = 0;
        s.instances.insert(
            id.clone(),
            InstanceRec {
                id: id.clone(),
                reservation: reservation_id.clone(),
                image: image_id.clone(),
                instance_type: itype.clone(),
                key_name: i.key_name.clone(),
                launch_index: n,
                launch_ms: now,
                state: "pending".into(),
                state_ms: now,
                transition_reason: String::new(),
                subnet: subnet_id.clone(),
                vpc: subnet.vpc.clone(),
                az: subnet.az.clone(),
                user_data: i.user_data.clone(),
                profile_arn: profile.as_ref().map(|p| p.0.clone()),
                profile_id: profile.as_ref().map(|p| p.1.clone()),
                disable_api_termination: i.disable_api_termination.unwrap_or(false),
                disable_api_stop: i.disable_api_stop.unwrap_or(false),
                shutdown_behavior: behavior.clone(),
                ebs_optimized: i.ebs_optimized.unwrap_or(false),
                monitoring: i.monitoring.as_ref().is_some_and(|m| m.enabled),
                blocks: recs,
                root_device: image.root_device.clone(),
                architecture: image.architecture.clone(),
                platform: image.platform.clone(),
                virtualization: image.virtualization.clone(),
                ena_support: image.ena_support,
                layers: image.layers.clone(),
                root_dir: image.root_dir.clone(),
                client_token: i.client_token.clone(),
                auto_public_ip: public,
                metadata: metadata.clone(),
                launch_template: i.launch_template.as_ref().map(|lt| {
                    (
                        lt.launch_template_id.clone().unwrap_or_default(),
                        lt.launch_template_name.clone().unwrap_or_default(),
                        lt.version.clone().unwrap_or_default(),
                    )
                }),
                tenancy: tenancy.clone(),
                tags: instance_tags.clone(),
                ..Default::default()
            },
        );
    }
    ec2.regions.save(owner, &ctx.region, &s)?;
    Ok(reservation(&s, owner, &ctx.region, &reservation_id))
}

fn reservation(s: &RegionState, owner: &str, region: &str, id: &str) -> Reservation {
    let mut list: Vec<&InstanceRec> = s
        .instances
        .values()
        .filter(|x| x.reservation == id)
        .collect();
    list.sort_by_key(|x| x.launch_index);
    let view = View::new(s, owner, region);
    Reservation {
        reservation_id: Some(id.to_string()),
        owner_id: Some(owner.to_string()),
        groups: Some(vec![]),
        instances: Some(list.into_iter().map(|x| view.instance(x)).collect()),
        ..Default::default()
    }
}

pub fn describe(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: DescribeInstancesRequest,
) -> Result<DescribeInstancesResult, AwsError> {
    if i.instance_ids.is_some() && i.max_results.is_some() {
        return Err(AwsError::bad_request(
            "InvalidParameterCombination",
            "The parameter instancesSet cannot be used with the parameter maxResults",
        ));
    }
    dry_run(i.dry_run)?;
    let owner = ctx.account_id();
    let region = ec2.regions.get(owner, &ctx.region);
    let s = region.lock();
    if let Some(ids) = &i.instance_ids {
        check_instances(&s, ids)?;
    }
    let filters = i.filters.clone().unwrap_or_default();
    // Ids named (in the request, or by an instance-id filter without
    // wildcards) are looked up rather than found by scanning every instance.
    let named: Option<Vec<&String>> = match &i.instance_ids {
        Some(ids) => Some(ids.iter().collect()),
        None => filters
            .iter()
            .find(|f| f.name.as_deref() == Some("instance-id"))
            .and_then(|f| f.values.as_ref())
            .filter(|vals| vals.iter().all(|v| !v.contains(['*', '?'])))
            .map(|vals| vals.iter().collect()),
    };
    let candidates: Vec<&InstanceRec> = match &named {
        Some(ids) => {
            let mut seen = std::collections::BTreeSet::new();
            ids.iter()
                .filter(|id| seen.insert(id.as_str()))
                .filter_map(|id| s.instances.get(id.as_str()))
                .collect()
        }
        None => s.instances.values().collect(),
    };
    let view = View::new(&s, owner, &ctx.region);
    let mut hits: Vec<&InstanceRec> = Vec::new();
    for x in candidates {
        if matches(&(x, &view), &filters)? {
            hits.push(x);
        }
    }
    hits.sort_by(|a, b| {
        (a.launch_ms, &a.reservation, a.launch_index).cmp(&(
            b.launch_ms,
            &b.reservation,
            b.launch_index,
        ))
    });
    let (hits, next_token) = page(hits, i.max_results, i.next_token.as_deref())?;
    let mut reservations: Vec<Reservation> = Vec::new();
    for x in hits {
        let inst = view.instance(x);
        match reservations.last_mut() {
            Some(r) if r.reservation_id.as_deref() == Some(x.reservation.as_str()) => {
                if let Some(l) = r.instances.as_mut() {
                    l.push(inst);
                }
            }
            _ => reservations.push(Reservation {
                reservation_id: Some(x.reservation.clone()),
                owner_id: Some(owner.to_string()),
                groups: Some(vec![]),
                instances: Some(vec![inst]),
                ..Default::default()
            }),
        }
    }
    Ok(DescribeInstancesResult {
        next_token,
        reservations: Some(reservations),
    })
}

fn change(id: &str, from: &str, to: &str) -> InstanceStateChange {
    InstanceStateChange {
        instance_id: Some(id.to_string()),
        current_state: Some(state_of(to)),
        previous_state: Some(state_of(from)),
    }
}

/// Moves an instance into `to` now, recording why.
fn enter(x: &mut InstanceRec, to: &str, now: i64, reason: &str) {
    x.state = to.to_string();
    x.state_ms = now;
    let at = stratus_core::time::iso8601_millis(now);
    x.transition_reason = format!("{reason} ({} GMT)", at[..19].replace('T', " "));
}

fn incorrect_state(id: &str, what: &str) -> AwsError {
    AwsError::bad_request(
        "IncorrectInstanceState",
        format!("The instance '{id}' is not in a state from which it can be {what}."),
    )
}

pub fn start(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: StartInstancesRequest,
) -> Result<StartInstancesResult, AwsError> {
    let now = ec2.now();
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    check_instances(&s, &i.instance_ids)?;
    for id in &i.instance_ids {
        let x = &s.instances[id];
        if !["stopped", "running", "pending"].contains(&x.state.as_str()) {
            return Err(incorrect_state(id, "started"));
        }
    }
    dry_run(i.dry_run)?;
    let mut out = Vec::new();
    for id in &i.instance_ids {
        let (prev, auto) = {
            let x = &s.instances[id];
            (x.state.clone(), x.auto_public_ip)
        };
        if prev != "stopped" {
            out.push(change(id, &prev, &prev));
            continue;
        }
        s.settled_until_ms = 0;
        if let Some(x) = s.instances.get_mut(id) {
            enter(x, "pending", now, "");
            x.transition_reason.clear();
            x.reason_code = None;
            x.reason_message = None;
        }
        // An Elastic IP stays; otherwise the start brings a new address.
        let primary = s.instance_eni_mut(id, 0).filter(|e| e.public_ip.is_none());
        if let (true, Some(e)) = (auto, primary) {
            e.public_ip = Some(PublicIpRec {
                ip: ec2.regions.public_ip(),
                allocation: None,
                association: None,
            });
        }
        out.push(change(id, &prev, "pending"));
    }
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)?;
    Ok(StartInstancesResult {
        starting_instances: Some(out),
    })
}

pub fn stop(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: StopInstancesRequest,
) -> Result<StopInstancesResult, AwsError> {
    let now = ec2.now();
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    check_instances(&s, &i.instance_ids)?;
    for id in &i.instance_ids {
        let x = &s.instances[id];
        if ["shutting-down", "terminated"].contains(&x.state.as_str()) {
            return Err(incorrect_state(id, "stopped"));
        }
        if x.disable_api_stop {
            return Err(AwsError::bad_request(
                "OperationNotPermitted",
                format!(
                    "The instance '{id}' may not be stopped. Modify its 'disableApiStop' instance attribute and try again."
                ),
            ));
        }
    }
    dry_run(i.dry_run)?;
    let out = shut_down(
        &mut s,
        &i.instance_ids,
        "stopping",
        "stopped",
        now,
        release_auto_public,
    );
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)?;
    Ok(StopInstancesResult {
        stopping_instances: Some(out),
    })
}

/// Moves instances into `going` (`stopping`, `shutting-down`) at the user's
/// request; those already going there or `gone` answer unchanged. `then`
/// runs for each instance that changed.
fn shut_down(
    s: &mut RegionState,
    ids: &[String],
    going: &str,
    gone: &str,
    now: i64,
    then: impl Fn(&mut RegionState, &str),
) -> Vec<InstanceStateChange> {
    let mut out = Vec::new();
    for id in ids {
        let prev = s.instances[id].state.clone();
        if prev == going || prev == gone {
            out.push(change(id, &prev, &prev));
            continue;
        }
        s.settled_until_ms = 0;
        if let Some(x) = s.instances.get_mut(id) {
            enter(x, going, now, "User initiated");
            x.reason_code = Some("Client.UserInitiatedShutdown".into());
            x.reason_message = Some("Client.UserInitiatedShutdown: User initiated shutdown".into());
        }
        then(s, id);
        out.push(change(id, &prev, going));
    }
    out
}

/// A stopped instance gives back the public address AWS assigned it; an
/// Elastic IP stays.
fn release_auto_public(s: &mut RegionState, id: &str) {
    let mine: Vec<String> = s.instance_enis(id).map(|e| e.id.clone()).collect();
    for x in &mine {
        let Some(e) = s.enis.get_mut(x) else { continue };
        if e.public_ip.as_ref().is_some_and(|p| p.allocation.is_none()) {
            e.public_ip = None;
        }
    }
}

pub fn reboot(ec2: &Ec2, ctx: &RequestContext, i: RebootInstancesRequest) -> Result<(), AwsError> {
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    check_instances(&s, &i.instance_ids)?;
    for id in &i.instance_ids {
        if ["shutting-down", "terminated"].contains(&s.instances[id].state.as_str()) {
            return Err(incorrect_state(id, "rebooted"));
        }
    }
    dry_run(i.dry_run)?;
    for id in &i.instance_ids {
        if let Some(x) = s.instances.get_mut(id) {
            if x.state == "running" {
                x.boots += 1;
            }
        }
    }
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)
}

pub fn terminate(
    ec2: &Ec2,
    ctx: &RequestContext,
    i: TerminateInstancesRequest,
) -> Result<TerminateInstancesResult, AwsError> {
    let now = ec2.now();
    let region = ec2.regions.get(ctx.account_id(), &ctx.region);
    let mut s = region.lock();
    check_instances(&s, &i.instance_ids)?;
    for id in &i.instance_ids {
        if s.instances[id].disable_api_termination {
            return Err(AwsError::bad_request(
                "OperationNotPermitted",
                format!(
                    "The instance '{id}' may not be terminated. Modify its 'disableApiTermination' instance attribute and try again."
                ),
            ));
        }
    }
    dry_run(i.dry_run)?;
    let out = shut_down(
        &mut s,
        &i.instance_ids,
        "shutting-down",
        "terminated",
        now,
        |_, _| {},
    );
    ec2.regions.save(ctx.account_id(), &ctx.region, &s)?;
    Ok(TerminateInstancesResult {
        terminating_instances: Some(out),
    })
}

impl RegionState {
    /// What termination gives back: interfaces and volumes marked to go
    /// with the instance are deleted, the others detached.
    pub fn release_instance(&mut self, id: &str) {
        let enis: Vec<(String, bool)> = self
            .instance_enis(id)
            .filter_map(|e| {
                e.attachment
                    .as_ref()
                    .map(|a| (e.id.clone(), a.delete_on_termination))
            })
            .collect();
        for (eni, delete) in enis {
            if delete {
                self.remove_eni(&eni);
            } else if let Some(e) = self.enis.get_mut(&eni) {
                e.attachment = None;
                self.eni_moved(&eni, Some(id));
            }
        }
        let vols: Vec<(String, bool)> = self
            .volumes
            .values()
            .filter_map(|v| {
                v.attachment
                    .as_ref()
                    .filter(|a| a.instance == id)
                    .map(|a| (v.id.clone(), a.delete_on_termination))
            })
            .collect();
        for (vol, delete) in vols {
            if delete {
                self.volumes.remove(&vol);
            } else if let Some(v) = self.volumes.get_mut(&vol) {
                v.attachment = None;
            }
        }
        if let Some(x) = self.instances.get_mut(id) {
            x.blocks.clear();
        }
    }
}

/// A random instance profile id, as IAM's `AIPA...`.
pub fn profile_id() -> String {
    ids::key_id("AIPA", 17)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn img() -> Vec<ImageBlock> {
        vec![ImageBlock {
            device: "/dev/xvda".into(),
            snapshot: Some("snap-1".into()),
            size: 8,
            volume_type: "gp3".into(),
            delete_on_termination: true,
            encrypted: false,
            iops: None,
            throughput: None,
        }]
    }

    #[test]
    fn block_overrides_merge_onto_the_image() {
        let asked = vec![
            BlockDeviceMapping {
                device_name: Some("/dev/xvda".into()),
                ebs: Some(EbsBlockDevice {
                    volume_size: Some(20),
                    ..Default::default()
                }),
                ..Default::default()
            },
            BlockDeviceMapping {
                device_name: Some("/dev/sdf".into()),
                ebs: Some(EbsBlockDevice {
                    volume_size: Some(5),
                    volume_type: Some("gp3".into()),
                    ..Default::default()
                }),
                ..Default::default()
            },
        ];
        let out = merge_blocks(&img(), &asked).unwrap();
        assert_eq!(out.len(), 2);
        assert_eq!((out[0].size, out[0].delete_on_termination), (20, true));
        assert_eq!(out[0].snapshot.as_deref(), Some("snap-1"));
        assert_eq!((out[1].size, out[1].delete_on_termination), (5, false));
    }

    #[test]
    fn no_device_removes_and_missing_size_is_refused() {
        let gone = vec![BlockDeviceMapping {
            device_name: Some("/dev/xvda".into()),
            no_device: Some(String::new()),
            ..Default::default()
        }];
        assert!(merge_blocks(&img(), &gone).unwrap().is_empty());
        let bad = vec![BlockDeviceMapping {
            device_name: Some("/dev/sdg".into()),
            ebs: Some(EbsBlockDevice::default()),
            ..Default::default()
        }];
        assert!(merge_blocks(&img(), &bad).is_err());
    }

    #[test]
    fn dns_names_follow_the_region() {
        assert_eq!(
            private_dns("10.1.0.5", "us-east-1"),
            "ip-10-1-0-5.ec2.internal"
        );
        assert_eq!(
            private_dns("10.1.0.5", "eu-west-1"),
            "ip-10-1-0-5.eu-west-1.compute.internal"
        );
        assert_eq!(
            public_dns("203.0.113.9", "us-east-1"),
            "ec2-203-0-113-9.compute-1.amazonaws.com"
        );
    }

    #[test]
    fn user_data_must_be_base64() {
        assert!(decode_user_data("IyEvYmluL2Jhc2gK").is_ok());
        assert!(decode_user_data("not base64!").is_err());
    }
}
