//! DescribeInstanceTypes and DescribeInstanceTypeOfferings over the
//! catalogue in `instance_types`.

use std::collections::BTreeMap;

use stratus_core::{AwsError, RequestContext};

use super::{dry_run, invalid, page_within};
use crate::Ec2;
use crate::filters::{Filterable, matches};
use crate::generated::*;
use crate::instance_types::{TypeInfo, all, instance_type};
use crate::state::{Tags, zones};

static NO_TAGS: Tags = BTreeMap::new();

fn b(v: bool) -> String {
    v.to_string()
}

impl Filterable for &TypeInfo {
    fn values(&self, name: &str) -> Option<Vec<String>> {
        let t = self;
        let one = |s: String| Some(vec![s]);
        match name {
            "instance-type" => one(t.name.clone()),
            "current-generation" => one(b(true)),
            "free-tier-eligible" => one(b(t.free_tier)),
            "burstable-performance-supported" => one(b(t.burstable)),
            "bare-metal" => one(b(false)),
            "auto-recovery-supported" => one(b(true)),
            "dedicated-hosts-supported" => one(b(!t.burstable)),
            "hibernation-supported" => one(b(true)),
            "hypervisor" => one(t.hypervisor.clone()),
            "instance-storage-supported" => one(b(false)),
            "memory-info.size-in-mib" => one(t.memory_mib.to_string()),
            "vcpu-info.default-vcpus" => one(t.vcpus.to_string()),
            "vcpu-info.default-cores" => one(t.cores.to_string()),
            "vcpu-info.default-threads-per-core" => one(t.threads_per_core.to_string()),
            "vcpu-info.valid-cores" => Some(valid_cores(t).iter().map(|c| c.to_string()).collect()),
            "vcpu-info.valid-threads-per-core" => {
                Some(valid_threads(t).iter().map(|c| c.to_string()).collect())
            }
            "processor-info.supported-architecture" => Some(t.architectures.clone()),
            "processor-info.sustained-clock-speed-in-ghz" => one(t.clock_ghz.to_string()),
            "processor-info.supported-features" => Some(Vec::new()),
            "network-info.network-performance" => one(t.network_performance.clone()),
            "network-info.maximum-network-interfaces" => one(t.max_interfaces.to_string()),
            "network-info.maximum-network-cards" => one("1".into()),
            "network-info.ipv4-addresses-per-interface" => one(t.ipv4_per_interface.to_string()),
            "network-info.ipv6-addresses-per-interface" => one(t.ipv4_per_interface.to_string()),
            "network-info.ipv6-supported" => one(b(true)),
            "network-info.ena-support" => one(t.ena_support.clone()),
            "network-info.efa-supported" => one(b(false)),
            "network-info.encryption-in-transit-supported" => one(b(t.hypervisor == "nitro")),
            "ebs-info.ebs-optimized-support" => one(t.ebs_optimized_support.clone()),
            "ebs-info.encryption-support" => one("supported".into()),
            "ebs-info.nvme-support" => one(nvme(t).into()),
            "ebs-info.ebs-optimized-info.baseline-bandwidth-in-mbps" => {
                one(t.ebs_baseline_mbps.to_string())
            }
            "ebs-info.ebs-optimized-info.maximum-bandwidth-in-mbps" => {
                one(t.ebs_max_mbps.to_string())
            }
            "ebs-info.ebs-optimized-info.baseline-throughput-in-mbps" => {
                one((f64::from(t.ebs_baseline_mbps) / 8.0).to_string())
            }
            "ebs-info.ebs-optimized-info.maximum-throughput-in-mbps" => {
                one((f64::from(t.ebs_max_mbps) / 8.0).to_string())
            }
            "nitro-enclaves-support" => one(if t.hypervisor == "nitro" && !t.burstable {
                "supported".into()
            } else {
                "unsupported".into()
            }),
            "nitro-tpm-support" => one(if t.hypervisor == "nitro" {
                "supported".into()
            } else {
                "unsupported".into()
            }),
            "placement-group-info.supported-strategies" => Some(strategies(t)),
            "supported-boot-mode" => Some(t.boot_modes.clone()),
            "supported-root-device-type" => one("ebs".into()),
            "supported-usage-class" => Some(vec!["on-demand".into(), "spot".into()]),
            "supported-virtualization-type" => one("hvm".into()),
            _ => None,
        }
    }

    fn tags(&self) -> &Tags {
        &NO_TAGS
    }
}

fn nvme(t: &TypeInfo) -> &'static str {
    if t.hypervisor == "nitro" {
        "required"
    } else {
        "unsupported"
    }
}

fn strategies(t: &TypeInfo) -> Vec<String> {
    let mut s = vec!["partition".to_string(), "spread".to_string()];
    if !t.burstable {
        s.insert(0, "cluster".into());
    }
    s
}

fn valid_cores(t: &TypeInfo) -> Vec<i32> {
    if t.burstable || t.hypervisor != "nitro" {
        return vec![t.cores];
    }
    (1..=t.cores).collect()
}

fn valid_threads(t: &TypeInfo) -> Vec<i32> {
    if t.threads_per_core == 2 && !t.burstable {
        vec![1, 2]
    } else {
        vec![t.threads_per_core]
    }
}

fn out(t: &TypeInfo) -> InstanceTypeInfo {
    let nitro = t.hypervisor == "nitro";
    let ebs_opt = (t.ebs_max_mbps > 0).then(|| EbsOptimizedInfo {
        baseline_bandwidth_in_mbps: Some(t.ebs_baseline_mbps),
        baseline_throughput_in_m_bps: Some(f64::from(t.ebs_baseline_mbps) / 8.0),
        maximum_bandwidth_in_mbps: Some(t.ebs_max_mbps),
        maximum_throughput_in_m_bps: Some(f64::from(t.ebs_max_mbps) / 8.0),
        ..Default::default()
    });
    InstanceTypeInfo {
        instance_type: Some(t.name.clone()),
        current_generation: Some(true),
        free_tier_eligible: Some(t.free_tier),
        supported_usage_classes: Some(vec!["on-demand".into(), "spot".into()]),
        supported_root_device_types: Some(vec!["ebs".into()]),
        supported_virtualization_types: Some(vec!["hvm".into()]),
        bare_metal: Some(false),
        hypervisor: Some(t.hypervisor.clone()),
        processor_info: Some(ProcessorInfo {
            supported_architectures: Some(t.architectures.clone()),
            sustained_clock_speed_in_ghz: Some(t.clock_ghz),
            manufacturer: Some(t.manufacturer.clone()),
            ..Default::default()
        }),
        v_cpu_info: Some(VCpuInfo {
            default_v_cpus: Some(t.vcpus),
            default_cores: Some(t.cores),
            default_threads_per_core: Some(t.threads_per_core),
            valid_cores: (nitro && !t.burstable).then(|| valid_cores(t)),
            valid_threads_per_core: (nitro && !t.burstable).then(|| valid_threads(t)),
        }),
        memory_info: Some(MemoryInfo {
            size_in_mi_b: Some(t.memory_mib),
        }),
        instance_storage_supported: Some(false),
        ebs_info: Some(EbsInfo {
            ebs_optimized_support: Some(t.ebs_optimized_support.clone()),
            encryption_support: Some("supported".into()),
            ebs_optimized_info: ebs_opt,
            nvme_support: Some(nvme(t).into()),
            ..Default::default()
        }),
        network_info: Some(NetworkInfo {
            network_performance: Some(t.network_performance.clone()),
            maximum_network_interfaces: Some(t.max_interfaces),
            maximum_network_cards: Some(1),
            default_network_card_index: Some(0),
            network_cards: Some(vec![NetworkCardInfo {
                network_card_index: Some(0),
                network_performance: Some(t.network_performance.clone()),
                maximum_network_interfaces: Some(t.max_interfaces),
                ..Default::default()
            }]),
            ipv4_addresses_per_interface: Some(t.ipv4_per_interface),
            ipv6_addresses_per_interface: Some(t.ipv4_per_interface),
            ipv6_supported: Some(true),
            ena_support: Some(t.ena_support.clone()),
            efa_supported: Some(false),
            encryption_in_transit_supported: Some(false),
            ena_srd_supported: Some(false),
            ..Default::default()
        }),
        placement_group_info: Some(PlacementGroupInfo {
            supported_strategies: Some(strategies(t)),
        }),
        hibernation_supported: Some(true),
        burstable_performance_supported: Some(t.burstable),
        dedicated_hosts_supported: Some(!t.burstable),
        auto_recovery_supported: Some(true),
        supported_boot_modes: Some(t.boot_modes.clone()),
        nitro_enclaves_support: Some(
            if nitro && !t.burstable {
                "supported"
            } else {
                "unsupported"
            }
            .into(),
        ),
        nitro_tpm_support: Some(if nitro { "supported" } else { "unsupported" }.into()),
        nitro_tpm_info: nitro.then(|| NitroTpmInfo {
            supported_versions: Some(vec!["2.0".into()]),
        }),
        ..Default::default()
    }
}

pub fn describe(
    _ec2: &Ec2,
    _ctx: &RequestContext,
    i: DescribeInstanceTypesRequest,
) -> Result<DescribeInstanceTypesResult, AwsError> {
    dry_run(i.dry_run)?;
    if let Some(names) = &i.instance_types {
        let unknown: Vec<&str> = names
            .iter()
            .filter(|n| instance_type(n).is_none())
            .map(|n| n.as_str())
            .collect();
        if !unknown.is_empty() {
            return Err(AwsError::bad_request(
                "InvalidInstanceType",
                format!(
                    "The following supplied instance types do not exist: [{}]",
                    unknown.join(", ")
                ),
            ));
        }
    }
    let filters = i.filters.clone().unwrap_or_default();
    let mut res = Vec::new();
    for t in all() {
        if i.instance_types
            .as_ref()
            .is_some_and(|n| !n.contains(&t.name))
        {
            continue;
        }
        if matches(&t, &filters)? {
            res.push(out(t));
        }
    }
    let (instance_types, next_token) =
        page_within(res, i.max_results, i.next_token.as_deref(), 100)?;
    Ok(DescribeInstanceTypesResult {
        instance_types: Some(instance_types),
        next_token,
    })
}

struct Offering<'a> {
    t: &'a TypeInfo,
    location: String,
}

impl Filterable for Offering<'_> {
    fn values(&self, name: &str) -> Option<Vec<String>> {
        Some(match name {
            "location" => vec![self.location.clone()],
            "instance-type" => vec![self.t.name.clone()],
            _ => return None,
        })
    }

    fn tags(&self) -> &Tags {
        &NO_TAGS
    }
}

pub fn offerings(
    _ec2: &Ec2,
    ctx: &RequestContext,
    i: DescribeInstanceTypeOfferingsRequest,
) -> Result<DescribeInstanceTypeOfferingsResult, AwsError> {
    dry_run(i.dry_run)?;
    let kind = i.location_type.as_deref().unwrap_or("region");
    let locations: Vec<String> = match kind {
        "region" => vec![ctx.region.clone()],
        "availability-zone" => zones(&ctx.region).into_iter().map(|z| z.0).collect(),
        "availability-zone-id" => zones(&ctx.region).into_iter().map(|z| z.1).collect(),
        other => {
            return Err(invalid(format!(
                "Value ({other}) for parameter locationType is invalid. Valid values are: region, availability-zone, availability-zone-id, outpost"
            )));
        }
    };
    let filters = i.filters.clone().unwrap_or_default();
    let mut res = Vec::new();
    for location in &locations {
        for t in all() {
            let o = Offering {
                t,
                location: location.clone(),
            };
            if matches(&o, &filters)? {
                res.push(InstanceTypeOffering {
                    instance_type: Some(t.name.clone()),
                    location_type: Some(kind.to_string()),
                    location: Some(location.clone()),
                });
            }
        }
    }
    let (offerings, next_token) = page_within(res, i.max_results, i.next_token.as_deref(), 1000)?;
    Ok(DescribeInstanceTypeOfferingsResult {
        instance_type_offerings: Some(offerings),
        next_token,
    })
}
