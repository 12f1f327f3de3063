//! The instance type catalogue: vCPUs, memory, processors, network and EBS
//! figures of the common families, read once from `data/instance-types.json`.
//! Everything that needs an instance type's figures asks [`instance_type`].

use std::sync::OnceLock;

use serde::Deserialize;

/// One instance type as EC2 describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeInfo {
    pub name: String,
    pub family: String,
    pub vcpus: i32,
    pub cores: i32,
    pub threads_per_core: i32,
    pub memory_mib: i64,
    /// `x86_64`, `arm64` (and `i386` for t2).
    pub architectures: Vec<String>,
    pub network_performance: String,
    pub hypervisor: String,
    pub manufacturer: String,
    pub clock_ghz: f64,
    pub burstable: bool,
    pub free_tier: bool,
    /// `required`, `supported` or `unsupported`.
    pub ena_support: String,
    /// `default`, `supported` or `unsupported`.
    pub ebs_optimized_support: String,
    pub ebs_baseline_mbps: i32,
    pub ebs_max_mbps: i32,
    pub max_interfaces: i32,
    pub ipv4_per_interface: i32,
    pub boot_modes: Vec<String>,
}

#[derive(Deserialize)]
struct File {
    free_tier: Vec<String>,
    families: Vec<Family>,
}

#[derive(Deserialize)]
struct Family {
    family: String,
    architectures: Vec<String>,
    hypervisor: String,
    manufacturer: String,
    clock_ghz: f64,
    threads_per_core: i32,
    burstable: bool,
    ena: String,
    ebs_optimized: String,
    boot_modes: Vec<String>,
    sizes: Vec<(String, i32, i64, String, i32, i32, i32, i32)>,
}

fn parse(text: &str) -> Result<Vec<TypeInfo>, String> {
    let file: File = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    for f in file.families {
        for (size, vcpus, mem, net, base, max, enis, ips) in f.sizes {
            let name = format!("{}.{size}", f.family);
            out.push(TypeInfo {
                free_tier: file.free_tier.contains(&name),
                name,
                family: f.family.clone(),
                vcpus,
                cores: (vcpus / f.threads_per_core).max(1),
                threads_per_core: f.threads_per_core,
                memory_mib: mem,
                architectures: f.architectures.clone(),
                network_performance: net,
                hypervisor: f.hypervisor.clone(),
                manufacturer: f.manufacturer.clone(),
                clock_ghz: f.clock_ghz,
                burstable: f.burstable,
                ena_support: f.ena.clone(),
                ebs_optimized_support: f.ebs_optimized.clone(),
                ebs_baseline_mbps: base,
                ebs_max_mbps: max,
                max_interfaces: enis,
                ipv4_per_interface: ips,
                boot_modes: f.boot_modes.clone(),
            });
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// Every known instance type, sorted by name.
pub fn all() -> &'static [TypeInfo] {
    static TYPES: OnceLock<Vec<TypeInfo>> = OnceLock::new();
    TYPES.get_or_init(|| {
        parse(include_str!("../data/instance-types.json"))
            .expect("data/instance-types.json is checked by the unit tests")
    })
}

/// An instance type's figures, for RunInstances and DescribeInstanceTypes.
pub fn instance_type(name: &str) -> Option<&'static TypeInfo> {
    let types = all();
    types
        .binary_search_by(|t| t.name.as_str().cmp(name))
        .ok()
        .map(|i| &types[i])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_parses_with_real_figures() {
        assert!(all().len() >= 70);
        let t = instance_type("t3.micro").unwrap();
        assert_eq!((t.vcpus, t.cores, t.memory_mib), (2, 1, 1024));
        assert!(t.free_tier && t.burstable);
        assert_eq!(t.network_performance, "Up to 5 Gigabit");
        let g = instance_type("m7g.xlarge").unwrap();
        assert_eq!(g.architectures, ["arm64"]);
        assert_eq!((g.vcpus, g.memory_mib), (4, 16384));
        let t2 = instance_type("t2.micro").unwrap();
        assert_eq!(t2.hypervisor, "xen");
        assert_eq!(t2.architectures, ["i386", "x86_64"]);
        assert!(instance_type("t9.micro").is_none());
        assert!(!instance_type("m5.large").unwrap().free_tier);
        for fam in [
            "t2", "t3", "t3a", "t4g", "m5", "m6i", "m7i", "m6g", "m7g", "c5", "c6i", "c7g", "r5",
            "r6i",
        ] {
            assert!(all().iter().any(|t| t.family == fam), "{fam}");
        }
    }
}
