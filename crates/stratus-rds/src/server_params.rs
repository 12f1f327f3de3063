//! What a DB instance's server is configured with: the values of its
//! parameter group that the engine knows, and the memory settings its
//! instance class gives it.

use crate::catalogue;

/// One setting handed to a server.
#[derive(Clone, Debug, PartialEq)]
pub struct ServerParam {
    pub name: String,
    pub value: String,
    /// Takes effect without a restart.
    pub dynamic: bool,
    /// A string (quoted in SQL), not a number.
    pub string: bool,
}

/// A class's memory in MiB: micro 1 GiB, small 2, medium 4, large 8,
/// xlarge 16; the memory-optimised `r` classes have twice as much.
pub fn class_memory_mib(class: &str) -> u64 {
    let mut parts = class.split('.');
    let _db = parts.next();
    let family = parts.next().unwrap_or("");
    let size = parts.next().unwrap_or("");
    let base: u64 = match size {
        "micro" => 1024,
        "small" => 2048,
        "medium" => 4096,
        "large" => 8192,
        "xlarge" => 16384,
        s => s
            .strip_suffix("xlarge")
            .and_then(|n| n.parse::<u64>().ok())
            .map_or(1024, |n| n * 16384),
    };
    if family.starts_with('r') {
        base * 2
    } else {
        base
    }
}

/// The memory settings of a class. AWS gives PostgreSQL a quarter of the
/// memory as shared_buffers and MySQL three quarters as the buffer pool;
/// here they are scaled down (1/16 and 1/48) so that many instances fit
/// on one machine.
fn memory_params(engine: &str, class: &str) -> Vec<ServerParam> {
    let mib = class_memory_mib(class);
    let (name, value) = if engine == "postgres" {
        // 8 kB pages: memory / 4 / 16.
        ("shared_buffers", (mib * 1024 / 8 / 64).to_string())
    } else {
        (
            "innodb_buffer_pool_size",
            (mib * 1024 * 1024 / 64).to_string(),
        )
    };
    vec![ServerParam {
        name: name.into(),
        value,
        dynamic: false,
        string: false,
    }]
}

/// Parameters of the catalogue that are not passed to the servers:
/// `rds.force_ssl` is AWS's own, and MariaDB's `time_zone` names zones its
/// servers here have no tables for.
const NOT_SERVER_SETTINGS: &[&str] = &["rds.force_ssl", "time_zone"];

/// The settings for a server of `engine` and `class` with a parameter
/// group's values (`values`; formulas such as `{DBInstanceClassMemory/...}`
/// are left to the class).
pub fn server_params(
    engine: &str,
    family: &str,
    class: &str,
    values: &std::collections::BTreeMap<String, String>,
) -> Vec<ServerParam> {
    let known = catalogue::parameters(family);
    let mut out = memory_params(engine, class);
    for (name, value) in values {
        if value.contains('{') || NOT_SERVER_SETTINGS.contains(&name.as_str()) {
            continue;
        }
        let Some(info) = known.iter().find(|p| p.name == name) else {
            continue;
        };
        let p = ServerParam {
            name: name.clone(),
            value: value.clone(),
            dynamic: info.apply_type == "dynamic",
            string: info.data_type == "string",
        };
        match out.iter_mut().find(|o| o.name == p.name) {
            Some(o) => *o = p,
            None => out.push(p),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn classes_have_memory_by_size() {
        assert_eq!(class_memory_mib("db.t3.micro"), 1024);
        assert_eq!(class_memory_mib("db.m5.large"), 8192);
        assert_eq!(class_memory_mib("db.r5.large"), 16384);
        assert_eq!(class_memory_mib("db.m5.xlarge"), 16384);
        assert_eq!(class_memory_mib("db.m5.4xlarge"), 65536);
    }

    #[test]
    fn bigger_classes_get_more_buffers() {
        let none = BTreeMap::new();
        let micro = server_params("postgres", "postgres15", "db.t3.micro", &none);
        let large = server_params("postgres", "postgres15", "db.m5.large", &none);
        // 16 MB and 128 MB of 8 kB pages.
        assert_eq!(micro[0].name, "shared_buffers");
        assert_eq!(micro[0].value, "2048");
        assert_eq!(large[0].value, "16384");
        let my = server_params("mysql", "mysql8.0", "db.t3.micro", &none);
        assert_eq!(my[0].name, "innodb_buffer_pool_size");
        assert_eq!(my[0].value, (16 * 1024 * 1024).to_string());
    }

    #[test]
    fn group_values_reach_the_server_and_override_the_class() {
        let mut values = BTreeMap::new();
        values.insert("work_mem".to_string(), "8192".to_string());
        values.insert("shared_buffers".to_string(), "4096".to_string());
        values.insert("rds.force_ssl".to_string(), "0".to_string());
        values.insert(
            "max_connections".to_string(),
            "{DBInstanceClassMemory/9531392}".to_string(),
        );
        let got = server_params("postgres", "postgres15", "db.t3.micro", &values);
        let names: Vec<&str> = got.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, vec!["shared_buffers", "work_mem"]);
        assert_eq!(got[0].value, "4096");
        assert!(!got[0].dynamic && got[1].dynamic);
    }
}
