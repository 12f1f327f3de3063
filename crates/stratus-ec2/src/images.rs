//! The public image catalogue every region has: the built-in images of
//! `data/images.json` and any a user gives with `--ec2-images`. Catalogue
//! images are shared by all accounts and never copied into region state;
//! their ids derive from region and name, so they survive restarts.

use serde::Deserialize;
use sha2::{Digest as _, Sha256};

use crate::state::{BlockDeviceRec, ImageRec};

/// One catalogue entry, as in `data/images.json` or a user's file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageDef {
    /// Fixed id in every region; derived from region and name when absent.
    #[serde(default)]
    pub id: Option<String>,
    pub name: String,
    pub owner: String,
    #[serde(default)]
    pub owner_alias: Option<String>,
    #[serde(default = "x86")]
    pub architecture: String,
    #[serde(default = "xvda")]
    pub root_device_name: String,
    #[serde(default = "ebs")]
    pub root_device_type: String,
    #[serde(default)]
    pub platform: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default = "hvm")]
    pub virtualization_type: String,
    #[serde(default = "yes")]
    pub ena_support: bool,
    #[serde(default = "eight")]
    pub volume_size: i32,
    #[serde(default = "gp3")]
    pub volume_type: String,
    #[serde(default)]
    pub boot_mode: Option<String>,
    /// ISO 8601; the Unix epoch when absent.
    #[serde(default)]
    pub creation_date: Option<String>,
}

fn x86() -> String {
    "x86_64".into()
}
fn xvda() -> String {
    "/dev/xvda".into()
}
fn ebs() -> String {
    "ebs".into()
}
fn hvm() -> String {
    "hvm".into()
}
fn gp3() -> String {
    "gp3".into()
}
fn yes() -> bool {
    true
}
fn eight() -> i32 {
    8
}

const ARCHITECTURES: &[&str] = &["i386", "x86_64", "arm64", "x86_64_mac", "arm64_mac"];

/// `ami-` and 17 hex digits from a hash of region and name.
pub fn stable_id(region: &str, name: &str) -> String {
    let h = Sha256::digest(format!("{region}/{name}").as_bytes());
    let hex: String = h.iter().map(|b| format!("{b:02x}")).collect();
    format!("ami-{}", &hex[..17])
}

/// Parses a catalogue file, checking each entry.
pub fn parse(text: &str) -> Result<Vec<ImageDef>, String> {
    let defs: Vec<ImageDef> = serde_json::from_str(text).map_err(|e| e.to_string())?;
    for (n, d) in defs.iter().enumerate() {
        let at = format!("image {} ({})", n + 1, d.name);
        if d.name.is_empty() {
            return Err(format!("image {}: name is empty", n + 1));
        }
        if !(d.owner.len() == 12 && d.owner.bytes().all(|b| b.is_ascii_digit())) {
            return Err(format!("{at}: owner must be a 12-digit account id"));
        }
        if let Some(id) = &d.id {
            let hex = id.strip_prefix("ami-").unwrap_or("");
            if hex.is_empty() || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(format!("{at}: id must look like ami-0123456789abcdef0"));
            }
        }
        if !ARCHITECTURES.contains(&d.architecture.as_str()) {
            return Err(format!("{at}: unknown architecture {}", d.architecture));
        }
        if d.root_device_type != "ebs" && d.root_device_type != "instance-store" {
            return Err(format!(
                "{at}: root_device_type must be ebs or instance-store"
            ));
        }
        if d.virtualization_type != "hvm" && d.virtualization_type != "paravirtual" {
            return Err(format!(
                "{at}: virtualization_type must be hvm or paravirtual"
            ));
        }
        if d.platform.as_deref().is_some_and(|p| p != "windows") {
            return Err(format!("{at}: platform may only be windows"));
        }
        if let Some(c) = &d.creation_date {
            if stratus_core::time::parse_iso8601(c).is_none() {
                return Err(format!("{at}: creation_date is not ISO 8601: {c}"));
            }
        }
    }
    Ok(defs)
}

/// The built-in catalogue.
pub fn builtin() -> Vec<ImageDef> {
    parse(include_str!("../data/images.json")).expect("data/images.json is checked by unit tests")
}

/// Reads a user's catalogue file; the error names the file and the fault.
pub fn load_file(path: &std::path::Path) -> Result<Vec<ImageDef>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("--ec2-images {}: {e}", path.display()))?;
    parse(&text).map_err(|e| format!("--ec2-images {}: {e}", path.display()))
}

/// A catalogue entry as the image record of one region.
pub fn record(d: &ImageDef, region: &str) -> ImageRec {
    let snapshot = {
        let h = Sha256::digest(format!("{region}/{}/snapshot", d.name).as_bytes());
        let hex: String = h.iter().map(|b| format!("{b:02x}")).collect();
        format!("snap-{}", &hex[..17])
    };
    let ebs = d.root_device_type == "ebs";
    ImageRec {
        id: d.id.clone().unwrap_or_else(|| stable_id(region, &d.name)),
        name: d.name.clone(),
        description: d.description.clone(),
        owner: d.owner.clone(),
        owner_alias: d.owner_alias.clone(),
        architecture: d.architecture.clone(),
        root_device_name: d.root_device_name.clone(),
        root_device_type: d.root_device_type.clone(),
        virtualization_type: d.virtualization_type.clone(),
        platform: d.platform.clone(),
        ena_support: d.ena_support,
        sriov_net_support: Some("simple".into()),
        boot_mode: d.boot_mode.clone(),
        block_devices: if ebs {
            vec![BlockDeviceRec {
                device: d.root_device_name.clone(),
                snapshot: Some(snapshot),
                size_gib: Some(d.volume_size),
                volume_type: Some(d.volume_type.clone()),
                delete_on_termination: true,
                encrypted: false,
                iops: (d.volume_type == "gp3").then_some(3000),
                throughput: (d.volume_type == "gp3").then_some(125),
                ..Default::default()
            }]
        } else {
            Vec::new()
        },
        public: true,
        created_ms: d
            .creation_date
            .as_deref()
            .and_then(stratus_core::time::parse_iso8601)
            .unwrap_or(0),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_catalogue() {
        let defs = builtin();
        assert!(defs.len() >= 10);
        let al = defs
            .iter()
            .find(|d| d.name.starts_with("al2023-ami-") && d.architecture == "arm64")
            .unwrap();
        let a = record(al, "us-east-1");
        let b = record(al, "eu-west-1");
        assert_ne!(a.id, b.id);
        assert_eq!(a.id, record(al, "us-east-1").id);
        assert_eq!(a.id.len(), 21);
        assert_eq!(a.block_devices[0].size_gib, Some(8));
        assert!(
            defs.iter()
                .any(|d| d.platform.as_deref() == Some("windows"))
        );
    }

    #[test]
    fn user_files_are_checked() {
        assert!(parse(r#"[{"name": "mine", "owner": "123456789012"}]"#).is_ok());
        let bad = [
            r#"[{"name": "mine"}]"#,
            r#"[{"name": "mine", "owner": "me"}]"#,
            r#"[{"name": "mine", "owner": "123456789012", "architecture": "sparc"}]"#,
            r#"[{"name": "mine", "owner": "123456789012", "id": "img-1"}]"#,
            r#"[{"name": "mine", "owner": "123456789012", "colour": "red"}]"#,
            r#"{"name": "mine"}"#,
        ];
        for b in bad {
            assert!(parse(b).is_err(), "{b}");
        }
    }
}
